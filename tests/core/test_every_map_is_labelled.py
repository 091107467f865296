"""Every map speaks the page's language (issue 13): each template that draws a `.map` gives it the words of
Leaflet's controls (`map_labels()` from _map.html), so no page says "Zoom in" in English."""
from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
MAP_ELEMENT = re.compile(r'<div class="map"[^>]*>', re.S)


def test_every_map_element_has_its_labels():
    found, missing = [], []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for element in MAP_ELEMENT.findall(path.read_text(encoding="utf-8")):
            found.append(path.name)
            if "{{ map_labels() }}" not in element:
                missing.append(str(path.relative_to(TEMPLATES)))
    assert len(found) >= 6, found  # catalogue, need, offices, office, tasks, dispatch
    assert missing == []
