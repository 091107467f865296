"""The layout holds by itself: small modules and functions, every policy in a policies.py, and no import
inside a function that crosses into another domain package without saying why (README, "How the code is
laid out"). Each check is also run on a small bad example, so that it can be seen to fail."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "marketplace"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# Generated data, not logic: the OpenAPI document is a description of the API written as Python literals.
DATA_MODULES = {"marketplace/api/openapi.py"}
# Plumbing every domain may import anywhere.
CORE = "core"
# The app factory's register steps import what each binds: it is the one module that knows every domain.
FACTORY = "marketplace/__init__.py"


def modules() -> list[tuple[str, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "translations" not in path.parts:
            found.append((path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")))
    return found


def long_module(name: str, source: str) -> str | None:
    lines = len(source.splitlines())
    return f"{name}: {lines} lines" if lines > MAX_MODULE_LINES else None


def long_functions(name: str, source: str) -> list[str]:
    return [f"{name}:{node.lineno} {node.name}() has {node.end_lineno - node.lineno + 1} lines"
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]


def misplaced_policies(name: str, source: str) -> list[str]:
    if name.endswith("/policies.py"):
        return []
    return [f"{name}:{node.lineno} registers {node.args[0].value!r}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "policy"
            and node.args and isinstance(node.args[0], ast.Constant)]


def domain_of(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else ""


def unexplained_inner_imports(name: str, source: str) -> list[str]:
    """Imports of another domain package inside a function, without a comment on the line saying why."""
    own = domain_of(name.removesuffix(".py").replace("/", "."))
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("marketplace."):
                targets = [inner.module]
            elif isinstance(inner, ast.Import):
                targets = [a.name for a in inner.names if a.name.startswith("marketplace.")]
            else:
                continue
            crossing = [t for t in targets if domain_of(t) not in (own, CORE)]
            if crossing and "#" not in lines[inner.end_lineno - 1]:
                found.append(f"{name}:{inner.lineno} imports {crossing[0]} inside {node.name}()")
    return found


def test_no_module_is_over_400_lines():
    assert [problem for name, source in modules() if name not in DATA_MODULES
            for problem in [long_module(name, source)] if problem] == []


def test_no_function_is_over_60_lines():
    assert [problem for name, source in modules() if name not in DATA_MODULES
            for problem in long_functions(name, source)] == []


def test_every_policy_lives_in_a_policies_module():
    assert [problem for name, source in modules() for problem in misplaced_policies(name, source)] == []


def test_no_import_inside_a_function_crosses_domains_without_a_reason():
    assert [problem for name, source in modules() if name != FACTORY
            for problem in unexplained_inner_imports(name, source)] == []


BAD = '''
from marketplace.core.authz import policy


@policy("need.fly")
def can_fly(user, need):
    from marketplace.pledges.models import Pledge
    from marketplace.pledges.services import make  # a reason: the pledges package imports this one
    return True
''' + "\n".join(f"# line {n}" for n in range(400))


@pytest.mark.parametrize("check, expected", [
    (lambda: long_module("marketplace/needs/bad.py", BAD), "marketplace/needs/bad.py: 409 lines"),
    (lambda: long_functions("marketplace/needs/bad.py", "def f():\n" + "    x = 1\n" * 60),
     ["marketplace/needs/bad.py:1 f() has 61 lines"]),
    (lambda: misplaced_policies("marketplace/needs/views.py", BAD), ["marketplace/needs/views.py:5 registers 'need.fly'"]),
    (lambda: misplaced_policies("marketplace/needs/policies.py", BAD), []),
    (lambda: unexplained_inner_imports("marketplace/needs/views.py", BAD),
     ["marketplace/needs/views.py:7 imports marketplace.pledges.models inside can_fly()"]),
])
def test_the_checks_find_a_bad_example(check, expected):
    assert check() == expected
