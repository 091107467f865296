"""Views stay thin: no view module builds or runs an ORM query beyond `db.session.get(Model, id)`.

Queries live in the domain's `queries.py` and writes in its `services.py`; a view parses the input, calls
`authorize()`, calls one service, commits once and renders. The modules in NOT_MOVED_YET still hold queries;
each entry must go as soon as its module is clean, so the list can only shrink.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "marketplace"

# What builds a statement (`select(...)`, also as `sqlalchemy.select(...)` or `db.select(...)`) ...
STATEMENTS = frozenset({"select", "update", "delete", "insert"})
# ... and what runs one (`db.session.scalars(...)`, `session.execute(...)`, `db.session.query(...)`).
RUNNERS = frozenset({"scalars", "scalar", "execute", "query"})
# Objects whose `.select(...)`/`.update(...)` build SQL; a dict's `.update(...)` or a set's `.update(...)` does not.
SQL_OWNERS = frozenset({"db", "sa", "sqlalchemy"})

# Every view module is clean now; a module that cannot be (none today) would be listed here with its reason.
NOT_MOVED_YET: dict[str, str] = {}

ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete"})


def is_view_module(path: Path, source: str = "") -> bool:
    """Views are `views.py`, `*_views.py`, `webhooks.py`, every module of a `views/` package, and any module
    that registers a route (`@bp.route(...)`, as `api/claims.py` does)."""
    if path.name in ("views.py", "webhooks.py") or path.name.endswith("_views.py") or "views" in path.parent.parts:
        return True
    return registers_routes(source)


def registers_routes(source: str) -> bool:
    """Whether `source` decorates a function with `<blueprint>.route(...)` (or `.get`, `.post`, ...)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                        and decorator.func.attr in ROUTE_DECORATORS):
                    return True
    return False


def view_modules() -> list[str]:
    """Every view module of the package, as a path relative to the repository."""
    root = PACKAGE.parent
    return sorted(
        p.relative_to(root).as_posix() for p in PACKAGE.rglob("*.py")
        if is_view_module(p.relative_to(root), p.read_text(encoding="utf-8"))
    )


def _sqlalchemy_names(tree: ast.AST) -> set[str]:
    """Local names bound to SQLAlchemy's statement builders (`from sqlalchemy import select as s` gives `s`)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            names.update(alias.asname or alias.name for alias in node.names if alias.name in STATEMENTS)
    return names


def _owner(node: ast.expr) -> str | None:
    """The leftmost name of `a.b.c` (`a`), or None."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def queries_in(source: str, filename: str = "<source>") -> list[str]:
    """Each ORM query built or run in `source`, as "line: what" (empty when the module is thin)."""
    tree = ast.parse(source, filename)
    builders = _sqlalchemy_names(tree) | STATEMENTS
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, what = node.func, None
        if isinstance(func, ast.Name) and func.id in builders:
            what = f"{func.id}(...)"
        elif isinstance(func, ast.Attribute):
            if func.attr in RUNNERS:
                what = f".{func.attr}(...)"
            elif func.attr in STATEMENTS and _owner(func.value) in SQL_OWNERS:
                what = f"{_owner(func.value)}...{func.attr}(...)"
            elif isinstance(func.value, ast.Attribute) and func.value.attr == "query":
                what = f".query.{func.attr}(...)"  # the legacy Model.query API
        if what:
            found.append((node.lineno, node.col_offset, what))
    return [f"{line}: {what}" for line, _col, what in sorted(found)]


def queries_in_module(module: str) -> list[str]:
    """`queries_in` for a module named by its path relative to the repository."""
    path = PACKAGE.parent / module
    return queries_in(path.read_text(encoding="utf-8"), str(path))


def test_the_scan_finds_the_view_modules():
    modules = view_modules()
    assert "marketplace/accounts/views.py" in modules
    assert "marketplace/admin/offices_views.py" in modules
    assert "marketplace/pledges/webhooks.py" in modules
    assert "marketplace/accounts/queries.py" not in modules


def test_a_package_called_views_counts_as_views():
    assert is_view_module(Path("marketplace/api/views/claims.py"))
    assert not is_view_module(Path("marketplace/api/schemas.py"))


def test_a_module_with_routes_counts_as_views():
    routed = "@bp.route('/claims/<int:claim_id>', methods=['POST'])\ndef release(claim_id):\n    pass\n"
    assert is_view_module(Path("marketplace/api/claims.py"), routed)
    assert "marketplace/api/claims.py" in view_modules()
    assert not registers_routes("@policy('claim.act')\ndef can_act(user, claim):\n    return True\n")


@pytest.mark.parametrize("source, expected", [
    ("from sqlalchemy import select\nrows = db.session.scalars(select(User)).all()\n",
     ["2: .scalars(...)", "2: select(...)"]),
    ("from sqlalchemy import update as up\ndb.session.execute(up(Note).values(x=1))\n",
     ["2: .execute(...)", "2: up(...)"]),
    ("import sqlalchemy as sa\nstmt = sa.delete(Note)\n", ["2: sa...delete(...)"]),
    ("stmt = db.select(User)\n", ["1: db...select(...)"]),
    ("count = db.session.query(User).count()\n", ["1: .query(...)"]),
    ("users = User.query.filter_by(id=1).all()\n", ["1: .query.filter_by(...)"]),
    ("n = db.session.scalar(stmt)\n", ["1: .scalar(...)"]),
])
def test_the_check_can_fail(source, expected):
    """A view that queries is caught, however the query is spelt."""
    assert queries_in(source) == expected


def test_what_is_not_a_query_passes():
    source = (
        "from urllib.parse import urlsplit\n"
        "user = db.session.get(User, user_id)\n"
        "forms = {}\nforms.update(extra or {})\n"
        "path = urlsplit(link).query\n"
        "page = db.paginate(queries.notifications_of(user), per_page=20)\n"
    )
    assert queries_in(source) == []


@pytest.mark.parametrize("module", view_modules())
def test_views_hold_no_query(module):
    found = queries_in_module(module)
    if module in NOT_MOVED_YET:
        assert found, f"{module} holds no query any more: take it off NOT_MOVED_YET"
    else:
        assert not found, f"{module} queries the database itself; move it to queries.py/services.py: {found}"


def test_every_module_left_to_move_is_still_a_view_module():
    assert set(NOT_MOVED_YET) <= set(view_modules()), "NOT_MOVED_YET names a module that is gone or renamed"
    assert all(reason.strip() for reason in NOT_MOVED_YET.values())
