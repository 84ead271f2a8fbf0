"""The optimizer probe's findings: their messages, fixes, evidence and the line they point at.

Every builder is handed what the comparison found (the numbers of one entry at one step, the
hyperparameters, the matching variant) and only words it: nothing here calls the learner's
function or decides what differs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from nndoctor.findings import Finding, Severity
from nndoctor.numbers import fmt
from nndoctor.probes._common import location
from nndoctor.probes.optimizer_compare import Match, Observed
from nndoctor.probes.optimizer_formulas import NEEDS, Variant
from nndoctor.probes.optimizer_signature import UpdateSignature

_TITLE = {"gd": "gradient descent", "momentum": "momentum", "rmsprop": "RMSprop", "adam": "Adam"}


def unexpected(func: Callable[..., Any], fname: str, result: Any, t: int, missing: str | None = None) -> Finding:
    what = type(result).__name__
    if missing is not None:
        message = (f"{fname} was called with a parameter dict and a gradient dict (t = {t}), but what it gives "
                   f"back has no array {missing!r} of the parameter's shape: its result cannot be read as the "
                   f"updated parameters.")
    else:
        message = (f"{fname} returned a {what} (t = {t}): an update step returns the parameter dict (with the "
                   f"optimizer's state, e.g. (parameters, v)), or changes the dicts in place and returns None.")
    return Finding("unexpected-output", message, Severity.ERROR, location(func, fname, (r"\breturn\b",)),
                   {"function": fname, "returned": what, "t": t, "probe": "optimizer-update"},
                   "Return the updated parameters: `return parameters` (or `return parameters, v` / "
                   "`return parameters, v, s` when the function keeps a state).")


def inconclusive(func: Callable[..., Any], fname: str, why: str, fix: str = "") -> Finding:
    return Finding("check-inconclusive", f"{fname} could not be checked against the optimizer formulas: {why}.",
                   Severity.INFO, location(func, fname), {"check": "optimizer-update", "function": fname},
                   fix or "Declare the update step with the course's signature, e.g. update_parameters_with_adam("
                          "parameters, grads, v, s, t, learning_rate, beta1, beta2, epsilon).")


def _ratio(nums: Mapping[str, Any]) -> float | None:
    """actual / expected step, when both go the same way."""
    a, e = nums["actual_step"], nums["expected_step"]
    if not e or not np.isfinite(a) or a * e <= 0:
        return None
    return a / e


def _hp_evidence(hp: Mapping[str, float], optimizer: str, fitted: tuple[str, ...]) -> dict[str, Any]:
    names = {"gd": ("learning_rate",), "momentum": ("learning_rate", "beta"),
             "rmsprop": ("learning_rate", "beta", "epsilon"),
             "adam": ("learning_rate", "beta1", "beta2", "epsilon")}[optimizer]
    out = {n: hp[n] for n in names if n in hp}
    if fitted:
        out["inferred"] = [n for n in fitted if n in out]
    return out


def _describe(variant: Variant) -> str:
    """What the function computes, in a few words."""
    devs = variant.deviations()
    base = _TITLE[variant.optimizer]
    if not devs:
        return base
    words = {
        "sign": "with the wrong sign",
        "state": "without carrying its state over",
        "swapped-beta": "with beta and 1 - beta swapped",
        "exchanged-betas": "with beta1 and beta2 exchanged",
        "no-one-minus-beta": "without the (1 - beta) factor",
        "correction-fed-back": "with the bias-corrected average fed back into the state",
        "correction-missing": "without bias correction",
        "t-shift": "correcting with t + 1",
        "epsilon-inside": "with epsilon inside the square root",
        "epsilon-missing": "without epsilon",
    }
    return f"{base} " + ", ".join(words[d] for d in devs)


@dataclass(frozen=True)
class _Deviation:
    """One group of deviations of a variant, with what its wording needs: the function's name, its
    argument names (the course's where it takes none), the hyperparameters, and the entry and step
    where the deviations show."""

    fname: str
    sig: UpdateSignature
    variant: Variant
    hp: Mapping[str, float]
    devs: list[str]
    nums: Mapping[str, Any]
    lr_name: str
    v_name: str
    s_name: str
    b_name: str
    b1_name: str
    b2_name: str
    eps_name: str
    t_name: str

    @property
    def opt(self) -> str:
        return self.variant.optimizer

    @property
    def key(self) -> str:
        return self.nums["parameter"]

    @property
    def gkey(self) -> str:
        return "d" + self.key

    @property
    def at(self) -> str:
        """Where the deviation shows: the step, entry, gradient and both moves (lower case)."""
        nums = self.nums
        return (f"at t = {nums['t']}, {nums['entry']} (gradient {fmt(nums['gradient'])}) moves by "
                f"{fmt(nums['actual_step'])} to {fmt(nums['actual'], 6)}; the formula gives a step of "
                f"{fmt(nums['expected_step'])}, to {fmt(nums['expected'], 6)}")

    @property
    def at_capitalized(self) -> str:
        """`at` starting a sentence."""
        at = self.at
        return f"{at[0].upper()}{at[1:]}"

    @classmethod
    def of(cls, fname: str, sig: UpdateSignature, match: Match, devs: list[str], nums: Mapping[str, Any]
           ) -> _Deviation:
        r = sig.roles
        v_name, s_name = _state_names(sig, match.variant.optimizer)
        return cls(fname, sig, match.variant, match.hp, devs, nums,
                   lr_name=r.get("learning_rate", "learning_rate"), v_name=v_name, s_name=s_name,
                   b_name=r.get("beta", "beta"), b1_name=r.get("beta1", "beta1"), b2_name=r.get("beta2", "beta2"),
                   eps_name=r.get("epsilon", "epsilon"), t_name=r.get("t", "t"))


class _Wording(NamedTuple):
    message: str
    fix: str
    patterns: list[str]  # the lines the finding points at, most likely first


def deviation_finding(func: Callable[..., Any], fname: str, sig: UpdateSignature, obs: Observed, match: Match,
                      kind: str, devs: list[str], nums: Mapping[str, Any], severity: Severity) -> Finding:
    """The finding of ``devs`` (deviations of one kind of ``match``'s variant), ``nums`` the entry
    and step where they show."""
    evidence = _deviation_evidence(obs, match, kind, devs, nums)
    d = _Deviation.of(fname, sig, match, devs, nums)
    wording = {"sign": _sign_wording, "state": _state_wording, "bias-correction": _bias_correction_wording,
               "epsilon": _epsilon_wording}.get(kind, _other_wording)
    message, fix, patterns = wording(d)
    return Finding("optimizer-update", message, severity, location(func, fname, patterns, parameter=d.key),
                   evidence, fix)


def _deviation_evidence(obs: Observed, match: Match, kind: str, devs: list[str], nums: Mapping[str, Any]
                        ) -> dict[str, Any]:
    variant = match.variant
    opt = variant.optimizer
    evidence: dict[str, Any] = {
        "kind": kind,
        "optimizer": opt,
        "implements": _describe(variant),
        "deviations": devs,
        **nums,
        "hyperparameters": _hp_evidence(match.hp, opt, match.fitted),
        "steps_checked": int(obs.steps.shape[0]),
        "keys": obs.layout,
    }
    evidence["problem"] = devs[0] if len(devs) == 1 else devs
    if kind == "bias-correction" and opt == "adam":
        evidence["corrected"] = {"v": variant.v_corr, "s": variant.s_corr}
    return evidence


def _sign_wording(d: _Deviation) -> _Wording:
    fname, at, key, lr_name = d.fname, d.at, d.key, d.lr_name
    term = _term(d.opt, d.sig, d.gkey)
    message = (f"{fname} moves the parameters along the gradient instead of against it: {at}. Every "
               f"update makes the cost larger, whatever the learning rate.")
    fix = f"Subtract the step: parameters[\"{key}\"] = parameters[\"{key}\"] - {lr_name} * {term}."
    return _Wording(message, fix, [rf"\+=.*\b{re.escape(lr_name)}\b", rf"\b{re.escape(lr_name)}\b"])


def _state_wording(d: _Deviation) -> _Wording:
    fname, opt, v_name, s_name, b_name = d.fname, d.opt, d.v_name, d.s_name, d.b_name
    what = {"momentum": f"the velocity {v_name}", "rmsprop": f"the running average {s_name}",
            "adam": f"the moving averages {v_name} and {s_name}"}.get(opt, "its state")
    ratio = _ratio(d.nums)
    message = (f"{fname} does not carry {what} over from one call to the next: every step starts again from "
               f"zero, so {d.at}"
               + (f" ({fmt(ratio, 3)} x)" if ratio is not None and np.isfinite(ratio) else "") + ".")
    if opt == "momentum":
        message += (f" Momentum becomes plain gradient descent with a learning rate (1 - {b_name}) = "
                    f"{fmt(1 - d.hp['beta'], 3)} times smaller.")
    return _Wording(message, _state_fix(d), [r"initiali[sz]e_\w*\(", r"np\.zeros",
                                             rf"\b{re.escape(b_name if opt != 'adam' else d.b1_name)}\b"])


def _state_fix(d: _Deviation) -> str:
    fname, opt, gkey, v_name, s_name, b_name, b1_name = d.fname, d.opt, d.gkey, d.v_name, d.s_name, d.b_name, d.b1_name
    fix = (f"Write the new average into the dictionary and return it: {v_name}[\"{gkey}\"] = "
           f"{b_name if opt == 'momentum' else b1_name} * {v_name}[\"{gkey}\"] + (1 - "
           f"{b_name if opt == 'momentum' else b1_name}) * grads[\"{gkey}\"]"
           if opt in ("momentum", "adam") else
           f"Write the new average into the dictionary and return it: {s_name}[\"{gkey}\"] = {b_name} * "
           f"{s_name}[\"{gkey}\"] + (1 - {b_name}) * grads[\"{gkey}\"] ** 2")
    return fix + (". Do not re-create the state inside the update, and keep what it returns in the loop: "
                  + {"momentum": f"parameters, {v_name} = {fname}(...)",
                     "rmsprop": f"parameters, {s_name} = {fname}(...)",
                     "adam": f"parameters, {v_name}, {s_name} = {fname}(...)"}.get(opt, f"{fname}(...)") + ".")


def _bias_correction_wording(d: _Deviation) -> _Wording:
    if d.devs == ["t-shift"]:
        return _t_shift_wording(d)
    if "correction-fed-back" in d.devs:
        return _correction_fed_back_wording(d)
    return _correction_missing_wording(d)


def _t_shift_wording(d: _Deviation) -> _Wording:
    t_name, b1_name = d.t_name, d.b1_name
    message = (f"{d.fname} corrects the averages with t + 1 instead of t (1 - beta ** (t + 1)): {d.at}. With a "
               f"loop that counts t from 1, as the course's does, the early steps are too small; counting "
               f"t in two places is easy to get wrong.")
    fix = (f"Use the {t_name} you are given: v_corrected = v / (1 - {b1_name} ** {t_name}); increment "
           f"{t_name} once, in the training loop, before each update.")
    return _Wording(message, fix, [rf"\b{re.escape(t_name)}\s*(\+=|=\s*{re.escape(t_name)}\s*\+)", r"\*\*"])


def _fed_back_names(d: _Deviation) -> str:
    """The state dicts the bias-corrected value is stored back into, in words."""
    which = []
    if d.opt in ("momentum", "adam") and d.variant.v_corr == "fed-back":
        which.append(d.v_name)
    if d.opt in ("rmsprop", "adam") and d.variant.s_corr == "fed-back":
        which.append(d.s_name)
    return " and ".join(which) or d.v_name


def _correction_fed_back_wording(d: _Deviation) -> _Wording:
    v_name, t_name, gkey = d.v_name, d.t_name, d.gkey
    names = _fed_back_names(d)
    message = (f"{d.fname} stores the bias-corrected value back into {names}: the next step averages the "
               f"corrected value instead of the raw one (v = beta * v_corrected + (1 - beta) * dW), so the "
               f"correction compounds. {d.at_capitalized}.")
    if "correction-missing" in d.devs:
        message += " The other average is not corrected at all."
    b_v = d.b1_name if d.opt == "adam" else d.b_name
    fix = (f"Keep the raw average in {names} and put the corrected one in a separate variable: "
           f"{v_name}_corrected[\"{gkey}\"] = {v_name}[\"{gkey}\"] / (1 - {b_v} ** {t_name}); step with "
           f"the corrected value, return the raw one.")
    return _Wording(message, fix, [r"\*\*\s*\(?\s*\w*\b" + re.escape(t_name) + r"\b", r"correct|hat"])


def _uncorrected(d: _Deviation) -> str:
    """Which of Adam's averages are not divided by their correction, in words."""
    v_name, s_name, b1_name, b2_name, t_name = d.v_name, d.s_name, d.b1_name, d.b2_name, d.t_name
    missing = [n for n, c in ((v_name, d.variant.v_corr), (s_name, d.variant.s_corr)) if c == "none"]
    if len(missing) == 2:
        return (f"neither {v_name} nor {s_name} is divided by its correction (1 - {b1_name} ** {t_name}, "
                f"1 - {b2_name} ** {t_name})")
    if missing == [v_name]:
        return f"{v_name} is not divided by 1 - {b1_name} ** {t_name} ({s_name} is)"
    return f"{s_name} is not divided by 1 - {b2_name} ** {t_name} ({v_name} is)"


def _correction_missing_wording(d: _Deviation) -> _Wording:
    v_name, s_name, b1_name, b2_name, t_name, gkey = d.v_name, d.s_name, d.b1_name, d.b2_name, d.t_name, d.gkey
    what = _uncorrected(d)
    ratio = _ratio(d.nums)
    times = f" ({fmt(ratio, 3)} x the intended step)" if ratio is not None else ""
    message = (f"{d.fname} does not correct Adam's moving averages for their start at zero: {what}. "
               f"{d.at_capitalized}{times}. The first steps are far off (the final accuracy hardly "
               f"shows it).")
    fix = (f"{v_name}_corrected = {v_name}[\"{gkey}\"] / (1 - {b1_name} ** {t_name}); {s_name}_corrected = "
           f"{s_name}[\"{gkey}\"] / (1 - {b2_name} ** {t_name}); step with "
           f"{v_name}_corrected / (np.sqrt({s_name}_corrected) + {d.eps_name}), t counting updates from 1. "
           f"Keep the raw {v_name} and {s_name} in the dictionaries.")
    return _Wording(message, fix, [r"(correct|hat)\w*\s*\[.+\]\s*=[^=]", r"(correct|hat)\w*\s*=\s*[^{\s=]",
                                   rf"\b{re.escape(d.lr_name)}\b"])


def _epsilon_wording(d: _Deviation) -> _Wording:
    fname, at, eps_name, s_name, gkey = d.fname, d.at, d.eps_name, d.s_name, d.gkey
    if "epsilon-missing" in d.devs:
        message = (f"{fname} divides by the square root of the running average with no {eps_name}: {at}. A "
                   f"parameter whose gradient is 0 gets 0 / 0 = NaN, and tiny gradients get huge steps.")
        fix = f"Add {eps_name} after the square root: ... / (np.sqrt({s_name}_corrected[\"{gkey}\"]) + {eps_name})."
    else:
        e = d.hp.get("epsilon", 0.0)
        message = (f"{fname} adds {eps_name} inside the square root (np.sqrt(s + {eps_name})) instead of after it "
                   f"(np.sqrt(s) + {eps_name}). It only changes steps whose gradients are below about "
                   f"sqrt({eps_name}) = {fmt(np.sqrt(e)) if e else 'n/a'}: {at}. Harmless in practice, but not "
                   f"the formula.")
        fix = f"Divide by (np.sqrt({s_name}_corrected[\"{gkey}\"]) + {eps_name}), with {eps_name} outside the root."
    return _Wording(message, fix, [rf"sqrt\(.*\b{re.escape(eps_name)}\b", r"sqrt\("])


def _other_wording(d: _Deviation) -> _Wording:
    """The moving average's betas: (1 - beta) missing, beta and 1 - beta swapped, Adam's two exchanged."""
    b = d.b_name if d.opt != "adam" else d.b1_name
    wording = {"no-one-minus-beta": _no_one_minus_beta_wording,
               "swapped-beta": _swapped_beta_wording}.get(d.devs[0], _exchanged_betas_wording)
    message, fix = wording(d, b)
    return _Wording(message, fix, [rf"\b{re.escape(b)}\b"])


def _no_one_minus_beta_wording(d: _Deviation, b: str) -> tuple[str, str]:
    v_name, b_name, gkey, hp = d.v_name, d.b_name, d.gkey, d.hp
    factor = 1 / (1 - hp["beta"]) if hp.get("beta", 1.0) < 1 else None
    message = (f"{d.fname} accumulates {v_name} = {b_name} * {v_name} + dW, without the (1 - {b_name}) factor. "
               f"It is a valid form of momentum (the one PyTorch uses), but with the same learning rate its "
               f"steps are 1 / (1 - {b_name}) = {fmt(factor, 3) if factor else 'n/a'} times the course "
               f"formula's: {d.at}.")
    fix = (f"For the course's formula: {v_name}[\"{gkey}\"] = {b_name} * {v_name}[\"{gkey}\"] + (1 - {b_name}) "
           f"* grads[\"{gkey}\"]; or keep this form with a learning rate (1 - {b_name}) times smaller.")
    return message, fix


def _swapped_beta_wording(d: _Deviation, b: str) -> tuple[str, str]:
    v_name, gkey = d.v_name, d.gkey
    message = (f"{d.fname} swaps {b} and 1 - {b} in the moving average (v = (1 - {b}) * v + {b} * dW): the "
               f"average forgets almost everything at each step. {d.at_capitalized}.")
    fix = f"{v_name}[\"{gkey}\"] = {b} * {v_name}[\"{gkey}\"] + (1 - {b}) * grads[\"{gkey}\"]."
    return message, fix


def _exchanged_betas_wording(d: _Deviation, b: str) -> tuple[str, str]:
    v_name, s_name, b1_name, b2_name = d.v_name, d.s_name, d.b1_name, d.b2_name
    message = (f"{d.fname} uses {b2_name} for the first moment {v_name} and {b1_name} for the second moment "
               f"{s_name}: the two averages are exchanged. {d.at_capitalized}.")
    fix = (f"{v_name} = {b1_name} * {v_name} + (1 - {b1_name}) * dW; {s_name} = {b2_name} * {s_name} + "
           f"(1 - {b2_name}) * dW ** 2.")
    return message, fix


def _state_names(sig: UpdateSignature, opt: str) -> tuple[str, str]:
    """The names of the first- and second-moment dicts (a one-state function's dict is either)."""
    v, s = sig.roles.get("v"), sig.roles.get("s")
    if opt == "rmsprop" and s is None and v is not None:
        s, v = v, None
    if opt == "momentum" and v is None and s is not None:
        v, s = s, None
    return v or "v", s or "s"


def _term(opt: str, sig: UpdateSignature, gkey: str) -> str:
    v, s = _state_names(sig, opt)
    eps = sig.roles.get("epsilon", "epsilon")
    return {"gd": f"grads[\"{gkey}\"]", "momentum": f"{v}[\"{gkey}\"]",
            "rmsprop": f"grads[\"{gkey}\"] / (np.sqrt({s}[\"{gkey}\"]) + {eps})",
            "adam": f"{v}_corrected[\"{gkey}\"] / (np.sqrt({s}_corrected[\"{gkey}\"]) + {eps})"}[opt]


def other_optimizer(func: Callable[..., Any], fname: str, sig: UpdateSignature, obs: Observed, match: Match,
                    nums: Mapping[str, Any], hp: Mapping[str, float]) -> Finding:
    """The function takes ``sig``'s arguments but computes ``match``'s optimizer; ``nums``: where it
    differs from ``sig``'s formula (with hyperparameters ``hp``)."""
    intended = _TITLE[sig.optimizer]
    got = _describe(match.variant)
    other = match.variant.optimizer
    if NEEDS[other] == 0:
        unused = [sig.roles[r] for r in sig.state]
    elif len(sig.state) == 2 and other in ("momentum", "rmsprop"):
        unused = [sig.roles["s" if other == "momentum" else "v"]]
    else:
        unused = []
    message = (f"{fname} takes the arguments of {intended} but computes {got}'s step"
               + (f" ({' and '.join(unused)} never used)" if unused else "")
               + f": at t = {nums['t']}, {nums['entry']} moves by {fmt(nums['actual_step'])}; {intended} gives "
                 f"{fmt(nums['expected_step'])}.")
    devs = match.variant.deviations()
    severity = Severity.ERROR if "sign" in devs else Severity.WARNING
    kind = "sign" if "sign" in devs else "other"
    evidence = {"kind": kind, "optimizer": sig.optimizer, "implements": got, "deviations": devs, **nums,
                "hyperparameters": _hp_evidence(hp, sig.optimizer, ()), "steps_checked": int(obs.steps.shape[0]),
                "problem": "other-optimizer"}
    fix = _formula_fix(sig, nums["parameter"])
    return Finding("optimizer-update", message, severity,
                   location(func, fname, (rf"\b{re.escape(sig.roles.get('learning_rate', 'learning_rate'))}\b",),
                            parameter=nums["parameter"]), evidence, fix)


def _formula_fix(sig: UpdateSignature, key: str) -> str:
    r = sig.roles
    g = f"grads[\"d{key}\"]"
    lr = r.get("learning_rate", "learning_rate")
    if sig.optimizer == "gd":
        return f"parameters[\"{key}\"] = parameters[\"{key}\"] - {lr} * {g}."
    if sig.optimizer == "momentum":
        v, b = r.get("v", "v"), r.get("beta", "beta")
        return (f"{v}[\"d{key}\"] = {b} * {v}[\"d{key}\"] + (1 - {b}) * {g}; parameters[\"{key}\"] = "
                f"parameters[\"{key}\"] - {lr} * {v}[\"d{key}\"].")
    if sig.optimizer == "rmsprop":
        s, b, e = r.get("s", r.get("v", "s")), r.get("beta", "beta"), r.get("epsilon", "epsilon")
        return (f"{s}[\"d{key}\"] = {b} * {s}[\"d{key}\"] + (1 - {b}) * {g} ** 2; parameters[\"{key}\"] = "
                f"parameters[\"{key}\"] - {lr} * {g} / (np.sqrt({s}[\"d{key}\"]) + {e}).")
    v, s, t = r.get("v", "v"), r.get("s", "s"), r.get("t", "t")
    b1, b2, e = r.get("beta1", "beta1"), r.get("beta2", "beta2"), r.get("epsilon", "epsilon")
    return (f"{v}[\"d{key}\"] = {b1} * {v}[\"d{key}\"] + (1 - {b1}) * {g}; {s}[\"d{key}\"] = {b2} * {s}[\"d{key}\"] + "
            f"(1 - {b2}) * {g} ** 2; v_corrected = {v}[\"d{key}\"] / (1 - {b1} ** {t}); s_corrected = "
            f"{s}[\"d{key}\"] / (1 - {b2} ** {t}); parameters[\"{key}\"] -= {lr} * v_corrected / "
            f"(np.sqrt(s_corrected) + {e}).")


def unmatched(func: Callable[..., Any], fname: str, sig: UpdateSignature, obs: Observed, nums: Mapping[str, Any],
              hp: Mapping[str, float], fitted: tuple[str, ...], cos: float) -> Finding:
    """No variant of any optimizer matches; ``nums``: where the function differs most from ``sig``'s
    formula (hyperparameters ``hp``, ``fitted`` those inferred), ``cos`` the cosine between its steps
    and the formula's."""
    intended = _TITLE[sig.optimizer]
    nonfinite = not bool(np.all(np.isfinite(obs.steps)))
    evidence = {"optimizer": sig.optimizer, "implements": None, **nums,
                "hyperparameters": _hp_evidence(hp, sig.optimizer, fitted),
                "steps_checked": int(obs.steps.shape[0]), "cosine": cos if np.isfinite(cos) else None}
    if np.isfinite(cos) and cos < -0.5:
        evidence.update(kind="sign", problem="ascends")
        message = (f"{fname} moves the parameters along the {intended} direction's opposite (cosine {cos:.2f} "
                   f"between its steps and the formula's): at t = {nums['t']}, {nums['entry']} moves by "
                   f"{fmt(nums['actual_step'])}, the formula gives {fmt(nums['expected_step'])}. Every update "
                   f"makes the cost larger.")
        return Finding("optimizer-update", message, Severity.ERROR,
                       location(func, fname, (rf"\b{re.escape(sig.roles.get('learning_rate', 'learning_rate'))}\b",),
                                parameter=nums["parameter"]), evidence, _formula_fix(sig, nums["parameter"]))
    evidence.update(kind="other", problem="non-finite" if nonfinite else "unrecognized")
    extra = " and produces NaN/inf" if nonfinite else ""
    message = (f"{fname}'s steps match neither {intended}'s formula nor one of its usual mistakes{extra}: at "
               f"t = {nums['t']}, {nums['entry']} (gradient {fmt(nums['gradient'])}) moves by "
               f"{fmt(nums['actual_step'])}; the formula gives {fmt(nums['expected_step'])}.")
    return Finding("optimizer-update", message, Severity.WARNING,
                   location(func, fname, (rf"\b{re.escape(sig.roles.get('learning_rate', 'learning_rate'))}\b",),
                            parameter=nums["parameter"]), evidence,
                   "Compare the update line by line with the formula: " + _formula_fix(sig, nums["parameter"]))


def not_updated(func: Callable[..., Any], fname: str, sig: UpdateSignature, obs: Observed) -> Finding:
    key = obs.entries[0][0]
    message = (f"{fname} leaves every parameter exactly as it was over {obs.steps.shape[0]} calls with non-zero "
               f"gradients: it neither returns updated parameters nor changes the dict it is given.")
    fix = (f"Write the new value back into the dictionary and return it: parameters[\"{key}\"] = "
           f"parameters[\"{key}\"] - learning_rate * ...; updating a copy or a loop variable changes nothing.")
    return Finding("parameters-not-updated", message, Severity.ERROR, location(func, fname, (r"\breturn\b",)),
                   {"function": fname, "optimizer": sig.optimizer, "steps_checked": int(obs.steps.shape[0]),
                    "probe": "optimizer-update"}, fix)
