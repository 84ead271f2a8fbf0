"""HTML for reports: one self-contained page, and the same body as a fragment for Jupyter.

Layout only: the verdict and summary first, then the findings grouped by severity (message,
where, evidence, fix), then the gradient check's table and the training run's figures. The
figures come from `nndoctor.plots` (inline SVG, no external resource of any kind); the data
comes from the report's JSON form, so a page can be made from anything `render_json` can print.

Every user-supplied string (messages, parameter and function names, file paths, evidence values,
run labels) goes through `_e` (HTML escaping, quotes included, control characters shown as
``\\x1b``) before it reaches the page.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from nndoctor.findings import Finding, Report, Severity, _jsonable
from nndoctor.render.escape import printable
from nndoctor.render.text import _fmt_value

_SEVERITY_COLOR = {"error": "#cf222e", "warning": "#9a6700", "info": "#0969da"}
_VERDICT_COLOR = {"fail": "#cf222e", "warn": "#9a6700", "pass": "#1a7f37"}
_STATUS_CLASS = {"ok": "ok", "mismatch": "bad", "non-finite": "bad", "shape": "bad", "missing": "bad",
                 "suspicious": "warn", "inconclusive": "warn"}
_GROUP_TITLE = {"error": "Errors", "warning": "Warnings", "info": "Notes"}

# scoped to the fragment's root, so it can sit inside a notebook without restyling it
_STYLE = """
.nndoctor{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;line-height:1.45}
.nndoctor h1{font-size:1.5rem;margin:.5rem 0}.nndoctor h2{font-size:1.2rem;margin:1.5rem 0 .5rem;
border-bottom:1px solid #d0d7de;padding-bottom:.2rem}.nndoctor h3{font-size:1.05rem;margin:1rem 0 .4rem}
.nndoctor .verdict{font-weight:700;padding:0 .4rem;border-radius:4px;color:#fff}
.nndoctor .tally span{display:inline-block;margin-right:.75rem}.nndoctor .meta{color:#57606a;font-size:.88rem}
.nndoctor table{border-collapse:collapse;margin:.5rem 0}
.nndoctor td,.nndoctor th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left;font-size:.88rem;
vertical-align:top}
.nndoctor th{background:#f6f8fa}.nndoctor code{background:#f6f8fa;padding:0 .2rem;border-radius:3px}
.nndoctor .finding{border-left:4px solid;padding:.3rem .8rem;margin:.8rem 0;background:#fbfcfd}
.nndoctor .finding p{margin:.35rem 0}.nndoctor .fix{background:#dafbe1;padding:.3rem .5rem;border-radius:4px}
.nndoctor pre{background:#f6f8fa;padding:.5rem;overflow:auto;font-size:.8rem}
.nndoctor table.evidence td:first-child{color:#57606a;white-space:nowrap}
.nndoctor .ok{color:#1a7f37;font-weight:600}.nndoctor .bad{color:#cf222e;font-weight:600}
.nndoctor .warn{color:#9a6700;font-weight:600}
.nndoctor .figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(24rem,1fr));gap:1rem;margin:.5rem 0}
.nndoctor figure{margin:0}.nndoctor figure svg{width:100%;height:auto}
.nndoctor figcaption{color:#57606a;font-size:.85rem}
"""
_PAGE_STYLE = "body{max-width:72rem;margin:2rem auto;padding:0 1rem;background:#fff}"


def _e(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute; control characters (terminal escapes, which
    reach a terminal when the page is printed there, and are not allowed in HTML) are shown as text."""
    return html.escape(printable(value), quote=True)


# ---------------------------------------------------------------- findings


def _evidence_rows(finding: Finding) -> list[tuple[str, str]]:
    rows = []
    for key, value in finding.evidence.items():
        if key in ("kind", "traceback"):
            continue
        value = _jsonable(value)
        if value is None or value == [] or value == {}:
            continue
        if key == "worst_entries" and isinstance(value, list):
            name = finding.location.parameter or "entry"
            text = "; ".join(
                f"{name}[{','.join(str(i) for i in w.get('index', []))}] analytic {_fmt_value(w.get('analytic'))}"
                f" numeric {_fmt_value(w.get('numeric'))}" if isinstance(w, dict) else _fmt_value(w)
                for w in value)
        else:
            text = _fmt_value(value)
        rows.append((str(key).replace("_", " "), text))
    return rows


def _finding(f: Finding) -> str:
    sev = f.severity.label  # type: ignore[union-attr]
    color = _SEVERITY_COLOR[sev]
    kind = f" ({_e(f.kind)})" if f.kind else ""
    where = f.location.describe()
    if f.location.file is not None and f.location.line is None:
        where = ", ".join(p for p in (where, f.location.file) if p)
    parts = [
        f"<article class='finding' style='border-color:{color}'>",
        f"<div><b style='color:{color}'>{_e(sev)}</b> <code>{_e(f.code)}</code> {_e(f.rule)}{kind}"
        + (f" <span class='meta'>{_e(where)}</span>" if where else "") + "</div>",
        f"<p>{_e(f.message)}</p>",
    ]
    rows = _evidence_rows(f)
    if rows:
        parts.append("<table class='evidence'><tbody>"
                     + "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows)
                     + "</tbody></table>")
    traceback = f.evidence.get("traceback")
    if traceback:
        parts.append(f"<pre>{_e(str(traceback).rstrip())}</pre>")
    if f.fix:
        parts.append(f"<p class='fix'><b>fix:</b> {_e(f.fix)}</p>")
    parts.append("</article>")
    return "".join(parts)


def findings_fragment(findings: Iterable[Finding]) -> str:
    """The findings, worst first, without headings, styled on their own: for other objects'
    ``_repr_html_`` (`GradientCheck`)."""
    body = "".join(_finding(f) for f in sorted(findings, key=lambda f: -int(f.severity)))  # type: ignore[arg-type]
    return f"<div class='nndoctor'><style>{_STYLE}</style>{body}</div>" if body else ""


def _findings_section(report: Report) -> str:
    if not report.findings:
        return "<h2>Findings</h2><p>No findings: nothing nndoctor checks for went wrong.</p>"
    parts = []
    for severity in sorted(Severity, reverse=True):
        group = [f for f in report.findings if f.severity is severity]
        if group:
            parts.append(f"<h2>{_GROUP_TITLE[severity.label]} ({len(group)})</h2>")
            parts += [_finding(f) for f in group]
    return "".join(parts)


# ---------------------------------------------------------------- header


def _header(report: Report, data: Mapping[str, Any]) -> str:
    verdict = report.verdict
    target = f"{_e(report.target)}: " if report.target else ""
    head = (f"<h1>{target}<span class='verdict' style='background:{_VERDICT_COLOR[verdict]}'>"
            f"{_e(verdict.upper())}</span></h1>")
    plural = {"error": "errors", "warning": "warnings", "info": "info"}
    tally = "".join(
        f"<span><b style='color:{_SEVERITY_COLOR[label]}'>{n}</b> {label if n == 1 else plural[label]}</span>"
        for label, n in report.summary.items())
    probe = []
    training = data.get("training")
    if isinstance(training, Mapping):
        runs = training.get("runs") or []
        probe.append(f"probe: {_e(training.get('iterations'))} iterations"
                     + (f" in {len(runs)} runs" if len(runs) > 1 else ""))
    check = data.get("gradient_check")
    if isinstance(check, Mapping):
        probe.append(f"gradient check: {_e(check.get('evaluations'))} cost evaluations")
    version = (data.get("tool") or {}).get("version")
    probe.append(f"nndoctor {_e(version)}")
    return head + f"<p class='tally'>{tally}</p><p class='meta'>{' · '.join(probe)}</p>"


# ---------------------------------------------------------------- gradient check


def _number(value: Any, spec: str) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format(value, spec)
    return "" if value is None else str(value)


def _gradient_check_section(check: Mapping[str, Any], figures: bool) -> str:
    verdict = str(check.get("verdict") or "")
    klass = {"pass": "ok", "fail": "bad"}.get(verdict, "warn")
    functions = ", ".join(f"{what} <code>{_e(check[key])}</code>"
                          for what, key in (("cost", "cost_function"), ("gradient", "gradient_function"))
                          if check.get(key))
    head = (f"<h2>Gradient check</h2><p><span class='{klass}'>{_e(verdict.upper())}</span> — "
            f"{_e(check.get('evaluations'))} cost evaluations, {_e(check.get('method'))}, "
            f"{_e(check.get('precision'))}, {_e(_number(check.get('seconds'), '.2f'))} s, seed {_e(check.get('seed'))}"
            + (f"; {functions}" if functions else "") + "</p>")
    rows = []
    for name, p in (check.get("parameters") or {}).items():
        status = str(p.get("status") or "")
        worst = "; ".join(
            f"[{','.join(str(i) for i in w.get('index', []))}] {_number(w.get('analytic'), '.4g')} vs "
            f"{_number(w.get('numeric'), '.4g')}" for w in p.get("worst_entries") or [] if isinstance(w, Mapping))
        shape = "×".join(str(s) for s in p.get("shape") or []) or "()"
        rows.append(
            f"<tr><td><code>{_e(name)}</code></td><td>{_e(shape)}</td>"
            f"<td class='{_STATUS_CLASS.get(status, '')}'>{_e(status)}</td><td>{_e(p.get('kind') or '')}</td>"
            f"<td>{_e(_number(p.get('relative_error'), '.2e'))}</td><td>{_e(_number(p.get('factor'), '.4g'))}</td>"
            f"<td>{_e(worst)}</td><td>{_e(p.get('evaluations'))}</td><td>{_e(p.get('note') or '')}</td></tr>")
    table = ("<table><thead><tr><th>parameter</th><th>shape</th><th>status</th><th>kind</th>"
             "<th>relative error</th><th>factor</th><th>worst entries (analytic vs numeric)</th><th>evals</th>"
             f"<th>note</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    figure = ""
    if figures and rows:
        from nndoctor.plots import gradient_errors

        figure = _figs([_figure(gradient_errors, (check,), "nnd-gc",
                                "Relative error of each parameter's gradient (log scale); green: verified.")])
    return head + table + figure


# ---------------------------------------------------------------- training


def _run_summary(run: Mapping[str, Any]) -> str:
    parts = [f"{_e(run.get('iterations'))} iterations"]
    if run.get("examples") is not None:
        parts.append(f"{_e(run.get('examples'))} examples")
    if run.get("learning_rate") is not None:
        parts.append(f"learning rate {_e(_number(run.get('learning_rate'), 'g'))}")
    cost = run.get("cost") or {}
    if cost.get("first") is not None or cost.get("last") is not None:
        parts.append(f"cost {_e(_number(cost.get('first'), '.4g'))} → {_e(_number(cost.get('last'), '.4g'))}")
    layers = run.get("layers") or {}
    if layers:
        parts.append("layers: " + ", ".join(f"{_e(k)} {_e(v or '?')}" for k, v in layers.items()))
    return f"<p class='meta'>{'; '.join(parts)}</p>"


def _training_section(training: Mapping[str, Any], findings: list[dict[str, Any]], figures: bool) -> str:
    runs = [r for r in training.get("runs") or [] if isinstance(r, Mapping)]
    if not runs:
        return ""
    parts = ["<h2>Training</h2>"]
    every = training.get("statistics_every")
    if every not in (None, 1):
        parts.append(f"<p class='meta'>statistics sampled every {_e(every)} iterations</p>")
    for n, run in enumerate(runs):
        label = run.get("run")
        parts.append(f"<h3>{'Run: ' + _e(label) if label else 'Run'}</h3>" + _run_summary(run))
        if not figures:
            continue
        from nndoctor.plots import cost_curve, cost_marks, gradient_norms, unit_health

        marks = cost_marks(findings, run=label if len(runs) > 1 else None)
        parts.append(_figs([
            _figure(cost_curve, (run, marks), f"nnd-r{n}-cost",
                    "Cost per iteration; marked: where a plateau starts, the largest spike, the first NaN/inf."),
            _figure(gradient_norms, (run, marks), f"nnd-r{n}-grad",
                    "Norm of each gradient over the iterations; a line at 0 is a gradient that is exactly zero."),
            _figure(unit_health, (run, marks), f"nnd-r{n}-units",
                    "Share of each ReLU layer's units that are dead (output 0 for every example) and of each "
                    "sigmoid/tanh layer's outputs in the flat tails."),
        ]))
    return "".join(parts)


# ---------------------------------------------------------------- figures


def _figure(make: Callable[..., str], args: tuple, id_prefix: str, caption: str) -> str:
    """One figure from `nndoctor.plots`; a figure that cannot be drawn says why, the page stays."""
    try:
        svg = make(*args, id_prefix=id_prefix)
    except Exception as exc:  # noqa: BLE001 - a broken figure must not lose the report
        return f"<figure><p class='meta'>figure unavailable ({_e(type(exc).__name__)}: {_e(exc)})</p></figure>"
    if not svg:
        return ""
    return f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


def _figs(figures: list[str]) -> str:
    shown = [f for f in figures if f]
    return f"<div class='figs'>{''.join(shown)}</div>" if shown else ""


# ---------------------------------------------------------------- entry points


def report_fragment(report: Report, figures: bool = True) -> str:
    """The report as one ``<div class="nndoctor">`` (with its own scoped style): what
    ``Report._repr_html_`` shows in Jupyter, and the body of `render_html`."""
    data = report.to_dict()
    parts = [f"<div class='nndoctor'><style>{_STYLE}</style>", _header(report, data), _findings_section(report)]
    check = data.get("gradient_check")
    if isinstance(check, Mapping):
        parts.append(_gradient_check_section(check, figures))
    training = data.get("training")
    if isinstance(training, Mapping):
        parts.append(_training_section(training, data.get("findings") or [], figures))
    curve = data.get("learning_curve")
    if figures and isinstance(curve, Mapping):
        parts.append(_learning_curve_section(curve))
    parts.append("</div>")
    return "".join(parts)


def _learning_curve_section(curve: Mapping[str, Any]) -> str:
    """Train and dev error against the training-set size (nndoctor.data.learning_curve)."""
    from nndoctor.data.fit import LearningCurve

    try:
        svg = LearningCurve(tuple(curve["sizes"]), tuple(curve["train_errors"]), tuple(curve["dev_errors"]),
                            float(curve.get("base_error", 0.0))).to_svg()
    except Exception:  # noqa: BLE001 - a figure that fails leaves a note, not a broken page
        svg = "<p>(the learning curve could not be drawn)</p>"
    return f"<section><h2>Learning curve</h2>{svg}</section>"


def page(title: str, body: str) -> str:
    """A complete HTML page around ``body`` (already escaped), with the page style."""
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(title)}</title><style>{_PAGE_STYLE}</style></head>"
            f"<body>{body}</body></html>\n")


def render_html(report: Report, figures: bool = True, back: tuple[str, str] | None = None, **_: object) -> str:
    """A complete, self-contained HTML page (styles and figures inline, nothing fetched);
    ``back`` = (relative link, label) puts a link to a summary page above the report."""
    nav = f"<p class='meta'><a href='{_e(back[0])}'>&larr; {_e(back[1])}</a></p>" if back else ""
    return page(f"nndoctor — {report.target or 'report'}: {report.verdict.upper()}",
                nav + report_fragment(report, figures=figures))
