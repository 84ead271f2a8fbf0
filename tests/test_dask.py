"""`nndoctor check --scheduler ADDRESS`: each file one task on an existing Dask cluster, the same
reports as a local run. Skipped when dask.distributed is not installed (pip install 'nndoctor[dask]')."""

import json

import pytest
from classkit import write_class

from nndoctor.cli import main

distributed = pytest.importorskip("distributed")


def without_timings(value):
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def test_a_local_cluster_run_equals_the_local_run(tmp_path, monkeypatch, capsys):
    write_class(tmp_path / "class", 3)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "class", "-j", "2", "--format", "json", "-o", "local.json"]) == 1
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        code = main(["check", "class", "--scheduler", cluster.scheduler_address, "--format", "json",
                     "-o", "dask.json"])
    assert code == 1
    local, remote = (json.loads((tmp_path / name).read_text()) for name in ("local.json", "dask.json"))
    assert remote["summary"]["scheduler"] == cluster.scheduler_address and remote["summary"]["workers"] == 2
    for key in ("scheduler", "workers", "seconds"):
        del local["summary"][key], remote["summary"][key]
    del local["settings"], remote["settings"]
    assert without_timings(remote) == without_timings(local)
    assert [f["verdict"] for f in remote["files"]] == ["pass", "fail", "fail"]


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("nndoctor.batch.CONNECT_TIMEOUT", "1s")
    write_class(tmp_path, 1)
    monkeypatch.chdir(tmp_path)
    assert main(["check", ".", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot reach a Dask scheduler" in err
