"""Offices CSV: import with per-row errors, export, the round trip, and `flask offices import|export`."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from marketplace.core.audit.models import AuditEntry
from marketplace.core.extensions import db
from marketplace.geo.regions import REGION_CODES
from marketplace.offices import csv_io
from marketplace.offices.models import Office
from tests.core.test_csv_cells import FORMULA_PAYLOADS, csv_rows, is_inert
from tests.factories import OfficeFactory

DEMO_FILE = Path(csv_io.__file__).parent / "data" / "demo_offices.csv"
EXPORT_HEADER = ",".join(csv_io.CSV_COLUMNS)
# The rows below are written without the optional name_kk and name_en columns, as files were before them.
HEADER = ",".join(name for name in csv_io.CSV_COLUMNS if name not in csv_io.NAME_FIELDS)
ALMATY_ROW = "{code},Окно {code},almaty-city,Алматы,\"ул. Абая, 1\",43.25,76.91,,,,1"


def run_import(text: str, **kwargs) -> csv_io.ImportReport:
    # English messages, whatever catalogues exist; outside a request there is no user locale anyway.
    with force_locale("en"):
        return csv_io.import_offices(io.StringIO(text), **kwargs)


def demo_text() -> str:
    return DEMO_FILE.read_text(encoding="utf-8-sig")


def offices_by_code() -> dict[str, Office]:
    return {office.code: office for office in db.session.scalars(select(Office))}


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def error_lines(report: csv_io.ImportReport) -> list[int]:
    return sorted({error.line for error in report.errors})


def test_demo_file_creates_thirty_offices_in_every_region(db_session, admin_user):
    report = run_import(demo_text(), actor=admin_user)

    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (30, 0, 0)
    offices = offices_by_code()
    assert len(offices) == 30
    assert {office.region_code for office in offices.values()} == REGION_CODES
    assert offices["ALA-01"].settlement == "Алматы" and offices["ALA-01"].is_active
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "office.create")).all()
    assert len(entries) == 30
    assert {entry.actor_id for entry in entries} == {admin_user.id}


def test_demo_coordinates_lie_in_kazakhstan_and_need_no_geocoding():
    # Demo seeding must work offline and exactly: every row carries its own coordinates.
    rows = list(csv.DictReader(io.StringIO(demo_text())))
    assert len(rows) == 30
    for row in rows:
        assert 40 <= float(row["latitude"]) <= 56 and 46 <= float(row["longitude"]) <= 88, row["code"]


def test_good_rows_are_imported_and_each_bad_row_reported_by_line(db_session):
    text = "\n".join([
        HEADER,
        ALMATY_ROW.format(code="GOOD-1"),                                          # 2
        "BAD-REG,Окно,atlantis,Алматы,\"ул. Абая, 2\",43.25,76.91,,,,1",          # 3
        "BAD-LAT,Окно,almaty-city,Алматы,\"ул. Абая, 3\",12.5,76.91,,,,1",         # 4
        "NO-NAME,,almaty-city,Алматы,\"ул. Абая, 4\",43.25,76.91,,,,1",            # 5
        "NOWHERE,Окно,almaty,Нетакоеград,\"ул. Абая, 5\",,,,,,1",                  # 6
        "GOOD-2,Окно в Талгаре,almaty,Талгар,\"ул. Кунаева, 61\",,,,,,да",         # 7
        ALMATY_ROW.format(code="GOOD-1"),                                          # 8
    ]) + "\n"

    report = run_import(text)

    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert error_lines(report) == [3, 4, 5, 6, 8]
    messages = {error.line: error.message for error in report.errors}
    assert "atlantis" in messages[3]
    assert "latitude" in messages[4]
    assert "name" in messages[5]
    assert "Нетакоеград" in messages[6]
    assert "line 2" in messages[8]
    offices = offices_by_code()
    assert set(offices) == {"GOOD-1", "GOOD-2"}
    # Talgar had no coordinates: they come from the gazetteer.
    assert offices["GOOD-2"].latitude == pytest.approx(43.30, abs=0.05)
    assert offices["GOOD-2"].longitude == pytest.approx(77.24, abs=0.05)


def test_a_settlement_found_only_in_another_region_is_refused(db_session):
    # Шымкент is a city of its own, never a town of the Kostanay region.
    text = f"{HEADER}\nWRONG,Окно,kostanay,Шымкент,\"ул. Абая, 1\",,,,,,1\n"

    report = run_import(text)

    assert report.created == 0
    assert [error.line for error in report.errors] == [2]
    assert "shymkent" in report.errors[0].message


def test_line_numbers_count_physical_lines_past_a_multiline_value(db_session):
    text = "\n".join([
        HEADER,
        "ML-1,Окно,almaty-city,Алматы,\"ул. Абая, 1\nвход со двора\",43.25,76.91,,,,1",  # 2–3
        "",                                                                              # 4, skipped
        "ML-2,Окно,almaty-city,Алматы,\"ул. Абая, 2\",43.25,76.91,,not-an-email,,1",     # 5
    ]) + "\n"

    report = run_import(text)

    assert report.created == 1
    assert [error.line for error in report.errors] == [5]


def test_semicolons_bom_and_decimal_commas_as_excel_writes_them(db_session):
    text = "\ufeff" + HEADER.replace(",", ";") + "\r\n" + (
        "SEMI-1;Единое социальное окно — Алматы;almaty-city;Алматы;ул. Абая, 10;43,2525;76,9115;"
        "+7 727 000 00 01;;Пн–Пт 9:00–18:00;нет\r\n"
        ";;;;;;;;;;\r\n"
    )

    report = run_import(text)

    assert report.errors == []
    assert report.created == 1
    office = offices_by_code()["SEMI-1"]
    assert office.address == "ул. Абая, 10"
    assert (office.latitude, office.longitude) == (43.2525, 76.9115)
    assert office.is_active is False
    assert office.email is None


def test_missing_columns_import_nothing(db_session):
    report = run_import("code,name,settlement\nX-1,Окно,Алматы\n")

    assert report.created == 0
    assert len(report.errors) == 1
    assert report.errors[0].line == 1
    assert "region_code" in report.errors[0].message and "address" in report.errors[0].message
    assert offices_by_code() == {}


def test_reimport_changes_nothing(db_session):
    run_import(demo_text())
    creates = audit_count("office.create")

    report = run_import(demo_text())

    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 30, [])
    assert audit_count("office.create") == creates
    assert audit_count("office.update") == 0


def test_a_changed_row_updates_its_office_and_is_audited(db_session, admin_user):
    run_import(demo_text())
    changed = demo_text().replace("ул. Толе би, 155", "ул. Толе би, 157")

    report = run_import(changed, actor=admin_user)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 29)
    assert offices_by_code()["ALA-01"].address == "ул. Толе би, 157"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "office.update")).one()
    assert entry.object_id == offices_by_code()["ALA-01"].id
    assert entry.actor_id == admin_user.id
    assert "address" in entry.details["fields"]


def test_a_row_the_database_refuses_does_not_undo_the_others(db_session, monkeypatch):
    real_create = csv_io.create_office

    def create_clashing(data, *, actor=None):
        if data.code == "CLASH":
            # A second office with an existing code: the unique constraint refuses it at flush.
            db.session.add(Office(**{**vars(data), "code": "GOOD-1"}))
            db.session.flush()
        return real_create(data, actor=actor)

    monkeypatch.setattr(csv_io, "create_office", create_clashing)
    text = "\n".join([HEADER, *(ALMATY_ROW.format(code=code) for code in ("GOOD-1", "CLASH", "GOOD-2"))]) + "\n"

    report = run_import(text)

    assert report.created == 2
    assert [error.line for error in report.errors] == [3]
    assert set(offices_by_code()) == {"GOOD-1", "GOOD-2"}
    assert audit_count("office.create") == 2


def test_export_then_import_is_unchanged(db_session):
    OfficeFactory.create_batch(3)
    OfficeFactory(closed=True, phone=None, email="office@example.kz", opening_hours="Пн–Сб 8:30–17:30",
                  latitude=51.180101, longitude=71.445983, region_code="astana", settlement="Астана",
                  address='ул. "Кенесары", 40')
    stream = io.StringIO()

    written = csv_io.export_offices(stream, db.session.scalars(select(Office).order_by(Office.code)))
    report = run_import(stream.getvalue())

    assert written == 4
    assert stream.getvalue().splitlines()[0] == EXPORT_HEADER
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 4, [])


def test_on_row_is_called_once_per_data_row(db_session):
    seen: list[int] = []

    run_import(demo_text(), on_row=seen.append)

    assert seen == list(range(2, 32))
    assert csv_io.count_records(io.StringIO(demo_text())) == 30


def test_cli_import_prints_the_summary_and_bad_lines_and_fails(app, db_session, tmp_path):
    path = tmp_path / "offices.csv"
    path.write_text("\n".join([
        HEADER,
        ALMATY_ROW.format(code="CLI-1"),
        "CLI-2,Окно,atlantis,Алматы,\"ул. Абая, 2\",43.25,76.91,,,,1",
    ]) + "\n", encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["offices", "import", str(path), "--locale", "en"])

    assert result.exit_code == 1
    assert "created 1, updated 0, unchanged 0, 1 errors" in result.stdout
    assert "line 3: region atlantis is unknown" in result.stderr
    assert set(offices_by_code()) == {"CLI-1"}


def test_cli_import_of_a_clean_cp1251_file_succeeds(app, db_session, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes((HEADER.replace(",", ";") + "\r\n"
                      "WIN-1;Окно;almaty-city;Алматы;ул. Абая, 1;43,25;76,91;;;;да\r\n").encode("cp1251"))

    result = app.test_cli_runner().invoke(args=["offices", "import", str(path), "--locale", "en"])

    assert result.exit_code == 0, result.output
    assert "created 1, updated 0, unchanged 0, 0 errors" in result.stdout
    assert offices_by_code()["WIN-1"].settlement == "Алматы"


def test_cli_export_to_stdout_writes_the_header_and_rows(app, db_session):
    OfficeFactory(code="EXP-1")

    result = app.test_cli_runner().invoke(args=["offices", "export"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == EXPORT_HEADER
    assert lines[1].startswith("EXP-1,")
    assert app.test_cli_runner().invoke(args=["offices", "export", "-"]).stdout.splitlines()[0] == EXPORT_HEADER


def test_cli_export_writes_no_formula_and_a_phone_reads_back_as_it_was(app, db_session, tmp_path):
    for n, payload in enumerate(FORMULA_PAYLOADS):
        OfficeFactory(code=f"CLI-F{n}", name=payload, address=payload, phone=payload)
    OfficeFactory(code="CLI-PHONE", phone="+7 727 000 00 01")
    path = tmp_path / "out.csv"

    result = app.test_cli_runner().invoke(args=["offices", "export", str(path)])

    assert result.exit_code == 0, result.output
    rows = csv_rows(path.read_text(encoding="utf-8"))
    assert all(is_inert(cell) for row in rows for cell in row)
    by_code = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert by_code["CLI-PHONE"]["phone"] == "'+7 727 000 00 01"
    assert [by_code[f"CLI-F{n}"]["name"] for n in range(len(FORMULA_PAYLOADS))] == [
        "'" + payload for payload in FORMULA_PAYLOADS]
    db.session.query(Office).update({"phone": None})
    report = run_import(path.read_text(encoding="utf-8"))
    assert report.errors == []
    assert offices_by_code()["CLI-PHONE"].phone == "+7 727 000 00 01"
    assert offices_by_code()["CLI-F3"].phone == "+7 777"


def test_cli_export_to_a_file_reads_back_unchanged(app, db_session, tmp_path):
    OfficeFactory.create_batch(2)
    path = tmp_path / "out.csv"

    result = app.test_cli_runner().invoke(args=["offices", "export", str(path)])

    assert result.exit_code == 0, result.output
    report = run_import(path.read_text(encoding="utf-8"))  # BOM and all, as a user would feed it back
    assert (report.unchanged, report.errors) == (2, [])


# --- bank details in the file ------------------------------------------------------------------------------

BASIC_HEADER = ",".join(name for name in HEADER.split(",") if not name.startswith("bank_"))
BANK = ";".join(["КГУ «Окно»", "1804 4001 2349", "kz86 125k zt50 0410 0100", "Банк", "hsbkkzkx", "12"])


def bank_row(code: str, bank: str = BANK) -> str:
    return ALMATY_ROW.format(code=code).replace(",", ";").replace("\"ул. Абая; 1\"", "\"ул. Абая, 1\"") + ";" + bank


def test_bank_details_come_in_with_the_file_normalised_and_audited(db_session, admin_user):
    report = run_import(HEADER.replace(",", ";") + "\n" + bank_row("BANK-1") + "\n", actor=admin_user)
    assert report.errors == [] and report.created == 1
    office = offices_by_code()["BANK-1"]
    assert (office.bank_iban, office.bank_bic, office.bank_bin, office.bank_kbe) == (
        "KZ86125KZT5004100100", "HSBKKZKX", "180440012349", "12")
    assert office.takes_transfers and audit_count("office.bank_details") == 1


def test_a_bad_account_number_is_reported_with_its_column_and_the_row_is_skipped(db_session, admin_user):
    bad = BANK.replace("kz86 125k zt50 0410 0100", "KZ86125KZT5004100101")
    report = run_import(HEADER.replace(",", ";") + "\n" + bank_row("BANK-2", bad) + "\n", actor=admin_user)
    [error] = report.errors
    assert error.line == 2 and error.message.startswith("bank_iban: This account number is not valid")
    assert "BANK-2" not in offices_by_code()


def test_a_file_without_bank_columns_leaves_bank_details_alone(db_session, admin_user):
    OfficeFactory(code="BANK-3", bank_recipient="КГУ", bank_iban="KZ86125KZT5004100100", bank_name="Банк",
                  bank_bic="HSBKKZKX")
    report = run_import(BASIC_HEADER + "\n" + ALMATY_ROW.format(code="BANK-3") + "\n", actor=admin_user)
    assert report.errors == []
    assert offices_by_code()["BANK-3"].bank_iban == "KZ86125KZT5004100100"


def test_bank_details_survive_the_round_trip(db_session, admin_user):
    OfficeFactory(code="BANK-4", bank_recipient="КГУ «Окно»", bank_bin="180440012349",
                  bank_iban="KZ86125KZT5004100100", bank_name="Банк", bank_bic="HSBKKZKX", bank_kbe="12")
    stream = io.StringIO()
    csv_io.export_offices(stream, db.session.scalars(select(Office)))
    db.session.query(Office).update({name: None for name in csv_io.BANK_FIELDS})
    report = run_import(stream.getvalue(), actor=admin_user)
    assert report.errors == [] and report.updated == 1
    office = offices_by_code()["BANK-4"]
    assert (office.bank_recipient, office.bank_iban, office.bank_kbe) == ("КГУ «Окно»", "KZ86125KZT5004100100", "12")
