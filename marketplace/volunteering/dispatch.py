"""Dispatch plans: assign an office's open task slots to volunteers at the least total travel distance.

Pure computation, no Flask and no database: callers hand in plain Slot and Volunteer values. Distances
are great-circle (haversine) on the mean Earth radius rather than geopy's WGS-84 geodesic: over one
city or region the two differ by about 0.5% at most (about 0.3% at Kazakhstan's latitudes), far below
what a travel estimate means, and the haversine vectorises over a million pairs in milliseconds.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching
from scipy.spatial import cKDTree

EARTH_MEAN_RADIUS_KM = 6371.0088
# Below this many (slot, seat) cells a dense matrix is cheapest; above it, a city-wide plan has only a
# few eligible volunteers per slot, and the sparse solver touches those edges alone.
DENSE_CELLS_LIMIT = 40_000
# ... and when most cells are eligible edges anyway (one city, wide radii), the dense solver wins at any size.
DENSE_FILL = 0.25
# Eligible pairs come from a k-d tree, or, when at least this share of all pairs is within reach, from
# one vectorised distance matrix: up to this many cells, as it peaks at about 50 bytes a cell (the
# distances, their temporaries and the masks), some 100 MB at the limit.
MATRIX_FILL = 0.05
MATRIX_CELLS_LIMIT = 2_000_000


@dataclass(frozen=True)
class Slot:
    """One volunteer place on a task, where the task happens and what it asks of the volunteer."""

    key: Hashable
    lat: float
    lon: float
    skills: frozenset[str] = frozenset()
    in_home: bool = False


@dataclass(frozen=True)
class Volunteer:
    """A volunteer available for dispatch: home point, travel radius, skills and how many slots they take."""

    key: Hashable
    lat: float
    lon: float
    radius_km: float
    skills: frozenset[str] = frozenset()
    vetted: bool = False
    adult: bool = True
    capacity: int = 1


@dataclass(frozen=True)
class Assignment:
    """One slot given to one volunteer, and the distance from the volunteer's home to the task."""

    slot: Hashable
    volunteer: Hashable
    distance_km: float


@dataclass(frozen=True)
class Plan:
    """Assignments in slot order, the keys of slots nobody could take, and the total travel distance."""

    assignments: list[Assignment]
    unassigned: list[Hashable]
    total_km: float


def eligible(slot: Slot, volunteer: Volunteer, distance_km: float) -> bool:
    """Whether the volunteer may take the slot: within their radius, every skill, a vetted adult in a home."""
    return (
        distance_km <= volunteer.radius_km
        and slot.skills <= volunteer.skills
        and (not slot.in_home or (volunteer.vetted and volunteer.adult))
    )


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km on the mean Earth sphere; arguments broadcast like numpy arrays."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi, dlambda = phi2 - phi1, np.radians(np.subtract(lon2, lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
    # Rounding can push h a hair past 1 for antipodal points, where arcsin would return NaN.
    return 2 * EARTH_MEAN_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def plan_dispatch(slots: Sequence[Slot], volunteers: Sequence[Volunteer]) -> Plan:
    """The optimal plan: as many slots assigned as possible and, among such plans, the least total km."""
    rows, vols, km = _eligible_pairs(slots, volunteers)
    seats = _seats(volunteers)  # one column per unit of capacity
    if len(rows) == 0 or len(seats) == 0:
        return _plan(slots, volunteers, [], [], [])
    # Expand each eligible (slot, volunteer) pair to one edge per seat of that volunteer.
    first_seat = np.concatenate(([0], np.cumsum(_capacities(volunteers))))
    per_pair = first_seat[vols + 1] - first_seat[vols]
    edge_rows = np.repeat(rows, per_pair)
    edge_km = np.repeat(km, per_pair)
    edge_cols = np.repeat(first_seat[vols], per_pair) + _ranges(per_pair)
    # An assignment leaving one more slot unassigned must always cost more than any saving in distance:
    # no plan travels farther than every slot's longest eligible trip together, so a penalty above that
    # makes the solver maximise the number of assigned slots first and minimise the distance second.
    longest = np.zeros(len(slots))
    np.maximum.at(longest, rows, km)
    penalty = float(longest.sum()) + 1.0
    cells = len(slots) * len(seats)
    if cells <= DENSE_CELLS_LIMIT or (cells <= MATRIX_CELLS_LIMIT and len(edge_rows) >= cells * DENSE_FILL):
        chosen_rows, chosen_cols, chosen_km = _solve_dense(len(slots), len(seats), edge_rows, edge_cols, edge_km,
                                                           penalty)
    else:
        chosen_rows, chosen_cols, chosen_km = _solve_sparse(len(slots), len(seats), edge_rows, edge_cols, edge_km,
                                                            penalty)
    return _plan(slots, volunteers, chosen_rows.tolist(), seats[chosen_cols].tolist(), chosen_km.tolist())


def greedy_plan(slots: Sequence[Slot], volunteers: Sequence[Volunteer]) -> Plan:
    """The nearest-first baseline: repeatedly take the globally closest eligible (slot, volunteer) pair."""
    rows, vols, km = _eligible_pairs(slots, volunteers)
    left = _capacities(volunteers).tolist()
    taken: set[int] = set()
    chosen: list[tuple[int, int, float]] = []
    # Sorting all eligible pairs once by distance is the same as repeatedly picking the closest pair left;
    # ties go to the earlier slot, then the earlier volunteer, so the baseline is deterministic.
    for index in np.lexsort((vols, rows, km)).tolist():
        row, vol = int(rows[index]), int(vols[index])
        if row not in taken and left[vol] > 0:
            taken.add(row)
            left[vol] -= 1
            chosen.append((row, vol, float(km[index])))
    chosen.sort()
    return _plan(slots, volunteers, [c[0] for c in chosen], [c[1] for c in chosen], [c[2] for c in chosen])


def _eligible_pairs(slots: Sequence[Slot], volunteers: Sequence[Volunteer]) -> tuple[np.ndarray, ...]:
    """(slot index, volunteer index, km) for every eligible pair, as three aligned arrays."""
    empty = (np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), np.empty(0))
    if not slots or not volunteers:
        return empty
    s_lat = np.array([s.lat for s in slots], dtype=float)
    s_lon = np.array([s.lon for s in slots], dtype=float)
    v_lat = np.array([v.lat for v in volunteers], dtype=float)
    v_lon = np.array([v.lon for v in volunteers], dtype=float)
    # A negative radius reaches nothing, not even a slot at the volunteer's door (as eligible() says);
    # the tree is asked with zero and the exact test below uses the radius as given.
    radius = np.array([v.radius_km for v in volunteers], dtype=float)
    # Radius first, through a k-d tree of points on the sphere: the straight chord through the Earth grows
    # with the great-circle distance, so a ball of the chord's length finds every slot within reach
    # without measuring all slot-volunteer pairs. A hair of slack keeps rounding from losing a pair on
    # the edge; the exact test below drops anything the slack lets in.
    tree = cKDTree(_unit_vectors(s_lat, s_lon))
    chord = 2 * np.sin(np.clip(radius / EARTH_MEAN_RADIUS_KM, 0.0, np.pi) / 2) * (1 + 1e-9) + 1e-12
    volunteer_vectors = _unit_vectors(v_lat, v_lon)
    cells = len(slots) * len(volunteers)
    reachable = int(tree.query_ball_point(volunteer_vectors, chord, return_length=True).sum())
    if reachable == 0:
        return empty
    if cells <= MATRIX_CELLS_LIMIT and reachable >= cells * MATRIX_FILL:
        # One office's slots and volunteers usually share a city, and then most volunteers reach most
        # slots: measuring every pair at once in numpy beats listing a million pairs from the tree.
        km_all = haversine_km(s_lat[np.newaxis, :], s_lon[np.newaxis, :], v_lat[:, np.newaxis], v_lon[:, np.newaxis])
        ok = km_all <= radius[:, np.newaxis]
        ok &= _skills_and_trust(slots, volunteers)
        vols, rows = np.nonzero(ok)
        return rows, vols, km_all[vols, rows]
    found = tree.query_ball_point(volunteer_vectors, chord)
    counts = np.fromiter((len(hits) for hits in found), dtype=np.intp, count=len(volunteers))
    vols = np.repeat(np.arange(len(volunteers)), counts)
    rows = np.fromiter((row for hits in found for row in hits), dtype=np.intp, count=int(counts.sum()))
    km = haversine_km(s_lat[rows], s_lon[rows], v_lat[vols], v_lon[vols])
    keep = (km <= radius[vols]) & _skills_and_trust(slots, volunteers, rows, vols)
    return rows[keep], vols[keep], km[keep]


def _skills_and_trust(slots: Sequence[Slot], volunteers: Sequence[Volunteer], rows: np.ndarray | None = None,
                      vols: np.ndarray | None = None) -> np.ndarray:
    """The volunteer has every skill the slot asks for, and a slot in a home gets a vetted adult: per
    (rows[i], vols[i]) pair, or, without them, for every pair as a volunteers × slots matrix."""
    # Few distinct skill sets exist, so the subset test runs once per pair of sets, not once per pair.
    slot_sets, slot_group = _groups([s.skills for s in slots])
    vol_sets, vol_group = _groups([v.skills for v in volunteers])
    covers = np.array([[need <= have for need in slot_sets] for have in vol_sets], dtype=bool)
    in_home = np.array([s.in_home for s in slots], dtype=bool)
    trusted = np.array([v.vetted and v.adult for v in volunteers], dtype=bool)
    if rows is None or vols is None:
        return covers[vol_group][:, slot_group] & (~in_home[np.newaxis, :] | trusted[:, np.newaxis])
    return covers[vol_group[vols], slot_group[rows]] & (~in_home[rows] | trusted[vols])


def _groups(sets: list[frozenset[str]]) -> tuple[list[frozenset[str]], np.ndarray]:
    distinct: dict[frozenset[str], int] = {}
    group = np.fromiter((distinct.setdefault(s, len(distinct)) for s in sets), dtype=np.intp, count=len(sets))
    return list(distinct), group


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def _capacities(volunteers: Sequence[Volunteer]) -> np.ndarray:
    return np.array([max(int(v.capacity), 0) for v in volunteers], dtype=np.intp)


def _seats(volunteers: Sequence[Volunteer]) -> np.ndarray:
    """The volunteer index behind each seat (column) of the cost matrix."""
    return np.repeat(np.arange(len(volunteers)), _capacities(volunteers))


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """0..n-1 for each n in lengths, concatenated: [2, 3] → [0, 1, 0, 1, 2]."""
    ends = np.cumsum(lengths)
    return np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - lengths, lengths)


def _solve_dense(n_rows: int, n_cols: int, rows: np.ndarray, cols: np.ndarray, km: np.ndarray,
                 penalty: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """linear_sum_assignment on the full matrix, ineligible cells costing the penalty; the chosen
    eligible cells as (slot, seat, km)."""
    cost = np.full((n_rows, n_cols), penalty)
    cost[rows, cols] = km
    chosen_rows, chosen_cols = linear_sum_assignment(cost)
    chosen_km = cost[chosen_rows, chosen_cols]
    # A chosen cell at the penalty is no eligible edge (every trip is shorter): that slot stays unassigned.
    real = chosen_km < penalty
    return chosen_rows[real], chosen_cols[real], chosen_km[real]


def _solve_sparse(n_rows: int, n_cols: int, rows: np.ndarray, cols: np.ndarray, km: np.ndarray,
                  penalty: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same optimum over eligible edges only, each slot also given a private "nobody" seat."""
    # The private seat at the penalty is the dense matrix's penalty cells folded into one per slot: a
    # slot left unassigned costs the same either way, so the optimum is the same, and the solver no
    # longer walks a million cells that can never win. Every slot can always be matched (to its own
    # seat), which min_weight_full_bipartite_matching needs. The solver treats a zero weight as no
    # edge, so every real edge is shifted by 1 km; every maximum plan has the same number of edges,
    # so the shift moves all their totals alike and changes no choice (the penalty covers it too).
    nobody = np.arange(n_rows)
    graph = csr_array(
        (np.concatenate((km + 1.0, np.full(n_rows, penalty + n_rows))),
         (np.concatenate((rows, nobody)), np.concatenate((cols, n_cols + nobody)))),
        shape=(n_rows, n_cols + n_rows),
    )
    chosen_rows, chosen_cols = min_weight_full_bipartite_matching(graph)
    real = chosen_cols < n_cols  # a slot matched to its own "nobody" seat stays unassigned
    chosen_rows, chosen_cols = chosen_rows[real], chosen_cols[real]
    # Each edge's distance is looked up from the edge list, so the plan reports what eligibility saw.
    edge_keys = rows * n_cols + cols
    order = np.argsort(edge_keys)
    at = order[np.searchsorted(edge_keys[order], chosen_rows * n_cols + chosen_cols)]
    return chosen_rows, chosen_cols, km[at]


def _plan(slots: Sequence[Slot], volunteers: Sequence[Volunteer], rows: list[int], vols: list[int],
          km: list[float]) -> Plan:
    order = sorted(range(len(rows)), key=rows.__getitem__)
    assignments = [Assignment(slots[rows[i]].key, volunteers[vols[i]].key, km[i]) for i in order]
    assigned = set(rows)
    unassigned = [slot.key for index, slot in enumerate(slots) if index not in assigned]
    return Plan(assignments, unassigned, float(sum(km)))
