"""Append new messages with their Russian and Kazakh translations to the catalogues (en gets empty entries).

    .venv/bin/python scripts/add_translations.py translations.json

The JSON maps each msgid (or a JSON list [singular, plural]) to [ru, kk], where a plural's ru and kk are lists
of forms. A message already in a catalogue gets the new translation. Locations come from a fresh extraction, so the
next `make extract-messages` changes nothing but line numbers.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "marketplace" / "translations"


def main(path: str) -> None:
    wanted = json.loads(Path(path).read_text())
    pot = Path(tempfile.mkdtemp()) / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-k", "lazy_gettext", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    template = read_po(pot.open("rb"))
    for language in ("ru", "kk", "en"):
        file = CATALOGUES / language / "LC_MESSAGES" / "messages.po"
        catalog = read_po(file.open("rb"), locale=language)
        added = 0
        for key, (ru, kk) in wanted.items():
            msgid = tuple(json.loads(key)) if key.startswith("[") else key
            source = template.get(msgid[0] if isinstance(msgid, tuple) else msgid)
            if source is None:
                raise SystemExit(f"not in the code: {key}")
            text = {"ru": ru, "kk": kk}.get(language)
            existing = catalog.get(source.id[0] if isinstance(source.id, tuple) else source.id)
            if existing is not None:
                if text is not None:  # a better translation replaces the old one
                    existing.string = tuple(text) if isinstance(text, list) else text
                continue
            if text is None:
                text = ("", "") if isinstance(msgid, tuple) else ""
            elif isinstance(text, list):
                text = tuple(text)
            catalog.add(source.id, string=text, locations=source.locations, flags=source.flags)
            added += 1
        with file.open("wb") as handle:
            write_po(handle, catalog)
        print(f"{language}: {added} added")


if __name__ == "__main__":
    main(sys.argv[1])
