"""The rule registry: every rule's stable code, slug, family, documentation and checker.

Rules are data. A finding names its rule by slug; the code, default severity, the docs page
(`nndoctor explain`, `docs/rules/`) and where the findings come from (`checker`) all come from
here. Codes are hierarchical: the hundreds digit is the family, so ``NND1`` selects every gradient
rule. Codes and slugs never change once released; a retired rule keeps its code reserved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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
    # every registered rule is reported by this release (`nndoctor rules --format json` and SARIF
    # still show the field)
    status: str = "active"
    # where its findings come from: "package.module:function" (or a module that emits it in
    # several places), the main one when there are several; the named code mentions the slug
    checker: str = field(default="", kw_only=True)

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
         "error", ("scale", "sign", "transpose", "missing-term", "shape", "missing", "other"),
         checker="nndoctor.gradcheck.messages:mismatch_finding"),
    Rule("NND102", "activation-derivative", "a derivative helper is not the derivative of its forward twin",
         "error", checker="nndoctor.activations:check_derivative"),
    Rule("NND103", "activation-mismatch", "a layer's backward differentiates another activation than its forward used",
         "error", checker="nndoctor.checks.layers:check_activation_mismatch"),
    Rule("NND104", "implied-loss", "the update a fused backward applies is (or is not) the gradient of a known loss",
         "info", ("cross-entropy", "squared-error", "neither"),
         checker="nndoctor.checkfile.implied:against_implied_loss"),
    Rule("NND105", "learner-gradient-check", "the learner's own gradient check is wrong, or right where nndoctor agrees",
         "warning", ("epsilon", "reused-theta", "perturbs-input", "not-normalized", "other"),
         checker="nndoctor.checks.learner_check"),
    # activations
    Rule("NND201", "dead-relu", "ReLU units output 0 for every example", "warning",
         checker="nndoctor.checks.units:check_dead_relu"),
    Rule("NND202", "saturated-activation", "sigmoid/tanh units are stuck in their flat tails", "warning",
         checker="nndoctor.checks.units:check_saturated"),
    # training dynamics
    Rule("NND301", "learning-rate", "the learning rate is the cause of the training failure",
         "error", ("too-high", "too-low"), checker="nndoctor.checks.updates:check_learning_rate"),
    Rule("NND302", "cost-plateau", "the cost stops changing long before it is low", "warning",
         checker="nndoctor.checks.cost:check_plateau"),
    Rule("NND303", "cost-divergence", "the cost trends upwards", "error",
         checker="nndoctor.checks.cost:check_divergence"),
    Rule("NND304", "cost-oscillation", "the cost spikes up and down", "warning",
         checker="nndoctor.checks.cost:check_oscillation"),
    Rule("NND305", "zero-gradient", "a layer's gradient is exactly zero", "error",
         checker="nndoctor.checks.gradients:check_zero_gradient"),
    Rule("NND306", "vanishing-gradient", "gradient norms shrink layer by layer towards the input", "warning",
         checker="nndoctor.checks.gradients:check_vanishing"),
    Rule("NND307", "exploding-gradient", "gradient norms grow without bound", "error",
         checker="nndoctor.checks.gradients:check_exploding"),
    Rule("NND308", "non-finite", "NaN or inf in the cost, activations, gradients or parameters", "error",
         checker="nndoctor.checks.finite:check_non_finite"),
    Rule("NND309", "parameters-not-updated", "the update step leaves the parameters unchanged", "error",
         checker="nndoctor.checks.updates:check_not_updated"),
    # initialization
    Rule("NND401", "symmetric-init", "units of a layer are identical, so symmetry is never broken", "error",
         checker="nndoctor.checks.init:check_symmetric_init"),
    Rule("NND402", "init-scale", "weight scale far from He/Xavier for the fan-in and activation",
         "warning", ("too-large", "too-small"), checker="nndoctor.checks.init:check_init_scale"),
    Rule("NND403", "initial-cost", "the cost at initialization is far from what an untrained net gives",
         "warning", checker="nndoctor.checks.cost:check_initial_cost"),
    # architecture
    Rule("NND501", "output-activation", "the output activation does not fit the cost", "error",
         checker="nndoctor.checks.layers:check_output_activation"),
    # data and generalization
    Rule("NND601", "unnormalized-input", "input features far from zero mean and unit scale", "warning",
         ("pixels", "large-scale", "feature-scales", "small-scale", "test-statistics"),
         checker="nndoctor.data.checks:check_inputs"),
    Rule("NND602", "train-test-leakage", "training examples also appear in the test set", "error",
         checker="nndoctor.data.leakage:check_leakage"),
    Rule("NND603", "high-bias", "train and dev error both high: the model underfits", "warning",
         checker="nndoctor.data.fit:check_fit"),
    Rule("NND604", "high-variance", "dev error far above train error: the model overfits", "warning",
         checker="nndoctor.data.fit:check_fit"),
    Rule("NND605", "label-format", "labels the cost cannot use as they are: not 0/1, transposed, or predictions",
         "error", ("predictions-as-labels", "binary-values", "class-indices", "one-hot-orientation", "shape"),
         checker="nndoctor.data.checks:check_labels"),
    # optimizer and data pipeline
    Rule("NND701", "optimizer-update", "an update step differs from its optimizer's formula",
         "error", ("sign", "bias-correction", "epsilon", "state", "other"),
         checker="nndoctor.probes.optimizer:probe_update"),
    Rule("NND702", "mini-batch", "mini-batches drop or repeat examples, or misalign X and Y",
         "error", ("coverage", "misaligned"), checker="nndoctor.probes.minibatch:probe_minibatches"),
    Rule("NND703", "dropout-mask", "inverted dropout is implemented wrongly",
         "error", ("keep-rate", "frozen-mask", "scale", "not-reapplied"),
         checker="nndoctor.checks.dropout:check_dropout"),
    Rule("NND704", "stochastic-forward", "prediction gives different outputs for the same input", "error",
         checker="nndoctor.checkfile.predict:check_random_predictions"),
    # user code and tooling
    Rule("NND901", "user-code-error", "a user function raised an exception", "error",
         checker="nndoctor.usercode:user_code_finding"),
    Rule("NND902", "unexpected-output", "a user function returned something that cannot be used", "error",
         checker="nndoctor.checks.errors:check_unexpected_outputs"),
    Rule("NND903", "check-inconclusive", "a check could not reach a verdict", "warning",
         checker="nndoctor.checks:run_safely"),
    Rule("NND904", "stochastic-cost", "the cost is random; the check replayed the random state", "info",
         checker="nndoctor.gradcheck.messages:stochastic_finding"),
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
