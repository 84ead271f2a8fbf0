"""The rule registry: every rule's stable code, slug, family and documentation.

Rules are data. A finding names its rule by slug; the code, default severity and the docs page
(`nndoctor explain`, `docs/rules/`) all come from here. Codes are hierarchical: the hundreds digit
is the family, so ``NND1`` selects every gradient rule. Codes and slugs never change once
released; a retired rule keeps its code reserved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from nndoctor.severity import Severity

CODE_PATTERN = re.compile(r"^NND[1-9]\d{2}$")
SLUG_PATTERN = re.compile(r"^[a-z]+(-[a-z]+)*$")

FAMILIES = {
    "NND1": "gradients",
    "NND2": "activations",
    "NND3": "training dynamics",
    "NND4": "initialization",
    "NND5": "architecture",
    "NND6": "data and generalization",
    "NND7": "optimizer and data pipeline",
    "NND9": "user code and tooling",
}

DOC_SECTIONS = ("What it does", "Why is this bad?", "Evidence", "Example", "Fix")


@dataclass(frozen=True)
class Rule:
    code: str
    slug: str
    summary: str
    severity_name: str = "error"
    kinds: tuple[str, ...] = ()
    # "active": a checker emits it in this release; "planned": registered and documented, the
    # checker is still to come (listed as such by `nndoctor rules`).
    status: str = "planned"

    @property
    def family(self) -> str:
        return FAMILIES[self.code[:4]]

    @property
    def severity(self) -> Severity:
        return Severity.parse(self.severity_name)

    @property
    def doc(self) -> str:
        """The rule's documentation page (Markdown), shipped inside the package."""
        try:
            return resources.files("nndoctor.rule_docs").joinpath(f"{self.slug}.md").read_text("utf-8")
        except FileNotFoundError:
            return f"# {self.slug} ({self.code})\n\n{self.summary}\n"


_RULES: tuple[Rule, ...] = (
    # gradients
    Rule("NND101", "gradient-mismatch", "backprop disagrees with the numerical gradient of the cost",
         "error", ("scale", "sign", "transpose", "missing-term", "shape", "missing", "other"), "active"),
    Rule("NND102", "activation-derivative", "a derivative helper is not the derivative of its forward twin",
         "error", (), "active"),
    Rule("NND103", "activation-mismatch", "a layer's backward differentiates another activation than its forward used",
         "error", (), "active"),
    Rule("NND104", "implied-loss", "the update a fused backward applies is (or is not) the gradient of a known loss",
         "info", ("cross-entropy", "squared-error", "neither"), "active"),
    Rule("NND105", "learner-gradient-check", "the learner's own gradient check is wrong, or right where nndoctor agrees",
         "warning", ("epsilon", "reused-theta", "perturbs-input", "not-normalized", "other"), "active"),
    # activations
    Rule("NND201", "dead-relu", "ReLU units output 0 for every example", "warning", (), "active"),
    Rule("NND202", "saturated-activation", "sigmoid/tanh units are stuck in their flat tails", "warning", (), "active"),
    # training dynamics
    Rule("NND301", "learning-rate", "the learning rate is the cause of the training failure",
         "error", ("too-high", "too-low"), "active"),
    Rule("NND302", "cost-plateau", "the cost stops changing long before it is low", "warning", (), "active"),
    Rule("NND303", "cost-divergence", "the cost trends upwards", "error", (), "active"),
    Rule("NND304", "cost-oscillation", "the cost spikes up and down", "warning", (), "active"),
    Rule("NND305", "zero-gradient", "a layer's gradient is exactly zero", "error", (), "active"),
    Rule("NND306", "vanishing-gradient", "gradient norms shrink layer by layer towards the input", "warning", (), "active"),
    Rule("NND307", "exploding-gradient", "gradient norms grow without bound", "error", (), "active"),
    Rule("NND308", "non-finite", "NaN or inf in the cost, activations, gradients or parameters", "error", (), "active"),
    Rule("NND309", "parameters-not-updated", "the update step leaves the parameters unchanged", "error", (), "active"),
    # initialization
    Rule("NND401", "symmetric-init", "units of a layer are identical, so symmetry is never broken", "error", (), "active"),
    Rule("NND402", "init-scale", "weight scale far from He/Xavier for the fan-in and activation",
         "warning", ("too-large", "too-small"), "active"),
    Rule("NND403", "initial-cost", "the cost at initialization is far from what an untrained net gives",
         "warning", (), "active"),
    # architecture
    Rule("NND501", "output-activation", "the output activation does not fit the cost", "error", (), "active"),
    # data and generalization
    Rule("NND601", "unnormalized-input", "input features far from zero mean and unit scale", "warning",
         ("pixels", "large-scale", "feature-scales", "small-scale", "test-statistics"), "active"),
    Rule("NND602", "train-test-leakage", "training examples also appear in the test set", "error", (), "active"),
    Rule("NND603", "high-bias", "train and dev error both high: the model underfits", "warning", (), "active"),
    Rule("NND604", "high-variance", "dev error far above train error: the model overfits", "warning", (), "active"),
    Rule("NND605", "label-format", "labels the cost cannot use as they are: not 0/1, transposed, or predictions",
         "error", ("predictions-as-labels", "binary-values", "class-indices", "one-hot-orientation", "shape"),
         "active"),
    # optimizer and data pipeline
    Rule("NND701", "optimizer-update", "an update step differs from its optimizer's formula",
         "error", ("sign", "bias-correction", "epsilon", "state", "other"), "active"),
    Rule("NND702", "mini-batch", "mini-batches drop or repeat examples, or misalign X and Y",
         "error", ("coverage", "misaligned"), "active"),
    Rule("NND703", "dropout-mask", "inverted dropout is implemented wrongly",
         "error", ("keep-rate", "frozen-mask", "scale", "not-reapplied"), "active"),
    Rule("NND704", "stochastic-forward", "prediction gives different outputs for the same input", "error",
         (), "active"),
    # user code and tooling
    Rule("NND901", "user-code-error", "a user function raised an exception", "error", (), "active"),
    Rule("NND902", "unexpected-output", "a user function returned something that cannot be used", "error", (), "active"),
    Rule("NND903", "check-inconclusive", "a check could not reach a verdict", "warning", (), "active"),
    Rule("NND904", "stochastic-cost", "the cost is random; the check replayed the random state", "info", (), "active"),
)

_BY_SLUG = {r.slug: r for r in _RULES}
_BY_CODE = {r.code: r for r in _RULES}


class UnknownRuleError(KeyError):
    def __init__(self, name: str) -> None:
        close = [r.slug for r in _RULES if name.lower().split("-")[0] in r.slug]
        hint = f" Did you mean {', '.join(close[:3])}?" if close else ""
        super().__init__(f"no rule named {name!r}.{hint} `nndoctor rules` lists them all.")
        self.name = name

    def __str__(self) -> str:
        return str(self.args[0])


def all_rules() -> tuple[Rule, ...]:
    return _RULES


def get_rule(name: str) -> Rule:
    """Look a rule up by slug (``gradient-mismatch``) or code (``NND101``, any case)."""
    rule = _BY_SLUG.get(name) or _BY_CODE.get(name.upper())
    if rule is None:
        raise UnknownRuleError(name)
    return rule


def select(prefix: str) -> list[Rule]:
    """Rules whose code starts with ``prefix`` (``NND1`` = the gradient family) or whose slug equals it."""
    if prefix in _BY_SLUG:
        return [_BY_SLUG[prefix]]
    return [r for r in _RULES if r.code.startswith(prefix.upper())]
