"""Where an ``activation-derivative`` finding points: the line of the helper's formula (the value it
returns, or the assignment of the name it returns), else its ``def`` line."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from nndoctor.activations.signature import unwrap
from nndoctor.findings import Location
from nndoctor.usercode import definition_site, function_name


def _formula_line(func: Any, flag: str | None = None) -> int | None:
    """The line of the formula: the value returned, or the assignment of the name returned."""
    target = unwrap(func)
    target = getattr(inspect.unwrap(target), "__func__", target)
    try:
        lines, start = inspect.getsourcelines(target)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (TypeError, OSError, SyntaxError, ValueError, IndentationError):
        return None
    fn = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))), None)
    if fn is None or isinstance(fn, ast.Lambda):
        return None
    body_nodes = list(ast.walk(fn))
    if flag is not None:
        for node in body_nodes:
            if isinstance(node, ast.If) and any(isinstance(n, ast.Name) and n.id == flag for n in ast.walk(node.test)):
                ret = next((n for b in node.body for n in ast.walk(b) if isinstance(n, ast.Return)), None)
                if ret is not None:
                    return start + ret.lineno - 1
    returns = [n for n in body_nodes if isinstance(n, ast.Return) and n.value is not None]
    if not returns:
        return None
    ret = max(returns, key=lambda n: n.lineno)
    value = ret.value
    if isinstance(value, ast.Tuple) and value.elts:
        value = value.elts[0]
    if isinstance(value, ast.Name):
        assigns = [n for n in body_nodes if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                   and n.lineno < ret.lineno and _assigns_name(n, value.id)]
        if assigns:
            return start + max(assigns, key=lambda n: n.lineno).lineno - 1
    return start + ret.lineno - 1


def _assigns_name(node: ast.AST, name: str) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]  # type: ignore[attr-defined]
    for t in targets:
        for n in ast.walk(t):
            if isinstance(n, ast.Name) and n.id == name:
                return True
    return False


def location_of(helper: Any, name: str, flag: str | None = None) -> Location:
    target = unwrap(helper)
    if flag is not None:  # nonlin(x, deriv=True): the function is nonlin
        name = function_name(target)
    try:
        file, def_line = definition_site(target)
    except Exception:  # noqa: BLE001
        file, def_line = None, None
    line = _formula_line(target, flag) if def_line is not None else None
    return Location(function=name, file=file, line=line or def_line)
