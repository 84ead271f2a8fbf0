"""high-bias and high-variance: reading the train/dev error table (field guide case 18).

With a base error (the best error reachable, e.g. human error) of about 0%:

| train error | dev error | diagnosis |
| --- | --- | --- |
| 15% | 16% | high bias: avoidable bias 15 points, variance 1 point |
| 1% | 11% | high variance: variance 10 points |
| 15% | 30% | both |
| 0.5% | 1% | neither |

``high-bias`` fires when ``train_error - base_error > BIAS_THRESHOLD`` (10 points);
``high-variance`` when ``dev_error - train_error > VARIANCE_THRESHOLD`` (5 points) and, when the
dev set's size is known, also above twice the standard error of the dev error (50 dev examples
measure an error of 26% only to about +-6 points). Errors are fractions: 0.15 for 15%.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nndoctor.errors import InvalidInputError
from nndoctor.findings import Finding, Location

BIAS_THRESHOLD = 0.10  # train error more than 10 points above the base error: high bias
VARIANCE_THRESHOLD = 0.05  # dev error more than 5 points above the train error: high variance
SIGNIFICANCE = 2.0  # ... and more than this many standard errors of the dev error, when its size is known
GAP_SHRINKING = 0.8  # a learning curve whose gap fell below 80% of its first value: more data helps


def check_fit(train_error: float, dev_error: float, *, base_error: float = 0.0, accuracy: bool = False,
              train_examples: int | None = None, dev_examples: int | None = None, parameters: int | None = None,
              iterations: int | None = None, bias_threshold: float = BIAS_THRESHOLD,
              variance_threshold: float = VARIANCE_THRESHOLD) -> list[Finding]:
    """``high-bias`` and/or ``high-variance`` findings for a train and dev (or test) error.

    Errors are fractions (0.15 = 15%); with ``accuracy=True`` the two numbers are accuracies and
    are turned into errors (``1 - accuracy``). ``base_error`` is the best error reachable (human
    level, Bayes error), about 0 for clean images. The sizes, the parameter count and the
    iterations only enrich the evidence (and the dev size makes small gaps insignificant)."""
    train_error, dev_error = _fraction(train_error, "train_error"), _fraction(dev_error, "dev_error")
    base_error = _fraction(base_error, "base_error")
    if accuracy:
        train_error, dev_error = 1.0 - train_error, 1.0 - dev_error
    bias = train_error - base_error
    variance = dev_error - train_error
    se = None
    if dev_examples:
        p = min(max(dev_error, 1.0 / dev_examples), 1.0 - 1.0 / dev_examples) if dev_examples > 1 else 0.5
        se = math.sqrt(p * (1 - p) / dev_examples)
    variance_needed = max(variance_threshold, SIGNIFICANCE * se) if se is not None else variance_threshold
    high_bias = bias > bias_threshold
    high_variance = variance > variance_needed
    evidence: dict[str, Any] = {
        "train_error": train_error, "dev_error": dev_error, "base_error": base_error,
        "avoidable_bias": bias, "variance": variance,
        "bias_threshold": bias_threshold, "variance_threshold": variance_threshold,
        "dev_standard_error": se, "train_examples": train_examples, "dev_examples": dev_examples,
        "parameters": parameters, "iterations": iterations,
    }
    table = f"train error {_pct(train_error)}, dev error {_pct(dev_error)}, base error {_pct(base_error)}"
    findings = []
    if high_bias:
        other = (f" The dev error is also {_pts(variance)} above the training error: high variance as well."
                 if high_variance else
                 f" The dev error is close to it ({_pts(variance)} above), so this is not overfitting.")
        findings.append(Finding(
            rule="high-bias", location=Location(), evidence={**evidence, "both": high_variance},
            message=(f"The model underfits: {table}. It misses {_pct(bias)} of its own training examples beyond "
                     f"the base error (avoidable bias {_pts(bias)}, threshold {_pts(bias_threshold)}).{other}"),
            fix=("Give the model more capacity or training: a bigger network (more units or layers), more "
                 "iterations or a better optimizer (momentum, Adam) with a tuned learning rate, less regularization "
                 "(smaller lambd, keep_prob closer to 1). More data does not fix high bias. First rule out a "
                 "training problem (cost-plateau, dead-relu, learning-rate findings).")))
    if high_variance:
        sig = f", more than {SIGNIFICANCE:g} standard errors ({_pts(se)}) of a {dev_examples}-example dev set" \
            if se is not None else ""
        ratio = ""
        if parameters and train_examples:
            ratio = f" The network has {parameters:,} parameters for {train_examples:,} training examples."
        findings.append(Finding(
            rule="high-variance", location=Location(), evidence={**evidence, "both": high_bias},
            message=(f"The model overfits: {table}. The dev error is {_pts(variance)} above the training error "
                     f"(threshold {_pts(variance_threshold)}{sig}): it does much better on the examples it was "
                     f"trained on than on new ones.{ratio}"),
            fix=("Regularize (L2: add lambd / (2 * m) * sum of ||W||^2 to the cost and lambd / m * W to each dW, "
                 "e.g. lambd = 0.7; or dropout with keep_prob around 0.86), get more training data (or augment it), "
                 "use a smaller network, or stop training when the dev error starts rising.")))
    return findings


@dataclass(frozen=True)
class LearningCurve:
    """Train and dev error against the number of training examples."""

    sizes: tuple[int, ...]
    train_errors: tuple[float, ...]
    dev_errors: tuple[float, ...]
    base_error: float = 0.0

    @property
    def gaps(self) -> tuple[float, ...]:
        return tuple(d - t for t, d in zip(self.train_errors, self.dev_errors))

    @property
    def trend(self) -> str:
        """``"gap-shrinking"`` (more data helps), ``"flat"`` (the curves have met: more data
        will not help much), or ``"gap-steady"``."""
        if len(self.sizes) < 2:
            return "gap-steady"
        first, last = self.gaps[0], self.gaps[-1]
        if last <= VARIANCE_THRESHOLD:
            return "flat"
        if first > VARIANCE_THRESHOLD and last < GAP_SHRINKING * first:
            return "gap-shrinking"
        return "gap-steady"

    def to_dict(self) -> dict[str, Any]:
        return {"sizes": list(self.sizes), "train_errors": list(self.train_errors),
                "dev_errors": list(self.dev_errors), "base_error": self.base_error, "trend": self.trend}

    def to_report(self, target: str | None = None, **kwargs: Any) -> Any:
        """A Report with the bias/variance findings and the curve as its ``learning_curve``
        section: `render_html` draws it."""
        from nndoctor.findings import Report

        report = Report(target=target, findings=self.findings(**kwargs))
        report.sections["learning_curve"] = self.to_dict()
        return report

    def findings(self, **kwargs: Any) -> list[Finding]:
        """`check_fit` at the largest size, with the curve in the evidence and its trend in the
        message."""
        found = check_fit(self.train_errors[-1], self.dev_errors[-1], base_error=self.base_error,
                          train_examples=self.sizes[-1], **kwargs)
        out = []
        for f in found:
            note = ""
            if self.trend == "gap-shrinking":
                note = (f" The learning curve says more data helps: the gap fell from {_pts(self.gaps[0])} at "
                        f"{self.sizes[0]:,} examples to {_pts(self.gaps[-1])} at {self.sizes[-1]:,}.")
            elif self.trend == "flat" and f.rule == "high-bias":
                note = (f" The learning curve has flattened: at {self.sizes[-1]:,} examples train and dev error "
                        f"meet near {_pct(self.dev_errors[-1])}, so more data will not help.")
            out.append(Finding(rule=f.rule, severity=f.severity, location=f.location, message=f.message + note,
                               evidence={**f.evidence, "learning_curve": self.to_dict()}, fix=f.fix))
        return out

    def figure(self) -> Any:
        """A matplotlib Figure (object API, no pyplot): both errors against the training size."""
        from nndoctor.plots._svg import COLORS, new_figure

        fig = new_figure()
        ax = fig.add_subplot(1, 1, 1)
        ax.plot(self.sizes, [100 * e for e in self.train_errors], "o-", color=COLORS[0], label="train error")
        ax.plot(self.sizes, [100 * e for e in self.dev_errors], "o-", color=COLORS[1], label="dev error")
        if self.base_error:
            ax.axhline(100 * self.base_error, color=COLORS[7], linestyle=":", label="base error")
        ax.set_xlabel("training examples")
        ax.set_ylabel("error (%)")
        ax.set_title("learning curve")
        ax.legend(loc="best", fontsize="small")
        return fig

    def to_svg(self) -> str:
        """The learning curve as an inline ``<svg>`` element, for an HTML report."""
        from nndoctor.plots._svg import to_svg

        return to_svg(self.figure(), "learning-curve")


def learning_curve(sizes: Sequence[int], train_errors: Sequence[float], dev_errors: Sequence[float], *,
                   base_error: float = 0.0) -> LearningCurve:
    """The errors measured at several training-set sizes, sorted by size."""
    if not (len(sizes) == len(train_errors) == len(dev_errors)) or not sizes:
        raise InvalidInputError(f"learning_curve needs as many train and dev errors as sizes; got {len(sizes)} "
                                f"sizes, {len(train_errors)} train errors and {len(dev_errors)} dev errors.")
    rows = sorted(zip(sizes, train_errors, dev_errors))
    return LearningCurve(sizes=tuple(int(s) for s, _, _ in rows),
                         train_errors=tuple(_fraction(t, "train_errors") for _, t, _ in rows),
                         dev_errors=tuple(_fraction(d, "dev_errors") for _, _, d in rows),
                         base_error=_fraction(base_error, "base_error"))


def _fraction(value: Any, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be a number, got {value!r}.") from None
    if not math.isfinite(x) or not 0.0 <= x <= 1.0:
        hint = f" (for {x:g}% pass {x / 100:g})" if 1.0 < x <= 100.0 else ""
        raise InvalidInputError(f"{name} = {value!r} is not a fraction between 0 and 1{hint}.")
    return x


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _pts(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} points"
