"""The optimizers' formulas (gradient descent, momentum, RMSprop, Adam) and their usual mistakes.

A `Variant` is one way of computing an update: the correct formula, or the formula with some of
the usual deviations (wrong sign, state not carried over, beta and 1 - beta swapped, bias
correction missing or fed back into the state, t + 1, epsilon inside the square root or missing).
`simulate` gives the steps a variant takes for a sequence of gradients. Nothing here calls the
learner's code.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

OPTIMIZERS = ("gd", "momentum", "rmsprop", "adam")
DEFAULT_HYPERPARAMETERS = {"learning_rate": 0.05, "beta": 0.9, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
NEEDS = {"gd": 0, "momentum": 1, "rmsprop": 1, "adam": 2}  # state dicts each optimizer keeps


def feasible(optimizer: str, state: tuple[str, ...]) -> bool:
    return len(state) >= NEEDS[optimizer]


@dataclass(frozen=True)
class Variant:
    """One way of computing an update. The correct formulas have no deviation."""

    optimizer: str
    sign: int = -1  # -1: against the gradient
    avg: str = "ema"  # ema: b*v + (1-b)*g; sum: b*v + g; swapped: (1-b)*v + b*g; exchanged: Adam's betas swapped
    v_corr: str = "none"  # none / proper / fed-back
    s_corr: str = "none"
    eps: str = "outside"  # outside: sqrt(s^)+e; hat: sqrt(s)+e then corrected; inside: sqrt(s^+e);
    # inside-raw: sqrt((s+e)/(1-b2^t)); none
    state: str = "carried"  # carried / reset
    t_shift: int = 0

    def deviations(self) -> list[str]:
        out = []
        if self.sign > 0:
            out.append("sign")
        if self.state == "reset":
            out.append("state")
        if self.avg == "swapped":
            out.append("swapped-beta")
        elif self.avg == "exchanged":
            out.append("exchanged-betas")
        elif self.avg == "sum":
            out.append("no-one-minus-beta")
        uses_v = self.optimizer in ("momentum", "adam")
        uses_s = self.optimizer in ("rmsprop", "adam")
        if uses_v and self.v_corr == "fed-back" or uses_s and self.s_corr == "fed-back":
            out.append("correction-fed-back")
        if self.optimizer == "adam" and (self.v_corr == "none" or self.s_corr == "none"):
            out.append("correction-missing")
        if self.t_shift:
            out.append("t-shift")
        if uses_s and self.eps in ("inside", "inside-raw"):
            out.append("epsilon-inside")
        elif uses_s and self.eps == "none":
            out.append("epsilon-missing")
        return out



@functools.cache
def variants(optimizer: str) -> tuple[Variant, ...]:
    """Every variant of ``optimizer`` considered, fewest deviations first."""
    out: list[Variant] = []
    signs = (-1, 1)
    states = ("carried", "reset")
    corr = ("none", "proper", "fed-back")
    if optimizer == "gd":
        out = [Variant("gd", sign=s) for s in signs]
    elif optimizer == "momentum":
        for s, a, c, st in itertools.product(signs, ("ema", "sum", "swapped"), corr, states):
            if st == "reset" and a != "ema":
                continue  # with a fresh v every call these are plain gradient descent, told as such
            out.append(Variant("momentum", sign=s, avg=a, v_corr=c, state=st))
    elif optimizer == "rmsprop":
        for s, a, c, e, st in itertools.product(signs, ("ema", "swapped"), corr,
                                                ("outside", "inside", "none", "hat", "inside-raw"), states):
            if e in ("hat", "inside-raw") and c != "proper":
                continue
            out.append(Variant("rmsprop", sign=s, avg=a, s_corr=c, eps=e, state=st))
    else:
        for s, a, vc, sc, e, st, ts in itertools.product(
                signs, ("ema", "swapped", "exchanged"), corr, corr,
                ("outside", "hat", "inside", "inside-raw", "none"), states, (0, 1)):
            if e in ("hat", "inside-raw") and sc != "proper":
                continue
            if ts and vc == "none" and sc == "none":
                continue
            out.append(Variant("adam", sign=s, avg=a, v_corr=vc, s_corr=sc, eps=e, state=st, t_shift=ts))
    # the correct forms first; "hat" (the paper's efficient form) counts as correct
    return tuple(sorted(out, key=lambda v: (len(v.deviations()), v.eps != "outside", v.v_corr == "none",
                                            v.s_corr == "none")))


def simulate(variant: Variant, grads: np.ndarray, hp: Mapping[str, float]) -> np.ndarray:
    """The steps (T, N) ``variant`` takes for gradients ``grads`` (T, N), learning rate 1 when
    ``hp`` has none."""
    opt = variant.optimizer
    lr = hp.get("learning_rate", 1.0)
    if opt == "gd":
        return variant.sign * lr * grads
    if opt == "momentum":
        b1, b2 = hp["beta"], None
    elif opt == "rmsprop":
        b1, b2 = None, hp["beta"]
    else:
        b1, b2 = hp["beta1"], hp["beta2"]
        if variant.avg == "exchanged":
            b1, b2 = b2, b1
    eps = hp.get("epsilon", 0.0)
    n = grads.shape[1]
    v = np.zeros(n)
    s = np.zeros(n)
    steps = np.empty_like(grads)
    for k in range(grads.shape[0]):
        g = grads[k]
        t = k + 1 + variant.t_shift
        if variant.state == "reset":
            v = np.zeros(n)
            s = np.zeros(n)
        direction = g
        if b1 is not None:
            v_new = _average(v, g, b1, variant.avg)
            v_hat = v_new / (1 - b1 ** t) if variant.v_corr != "none" else v_new
            v = v_hat if variant.v_corr == "fed-back" else v_new
            direction = v_hat
        if b2 is not None:
            s_new = _average(s, g * g, b2, variant.avg)
            c2 = 1 - b2 ** t
            s_hat = s_new / c2 if variant.s_corr != "none" else s_new
            s = s_hat if variant.s_corr == "fed-back" else s_new
            with np.errstate(all="ignore"):
                if variant.eps == "outside":
                    denom = np.sqrt(s_hat) + eps
                elif variant.eps == "hat":  # lr * sqrt(1 - b2^t) / (1 - b1^t) * v / (sqrt(s) + eps)
                    denom = (np.sqrt(s_new) + eps) / np.sqrt(c2)
                elif variant.eps == "inside":
                    denom = np.sqrt(s_hat + eps)
                elif variant.eps == "inside-raw":
                    denom = np.sqrt((s_new + eps) / c2)
                else:
                    denom = np.sqrt(s_hat)
                direction = direction / denom
        steps[k] = variant.sign * lr * direction
    return steps


def _average(avg: np.ndarray, x: np.ndarray, beta: float, how: str) -> np.ndarray:
    if how == "sum":
        return beta * avg + x
    if how == "swapped":
        return (1 - beta) * avg + beta * x
    return beta * avg + (1 - beta) * x


def fixed(variant: Variant, deviations: set[str]) -> Variant:
    """``variant`` with the given deviations corrected."""
    changes: dict[str, Any] = {}
    if "sign" in deviations:
        changes["sign"] = -1
    if "state" in deviations:
        changes["state"] = "carried"
    if deviations & {"swapped-beta", "exchanged-betas", "no-one-minus-beta"}:
        changes["avg"] = "ema"
    if "correction-fed-back" in deviations or "correction-missing" in deviations:
        if variant.optimizer == "adam":
            changes["v_corr"] = "proper"
            changes["s_corr"] = "proper"
        else:
            changes["v_corr"] = "proper" if variant.v_corr == "fed-back" else variant.v_corr
            changes["s_corr"] = "proper" if variant.s_corr == "fed-back" else variant.s_corr
    if "t-shift" in deviations:
        changes["t_shift"] = 0
    if deviations & {"epsilon-inside", "epsilon-missing"}:
        changes["eps"] = "outside"
    return replace(variant, **changes)


def correct(optimizer: str) -> Variant:
    if optimizer == "adam":
        return Variant("adam", v_corr="proper", s_corr="proper")
    return Variant(optimizer)
