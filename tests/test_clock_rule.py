"""One rule for time (docs/architecture.md, "Where the clock is read").

Services never read the wall clock on their own: the screen, the CLI command or the nightly job
reads it once and passes ``now`` down. Inside a service ``utcnow()`` may stand only as the
default of an argument the caller could have passed (``now or utcnow()``,
``as_utc(now) if now is not None else utcnow()``). This test reads the source, so a new
``now = utcnow()`` in a service fails the suite, whatever day it runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "shiftdesk"

#: where reading the clock is the point: the edges (commands, the demo generator) and the
#: audit trail, which records when a write happened on this machine, not a business time
EDGES = ("cli/", "demo/", "audit.py", "timeutil.py", "migrations/")


def _service_files() -> list[Path]:
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if not rel.startswith(EDGES):
            files.append(path)
    return files


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    a = fn.args
    names = {p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs]}
    if a.vararg:
        names.add(a.vararg.arg)
    if a.kwarg:
        names.add(a.kwarg.arg)
    return names


def _from_caller(expr: ast.expr, params: set[str]) -> bool:
    """An argument the caller passed: ``now``, ``fields.pop("at", None)``, ``as_utc(at)``."""
    if isinstance(expr, ast.Name):
        return expr.id in params
    if isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr in ("pop", "get"):
            return isinstance(func.value, ast.Name) and func.value.id in params
        if isinstance(func, ast.Name) and func.id == "as_utc" and len(expr.args) == 1:
            return _from_caller(expr.args[0], params)
    return False


def _tests_caller_argument(test: ast.expr, params: set[str]) -> bool:
    """``now is not None`` / ``at is not None`` on an argument."""
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id in params
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.IsNot)
    )


def _is_utcnow(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and not node.args
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "utcnow")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "utcnow")
        )
    )


def wall_clock_reads(source: str) -> list[int]:
    """Lines where ``utcnow()`` is read other than as the default of a caller's argument."""
    tree = ast.parse(source)
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    bad: list[int] = []
    for node in ast.walk(tree):
        if not _is_utcnow(node):
            continue
        fn = parents.get(node)
        while fn is not None and not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            fn = parents.get(fn)
        if fn is None:
            bad.append(node.lineno)  # read at import time
            continue
        params = _params(fn)
        parent = parents[node]
        # `now or utcnow()`, `as_of or now or utcnow()`, `fields.pop("at") or utcnow()`
        defaulted_or = (
            isinstance(parent, ast.BoolOp)
            and isinstance(parent.op, ast.Or)
            and parent.values[-1] is node
            and all(_from_caller(v, params) for v in parent.values[:-1])
        )
        # `as_utc(now) if now is not None else utcnow()`
        defaulted_if = (
            isinstance(parent, ast.IfExp)
            and parent.orelse is node
            and _tests_caller_argument(parent.test, params)
        )
        if defaulted_or or defaulted_if:
            continue
        bad.append(node.lineno)
    return bad


@pytest.mark.parametrize("path", _service_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_a_service_reads_the_clock_only_as_the_default_of_its_callers_now(path: Path) -> None:
    lines = wall_clock_reads(path.read_text(encoding="utf-8"))
    assert not lines, f"{path.relative_to(ROOT)}: the wall clock read at lines {lines}"


def test_the_rule_catches_a_service_that_stamps_the_wall_clock() -> None:
    """The checker itself: the shape of the defect the suite had (notify.requeue)."""
    defect = "def requeue(session, ids=None):\n    now = utcnow()\n    return now\n"
    allowed = (
        "def requeue(session, ids=None, *, now=None):\n"
        "    now = now or utcnow()\n"
        "    at = as_utc(now) if now is not None else utcnow()\n"
    )
    unrelated_default = "def f(session, x=None):\n    when = session.at or utcnow()\n"
    assert wall_clock_reads(defect) == [2]
    assert wall_clock_reads(allowed) == []
    assert wall_clock_reads(unrelated_default) == [2]
    assert wall_clock_reads("STARTED = utcnow()\n") == [1]
