"""Loop instrumentation: how a capped training run ends the way its author's code expects.

Every ``for`` and ``while`` loop of the learner's code (the checked file and the helper modules next
to it) gets two calls, both cheap when nothing is being stopped:

    __nndoctor_loop__(7)                 # a new instance of loop 7 starts
    for i in range(num_iterations):
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
        enter = ast.Expr(value=_call(ENTER, loop))
        for new in (tick, enter):
            ast.copy_location(new, node)
            for sub in ast.walk(new):
                ast.copy_location(sub, node)
        node.body.insert(0, tick)
        return [enter, node]

    visit_For = visit_AsyncFor = visit_While = _instrument


def _call(name: str, loop: int) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[ast.Constant(loop)], keywords=[])


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
