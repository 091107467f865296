"""Demo volunteers around Almaty, so that tasks near me, suggestions and the dispatch plan show something."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.volunteering.models import Skill, VettingStatus, VolunteerProfile, VolunteerSkill

# email, name, age, settlement or address, lat, lon, radius, skills, vetted
DEMO_VOLUNTEERS = [
    ("volunteer@demo.social-window.kz", "Алихан Серікұлы", 24, "Алматы, мкр. Самал-2", 43.2335, 76.9550, 25,
     (Skill.DRIVING, Skill.MOVING, Skill.REPAIRS), True),
    ("volunteer2@demo.social-window.kz", "Мадина Ержанова", 31, "Алматы, ул. Розыбакиева", 43.2300, 76.8800, 15,
     (Skill.TUTORING_MATH, Skill.CHILDCARE), True),
    ("volunteer3@demo.social-window.kz", "Данияр Ахметов", 19, "Алматы, Алатауский район", 43.2900, 76.8400, 10,
     (Skill.MOVING, Skill.IT), False),
    # Near the Almaly office (ALA-01), whose demo staff (staff@) record her parent's consent under "Volunteers to vet".
    ("volunteer4@demo.social-window.kz", "Асель Нурпеисова", 16, "Алматы, ул. Толе би", 43.2560, 76.9050, 5,
     (Skill.TUTORING_LANGUAGES,), False),  # a teenager from the youth wing: needs a parent's consent
    ("volunteer5@demo.social-window.kz", "Ерлан Касымов", 45, "Талгар", 43.3040, 77.2390, 30,
     (Skill.DRIVING, Skill.REPAIRS), True),
]
WEEKDAY_EVENINGS = sum(1 << (day * 3 + 2) for day in range(5))
WEEKENDS = sum(1 << (day * 3 + part) for day in (5, 6) for part in range(3))


def seed_demo_volunteers(account: Callable[[str, str], tuple], office_id_of: Callable[[float, float], int | None]) -> int:
    """Profiles for the demo volunteers (skipping those who have one); returns how many were added."""
    added = 0
    for email, name, age, place, lat, lon, radius, skills, vetted in DEMO_VOLUNTEERS:
        user, _created = account(email, name)
        if db.session.scalar(select(VolunteerProfile.id).where(VolunteerProfile.user_id == user.id)):
            continue
        profile = VolunteerProfile(
            user_id=user.id, birth_year=date.today().year - age, settlement=place, latitude=lat, longitude=lon,
            radius_km=radius, availability=WEEKDAY_EVENINGS | WEEKENDS,
            vetting_status=VettingStatus.VETTED if vetted else VettingStatus.NOT_REQUESTED,
            vetting_office_id=office_id_of(lat, lon), vetted_at=utcnow() if vetted else None,
        )
        profile.skills = [VolunteerSkill(skill=skill) for skill in skills]
        db.session.add(profile)
        added += 1
    db.session.flush()
    return added
