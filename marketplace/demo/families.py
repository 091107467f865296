"""Demo families and their requests for `flask seed-demo`: a dozen households across five offices, in every state.

Each household and request is walked through the real lifecycle by the right people (the family submits, the
demo staff of its office verify, ask or reject, the system expires), so the audit log, the conversations and the
notifications look exactly as they would after real use. The people are invented; the addresses are ordinary
streets of real settlements so that the offline gazetteer places them; every evidence file says "ОБРАЗЕЦ / DEMO".
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import force_locale
from werkzeug.datastructures import FileStorage
from sqlalchemy import select
from marketplace.accounts.models import User
from marketplace.core.extensions import db
from marketplace.core.money import to_minor
from marketplace.families.services import household_of
from marketplace.offices.models import Office
from marketplace.families.forms import consent_text
from marketplace.families.lifecycle import HOUSEHOLD_LIFECYCLE
from marketplace.families.services import HouseholdData, get_or_start_household, record_consent, save_household
from marketplace.families.services import submit_household
from marketplace.needs.models import Category, Urgency
from marketplace.needs.services import GoodsLine, NeedData, answer_question, change_status, create_need
from marketplace.files import store_upload

from marketplace.demo.family_data import DemoFamily, DemoNeed, EVIDENCE, FAMILIES, answer  # noqa: F401  (FAMILIES for the tests)


@dataclass
class DemoReport:
    """What a run added, for the command's output and the tests."""

    households: Counter = field(default_factory=Counter)
    needs: Counter = field(default_factory=Counter)
    accounts: int = 0
    files: int = 0

    def lines(self) -> list[str]:
        if not self.households and not self.needs:
            return ["Demo families: nothing to add (all present)."]
        describe = lambda counter: ", ".join(f"{status} {n}" for status, n in sorted(counter.items()))  # noqa: E731
        return [
            f"Demo families: {sum(self.households.values())} households ({describe(self.households)}), "
            f"{self.accounts} new family accounts, {self.files} evidence files.",
            f"Demo requests: {sum(self.needs.values())} ({describe(self.needs)}).",
        ]


def seed_demo_families(staff_by_office: dict[str, str], new_account) -> DemoReport:
    """Add the demo families that have no household yet, each through the real lifecycle; never commits.

    `staff_by_office` maps an office code to its demo staff e-mail; `new_account(email, name, phone, locale)`
    returns (user, created) for a family login.
    """
    report = DemoReport()
    for spec in FAMILIES:
        family, created = new_account(spec.email, spec.name, spec.phone, spec.locale)
        report.accounts += created
        if household_of(family) is not None:
            continue  # seeded before, or the family started its own: leave it alone
        office = db.session.scalar(select(Office).where(Office.code == spec.office))
        staff = db.session.scalar(select(User).where(User.email == staff_by_office[spec.office]))
        _seed_family(spec, family, office, staff, report)
    return report


def _seed_family(spec: DemoFamily, family, office, staff, report: DemoReport) -> None:
    household = get_or_start_household(family)
    this_year = date.today().year
    save_household(household, HouseholdData(
        adults=spec.adults, children_birth_years=[this_year - age for age in spec.children_ages],
        single_parent=spec.single_parent, disability=spec.disability, other_circumstances=spec.other,
        phone=spec.phone, address=spec.address, office_id=office.id,
    ), actor=family)
    with force_locale(spec.locale):
        record_consent(family, text_shown=consent_text(), locale=spec.locale)
    for name in spec.evidence:
        report.files += _store_evidence(name, household, None, family)
    for step in spec.steps:
        if step.name == "submit":
            submit_household(household, actor=family)
        else:
            HOUSEHOLD_LIFECYCLE.apply(household, step.name, actor=staff, reason=step.text)
    report.households[household.status.value] += 1
    actors = {"family": family, "staff": staff, "system": None}
    for need_spec in spec.needs:
        need = _seed_need(need_spec, household, actors, report)
        report.needs[need.status.value] += 1


def _seed_need(spec: DemoNeed, household, actors: dict, report: DemoReport):
    family = actors["family"]
    need = create_need(household, NeedData(
        category=Category(spec.category), title=spec.title, description=spec.description,
        urgency=Urgency(spec.urgency),
        deadline=date.today() + timedelta(days=spec.deadline_days) if spec.deadline_days else None,
        money_goal=to_minor(spec.money_kzt) if spec.money_kzt else None,
        goods=[GoodsLine(name, quantity, unit) for name, quantity, unit in spec.goods],
        volunteer_slots=spec.slots, volunteer_hours=spec.hours,
    ), actor=family)
    if spec.evidence:
        report.files += _store_evidence(spec.evidence, household, need, family)
    for step in spec.steps:
        if step.name == "answer":
            answer_question(need, step.text, actor=family)
        elif step.name == "expire":
            # As the daily expiry job finds it: the deadline has passed while the request was still open.
            need.deadline = date.today() - timedelta(days=1)
            change_status(need, "expire", actor=None, reason=f"deadline {need.deadline.isoformat()} passed")
        else:
            change_status(need, step.name, actor=actors[step.by], reason=step.text)
    return need


def _store_evidence(name: str, household, need, family) -> int:
    """Upload a copy of a demo file through the normal checks (a random name in UPLOAD_FOLDER)."""
    with (EVIDENCE / name).open("rb") as stream:
        store_upload(FileStorage(stream=stream, filename=name), household_id=household.id, office_id=household.office_id,
                     need_id=need.id if need is not None else None, uploaded_by=family)
    return 1
