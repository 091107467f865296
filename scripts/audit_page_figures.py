"""Count what is not in the reader's words on the audit log's pages (issue 13): text nodes with a Latin word in
them (untranslated strings) and distinct code ids (need.submit, draft → submitted, tiyn, #34:, snake_case,
"system"), over every page of /admin/audit read by an admin, with the log of tests/core/audit_scenes.py (an
entry of every action, written as the call sites wrote them before the log kept details).

    .venv/bin/python scripts/audit_page_figures.py ru [-v] [--demo]

With --demo the log is the one `flask seed-demo` leaves (what a new install shows), and the admin is its own.

It runs the same on any checkout that has tests/core/audit_scenes.py, so before and after can be compared.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from html.parser import HTMLParser  # noqa: E402

from tests.conftest import drop_database, fresh_database, make_app  # noqa: E402

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b|\b[a-z_]+ → [a-z_]+\b|tiyn|#\d+:|\b[a-z]+_[a-z_]+\b|\bsystem\b")
LATIN = re.compile(r"[A-Za-z]{2,}")


class MainText(HTMLParser):
    """The text nodes of the page's <main> (kept here, not imported, so that it runs on older checkouts)."""

    def __init__(self):
        super().__init__()
        self.main = self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.main += tag == "main"
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.main -= tag == "main"
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if self.main and not self.hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = MainText()
    parser.feed(html)
    return parser.parts


def figures(language: str, demo: bool = False) -> tuple[set[str], set[str]]:
    from marketplace.core.extensions import db

    url = fresh_database("figures")
    app = make_app(url)
    try:
        with app.test_request_context():
            email, password = log_of(demo)
            db.session.commit()
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        client.post("/login", data={"email": email, "password": password})
        untranslated, codes = set(), set()
        for page in range(1, 20):
            html = client.get(f"/admin/audit?page={page}").get_data(as_text=True)
            for text in visible_text(html):
                text = EMAIL.sub("", text).strip()
                if LATIN.search(text):
                    untranslated.add(text)
                codes.update(match.group(0) for match in CODE.finditer(text))
            if 'rel="next"' not in html:
                break
        return untranslated, codes
    finally:
        with app.app_context():
            db.engine.dispose()
        drop_database(url)


def log_of(demo: bool) -> tuple[str, str]:
    """Fill the log; the admin who reads it (e-mail, password)."""
    if demo:
        from marketplace.demo.seed import DEMO_PASSWORD, seed_demo

        seed_demo()
        return "admin@demo.social-window.kz", DEMO_PASSWORD
    from tests.core.audit_scenes import people_and_things, record_legacy_entries
    from tests.factories import PASSWORD

    scene = people_and_things()
    record_legacy_entries(scene)
    return scene.admin.email, PASSWORD


if __name__ == "__main__":
    language = sys.argv[1] if len(sys.argv) > 1 else "ru"
    untranslated, codes = figures(language, demo="--demo" in sys.argv)
    print(f"{language}: {len(untranslated)} text nodes with a Latin word; {len(codes)} distinct code ids")
    if "-v" in sys.argv:
        print("\n".join(sorted(untranslated)))
        print(sorted(codes))
