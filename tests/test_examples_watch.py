"""Every model file in examples/ trains under a Doctor and gets the diagnosis its EXPECTED dict states.

This is what `nndoctor check FILE` does with a file, minus the gradient check: import it (its
`__main__` block does not run), watch its functions (and the methods of the classes it defines),
load the data with its own `load_data()`, call its training function with the file's own settings
except for the number of iterations or epochs, which is capped to a short probe, then report.

An expected finding marked `"needs": "gradient-check"` is only found by the gradient check on files,
so it is not looked for here, nor one marked `"needs": "probes"` (found by probing the file's update
or mini-batch function on controlled inputs); the rest of the example's expectations still are (in
particular that the runtime rules raise no warning or error the example does not expect). An optional
`"layers": {1: "relu", 2: "sigmoid"}` says which activation nndoctor must have seen in each layer,
so that a "pass" cannot come from not recognizing the network at all.

KNOWN_ISSUES lists the examples whose documented (correct) diagnosis nndoctor does not give yet;
they are strict xfails: when nndoctor is fixed they pass and the marker must go.
"""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from rulecases import program_params

import nndoctor

EXAMPLES = Path(__file__).parent.parent / "examples"
NOT_MODELS = {"__init__.py", "gradcheck_planted_errors.py"}

# the training entry points the probe looks for, in this order (functions, then methods of a class)
TRAINERS = ("model", "L_layer_model", "two_layer_model", "nn_model", "train_model", "fit", "train")
# how long the probe trains: iteration counts and epoch counts are capped, never raised
CAPS = {"num_iterations": 300, "iterations": 300, "n_iter": 300, "steps": 300,
        "num_epochs": 30, "epochs": 30, "n_epochs": 30}

KNOWN_ISSUES = {
}

_counter = itertools.count()


def example_paths() -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("*.py") if p.name not in NOT_MODELS)


def load_example(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_nnd_example_{path.stem}_{next(_counter)}", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)  # __name__ is not "__main__": the file's main block does not run
    return module


def _fill(func: Any, given: dict[str, Any], module: ModuleType, skip: int = 0) -> dict[str, Any]:
    """Keyword arguments for func: `given`, then required parameters taken from the module's globals
    of the same name (`layers_dims` is a module variable in the course), then the caps."""
    kwargs: dict[str, Any] = {}
    params = list(inspect.signature(func).parameters.values())[skip:]
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in given:
            kwargs[p.name] = given[p.name]
        elif p.name in CAPS:
            default = p.default if isinstance(p.default, int) else CAPS[p.name]
            kwargs[p.name] = min(default, CAPS[p.name])
        elif p.default is p.empty:
            if not hasattr(module, p.name):
                raise LookupError(f"{func.__qualname__} needs {p.name!r}, which the module does not define")
            kwargs[p.name] = getattr(module, p.name)
    return kwargs


def _trainer(module: ModuleType) -> tuple[Any, type | None]:
    for name in TRAINERS:
        obj = module.__dict__.get(name)
        if inspect.isfunction(obj) and obj.__module__ == module.__name__:
            return obj, None
    for cls in _classes(module):
        for name in TRAINERS:
            if inspect.isfunction(cls.__dict__.get(name)):
                return getattr(cls, name), cls
    raise LookupError(f"{module.__file__}: no training function ({', '.join(TRAINERS)})")


def _classes(module: ModuleType) -> list[type]:
    return [c for c in vars(module).values() if inspect.isclass(c) and c.__module__ == module.__name__]


def probe_run(path: Path | str) -> tuple[Any, Any]:
    """Train the example under a Doctor the way `nndoctor check` would; returns (report, result)."""
    path = Path(path)
    module = load_example(path)
    doctor = nndoctor.Doctor().watch(module)
    for cls in _classes(module):
        doctor.watch(cls)
    try:
        X, Y = module.load_data()[:2]  # a loader may return the test set too
        trainer, cls = _trainer(module)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the planted bugs overflow on purpose
            if cls is None:
                result = trainer(**_fill(trainer, {_arg(trainer, 0): X, _arg(trainer, 1): Y}, module))
            else:
                instance = cls(**_fill(cls.__init__, {}, module, skip=1))
                method = getattr(instance, trainer.__name__)
                result = method(**_fill(method, {_arg(method, 0): X, _arg(method, 1): Y}, module))
        report = doctor.report(target=path.name)
    finally:
        doctor.unwatch()
    return report, result


def _arg(func: Any, position: int) -> str:
    return list(inspect.signature(func).parameters)[position]


def _matches(finding: Any, want: dict[str, Any]) -> bool:
    if finding.rule != want["rule"]:
        return False
    if "kind" in want and finding.kind != want["kind"]:
        return False
    if "severity" in want and finding.severity.label != want["severity"]:
        return False
    for key in ("layer", "parameter", "function"):
        if key in want and getattr(finding.location, key) != want[key]:
            return False
    return True


def _describe(report: Any) -> str:
    return "\n".join(f"  {f.severity.label} {f.rule} kind={f.kind} layer={f.location.layer} "
                     f"parameter={f.location.parameter}: {f.message}" for f in report.sorted_findings())


def _cases() -> list[Any]:
    """Ids carry the rules this test checks (`pytest -k dead_relu`), bug-and-twin pairs are marked
    (rulecases.py); the findings only the gradient check or a probe gives are not watched for."""
    def known(p: Path) -> list[Any]:
        return [pytest.mark.xfail(strict=True, reason=KNOWN_ISSUES[p.name])] if p.name in KNOWN_ISSUES else []

    return program_params({p: load_example(p).EXPECTED for p in example_paths()}, label=lambda p: p.name,
                          checked=lambda f: not f.get("needs"), marks=known)


@pytest.mark.parametrize("path", _cases())
def test_example_gets_its_expected_runtime_diagnosis(path: Path) -> None:
    module = load_example(path)
    expected = module.EXPECTED
    assert expected["verdict"] in ("pass", "warn", "fail")
    report, _ = probe_run(path)
    shown = f"{path.name} reported:\n{_describe(report) or '  nothing'}"

    runtime = [w for w in expected.get("findings", []) if not w.get("needs")]  # gradient-check, probes
    for want in runtime:
        assert any(_matches(f, want) for f in report.findings), f"expected {want}\n{shown}"
    for rule in expected.get("absent", []):
        assert rule not in {f.rule for f in report.findings}, f"{rule} should be absent\n{shown}"
    # nothing at warning or error level that the example does not expect
    # "watch_only": what watching alone reports when the cause needs another checker to be seen
    # (raw pixels make the learning rate look too high until the data check says why)
    expected_rules = {w["rule"] for w in expected.get("findings", [])} | set(expected.get("watch_only", []))
    unexpected = [f for f in report.at_or_above("warning") if f.rule not in expected_rules]
    assert unexpected == [], f"unexpected warnings/errors\n{shown}"
    if len(runtime) == len(expected.get("findings", [])):  # the whole diagnosis is the runtime one
        assert report.verdict == expected["verdict"], shown
    if "layers" in expected:
        seen = report.sections["training"]["runs"][0]["layers"]
        assert seen == {str(k): v for k, v in expected["layers"].items()}, f"layers seen: {seen}\n{shown}"


def test_the_examples_cover_the_field_guide_cases() -> None:
    cases = set()
    twins = 0
    for path in example_paths():
        expected = load_example(path).EXPECTED
        cases.update(expected.get("cases", []))
        twins += expected["verdict"] == "pass"
    assert {1, 3, 4, 5, 8, 9, 10, 11, 13, 19} <= cases
    assert twins >= 5
    assert set(KNOWN_ISSUES) <= {p.name for p in example_paths()}
