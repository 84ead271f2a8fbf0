"""The JSON forms: a report (DESIGN.md section 2, ``nndoctor.report/1``) and a check of many files
(``nndoctor.batch/1``: each file's report unchanged inside it; docs/cli.md has the schema)."""

from __future__ import annotations

import json

from nndoctor.findings import Report
from nndoctor.results import BatchResult


def render_json(report: Report, **_: object) -> str:
    return json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"


def render_batch_json(batch: BatchResult, **_: object) -> str:
    return json.dumps(batch.to_dict(), indent=2, allow_nan=False) + "\n"
