"""Print the figures of how the code is laid out (issue 11): where policies live, scope copies, imports inside
functions that cross domain packages, import circles, the largest module and the longest function.

    .venv/bin/python scripts/layout_figures.py [PATH_TO_CHECKOUT]
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import grimp

root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
package = root / "marketplace"
sys.path.insert(0, str(root))

CORE = {"config", "extensions", "database", "dbtypes", "authz", "roles", "lifecycle", "i18n", "errors", "urls",
        "requests_guard", "form_tokens", "jobs", "audit", "money", "scopes"}


def top_package(module: str) -> str:
    """The domain a dotted module belongs to (plumbing counts as 'core', wherever it lives)."""
    parts = module.split(".")
    if len(parts) < 2:
        return "marketplace"
    name = parts[1]
    return "core" if name in CORE or name == "core" else name


def modules():
    for path in sorted(package.rglob("*.py")):
        if "translations" in path.parts:
            continue
        dotted = ".".join(path.relative_to(root).with_suffix("").parts)
        yield path, dotted.removesuffix(".__init__"), ast.parse(path.read_text(encoding="utf-8"))


policy_files, actions, inner_imports, scope_copies = set(), set(), [], []
largest, longest = ("", 0), ("", 0)
for path, dotted, tree in modules():
    rel = path.relative_to(root)
    lines = len(path.read_text(encoding="utf-8").splitlines())
    if lines > largest[1] and "openapi" not in path.name:
        largest = (str(rel), lines)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "policy" and node.args:
            if isinstance(node.args[0], ast.Constant):
                policy_files.add(str(rel))
                actions.add(node.args[0].value)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > longest[1] and "openapi" not in path.name:
                longest = (f"{rel}:{node.name}", length)
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.module and inner.module.startswith("marketplace"):
                    target = inner.module
                elif isinstance(inner, ast.Import):
                    target = next((a.name for a in inner.names if a.name.startswith("marketplace")), None)
                else:
                    continue
                if target and top_package(target) not in (top_package(dotted), "core") and dotted != "marketplace":
                    inner_imports.append(f"{rel}:{inner.lineno} → {target}")
    text = path.read_text(encoding="utf-8")
    if not dotted.endswith("scopes"):
        scope_copies += [f"{rel}:{text[:m.start()].count(chr(10)) + 1}"
                         for m in re.finditer(r"office_id == (current_)?user\.office_id", text)]

graph = grimp.build_graph("marketplace", exclude_type_checking_imports=True)
circles = set()
for module in graph.modules:
    for imported in graph.find_modules_directly_imported_by(module):
        if module != imported and graph.chain_exists(importer=imported, imported=module):
            circles.add(frozenset((module, imported)))
view_policies = sorted(f for f in policy_files if not f.endswith("policies.py"))
print(f"files registering @policy:           {len(policy_files)} ({len(view_policies)} outside a policies.py)")
print(f"actions registered:                  {len(actions)}")
print(f"hand-written office scopes:          {len(scope_copies)}")
print(f"imports inside functions across domain packages: {len(inner_imports)}")
print(f"module pairs on an import circle:    {len(circles)}")
print(f"largest module (not the OpenAPI data): {largest[0]} ({largest[1]} lines)")
print(f"longest function (not the OpenAPI data): {longest[0]} ({longest[1]} lines)")
if "-v" in sys.argv:
    print("\n".join(["", *view_policies, "", *scope_copies, "", *inner_imports]))
