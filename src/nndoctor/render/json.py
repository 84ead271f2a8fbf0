"""The JSON form of a report: DESIGN.md section 2, one document, stable keys."""

from __future__ import annotations

import json

from nndoctor.findings import Report


def render_json(report: Report, **_: object) -> str:
    return json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"
