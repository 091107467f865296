"""The duplicate finder: same phone, or same children's birth years with a similar name or a nearby
address, across all offices; and its candidate queries narrow on an index, never a full scan."""
from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event

from marketplace.families.services import phone_digits, possible_duplicates
from tests.conftest import ON_POSTGRES
from tests.factories import HouseholdFactory, OfficeFactory, UserFactory

ALMATY = (43.2389, 76.8897)
ASTANA = (51.1694, 71.4491)
ABOUT_100_M_NORTH = 0.0009  # degrees of latitude


def household(name: str, phone: str, point=ALMATY, children=(2011, 2013, 2016, 2019), office=None):
    return HouseholdFactory(
        user=UserFactory(family=True, full_name=name), office=office or OfficeFactory(), phone=phone,
        phone_digits=phone_digits(phone), latitude=point[0], longitude=point[1], children=list(children),
    )


def found(target) -> dict[int, tuple[str, ...]]:
    return {d.household.id: d.reasons for d in possible_duplicates(target)}


def test_same_phone_in_another_office_whatever_the_format(db_session):
    mine = household("Айгерим Сейткалиева", "+7 701 555 12 34", children=[2010, 2014])
    theirs = household("Болат Жумабаев", "87015551234", point=ASTANA, children=[2008])
    assert mine.office_id != theirs.office_id
    assert found(mine) == {theirs.id: ("phone",)}
    assert found(theirs) == {mine.id: ("phone",)}


def test_same_children_and_a_similar_name(db_session):
    mine = household("Сейткалиева Айгерим Нурлановна", "+7 701 111 11 11")
    theirs = household("Сейткалиева Айгерим Нурлановнa", "+7 777 222 22 22", point=ASTANA)  # a Latin "a" typed
    assert found(mine) == {theirs.id: ("children_and_name",)}


def test_same_children_and_an_address_100_m_away(db_session):
    mine = household("Айгерим Сейткалиева", "+7 701 111 11 11")
    theirs = household("Динара Ахметова", "+7 777 222 22 22", point=(ALMATY[0] + ABOUT_100_M_NORTH, ALMATY[1]))
    assert found(mine) == {theirs.id: ("children_and_address",)}


def test_same_children_but_another_name_far_away_is_not_a_duplicate(db_session):
    mine = household("Айгерим Сейткалиева", "+7 701 111 11 11")
    household("Динара Ахметова", "+7 777 222 22 22", point=ASTANA)
    household("Айгерим Сейткалиева", "+7 707 333 33 33", children=[2011, 2013, 2016])  # other children
    assert found(mine) == {}


def test_every_reason_at_once(db_session):
    mine = household("Айгерим Сейткалиева", "+7 701 555 12 34")
    theirs = household("Айгерим Сейткалиева", "8 (701) 555-12-34", point=(ALMATY[0] + 0.0005, ALMATY[1]))
    assert found(mine) == {theirs.id: ("children_and_address", "children_and_name", "phone")}


# --- the queries -------------------------------------------------------------------------------------

@contextmanager
def captured_sql(connection):
    """Every statement the connection runs inside the block, with its parameters."""
    statements: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", remember)


def selects_from(statements, table: str) -> list[tuple[str, object]]:
    pattern = re.compile(rf"\bFROM\s+{table}\b|\bJOIN\s+{table}\b", re.IGNORECASE)
    return [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT") and pattern.search(s)]


def full_scans(connection, statements, tables: tuple[str, ...]) -> list[str]:
    """The plans of `statements` that read one of `tables` without an index."""
    bad = []
    if ON_POSTGRES:
        # Tiny test tables make a sequential scan cheapest; forbid it to see whether an index could serve.
        connection.exec_driver_sql("SET enable_seqscan = off")
    try:
        for statement, parameters in statements:
            rows = connection.exec_driver_sql(
                ("EXPLAIN " if ON_POSTGRES else "EXPLAIN QUERY PLAN ") + statement, parameters).all()
            plan = "\n".join(str(row[0] if ON_POSTGRES else row[-1]) for row in rows)
            for table in tables:
                scan = rf"Seq Scan on {table}\b" if ON_POSTGRES else rf"\bSCAN {table}\b(?! USING (COVERING )?INDEX)"
                if re.search(scan, plan):
                    bad.append(f"{statement}\n{plan}")
    finally:
        if ON_POSTGRES:
            connection.exec_driver_sql("RESET enable_seqscan")
    return bad


def test_the_candidate_queries_use_indexes(db_session):
    mine = household("Айгерим Сейткалиева", "+7 701 555 12 34")
    household("Айгерим Сейткалиева", "87015551234", point=(ALMATY[0] + 0.0005, ALMATY[1]))
    for n in range(5):
        household(f"Семья {n}", f"+7 702 000 00 0{n}", children=[2000 + n])
    db_session.expire_all()
    connection = db_session.connection()
    with captured_sql(connection) as statements:
        assert len(possible_duplicates(mine)) == 1
    households = selects_from(statements, "households")
    assert households, "the finder ran no query on households"
    for statement, _params in households:
        where = statement.split("WHERE", 1)[1] if "WHERE" in statement else ""
        # Candidates by phone or by children; then the found ones (or a lazy load) by primary key.
        assert re.search(r"households\.(phone_digits|children_signature) =|households\.id (IN|=)", where), statement
    assert any("households.phone_digits =" in s for s, _p in households)
    assert any("households.children_signature =" in s for s, _p in households)
    assert full_scans(connection, households, ("households",)) == []


def test_the_plan_check_can_fail(db_session):
    """The check above notices a query that reads the whole table."""
    household("Айгерим Сейткалиева", "+7 701 555 12 34")
    connection = db_session.connection()
    placeholder, parameters = ("%(p)s", {"p": "%Абая%"}) if ON_POSTGRES else ("?", ("%Абая%",))
    scan = [(f"SELECT households.id FROM households WHERE households.address LIKE {placeholder}", parameters)]
    assert full_scans(connection, scan, ("households",)) != []
