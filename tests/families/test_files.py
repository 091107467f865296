"""Evidence files: what the upload keeps and refuses, and who may open a file."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace.core.roles import Role
from marketplace.core.audit.models import AuditEntry
from marketplace.core.extensions import db
from marketplace.files import path_of
from marketplace.files.models import StoredFile
from tests.factories import HouseholdFactory, OfficeFactory, UserFactory

GPS_IFD = 0x8825


def text_of(response) -> str:
    return response.get_data(as_text=True)


def png_bytes(size=(8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A phone photo: EXIF with the camera maker and the GPS point where it was taken."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (43.0, 15.0, 30.0), 3: "E", 4: (76.0, 53.0, 10.0)}
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the test photo really has GPS
    return data


def one_page_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


PDF = one_page_pdf()
# Catalog and page tree but no page and no cross-reference table: nothing qpdf can show.
PAGELESS_PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
                b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
EXE = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
       + b"This program cannot be run in DOS mode.")


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


@pytest.fixture
def household(db_session, office):
    return HouseholdFactory(office=office)


def upload(client, *files):
    return client.post("/family/evidence", data={"files": [(io.BytesIO(data), name) for name, data in files]},
                       content_type="multipart/form-data")


def stored_count() -> int:
    return db.session.scalar(select(func.count()).select_from(StoredFile))


def files_on_disk(folder: Path) -> list[Path]:
    return [p for p in folder.glob("*") if p.is_file()] if folder.exists() else []


# --- what is kept ------------------------------------------------------------------------------------------


def test_a_photo_and_a_pdf_are_kept_outside_static_under_random_names(client, login_as, household, uploads, app):
    login_as(household.user)
    response = upload(client, ("certificate.png", png_bytes()), ("справка.pdf", PDF))
    assert response.status_code == 302, text_of(response)[:1500]
    files = db.session.scalars(select(StoredFile).order_by(StoredFile.id)).all()
    assert [(f.original_name, f.content_type) for f in files] == [("certificate.png", "image/png"),
                                                                  ("справка.pdf", "application/pdf")]
    static = Path(app.static_folder).resolve()
    for stored in files:
        path = path_of(stored).resolve()
        assert path.is_file() and path.parent == uploads.resolve()
        assert static not in path.parents
        assert re.fullmatch(r"[0-9a-f]{32}\.(png|pdf)", stored.stored_name)
        assert stored.household_id == household.id and stored.need_id is None
        assert stored.uploaded_by_id == household.user_id
    with pikepdf.open(path_of(files[1])) as kept:  # rewritten (files/pdfs.py), so not the bytes sent
        assert len(kept.pages) == 1
    page = text_of(client.get("/family/evidence"))
    assert f"/files/{files[0].id}" in page and "справка.pdf" in page


def test_the_gps_point_of_a_phone_photo_is_removed(client, login_as, household):
    login_as(household.user)
    assert upload(client, ("photo.jpg", jpeg_with_gps())).status_code == 302
    stored = db.session.scalars(select(StoredFile)).one()
    assert stored.content_type == "image/jpeg"
    kept = path_of(stored).read_bytes()
    exif = Image.open(io.BytesIO(kept)).getexif()
    assert not exif.get_ifd(GPS_IFD)
    assert len(exif) == 0
    assert b"PhoneMaker" not in kept


# --- what is refused ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, data, message", [
    ("photo.jpg", EXE, "Only photos (JPEG, PNG, WebP) and PDF documents can be uploaded."),
    ("certificate.pdf", "Это просто текст, а не PDF.".encode(), "Only photos (JPEG, PNG, WebP) and PDF documents"),
    ("broken.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "This file is damaged or is not really a picture."),
    ("empty.pdf", b"", "The file is empty."),
    ("pageless.pdf", PAGELESS_PDF, "This PDF is damaged and cannot be opened."),
])
def test_a_file_that_is_not_what_it_claims_is_refused_and_nothing_is_kept(client, login_as, household, uploads,
                                                                          name, data, message):
    login_as(household.user)
    response = upload(client, (name, data))
    assert response.status_code == 200
    assert message in text_of(response)
    assert stored_count() == 0
    assert files_on_disk(uploads) == []


def test_pressing_upload_without_a_file_asks_for_one(client, login_as, household):
    login_as(household.user)
    response = client.post("/family/evidence", data={}, content_type="multipart/form-data")
    assert "Choose at least one file." in text_of(response)
    assert stored_count() == 0


def test_a_file_over_the_size_limit_is_refused(client, login_as, household, uploads, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 1024 * 1024)
    login_as(household.user)
    big = png_bytes() + b"\x00" * (1024 * 1024)
    response = upload(client, ("big.png", big))
    assert "The file is too large: at most 1 MB." in text_of(response)
    assert stored_count() == 0
    assert files_on_disk(uploads) == []


def test_one_bad_file_among_good_ones_keeps_none_of_them(client, login_as, household, uploads):
    login_as(household.user)
    response = upload(client, ("good.png", png_bytes()), ("virus.jpg", EXE))
    page = text_of(response)
    assert "“virus.jpg” was not accepted" in page
    assert "Nothing was saved" in page
    assert stored_count() == 0
    assert files_on_disk(uploads) == []


def test_only_a_family_uploads_evidence(client, login_as, users):
    login_as(users["volunteer"])
    assert upload(client, ("a.png", png_bytes())).status_code == 403
    assert stored_count() == 0


# --- who may open a file ------------------------------------------------------------------------------------


@pytest.fixture
def evidence(client, login_as, household):
    login_as(household.user)
    assert upload(client, ("свидетельство многодетной семьи.png", png_bytes())).status_code == 302
    client.post("/logout")
    return db.session.scalars(select(StoredFile)).one()


def reads_of(household) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "household.read_personal", AuditEntry.object_id == household.id)).all()


def test_the_family_opens_its_own_file_privately(client, login_as, household, evidence):
    login_as(household.user)
    response = client.get(f"/files/{evidence.id}")
    assert response.status_code == 200
    assert response.data == path_of(evidence).read_bytes()
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert "filename*=UTF-8''" in disposition and disposition.endswith(".png")
    assert reads_of(household) == []  # the family reading its own file is not someone else's read


def test_staff_of_the_familys_office_open_it_and_the_read_is_audited(client, login_as, household, evidence,
                                                                      staff_user):
    assert staff_user.office_id == household.office_id
    login_as(staff_user)
    response = client.get(f"/files/{evidence.id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    [entry] = reads_of(household)
    assert (entry.actor_id, entry.details, entry.office_id) == (staff_user.id, {"purpose": "file"}, household.office_id)


def test_an_admin_opens_it_and_the_read_is_audited(client, login_as, household, evidence, admin_user):
    login_as(admin_user)
    assert client.get(f"/files/{evidence.id}").status_code == 200
    assert [e.actor_id for e in reads_of(household)] == [admin_user.id]


@pytest.mark.parametrize("who", ["staff_of_another_office", "volunteer", "patron", "partner", "another_family"])
def test_nobody_else_may_open_it(client, login_as, household, evidence, who):
    user = {
        "staff_of_another_office": lambda: UserFactory(role=Role.STAFF, office=OfficeFactory()),
        "volunteer": lambda: UserFactory(volunteer=True),
        "patron": lambda: UserFactory(patron=True),
        "partner": lambda: UserFactory(partner=True),
        "another_family": lambda: HouseholdFactory(office=household.office).user,
    }[who]()
    login_as(user)
    response = client.get(f"/files/{evidence.id}")
    assert response.status_code == 403
    assert response.data != path_of(evidence).read_bytes()
    assert reads_of(household) == []


def test_an_anonymous_visitor_is_sent_to_log_in(client, evidence):
    response = client.get(f"/files/{evidence.id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_an_unknown_file_is_404(client, login_as, admin_user):
    login_as(admin_user)
    assert client.get("/files/987654").status_code == 404


def test_a_file_is_served_under_its_true_extension(client, login_as, household):
    from marketplace.families.file_views import safe_download_name

    stored = StoredFile(id=5, household_id=household.id, stored_name="x", original_name="../../evil\r\n.html",
                        content_type="application/pdf", size=1, sha256="0")
    assert safe_download_name(stored) == "evil.pdf"
    stored.original_name = "Справка о составе семьи.PDF"
    assert safe_download_name(stored) == "Справка_о_составе_семьи.pdf"
    stored.original_name = "...."
    assert safe_download_name(stored) == "file-5.pdf"


# --- the bytes follow the row's transaction ------------------------------------------------------------------

def keep(household, name: str = "photo.png") -> StoredFile:
    from werkzeug.datastructures import FileStorage

    from marketplace.files import store_upload

    return store_upload(FileStorage(stream=io.BytesIO(png_bytes()), filename=name), household_id=household.id,
                        office_id=household.office_id)


def test_a_file_whose_row_is_rolled_back_leaves_no_bytes(app, household, uploads):
    stored = keep(household)
    assert path_of(stored).exists()  # written before the commit, so it exists when the row does
    db.session.rollback()
    assert files_on_disk(uploads) == []


def test_a_file_whose_row_commits_keeps_its_bytes(app, household, uploads):
    stored = keep(household)
    db.session.commit()
    assert files_on_disk(uploads) == [path_of(stored)]


def test_a_failed_commit_leaves_no_orphan_file(app, household, uploads):
    keep(household)
    # Something else in the same transaction breaks the commit: the row is gone, so are its bytes.
    db.session.add(StoredFile(household_id=household.id, stored_name=None, original_name="x",
                              content_type="image/png", size=1, sha256="0" * 64))
    with pytest.raises(Exception):  # noqa: B017 - whichever integrity error the database raises
        db.session.commit()
    db.session.rollback()
    assert files_on_disk(uploads) == []


def test_a_file_in_an_undone_savepoint_goes_while_the_rest_commits(app, household, uploads):
    first = keep(household, "first.png")
    savepoint = db.session.begin_nested()
    keep(household, "undone.png")
    savepoint.rollback()
    db.session.commit()
    assert files_on_disk(uploads) == [path_of(first)]


def test_erasure_removes_the_bytes_only_when_the_deletion_commits(app, household, uploads):
    from marketplace.files import delete_stored

    stored = keep(household)
    db.session.commit()
    path = path_of(stored)
    delete_stored(stored)
    db.session.flush()
    db.session.rollback()  # the erasure failed: the row is back, and so must its file be
    assert path.exists()
    assert db.session.get(StoredFile, stored.id) is not None
    delete_stored(db.session.get(StoredFile, stored.id))
    db.session.commit()
    assert not path.exists()
    assert files_on_disk(uploads) == []


def test_sweep_uploads_removes_old_files_no_row_names(app, household, uploads):
    import os
    import time

    kept = keep(household, "kept.png")
    db.session.commit()
    old_orphan, new_orphan = uploads / ("0" * 32 + ".png"), uploads / ("1" * 32 + ".pdf")
    old_orphan.write_bytes(png_bytes())
    new_orphan.write_bytes(PDF)  # perhaps a request about to commit it: too young to judge
    day_ago = time.time() - 25 * 3600
    for path in (old_orphan, path_of(kept)):
        os.utime(path, (day_ago, day_ago))
    result = app.test_cli_runner().invoke(args=["sweep-uploads"])
    assert result.exit_code == 0, result.output
    assert "Orphan files removed: 1." in result.output
    assert sorted(files_on_disk(uploads)) == sorted([path_of(kept), new_orphan])
