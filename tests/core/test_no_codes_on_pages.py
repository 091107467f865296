"""Words, not codes (issue 13): the audit log and every history, in Russian and Kazakh, as the people who read
them, over a log holding an entry of every action the code records (written as the old call sites wrote them
and as the services write them now) show no code: no `need.submit`, no `draft → submitted`, no `tiyn`, no
`need #34:`, no `pending_approval`, no `system`, no English word. And every action the code records, and
every transition and state of every state machine, has words in the registry that renders them."""
from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import marketplace
from marketplace.core.audit import labels
from marketplace.core.lifecycle import StateMachine
from marketplace.core.roles import Role
from tests.conftest import login
from tests.core.audit_scenes import people_and_things, perform_actions, record_legacy_entries
from tests.factories import OfficeFactory, UserFactory

PACKAGE = Path(marketplace.__file__).parent
LANGUAGES = ("ru", "kk")

# What may look like a code on a page and is not one: e-mail addresses, web addresses, file names.
NOT_CODES = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+|https?://\S+|\S+\.(pdf|jpe?g|png|webp|csv)\b", re.IGNORECASE)
CODES = {
    "a dotted code (need.submit)": re.compile(r"\b[a-z_]+\.[a-z_]+\b"),
    "states as codes (draft → submitted)": re.compile(r"\b[a-z_]+ → [a-z_]+\b"),
    "money in tiyn": re.compile(r"tiyn"),
    "a numbered code (need #34:)": re.compile(r"#\d+:"),
    "a raw value (pending_approval)": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "the actor 'system'": re.compile(r"\bsystem\b"),
    # On a Russian or Kazakh page every lower-case Latin word is one nobody translated.
    "an English word": re.compile(r"\b[a-z]{3,}\b"),
}
VISIBLE_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")


class VisibleText(HTMLParser):
    """The text a reader sees or hears in the page's <main> (and its title), attributes read aloud included."""

    def __init__(self):
        super().__init__()
        self.depth = {"main": 0, "title": 0, "script": 0, "style": 0}
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.depth:
            self.depth[tag] += 1
        if self.depth["main"]:
            self.parts.extend(value for name, value in attrs if name in VISIBLE_ATTRIBUTES and value)

    def handle_endtag(self, tag):
        if tag in self.depth:
            self.depth[tag] -= 1

    def handle_data(self, data):
        if (self.depth["main"] or self.depth["title"]) and not (self.depth["script"] or self.depth["style"]):
            if data.strip():
                self.parts.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


def codes_in(html: str) -> list[tuple[str, str]]:
    """Every code-like piece of the visible text, with what it looks like."""
    found = []
    for text in visible_text(html):
        text = NOT_CODES.sub(" ", text)
        for kind, pattern in CODES.items():
            found.extend((kind, match.group(0)) for match in pattern.finditer(text))
    return found


def test_the_check_finds_the_codes_of_the_issue():
    page = ("<main><p>need.submit</p><p>draft → submitted</p><p>need #34: 700000 tiyn</p><p>pending_approval</p>"
            "<p>system</p><p title='the request was met'>Просьба</p><p>aigerim@example.kz справка.pdf</p></main>")
    kinds = {kind for kind, _match in codes_in(page)}
    assert kinds == set(CODES)
    assert codes_in("<main><p>Приёмная: Айгерим Ахметова · aigerim@example.kz · Фото JPEG</p></main>") == []


# --- every page with a history, as its readers, in Russian and Kazakh -------------------------------------


@pytest.fixture
def scene(app, db_session):
    with app.test_request_context():
        scene = people_and_things()
        record_legacy_entries(scene)
        perform_actions(scene)
    db_session.commit()
    return scene


def pages_of(client, path: str) -> list[str]:
    """The page and, for a paginated list, every next one."""
    pages, page = [], 1
    while True:
        url = f"{path}{'&' if '?' in path else '?'}page={page}"
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(response.get_data(as_text=True))
        if 'rel="next"' not in pages[-1]:
            return pages
        page += 1


def readers_and_pages(s) -> list[tuple[object, list[str]]]:
    return [
        (s.admin, ["/admin/audit", f"/admin/users/{s.staff.id}", f"/admin/users/{s.volunteer.id}",
                   f"/admin/users/{s.partner.id}", f"/admin/users/{s.family.id}", f"/admin/users/{s.admin.id}",
                   "/admin/audit?action=pledge.create", f"/admin/audit?object_type=need&object_id={s.need.id}",
                   "/admin/audit?actor=Ахметова", "/admin/audit?object_id=abc&since=31.12.2026&until=2026-13-01",
                   "/admin/audit?object_id=3", "/admin/audit?since=2026-12-05&until=2026-12-01"]),
        (s.staff, ["/admin/audit", f"/staff/households/{s.household.id}", f"/staff/needs/{s.need.id}",
                   f"/staff/flags/{s.flag.id}"]),
        (s.family, [f"/family/needs/{s.need.id}"]),
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_with_a_history_shows_a_code(app, scene, language):
    found = []
    for reader, paths in readers_and_pages(scene):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        assert login(client, reader).status_code == 302
        for path in paths:
            for html in pages_of(client, path):
                found.extend((path, kind, match) for kind, match in codes_in(html))
    assert found == []


@pytest.mark.parametrize("language, staff_words", [("ru", "Приёмная: Айгерим Ахметова"),
                                                   ("kk", "Қабылдау бөлмесі: Айгерим Ахметова")])
def test_the_audit_log_tells_who_did_what_in_words(client, login_as, scene, language, staff_words):
    """The control for the test above: the entries are there, in words, with states, money and reasons."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    login_as(scene.admin)
    text = " ".join(part for html in pages_of(client, "/admin/audit") for part in visible_text(html))
    assert staff_words in text
    words = {"ru": ["Семья прошла проверку", "На проверке в приёмной", "Проверена", "7 000 ₸", "Система",
                    "Изменено: Взрослые, Адрес, Телефон, Дети", "Просьба № ", "Адрес вне района офиса.",
                    "Перевод не пришёл за 7 дней"],
             "kk": ["Отбасы тексеруден өтті", "Қабылдау бөлмесінде қаралуда", "7 000 ₸", "Жүйе",
                    "Өзгертілгені: Ересектер, Мекенжай, Телефон, Балалар", "Сұрау № ", "Адрес вне района офиса."]}
    assert [w for w in words[language] if w not in text] == []


def test_a_family_is_never_named_in_the_log(client, login_as, scene):
    """Families act as "the family": the log does not become a way round the audited read of their data."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    for reader in (scene.admin, scene.staff):
        login_as(reader)
        text = " ".join(part for html in pages_of(client, "/admin/audit") for part in visible_text(html))
        assert scene.family.full_name not in text and scene.family.email not in text
        assert "Семья" in text
        client.post("/logout")


def test_the_family_reads_its_requests_steps_and_its_office_not_the_staff(client, login_as, scene):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    login_as(scene.family)
    text = " ".join(visible_text(client.get(f"/family/needs/{scene.need.id}").get_data(as_text=True)))
    assert "Просьба проверена" in text and scene.office.name in text and "Вы" in text
    assert scene.staff.full_name not in text
    # The office's own work on the request is not the family's history.
    assert "Просьба скрыта" not in text and "требования к задаче" not in text


# --- the audit log's filters ----------------------------------------------------------------------------

def items(response) -> int:
    assert response.status_code == 200
    return response.get_data(as_text=True).count('class="timeline-item"')


def test_the_audit_log_filters_by_action_object_actor_and_period(client, login_as, scene, db_session):
    from sqlalchemy import func, select

    from marketplace.core.audit.models import AuditEntry

    def count(*where) -> int:
        return db_session.scalar(select(func.count()).select_from(AuditEntry).where(*where))

    login_as(scene.admin)
    assert items(client.get("/admin/audit?action=pledge.create")) == count(AuditEntry.action == "pledge.create") == 4
    flag_entries = count(AuditEntry.object_type == "flag", AuditEntry.object_id == scene.flag.id)
    assert items(client.get(f"/admin/audit?object_type=flag&object_id={scene.flag.id}")) == flag_entries > 0
    by_staff = count(AuditEntry.actor_id == scene.staff.id)
    assert 0 < items(client.get("/admin/audit?actor=ахметова")) <= min(by_staff, 50)
    assert items(client.get(f"/admin/audit?actor={scene.family.full_name}")) == 0  # families are not searched
    assert items(client.get("/admin/audit?since=2000-01-01&until=2000-01-31")) == 0
    assert items(client.get("/admin/audit?action=need.verify&since=2000-01-01")) == count(
        AuditEntry.action == "need.verify")


@pytest.mark.parametrize("query, ru, kk", [
    ("object_id=abc", "Введите целое число, например 34.", "Бүтін санды енгізіңіз, мысалы 34."),
    ("object_id=3", "Выберите также, чей это номер.", "Бұл нөмірдің неге қатысты екенін де таңдаңыз."),
    ("since=31.12.2026", "Введите дату, например 2026-12-03.", "Күнді енгізіңіз, мысалы 2026-12-03."),
    ("since=2026-12-05&until=2026-12-01", "Конец периода раньше его начала.", "Кезеңнің соңы басынан бұрын тұр."),
    ("action=need.fly", "Выберите из списка.", "Тізімнен таңдаңыз."),
])
def test_the_filters_errors_are_in_the_readers_language(client, login_as, scene, query, ru, kk):
    login_as(scene.admin)
    for language, message in (("ru", ru), ("kk", kk)):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        response = client.get(f"/admin/audit?{query}")
        assert response.status_code == 200 and message in response.get_data(as_text=True)
        assert items(response) == 0


def test_staff_of_another_office_find_nothing_of_it_with_any_filter(client, login_as, scene):
    login_as(UserFactory(role=Role.STAFF, office=OfficeFactory()))
    for query in ("", "?action=household.verify", f"?object_type=need&object_id={scene.need.id}",
                  "?actor=Ахметова", "?since=2000-01-01"):
        assert items(client.get(f"/admin/audit{query}")) == 0


# --- every action and state has words ---------------------------------------------------------------------

def state_machines() -> list[StateMachine]:
    """Every state machine declared in the package (module-level objects, found by importing every module)."""
    found: dict[int, StateMachine] = {}
    for info in pkgutil.walk_packages(marketplace.__path__, "marketplace."):
        if ".translations" in info.name:
            continue
        module = importlib.import_module(info.name)
        found.update({id(v): v for v in vars(module).values() if isinstance(v, StateMachine)})
    return list(found.values())


def audit_calls():
    """Every `audit.record(...)` call in the package's source, but the state machine's own (which records
    `<machine>.<transition>`, checked from the machines), as (where, call)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if "translations" in path.parts or path.name == "lifecycle.py" and path.parent.name == "core":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno}", node


def literal_strings(node: ast.expr) -> list[str] | None:
    """The strings an expression can be when it is written out (a constant, or `a if c else b`), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = literal_strings(node.body), literal_strings(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def test_every_action_the_code_records_has_words(app):
    missing, unreadable = [], []
    for where, call in audit_calls():
        actions = literal_strings(call.args[0]) if call.args else None
        if actions is None:
            unreadable.append(where)  # an action built at run time cannot be checked: write it out
            continue
        missing.extend(f"{where} {action}" for action in actions if labels.action(action) is None)
    assert (unreadable, missing) == ([], [])


def test_every_transition_and_state_of_every_machine_has_words(app):
    machines = state_machines()
    assert {m.object_type for m in machines} >= {"need", "household", "pledge", "claim", "volunteer", "flag",
                                                  "account"}
    missing = []
    for machine in machines:
        for transition in machine.transitions.values():
            if labels.action(f"{machine.object_type}.{transition.name}") is None:
                missing.append(f"{machine.object_type}.{transition.name}")
            for state in {*transition.sources, transition.target}:
                for member in type(state):
                    if labels.state_label(machine.logged_as, member.value) is None:
                        missing.append(f"{machine.logged_as} state {member.value}")
    assert sorted(set(missing)) == []


# The detail keys that are not shown by themselves: the words of another key or of a note use them, or they
# are kept as data only (a task's requirements before the change).
USED_BY_OTHERS = {"currency", "item", "because", "from_pledge", "from_need", "skills_before", "in_home_before",
                  "days", "deadline", "need_state"}


def details_keywords():
    """Every `details={...}` written out in a call in the package's source."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if "translations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "details" and isinstance(keyword.value, ast.Dict):
                        yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno}", keyword.value


def test_every_detail_the_code_records_has_words(app):
    from marketplace.families.audit_labels import READ_PURPOSES

    missing = []
    for where, literal in details_keywords():
        for key, value in zip(literal.keys, literal.values):
            if key is None:  # **spread
                continue
            name = literal_strings(key)
            if name is None:  # f"{kind}_id": a reference to an object, of the kinds a flag is about
                assert all(labels.object_kind(kind) for kind in ("need", "user")), where
                continue
            name = name[0]
            if name == "note":
                notes = literal_strings(value) or []
                missing.extend(f"{where} note {n}" for n in notes if labels.note_label(n) is None)
            elif not (labels.detail_words(name) or name in USED_BY_OTHERS
                      or name.endswith("_id") and labels.object_kind(name.removesuffix("_id"))):
                missing.append(f"{where} {name}")
    for where, call in ((w, c) for w, c in calls_named("read_personal")):
        purposes = [literal_strings(k.value) for k in call.keywords if k.arg == "purpose"]
        missing.extend(f"{where} purpose {p}" for ps in purposes for p in (ps or ["?"]) if p not in READ_PURPOSES)
    assert missing == []


def calls_named(name: str):
    for path in sorted(PACKAGE.rglob("*.py")):
        if "translations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == name:
                yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno}", node



def test_a_period_is_of_the_readers_days(client, login_as, scene, db_session):
    """An entry made at 23:55 in Almaty (18:55 UTC) belongs to that day, not to the next or the one before."""
    from datetime import datetime, timezone

    from marketplace.core.audit.models import AuditEntry

    entry = AuditEntry(actor_label="system", action="need.expire", object_type="need", object_id=scene.need.id,
                       office_id=scene.office.id, created_at=datetime(2026, 3, 2, 18, 55, tzinfo=timezone.utc))
    db_session.add(entry)
    db_session.commit()
    login_as(scene.admin)
    assert items(client.get("/admin/audit?action=need.expire&since=2026-03-02&until=2026-03-02")) == 1
    assert items(client.get("/admin/audit?action=need.expire&since=2026-03-03&until=2026-03-03")) == 0
    assert items(client.get("/admin/audit?action=need.expire&since=2026-03-01&until=2026-03-01")) == 0
