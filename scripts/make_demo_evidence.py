"""Draw the demo evidence files in marketplace/files/data/ (a certificate picture and two PDF notes).

Run by a developer when the pictures should change (needs only Pillow):

    .venv/bin/python scripts/make_demo_evidence.py

The output is committed; `flask seed-demo` stores copies of it through the normal upload checks.
Every file says "ОБРАЗЕЦ / DEMO" and names nobody: it is a specimen, not anyone's document.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "marketplace" / "files" / "data"
MAX_BYTES = 30 * 1024  # the demo data ships in the repository: keep each file small
# A font with the Kazakh letters; the fallback (Pillow's own) is used where DejaVu is not installed.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
    "C:/Windows/Fonts/arial.ttf",
)
# Fixed PDF dates: a rerun with the same drawing gives the same bytes (no noise in the repository).
PDF_DATE = time.gmtime(1767225600)  # 2026-01-01 00:00 UTC
INK, PAPER, ACCENT, STAMP = (31, 45, 61), (250, 248, 240), (30, 94, 140), (176, 48, 48)


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def guilloche(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], colour) -> None:
    """The wavy security pattern of an official form (deterministic, so reruns give the same bytes)."""
    left, top, right, bottom = box
    for k in range(7):
        points = [
            (x, top + (bottom - top) / 2 + (bottom - top) / 2.4 * math.sin(x / (23 + 4 * k) + k)
             * math.cos(x / 97 - k / 2))
            for x in range(left, right, 3)
        ]
        draw.line(points, fill=colour, width=1)


def stamp(draw: ImageDraw.ImageDraw, centre: tuple[int, int], radius: int) -> None:
    x, y = centre
    for r in (radius, radius - 6):
        draw.ellipse((x - r, y - r, x + r, y + r), outline=STAMP, width=3)
    draw.text((x, y - 8), "ОБРАЗЕЦ", font=font(18), fill=STAMP, anchor="mm")
    draw.text((x, y + 14), "DEMO", font=font(16), fill=STAMP, anchor="mm")


def certificate() -> Image.Image:
    """A specimen of a large-family certificate, as a family would photograph it."""
    image = Image.new("RGB", (760, 480), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 747, 467), outline=ACCENT, width=4)
    guilloche(draw, (24, 24, 736, 120), (196, 214, 228))
    guilloche(draw, (24, 360, 736, 456), (214, 226, 200))
    draw.text((380, 60), "ҚАЗАҚСТАН РЕСПУБЛИКАСЫ · РЕСПУБЛИКА КАЗАХСТАН", font=font(18), fill=ACCENT, anchor="mm")
    draw.text((380, 100), "КӨП БАЛАЛЫ ОТБАСЫ КУӘЛІГІ", font=font(26), fill=INK, anchor="mm")
    draw.text((380, 134), "УДОСТОВЕРЕНИЕ МНОГОДЕТНОЙ СЕМЬИ", font=font(22), fill=INK, anchor="mm")
    rows = [
        ("№", "DEMO-000000"),
        ("Отбасы / Семья", "— (демонстрационный образец)"),
        ("Балалар саны / Детей", "4"),
        ("Берілген күні / Выдано", "01.09.2025"),
        ("Кім берді / Кем выдано", "Единое социальное окно (демо)"),
    ]
    for i, (label, value) in enumerate(rows):
        y = 180 + i * 34
        draw.text((48, y), label, font=font(17), fill=(90, 100, 110))
        draw.text((330, y), value, font=font(19), fill=INK)
        draw.line((330, y + 26, 700, y + 26), fill=(200, 200, 190), width=1)
    stamp(draw, (640, 400), 58)
    draw.text((48, 420), "Не является документом · Құжат емес · Not a real document", font=font(15), fill=STAMP)
    # A palette keeps the file small while the pattern keeps it looking like a photographed form.
    return image.quantize(colors=32, dither=Image.Dither.NONE)


def note(title: str, lines: list[str]) -> Image.Image:
    """A one-page office note (A5 at 72 dpi) in greyscale."""
    image = Image.new("L", (420, 595), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((16, 16, 403, 578), outline=60, width=2)
    draw.text((210, 48), "ОБРАЗЕЦ · DEMO", font=font(14), fill=110, anchor="mm")
    y = 84
    for part in title.split("\n"):
        draw.text((210, y), part, font=font(18), fill=20, anchor="mm")
        y += 26
    y += 14
    for line in lines:
        draw.text((36, y), line, font=font(14), fill=30)
        y += 24
    draw.text((36, 530), "Подпись / Қолы: ____________", font=font(14), fill=30)
    draw.ellipse((300, 470, 380, 550), outline=90, width=3)
    draw.text((340, 510), "DEMO", font=font(14), fill=90, anchor="mm")
    return image


def write(path: Path, image: Image.Image, **options) -> None:
    image.save(path, **options)
    size = path.stat().st_size
    if size > MAX_BYTES:
        sys.exit(f"{path.name} is {size} bytes, more than {MAX_BYTES}: simplify the drawing")
    print(f"{path.relative_to(ROOT)}: {size} bytes")


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    write(OUTPUT / "large-family-certificate.png", certificate(), format="PNG", optimize=True)
    write(OUTPUT / "family-composition.pdf", note("СПРАВКА\nо составе семьи", [
        "Выдана для предъявления по месту",
        "требования (демонстрационные данные).",
        "",
        "Взрослых: 2",
        "Детей (годы рождения):",
        "  2010, 2012, 2015, 2018",
        "",
        "Отбасы құрамы туралы анықтама.",
    ]), format="PDF", resolution=72, title="DEMO", creationDate=PDF_DATE, modDate=PDF_DATE)
    write(OUTPUT / "medical-note.pdf", note("ВЫПИСКА\nиз медицинской карты", [
        "Рекомендовано: лечение и наблюдение",
        "у специалиста по месту жительства.",
        "",
        "Назначения: по рецепту врача.",
        "",
        "Дәрігердің қорытындысы (демо).",
    ]), format="PDF", resolution=72, title="DEMO", creationDate=PDF_DATE, modDate=PDF_DATE)


if __name__ == "__main__":
    main()
