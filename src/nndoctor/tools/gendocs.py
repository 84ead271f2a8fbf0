"""Write docs/rules/<slug>.md and docs/rules/index.md from the registry: `python -m nndoctor.tools.gendocs`.

The registry and its packaged pages are the one source of truth; a test fails when docs/rules/ is
out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nndoctor.rules import FAMILIES, all_rules


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for rule in all_rules():
        page = folder / f"{rule.slug}.md"
        page.write_text(rule.doc, "utf-8")
        written.append(page)
    lines = ["# Rules", "", "Every rule nndoctor can report, by family. `nndoctor explain RULE` prints the same pages.", ""]
    for prefix, family in FAMILIES.items():
        rules = [r for r in all_rules() if r.code.startswith(prefix)]
        if not rules:
            continue
        lines += [f"## {family.capitalize()} ({prefix}xx)", "", "| code | rule | severity | summary |",
                  "| --- | --- | --- | --- |"]
        lines += [f"| {r.code} | [{r.slug}]({r.slug}.md) | {r.severity_name} | {r.summary} |" for r in rules]
        lines.append("")
    index = folder / "index.md"
    index.write_text("\n".join(lines), "utf-8")
    return [*written, index]


def _checkout() -> Path:
    """The repository this source tree belongs to (the folder holding pyproject.toml), else the cwd."""
    for folder in Path(__file__).resolve().parents:
        if (folder / "pyproject.toml").exists():
            return folder
    return Path.cwd()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else _checkout() / "docs" / "rules"
    for page in write(folder):
        print(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
