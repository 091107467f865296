"""The shared page parts (templates/README.md) as they render, and the screens that must use them."""
from __future__ import annotations

import re
from pathlib import Path

from flask import render_template_string
from werkzeug.datastructures import MultiDict
from wtforms import Form, HiddenField, StringField
from wtforms.validators import DataRequired

from marketplace.accounts.forms import SignupForm

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CARD_TABLES = [  # issue 13: these screens' tables are cards on a phone, never in a scroll box
    "admin/offices.html", "admin/users.html", "moderation/queue.html", "moderation/flags.html",
    "volunteering/my_tasks.html", "volunteering/certificate.html", "volunteering_staff/need_volunteers.html",
    "needs/detail.html", "needs/_macros.html", "pledges/dashboard.html", "pledges/staff_list.html",
    "volunteering_staff/dispatch.html",
]


def render(app, source: str, **context) -> str:
    with app.test_request_context():
        return render_template_string('{% from "_macros.html" import badge, error_summary, kv_panel, page_title, '
                                      'progress %}' + source, **context)


def summary_targets(html: str) -> list[str]:
    return re.findall(r'<li><a href="#([\w-]+)">', html)


def test_error_summary_follows_the_page_not_the_form_class(app):
    with app.test_request_context(method="POST", data={"patron_kind": "company"}):
        form = SignupForm("patron", meta={"csrf": False})
        assert not form.validate()
    shown = ["patron_kind", "organisation_name", "bin", "full_name", "email", "phone", "password", "confirm",
             "accept_terms"]
    html = render(app, "{{ error_summary(form, order=shown) }}", form=form, shown=shown)
    assert summary_targets(html) == ["organisation_name", "bin", "full_name", "email", "password", "confirm",
                                     "accept_terms"]
    assert 'tabindex="-1"' in html and 'role="alert"' in html
    # Without `order`, the form class's order, whose mixin puts the password first.
    assert summary_targets(render(app, "{{ error_summary(form) }}", form=form))[0] == "password"


class _Hidden(Form):
    token = HiddenField(validators=[DataRequired(message="The form expired.")])
    name = StringField("Name", validators=[DataRequired(message="Enter a name.")])


def test_error_summary_lists_hidden_and_unlisted_fields_without_a_link(app):
    form = _Hidden(MultiDict())
    form.validate()
    html = render(app, "{{ error_summary(form, order=['name']) }}", form=form)
    assert summary_targets(html) == ["name"]
    assert "<li>The form expired.</li>" in html
    assert render(app, "{{ error_summary(form) }}", form=_Hidden(MultiDict({"token": "x", "name": "y"}))).strip() == ""


def test_page_title_badge_progress_and_panel(app):
    html = render(app, "{{ page_title('Flags', back=('/staff/queue', 'Back')) }}")
    assert '<a class="back-link" href="/staff/queue">' in html and '<h1 class="page-title">Flags</h1>' in html
    assert "back-link" not in render(app, "{{ page_title('Flags') }}")
    assert render(app, "{{ badge('badge-ok', 'Verified') }}") == '<span class="badge badge-ok">Verified</span>'
    assert render(app, "{{ badge('danger', 'Rejected') }}") == '<span class="badge badge-danger">Rejected</span>'
    assert render(app, "{{ badge(none, 'Open') }}") == '<span class="badge">Open</span>'
    bar = render(app, "{{ progress(120, 100, '120 of 100') }}")
    assert 'max="100" value="100" aria-label="120 of 100"' in bar and "<p>120 of 100</p>" in bar
    panel = render(app, "{{ kv_panel([('Phone', none), ('Settlement', 'Талгар')]) }}")
    assert "Phone" not in panel and "<dt>Settlement</dt><dd>Талгар</dd>" in panel


def test_core_tables_are_cards_without_a_scroll_box():
    for name in CARD_TABLES:
        text = (TEMPLATES / name).read_text()
        assert "table-wrap" not in text, name
        assert re.findall(r'<table class="table(?: [\w-]+)*">', text), name
        assert all("table-cards" in tag for tag in re.findall(r"<table[^>]*>", text)), name


def test_back_links_are_44px_tall():
    """A "← ..." link is a back link: it has the back-link class (44px) or is a button."""
    short = set()
    for path in TEMPLATES.rglob("*.html"):
        for tag in re.findall(r"<a\b[^>]*>\s*(?:<span[^>]*>)?←", path.read_text()):
            if "back-link" not in tag and "btn" not in tag:
                short.add(str(path.relative_to(TEMPLATES)))
    assert short == set()
