"""The dispatch page's map: an office's open volunteer places, the free volunteers and the plan's pairs.

Each assignment of the plan gets the number of its row in the page's table; the place's pin and the volunteer's
disc carry that number and a line joins them, so three volunteers for one request are three numbered pairs,
not one pin. Every point is coarse (`geo.coarse_point`, about a kilometre): a request at its public point as on
every other page, a volunteer's home rounded the same way, so the page never holds either address.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from marketplace import geo
from marketplace.core.i18n import distance
from marketplace.needs.models import Need
from marketplace.volunteering.dispatch import Plan
from marketplace.volunteering.models import VolunteerProfile


@dataclass
class _Group:
    """The markers of one kind at one coarse point."""

    keys: list = field(default_factory=list)  # need ids or volunteer ids, first seen first
    numbers: list[int] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


def numbers_label(numbers: Iterable[int]) -> str:
    """The pair numbers on one marker, short: "2", "1–3", "1, 4", or "1–3, 5…" when there are more."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    parts = [str(a) if a == b else f"{a}, {b}" if b == a + 1 else f"{a}–{b}" for a, b in runs]
    return ", ".join(parts[:2]) + ("…" if len(parts) > 2 else "")


def dispatch_map(plan: Plan, needs: dict[int, Need],
                 profiles: dict[int, VolunteerProfile]) -> tuple[list[dict], list[dict]]:
    """The points (places and volunteers) and lines (one per assignment) for js/offices-map.js."""
    places: dict[tuple[float, float], _Group] = defaultdict(_Group)
    volunteers: dict[tuple[float, float], _Group] = defaultdict(_Group)
    lines = []
    for number, assignment in enumerate(plan.assignments, start=1):
        need, profile = needs[assignment.slot[0]], profiles[assignment.volunteer]
        place, home = _need_point(need), geo.coarse_point(profile.latitude, profile.longitude)
        text = _("%(number)d. %(need)s — %(volunteer)s, %(distance)s", number=number, need=need.title,
                 volunteer=profile.user.full_name, distance=distance(assignment.distance_km))
        _add(places[place], need.id, number, text)
        _add(volunteers[home], profile.user_id, number, text)
        lines.append({"from": list(home), "to": list(place)})
    for slot in plan.unassigned:
        need = needs[slot[0]]
        _add(places[_need_point(need)], need.id, None, _("%(need)s — no volunteer yet", need=need.title))
    planned = {a.volunteer for a in plan.assignments}
    for profile in profiles.values():
        if profile.user_id not in planned and profile.latitude is not None and profile.longitude is not None:
            _add(volunteers[geo.coarse_point(profile.latitude, profile.longitude)], profile.user_id, None,
                 _("A free volunteer, not in this plan"))
    points = [_place_marker(point, group, needs) for point, group in places.items()]
    points += [_volunteer_marker(point, group) for point, group in volunteers.items()]
    return points, lines


def _need_point(need: Need) -> tuple[float, float]:
    return geo.coarse_point(need.public_latitude, need.public_longitude)


def _add(group: _Group, key: int, number: int | None, text: str) -> None:
    if key not in group.keys:
        group.keys.append(key)
    if number is not None:
        group.numbers.append(number)
    if text not in group.items:  # one line for a request's several places without a volunteer
        group.items.append(text)


def _place_marker(point: tuple[float, float], group: _Group, needs: dict[int, Need]) -> dict:
    one = len(group.keys) == 1
    return {"lat": point[0], "lon": point[1], "kind": "slot", "label": numbers_label(group.numbers),
            "title": needs[group.keys[0]].title if one else _("%(num)d requests for help", num=len(group.keys)),
            "subtitle": (needs[group.keys[0]].settlement or "") if one else "",
            "url": url_for("moderation.need", need_id=group.keys[0]) if one else "", "items": group.items}


def _volunteer_marker(point: tuple[float, float], group: _Group) -> dict:
    return {"lat": point[0], "lon": point[1], "kind": "volunteer", "label": numbers_label(group.numbers),
            "title": ngettext("%(num)d free volunteer", "%(num)d free volunteers", len(group.keys)),
            "subtitle": "", "url": "", "items": group.items}
