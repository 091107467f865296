"""The family's own pages: its household, consent and evidence.

The family's requests for help are in `needs/family_views.py`, its data (download, erasure) in `privacy/views.py`,
both on the same blueprint.
"""
from __future__ import annotations


from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.families.forms import (
    ConfirmForm, ConsentForm, EvidenceForm, HouseholdForm, consent_paragraphs, consent_text,
)
from marketplace.families.lifecycle import HOUSEHOLD_LIFECYCLE
from marketplace.families.models import Household, HouseholdStatus
from marketplace.families.blueprint import bp
from marketplace.families.queries import evidence_of
from marketplace.families.services import (
    CONSENT_VERSION, HouseholdData, HouseholdError, consent_month, get_or_start_household, household_of,
    missing_before_submit, record_consent, save_household, submit_household,
)
from marketplace.offices.services import nearest_office
from marketplace.files import RejectedFile, store_upload
from marketplace.files.models import StoredFile
from marketplace.core.lifecycle import IllegalTransition
from marketplace.offices.queries import open_offices



# `{{ household.consent_version|consent_month }}`: "ноября 2026", on the family's and the staff's pages.
bp.add_app_template_filter(consent_month, "consent_month")


def max_upload_mb() -> int:
    return max(1, current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024))


def store_files(uploads, *, household: Household, need_id: int | None = None) -> list[StoredFile]:
    """Keep every upload or none: a refused file is re-raised with its name in the message, and the
    caller rolls the transaction back, which removes the files already written."""
    stored: list[StoredFile] = []
    for upload in uploads:
        try:
            stored.append(store_upload(upload, household_id=household.id, office_id=household.office_id, need_id=need_id,
                                       uploaded_by=current_user))
        except RejectedFile as exc:
            raise RejectedFile(_("“%(name)s” was not accepted: %(reason)s", name=upload.filename,
                                 reason=str(exc))) from exc
    return stored


def _form_defaults(household: Household | None) -> dict:
    if household is None:
        return {"adults": 1, "phone": current_user.phone or "", "office_id": ""}
    office_id = ""
    if household.office_id is not None and household.latitude is not None:
        nearest = nearest_office(household.latitude, household.longitude)
        # Shown as "the nearest office" only while it still is the nearest; an explicit choice stays.
        office_id = "" if nearest is not None and nearest.id == household.office_id else str(household.office_id)
    return {
        "adults": household.adults, "children_years": ", ".join(str(c.birth_year) for c in household.children),
        "single_parent": household.single_parent, "disability": household.disability,
        "other_circumstances": household.other_circumstances or "", "phone": household.phone or "",
        "address": household.address or "", "office_id": office_id,
    }


def render_household(form: HouseholdForm | None = None, status: int = 200):
    household = household_of(current_user)
    form = form or HouseholdForm(open_offices(), data=_form_defaults(household))
    send = None
    if household is not None:
        send = next((t for t in HOUSEHOLD_LIFECYCLE.available(current_user, household)
                     if t.name in ("submit", "resubmit")), None)
    return render_template(
        "families/household.html", household=household, form=form, confirm_form=ConfirmForm(),
        missing=missing_before_submit(household) if household else [], send=send,
        evidence=evidence_of(household),
        consent_current=bool(household and household.consent_version == CONSENT_VERSION),
    ), status


@bp.route("/household", methods=["GET", "POST"])
@login_required
def household():
    """One guided form; each save keeps what was typed so far."""
    authorize("household.edit_own", household_of(current_user))
    form = HouseholdForm(open_offices())
    if not form.is_submitted():
        return render_household()
    if form.validate():
        record = get_or_start_household(current_user)
        was = record.status
        data = HouseholdData(
            adults=form.adults.data, children_birth_years=form.birth_years, single_parent=form.single_parent.data,
            disability=form.disability.data, other_circumstances=form.other_circumstances.data,
            phone=form.phone.data, address=form.address.data, office_id=form.chosen_office_id,
        )
        try:
            changed = save_household(record, data, actor=current_user)
        except HouseholdError as exc:
            db.session.rollback()  # nothing of this attempt is kept, not even a new draft
            form.address.errors.append(str(exc))
        else:
            db.session.commit()
            if was is HouseholdStatus.VERIFIED and record.status is HouseholdStatus.SUBMITTED:
                flash(_("Saved. Because the address or the family changed, your office will verify the household "
                        "again."), "warning")
            else:
                flash(_("Saved.") if changed else _("Nothing has changed."), "success")
            return redirect(url_for(".household"))
    return render_household(form)


@bp.route("/household/submit", methods=["POST"], endpoint="submit_household")
@login_required
def submit_household_view():
    """Send the household to its office (the first time, or again after the office's question)."""
    household = household_of(current_user)
    authorize("household.edit_own", household)
    missing = missing_before_submit(household) if household else [_("Fill in your household.")]
    if missing:
        flash(_("Before the office can verify your household: %(missing)s", missing=" ".join(missing)), "error")
        return redirect(url_for(".household"))
    try:
        submit_household(household, actor=current_user)
    except IllegalTransition as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render_household(status=409)
    except HouseholdError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".household"))
    db.session.commit()
    flash(_("Sent. Your office will check your household and write to you."), "success")
    return redirect(url_for(".household"))


@bp.route("/consent", methods=["GET", "POST"])
@login_required
def consent():
    household = household_of(current_user)
    authorize("household.edit_own", household)
    form = ConsentForm()
    if form.validate_on_submit():
        record_consent(current_user, text_shown=consent_text(), locale=str(get_locale()))
        db.session.commit()
        flash(_("Thank you. Your consent has been recorded."), "success")
        return redirect(url_for(".household"))
    current = bool(household and household.consent_version == CONSENT_VERSION)
    return render_template("families/consent.html", form=form, paragraphs=consent_paragraphs(), household=household,
                           current=current, version=CONSENT_VERSION)


@bp.route("/evidence", methods=["GET", "POST"])
@login_required
def evidence():
    """Documents that prove the family's situation: photos or PDF, checked by content."""
    household = household_of(current_user)
    authorize("household.edit_own", household)
    form = EvidenceForm(max_mb=max_upload_mb())
    if form.validate_on_submit():
        household = household or get_or_start_household(current_user)
        try:
            stored = store_files(form.uploads(), household=household)
        except RejectedFile as exc:
            db.session.rollback()
            form.files.errors.append(str(exc) + " " + _("Nothing was saved; please choose the files again."))
        else:
            db.session.commit()
            flash(_("Uploaded: %(n)d file(s).", n=len(stored)), "success")
            return redirect(url_for(".evidence"))
    household = household_of(current_user)
    return render_template("families/evidence.html", form=form, household=household,
                           files=evidence_of(household))
