"""Checking many files at once: here on ``-j`` worker processes, or on a Dask cluster.

Each file is checked by its own child process (`checkfile.parent.check_one`), so a local run needs
no process pool of its own: ``-j N`` threads each wait on one child at a time, and the children do
the work on N cores. With ``--scheduler ADDRESS`` every file is one task on an existing
``dask.distributed`` cluster; the task starts that file's child process on the worker that runs
it (the files must be at the same path there: a shared file system, or the same machine).
Results come back in the order of the files, whatever order they finish in.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from nndoctor.arguments import UsageError
from nndoctor.checkfile.parent import CheckSettings, check_one
from nndoctor.checkfile.process import kill_all
from nndoctor.results import FileResult

Task = tuple[str, CheckSettings]
CONNECT_TIMEOUT = "10s"  # to reach the Dask scheduler
Done = Callable[[FileResult], None]


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def run_local(tasks: Sequence[Task], jobs: int, done: Done) -> list[FileResult]:
    """Checks every file, at most ``jobs`` at a time; Ctrl-C kills the running checks."""
    results: list[FileResult | None] = [None] * len(tasks)
    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(tasks))), thread_name_prefix="nndoctor-check")
    try:
        futures = {pool.submit(check_one, path, settings): i for i, (path, settings) in enumerate(tasks)}
        for future in as_completed(futures):
            result = future.result()
            results[futures[future]] = result
            done(result)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        kill_all()
        raise
    pool.shutdown(wait=True)
    return [r for r in results if r is not None]


def dask_client(address: str):  # -> distributed.Client
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("nndoctor check: --scheduler needs dask.distributed; install it with "
                         "pip install 'nndoctor[dask]'.") from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise UsageError(f"nndoctor check: --scheduler {address}: cannot reach a Dask scheduler there ({err}).") \
            from None


def dask_threads(client) -> int:
    """Checks one worker runs at once (its threads): a share of the memory limit each."""
    return max(client.nthreads().values(), default=1)


def run_dask(tasks: Sequence[Task], client, done: Done) -> list[FileResult]:
    """One Dask task per file; the task runs the file's check process on its worker."""
    from distributed import as_completed as dask_completed

    futures = [client.submit(check_one, path, settings, pure=False, key=f"nndoctor-check-{i}-{time.time_ns()}")
               for i, (path, settings) in enumerate(tasks)]
    try:
        for future in dask_completed(futures, loop=client.loop):
            done(future.result())
        return list(client.gather(futures))
    except BaseException:
        client.cancel(futures)
        raise
