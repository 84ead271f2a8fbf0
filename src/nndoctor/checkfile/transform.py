"""Loop instrumentation: how a capped training run ends the way its author's code expects.

Every ``for`` and ``while`` loop of the learner's code (the checked file and the helper modules next
to it) gets two calls, both cheap when nothing is being stopped:

    for i in __nndoctor_loop__(7, range(num_iterations)):   # a new instance of loop 7, of n iterations
        if __nndoctor_tick__(7): break   # an iteration starts; True: the run's budget is spent
        ...

When a training run has done its iterations, the loops that drive it break at their next
iteration, so the training function returns normally, with its own return value and the partly
trained parameters, and the program goes on (`budget.Budget` decides which loops those are).
Line numbers are those of the loop, so tracebacks still point at the learner's lines.
"""

from __future__ import annotations

import ast
import itertools

TICK = "__nndoctor_tick__"
ENTER = "__nndoctor_loop__"

_ids = itertools.count(1)  # unique across every file compiled in this process
LOOPS: dict[int, ast.For | ast.AsyncFor | ast.While] = {}  # loop id -> its node (inline.py reads the bodies)


class _Loops(ast.NodeTransformer):
    def _instrument(self, node: ast.For | ast.AsyncFor | ast.While) -> list[ast.stmt]:
        self.generic_visit(node)
        loop = next(_ids)
        LOOPS[loop] = node
        tick = ast.If(test=_call(TICK, loop), body=[ast.Break()], orelse=[])
        _locate(tick, node)
        node.body.insert(0, tick)
        if isinstance(node, (ast.For, ast.AsyncFor)):
            # for i in __nndoctor_loop__(7, range(n)): a new instance, and how many iterations it will make
            node.iter = _call(ENTER, loop, node.iter)
            _locate(node.iter, node)
            return [node]
        enter = ast.Expr(value=_call(ENTER, loop))
        _locate(enter, node)
        return [enter, node]

    visit_For = visit_AsyncFor = visit_While = _instrument


def _call(name: str, loop: int, *more: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[ast.Constant(loop), *more], keywords=[])


def _locate(new: ast.AST, node: ast.AST) -> None:
    """The learner's loop line on every node added, so tracebacks point at it (existing nodes kept)."""
    for sub in ast.walk(new):
        if not hasattr(sub, "lineno") or getattr(sub, "lineno", None) is None:
            ast.copy_location(sub, node)
        elif sub is new:
            ast.copy_location(sub, node)


def instrument(statements: list[ast.stmt]) -> list[ast.stmt]:
    """The statements with every loop instrumented (the nodes are changed in place)."""
    module = ast.Module(body=list(statements), type_ignores=[])
    _Loops().visit(module)
    ast.fix_missing_locations(module)
    return module.body


def instrument_source(source: str, filename: str) -> object:
    """Compile a whole module's source with its loops instrumented (for the learner's helper files)."""
    tree = ast.parse(source, filename=filename)
    tree.body = instrument(tree.body)
    return compile(tree, filename, "exec", dont_inherit=True)
