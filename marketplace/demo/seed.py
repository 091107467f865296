"""`flask seed-demo`: demo offices, one login per role, and demo families with requests in every state.

Safe to run twice: accounts are keyed by e-mail, families by having a household, offices by code.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from marketplace.core.config import is_production
from sqlalchemy import select
from marketplace.core import audit
from marketplace.core.roles import Role
from marketplace.accounts.models import AccountStatus, PatronKind, User
from marketplace.accounts.passwords import hash_password
from marketplace.core.extensions import db
from marketplace.offices.models import Office
from marketplace.offices import services
from marketplace.demo.families import seed_demo_families
from marketplace.notifications import discard_queued_email
from marketplace.offices import csv_io
from marketplace.demo.flags import seed_demo_flags
from marketplace.demo.volunteers import seed_demo_volunteers
from marketplace.offices.services import nearest_office
from marketplace.demo.pledges import seed_demo_pledges

DEMO_PASSWORD = "demo-window-2026"
DEMO_OFFICES = Path(__file__).parents[1] / "offices" / "data" / "demo_offices.csv"

# email, role, name, extra fields
DEMO_USERS = [
    ("admin@demo.social-window.kz", "admin", "Айгерим Нурланова", {}),
    ("staff@demo.social-window.kz", "staff", "Дана Сейтказиева", {"office_code": "ALA-01"}),
    ("staff.astana@demo.social-window.kz", "staff", "Ерлан Жумабеков", {"office_code": "AST-01"}),
    ("staff.shymkent@demo.social-window.kz", "staff", "Гульмира Абдикаримова", {"office_code": "SHY-01"}),
    ("staff.karaganda@demo.social-window.kz", "staff", "Ольга Литвиненко", {"office_code": "KRG-01"}),
    ("staff.talgar@demo.social-window.kz", "staff", "Нурлан Тасболатов", {"office_code": "TLG-01"}),
    ("family@demo.social-window.kz", "family", "Семья Ахметовых", {"phone": "+7 701 000 00 01"}),
    ("volunteer@demo.social-window.kz", "volunteer", "Алихан Серікұлы", {}),
    ("patron@demo.social-window.kz", "patron", "Марат Оспанов", {"patron_kind": "person"}),
    ("company@demo.social-window.kz", "patron", "ТОО «Береке Трейд»",
     {"patron_kind": "company", "organisation_name": "ТОО «Береке Трейд»", "bin": "180440012349"}),
    ("partner@demo.social-window.kz", "partner", "ОФ «Көмек»", {"organisation_name": "ОФ «Көмек»"}),
    # An NGO that signed up and waits for the admin's approval (People → "Waiting for approval").
    ("ngo.pending@demo.social-window.kz", "partner", "ОФ «Жанұя»",
     {"organisation_name": "ОФ «Жанұя»", "status": "pending_approval"}),
]
# The office each demo staff member works in: they verify that office's demo families.
DEMO_STAFF = {extra["office_code"]: email for email, role, _name, extra in DEMO_USERS if role == "staff"}


def demo_account(email: str, role: str, name: str, extra: dict):
    """The demo login with this e-mail, created (active, audited) when missing; returns (user, created)."""
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        return user, False
    office_id = None
    if "office_code" in extra:
        office_id = db.session.scalar(select(Office.id).where(Office.code == extra["office_code"]))
    user = User(
        email=email, password_hash=hash_password(DEMO_PASSWORD), role=Role(role),
        status=AccountStatus(extra.get("status", "active")),
        full_name=name, phone=extra.get("phone"), locale=extra.get("locale", "ru"), office_id=office_id,
        organisation_name=extra.get("organisation_name"), bin=extra.get("bin"),
        patron_kind=PatronKind(extra["patron_kind"]) if "patron_kind" in extra else None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("account.create", user, actor=None, to_state=user.status, office_id=office_id, details={"note": "demo_data"})
    return user, True


# The Almaty demo office takes transfers: a made-up recipient with a well-formed account (the IBAN is the
# standard's own Kazakh example), so the pledge page shows what a patron would see.
DEMO_BANK_DETAILS = ("ALA-01", {
    "bank_recipient": "Демо: КГУ «Единое социальное окно г. Алматы»", "bank_bin": "180440012349",
    "bank_iban": "KZ86125KZT5004100100", "bank_name": "Демо-банк", "bank_bic": "HSBKKZKX", "bank_kbe": "12",
})


def _demo_bank_details() -> None:
    code, details = DEMO_BANK_DETAILS
    office = db.session.scalar(select(Office).where(Office.code == code))
    if office is not None and not office.takes_transfers:
        services.set_bank_details(office, details)


def seed_demo() -> dict:
    """Create what is missing of the demo data; returns counts of what was added (and the report's lines)."""
    with DEMO_OFFICES.open(encoding="utf-8-sig") as stream:
        report = csv_io.import_offices(stream)
    if report.errors:
        raise click.ClickException(f"demo offices have errors: {report.errors}")
    _demo_bank_details()
    added_users = sum(demo_account(*row)[1] for row in DEMO_USERS)
    families = seed_demo_families(
        DEMO_STAFF,
        lambda email, name, phone, locale: demo_account(email, "family", name, {"phone": phone, "locale": locale}),
    )
    def nearest_office_id(lat: float, lon: float) -> int | None:
        office = nearest_office(lat, lon)
        return office.id if office else None

    volunteers = seed_demo_volunteers(
        lambda email, name: demo_account(email, "volunteer", name, {}), nearest_office_id)

    pledges = seed_demo_pledges()
    flags = seed_demo_flags()
    # The families get their in-app notifications; the e-mails would only go to made-up addresses.
    discard_queued_email()
    db.session.commit()
    return {
        "offices": report.created, "users": added_users + families.accounts,
        "households": sum(families.households.values()), "needs": sum(families.needs.values()),
        "files": families.files, "lines": [*families.lines(), f"Demo volunteers: {volunteers} profiles added.",
                  f"Demo pledges: {pledges} added.", f"Demo flags: {flags} added."],
    }


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Allow seeding in production (never do this on the real service).")
@with_appcontext
def seed_demo_command(force: bool) -> None:
    """Add demo offices, logins and families with requests in every state (skips what already exists)."""
    if is_production(current_app.config) and not force:
        raise click.UsageError("refusing to add demo accounts in production")
    counts = seed_demo()
    click.echo(f"Demo data: {counts['offices']} offices and {counts['users']} accounts added "
               f"(password for every demo login: {DEMO_PASSWORD}).")
    for line in counts["lines"]:
        click.echo(line)
