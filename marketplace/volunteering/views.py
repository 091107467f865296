"""The volunteer's pages: profile, tasks near me, taking a task, my tasks, a task's page, certificate."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace import geo
from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.core.lifecycle import IllegalTransition
from marketplace.files import RejectedFile
from marketplace.needs.models import Need
from marketplace.volunteering import forms as vforms
from marketplace.volunteering import services
from marketplace.volunteering.eligibility import is_minor, required_skills
from marketplace.volunteering.forms import ActionForm, ProfileForm, ReportForm, VettingForm
from marketplace.volunteering.lifecycle import CLAIM_LIFECYCLE
from marketplace.volunteering.models import LIVE, Claim, ClaimStatus, Skill, VettingStatus, VolunteerProfile
from marketplace.volunteering.near import tasks_near
from marketplace.offices.queries import open_offices
from marketplace.volunteering.queries import claims_of
from marketplace.volunteering.reports import ReportInvalid
from marketplace.volunteering.services import (
    ASKS_VETTING, ClaimRefused, ProfileData, VettingRefused, accept_invitation, change_claim, claim_slot,
    family_contact_for, profile_of, report_done, save_profile,
)

bp = Blueprint("volunteering", __name__, url_prefix="/volunteer")

# What a volunteer does from a task's page (accepting an invitation reserves a slot first).
VOLUNTEER_TRANSITIONS = ("accept", "start", "report_done", "release", "decline")


@bp.app_context_processor
def volunteering_context() -> dict:
    return {"skill_names": lambda skills: ", ".join(vforms.skill_label(s) for s in skills),
            "claim_status_label": vforms.claim_status_label}


def own_claim_or_404(claim_id: int) -> Claim:
    """The current user's claim; anybody else's is 404, never a hint that it exists."""
    claim = db.session.get(Claim, claim_id)
    if claim is None or claim.volunteer_id != current_user.id:
        abort(404)
    authorize("claim.act", claim)
    return claim


# --- profile -------------------------------------------------------------------------------------


def render_profile(profile: VolunteerProfile | None, form: ProfileForm, status: int = 200):
    return render_template(
        "volunteering/profile.html", profile=profile, form=form, vetting_form=VettingForm(open_offices()),
        minor=profile is not None and is_minor(profile, date.today()), days=vforms.DAYS, parts=vforms.PARTS_OF_DAY,
        chosen_slots=set(form.availability.data or []), VettingStatus=VettingStatus,
        can_ask_vetting=profile is not None and profile.vetting_status in ASKS_VETTING,
    ), status


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Skills, home place, radius, weekly availability, and vetting."""
    record = profile_of(current_user)
    authorize("volunteer.profile", record)
    form = ProfileForm()
    if not form.is_submitted() and record is not None:
        form = ProfileForm(data={
            "birth_year": record.birth_year, "skills": [s.value for s in record.skill_set],
            "place": record.settlement or "", "radius_km": int(record.radius_km or 10),
            "availability": vforms.availability_slots(record.availability or 0),
        })
    if not form.is_submitted() or not form.validate():
        return render_profile(record, form, 200 if not form.is_submitted() else 400)
    place = geo.geocode(form.place.data, language=str(get_locale()))
    if place is None:
        form.place.errors.append(_("We could not find “%(place)s”. Check the spelling or type the nearest town.",
                                   place=form.place.data.strip()))
        return render_profile(record, form, 400)
    changed = save_profile(record, ProfileData(
        birth_year=form.birth_year.data, settlement=form.place.data.strip(), latitude=place.latitude,
        longitude=place.longitude, radius_km=float(form.radius_km.data),
        availability=vforms.availability_bits(form.availability.data),
        skills=frozenset(Skill(value) for value in form.skills.data)), actor=current_user)
    db.session.commit()
    flash(_("Saved.") if changed else _("Nothing has changed."), "success")
    return redirect(url_for(".profile"))


@bp.route("/profile/vetting", methods=["POST"], endpoint="request_vetting")
@login_required
def request_vetting():
    """Ask an office (the nearest by default) to vet this volunteer."""
    record = profile_of(current_user)
    authorize("volunteer.profile", record)
    form = VettingForm(open_offices())
    valid = form.validate()
    try:
        office = services.request_vetting(record, office_id=form.chosen_office_id if valid else None,
                                          actor=current_user, choice_valid=valid)
    except VettingRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for(".profile"))
    db.session.commit()
    flash(_("Your request was sent to %(office)s. They will contact you.", office=office.display_name), "success")
    return redirect(url_for(".profile"))


# --- tasks near me -------------------------------------------------------------------------------


def render_tasks(status: int = 200):
    record = profile_of(current_user)
    tasks = tasks_near(record, current_user) if record is not None else []
    center = geo.coarse_point(record.latitude, record.longitude) if record and record.latitude is not None else None
    return render_template("volunteering/tasks.html", profile=record, tasks=tasks, points=_map_points(tasks),
                           center=center, action_form=ActionForm()), status


def _map_points(tasks) -> list[dict]:
    """Markers at the needs' coarse public points, one per place; never a family's home."""
    groups: dict[tuple[float, float], list] = {}
    for task in tasks:
        if task.need.public_latitude is None or task.need.public_longitude is None:
            continue
        groups.setdefault(geo.coarse_point(task.need.public_latitude, task.need.public_longitude), []).append(task)
    points = []
    for (lat, lon), group in groups.items():
        title = group[0].need.title if len(group) == 1 else _("%(num)d tasks", num=len(group))
        points.append({"lat": lat, "lon": lon, "title": title, "subtitle": group[0].need.settlement or "",
                       "url": f"#task-{group[0].need.id}"})
    return points


@bp.route("/tasks")
@login_required
def tasks():
    authorize("volunteer.profile", profile_of(current_user))
    return render_tasks()


@bp.route("/tasks/<int:need_id>/claim", methods=["POST"], endpoint="claim")
@login_required
def claim(need_id: int):
    """One tap takes a free place; a refusal says why and changes nothing."""
    need = db.session.get(Need, need_id)
    if need is None:
        abort(404)
    authorize("claim.create", need)
    if not ActionForm().validate():
        abort(400)
    try:
        taken = claim_slot(need, current_user)
    except ClaimRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return render_tasks(409)
    db.session.commit()
    flash(_("The task is yours. The family's address and phone are below."), "success")
    return redirect(url_for(".claim_detail", claim_id=taken.id))


# --- my tasks ------------------------------------------------------------------------------------


def confirmed_hours(claim: Claim) -> float:
    """The hours reported, else the hours the request asked for."""
    return float(claim.hours if claim.hours is not None else (claim.need.volunteer_hours or 0))


@bp.route("/my-tasks", endpoint="my_tasks")
@login_required
def my_tasks():
    authorize("volunteer.profile", profile_of(current_user))
    claims = claims_of(current_user)
    current = [c for c in claims if c.status in LIVE]
    past = [c for c in claims if c.status not in LIVE]
    total = sum(confirmed_hours(c) for c in past if c.status is ClaimStatus.CONFIRMED)
    return render_template("volunteering/my_tasks.html", current=current, past=past, total_hours=total)


def render_claim(claim: Claim, report_form: ReportForm | None = None, status: int = 200):
    contact = family_contact_for(claim, current_user)
    db.session.commit()  # keeps the audit entry of the reveal, even on a GET
    buttons = [t for t in CLAIM_LIFECYCLE.available(current_user, claim) if t.name in VOLUNTEER_TRANSITIONS]
    return render_template(
        "volunteering/claim.html", claim=claim, need=claim.need, contact=contact, skills=required_skills(claim.need),
        buttons=buttons, report_form=report_form or ReportForm(), action_form=ActionForm(),
        hours=confirmed_hours(claim),
    ), status


@bp.route("/claims/<int:claim_id>", endpoint="claim_detail")
@login_required
def claim_detail(claim_id: int):
    return render_claim(own_claim_or_404(claim_id))


@bp.route("/claims/<int:claim_id>/<transition>", methods=["POST"], endpoint="claim_transition")
@login_required
def claim_transition(claim_id: int, transition: str):
    """Start, report done (note, hours, photo), give back, or decline an invitation."""
    claim = own_claim_or_404(claim_id)
    if transition not in VOLUNTEER_TRANSITIONS:
        abort(404)
    form = ReportForm() if transition == "report_done" else ActionForm()
    if not form.validate():
        return render_claim(claim, form if transition == "report_done" else None, 400)
    try:
        if transition == "accept":  # takes a slot, exactly like a claim: it may be gone by now
            accept_invitation(claim, current_user)
        elif transition == "report_done":
            report_done(claim, actor=current_user, hours=float(form.hours.data), note=form.note.data,
                        photo=form.photo.data or None)
        else:
            change_claim(claim, transition, actor=current_user)
    except (IllegalTransition, ClaimRefused) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render_claim(claim, status=409)
    except ReportInvalid as exc:  # the form checks the same limits first; this is the service's word on them
        form.hours.errors = [reason for name, reason in exc.problems if name == "hours"]
        form.note.errors = [reason for name, reason in exc.problems if name == "note"]
        return render_claim(claim, form, 400)
    except RejectedFile as exc:
        db.session.rollback()
        form.photo.errors = [str(exc)]
        return render_claim(claim, form, 400)
    db.session.commit()
    flash({"accept": _("The task is yours. The family's address and phone are below."),
           "start": _("Marked as in progress."), "report_done": _("Thank you! The family or the office will confirm it."),
           "release": _("You gave the task back."), "decline": _("You declined the invitation.")}[transition],
          "success")
    if transition in ("release", "decline"):
        return redirect(url_for(".my_tasks"))
    return redirect(url_for(".claim_detail", claim_id=claim.id))


@bp.route("/certificate")
@login_required
def certificate():
    """A printable list of confirmed tasks with their hours."""
    authorize("volunteer.profile", profile_of(current_user))
    confirmed = sorted(claims_of(current_user, ClaimStatus.CONFIRMED), key=lambda c: (c.confirmed_at or c.created_at, c.id))
    rows = [(c, confirmed_hours(c)) for c in confirmed]
    return render_template("volunteering/certificate.html", rows=rows, total_hours=sum(h for _c, h in rows),
                           issued=date.today())
