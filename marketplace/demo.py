"""`flask seed-demo`: demo offices and one login per role; safe to run twice."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from marketplace.config import is_production

DEMO_PASSWORD = "demo-window-2026"
DEMO_OFFICES = Path(__file__).parent / "offices" / "data" / "demo_offices.csv"

# email, role, name, extra fields
DEMO_USERS = [
    ("admin@demo.social-window.kz", "admin", "Айгерим Нурланова", {}),
    ("staff@demo.social-window.kz", "staff", "Дана Сейтказиева", {"office_code": "ALA-01"}),
    ("staff.astana@demo.social-window.kz", "staff", "Ерлан Жумабеков", {"office_code": "AST-01"}),
    ("family@demo.social-window.kz", "family", "Семья Ахметовых", {"phone": "+7 701 000 00 01"}),
    ("volunteer@demo.social-window.kz", "volunteer", "Алихан Серікұлы", {}),
    ("patron@demo.social-window.kz", "patron", "Марат Оспанов", {"patron_kind": "person"}),
    ("company@demo.social-window.kz", "patron", "ТОО «Береке Трейд»",
     {"patron_kind": "company", "organisation_name": "ТОО «Береке Трейд»", "bin": "180440012349"}),
    ("partner@demo.social-window.kz", "partner", "ОФ «Көмек»", {"organisation_name": "ОФ «Көмек»"}),
]


def seed_demo() -> dict[str, int]:
    """Create what is missing of the demo data; returns counts of what was added."""
    from sqlalchemy import select

    from marketplace.accounts.models import AccountStatus, PatronKind, Role, User
    from marketplace.accounts.passwords import hash_password
    from marketplace.extensions import db
    from marketplace.offices import csv_io
    from marketplace.offices.models import Office
    from marketplace import audit

    with DEMO_OFFICES.open(encoding="utf-8-sig") as stream:
        report = csv_io.import_offices(stream)
    if report.errors:
        raise click.ClickException(f"demo offices have errors: {report.errors}")
    added_users = 0
    for email, role, name, extra in DEMO_USERS:
        if db.session.scalar(select(User).where(User.email == email)) is not None:
            continue
        office_id = None
        if "office_code" in extra:
            office_id = db.session.scalar(select(Office.id).where(Office.code == extra["office_code"]))
        user = User(
            email=email, password_hash=hash_password(DEMO_PASSWORD), role=Role(role), status=AccountStatus.ACTIVE,
            full_name=name, phone=extra.get("phone"), locale="ru", office_id=office_id,
            organisation_name=extra.get("organisation_name"), bin=extra.get("bin"),
            patron_kind=PatronKind(extra["patron_kind"]) if "patron_kind" in extra else None,
        )
        db.session.add(user)
        db.session.flush()
        audit.record("account.create", user, actor=None, to_state=user.status, office_id=office_id, reason="demo data")
        added_users += 1
    db.session.commit()
    return {"offices": report.created, "users": added_users}


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Allow seeding in production (never do this on the real service).")
@with_appcontext
def seed_demo_command(force: bool) -> None:
    """Add demo offices and one demo login per role (skips what already exists)."""
    if is_production(current_app.config) and not force:
        raise click.UsageError("refusing to add demo accounts in production")
    counts = seed_demo()
    click.echo(f"Demo data: {counts['offices']} offices and {counts['users']} accounts added "
               f"(password for every demo login: {DEMO_PASSWORD}).")
