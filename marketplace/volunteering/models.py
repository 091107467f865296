"""Volunteering: a volunteer's profile (skills, area, availability, vetting) and claims on needs' slots."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Float, ForeignKey, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.dbtypes import UTCDateTime, enum_column, utcnow
from marketplace.core.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.needs.models import Need


class Skill(str, enum.Enum):
    DRIVING = "driving"
    REPAIRS = "repairs"
    TUTORING_MATH = "tutoring_math"
    TUTORING_LANGUAGES = "tutoring_languages"
    TUTORING_SCIENCE = "tutoring_science"
    TUTORING_OTHER = "tutoring_other"
    CHILDCARE = "childcare"
    LANGUAGES = "languages"
    MEDICAL = "medical"
    IT = "it"
    MOVING = "moving"
    OTHER = "other"


class VettingStatus(str, enum.Enum):
    NOT_REQUESTED = "not_requested"
    REQUESTED = "requested"
    VETTED = "vetted"
    REFUSED = "refused"


class VolunteerProfile(db.Model):
    __tablename__ = "volunteer_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    # The home point: private (only the volunteer and staff see it); matching uses it.
    settlement: Mapped[str | None] = mapped_column(String(120))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    radius_km: Mapped[float] = mapped_column(Float, default=10.0)
    # Weekly availability: bit (day * 3 + part) for Monday..Sunday × morning/afternoon/evening.
    availability: Mapped[int] = mapped_column(Integer, default=0)
    vetting_status: Mapped[VettingStatus] = mapped_column(
        enum_column(VettingStatus, "vetting_status"), default=VettingStatus.NOT_REQUESTED
    )
    vetting_office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"), index=True)
    vetted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    vetted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A minor volunteer (eligibility.is_minor) needs a parent's consent, recorded by staff.
    parent_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    parent_consent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    parent_consent_note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    skills: Mapped[list[VolunteerSkill]] = relationship(cascade="all, delete-orphan", back_populates="profile")

    __table_args__ = (Index("ix_volunteer_profiles_lat_lon", "latitude", "longitude"),)

    @property
    def skill_set(self) -> frozenset[Skill]:
        return frozenset(s.skill for s in self.skills)

    def age(self, year: int) -> int | None:
        return None if self.birth_year is None else year - self.birth_year

    @property
    def is_vetted(self) -> bool:
        return self.vetting_status is VettingStatus.VETTED


class VolunteerSkill(db.Model):
    __tablename__ = "volunteer_skills"

    profile_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.id", ondelete="CASCADE"), primary_key=True)
    skill: Mapped[Skill] = mapped_column(enum_column(Skill, "skill"), primary_key=True)

    profile: Mapped[VolunteerProfile] = relationship(back_populates="skills")


class ClaimStatus(str, enum.Enum):
    INVITED = "invited"  # staff asked this volunteer; not holding a slot yet
    DECLINED = "declined"
    CLAIMED = "claimed"  # holds a slot; the address is revealed to the volunteer
    IN_PROGRESS = "in_progress"
    DONE = "done"  # the volunteer reported it done; waits for the family or staff
    CONFIRMED = "confirmed"
    RELEASED = "released"  # given back by the volunteer
    EXPIRED = "expired"  # no progress for too long
    REVOKED = "revoked"  # taken back by staff, with a reason


# The claim's state groups, each named once. Live: not ended yet (an open invitation, or a task taken and not yet
# confirmed); a volunteer holds at most one live claim on a need, and a closed need revokes its live claims.
LIVE = frozenset({ClaimStatus.INVITED, ClaimStatus.CLAIMED, ClaimStatus.IN_PROGRESS, ClaimStatus.DONE})
# Holding one of the need's volunteer slots (counted in Need.slots_filled); the family sees these claims.
HOLDING_SLOT = frozenset({ClaimStatus.CLAIMED, ClaimStatus.IN_PROGRESS, ClaimStatus.DONE, ClaimStatus.CONFIRMED})
# Taken and not yet confirmed: the volunteer is on the task now (matching counts these as the volunteer's load).
ON_TASK = frozenset({ClaimStatus.CLAIMED, ClaimStatus.IN_PROGRESS, ClaimStatus.DONE})
# Whose volunteer sees the family's address and phone: while on the task, never before or after.
REVEALS_CONTACT = ON_TASK
# The unique index below, in SQL: 'invited', 'claimed', 'in_progress', 'done' (the enum's order).
_LIVE_SQL = "status IN (" + ", ".join(f"'{status.value}'" for status in ClaimStatus if status in LIVE) + ")"


class Claim(db.Model):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"), index=True)
    status: Mapped[ClaimStatus] = mapped_column(enum_column(ClaimStatus, "status"), default=ClaimStatus.CLAIMED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hours: Mapped[float | None] = mapped_column(Float)
    report_note: Mapped[str | None] = mapped_column(Text)
    report_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"))
    status_reason: Mapped[str | None] = mapped_column(String(1000))

    need: Mapped[Need] = relationship()
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])

    __table_args__ = (
        # A volunteer holds at most one live claim on a need (the database enforces it).
        Index(
            "uq_claims_one_live_per_volunteer", "need_id", "volunteer_id", unique=True,
            sqlite_where=text(_LIVE_SQL), postgresql_where=text(_LIVE_SQL),
        ),
        Index("ix_claims_status_activity", "status", "last_activity_at"),
    )

