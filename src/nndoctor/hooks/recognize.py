"""Recognizing activations and derivative helpers from their first call.

A watched function that maps arrays to an array of the same shape may be an activation (``relu(Z)``,
``layer.forward(x)`` of an activation layer) or a derivative helper (``relu_backward(dA, cache)``,
``sigmoid_prime(z)``). To tell them apart it is called again on test values shaped like the
program's own arrays (nothing else is ever called). The caller (calls.py) holds the Doctor busy
meanwhile, so the watched functions a sample calls record nothing.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import os
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.hooks.sites import Site
from nndoctor.trace import Trace
from nndoctor.usercode import function_name

_DERIVATIVE_NAME = re.compile(
    r"(backward|deriv|prime|_grad|_der$|_der_|[a-z]Der|^d_?(relu|lrelu|leaky|sigmoid|sig|tanh|softmax|act))", re.I)


def identify_from_call(site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any,
                       trace: Trace) -> None:
    """What a function is, from its first call that maps arrays to an array of the same shape; what
    is found is written on the site and in the trace (its role, the function to check and its shape)."""
    out = R.first(result)
    if not isinstance(out, np.ndarray) or out.dtype.kind not in "fc":
        site.probed = True
        return
    shape = out.shape
    same = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.shape == shape]
    held = [i for i, a in enumerate(args) if isinstance(a, (tuple, list, Mapping))
            and any(isinstance(v, np.ndarray) and v.shape == shape
                    for v in (a.values() if isinstance(a, Mapping) else a))]
    site.probed = True
    if not same and not held:
        return  # not elementwise (a forward pass, a loss): nothing to recognize
    prefix = tuple(a for a in args[:1] if not isinstance(a, (np.ndarray, tuple, list, Mapping)))
    if prefix and len(same) >= 2:
        _read_layer_backward(site, out, [args[i] for i in same], trace)
        return
    found = _sample(site, args, kwargs, prefix, shape, same, held)
    if found is None:
        return
    role, kind, of, target = found
    if site.fixed_role is None:
        site.fixed_role = role
        trace.sites[site.name].role = role
    site.kind = site.kind or kind
    site.derivative_of = site.derivative_of or of
    name = getattr(site.func, "__name__", site.name)
    trace.module_functions[name] = target
    trace.helper_shapes[name] = tuple(int(n) for n in shape)


def _read_layer_backward(site: Site, out: np.ndarray, same: list[np.ndarray], trace: Trace) -> None:
    """A layer object's backward (bprop(self, inputs, outputs, grads)): read what it applied from the
    values it got and gave, without calling it (it reads its own state)."""
    from nndoctor import activations

    of = activations.derivative_from_values(out, same)
    if of is not None and site.fixed_role is None:
        site.fixed_role, site.derivative_of = R.DERIVATIVE, of
        trace.sites[site.name].role = R.DERIVATIVE


def _sample(site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], prefix: tuple[Any, ...],
            shape: tuple[int, ...], same: list[int], held: list[int]) -> tuple[str, Any, Any, Any] | None:
    """(role, activation kind, derivative's activation, the function checked) of a function called on
    test values, or None when it is neither an activation nor a derivative helper."""
    from nndoctor import activations

    func = site.func
    if prefix:
        try:  # a method: tried on a shallow copy of its object, so what it stores (self.inputs) stays put
            prefix = (copy.copy(prefix[0]),)
        except Exception:  # noqa: BLE001 - an object that cannot be copied is not tried at all
            return None
    target = functools.partial(func, *prefix) if prefix else func  # a method: bound to (a copy of) its object
    rest = args[len(prefix):]
    role = kind = of = None
    with _quiet(), activations.inputs_shaped_like(shape):
        if len(same) == 1 and not held and site.fixed_role != R.DERIVATIVE:
            position = same[0] - len(prefix)

            def bound(z: Any, _call: Any = target) -> Any:
                call = list(rest)
                call[position] = z
                return _call(*call, **kwargs)

            bound.__name__, bound.__qualname__ = func.__name__, func.__qualname__
            act = activations.identify_activation(bound)
            if act is not None:
                role, kind = R.ACTIVATION, act.kind
                target = bound
        if role is None and not kwargs and site.fixed_role != R.ACTIVATION:
            der = activations.identify_derivative(target)
            # a helper that matches no known derivative is still one when its name says so (a buggy one)
            if der is not None and (der.of is not None or _DERIVATIVE_NAME.search(function_name(func))):
                role, of = R.DERIVATIVE, der.of
    if role is None:
        return None
    return role, kind, of, target


@contextlib.contextmanager
def _quiet() -> Any:
    """Silence prints while nndoctor samples a user function, and leave numpy's RNG as it was."""
    state = np.random.get_state()
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), \
            contextlib.redirect_stderr(io.StringIO()), np.errstate(all="ignore"):
        try:
            yield
        finally:
            np.random.set_state(state)
