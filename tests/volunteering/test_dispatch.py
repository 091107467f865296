"""Dispatch plans: eligibility rules, optimality against brute force, and the greedy baseline."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random

import pytest
from geopy.distance import geodesic

from marketplace.volunteering import dispatch
from marketplace.volunteering.dispatch import Slot, Volunteer, eligible, greedy_plan, haversine_km, plan_dispatch

ALMATY = (43.2389, 76.8897)
SKILLS = ("car", "repairs", "childcare", "medical")
KM_PER_DEGREE_LAT = math.pi * dispatch.EARTH_MEAN_RADIUS_KM / 180


def north_of(origin: tuple[float, float], km: float) -> tuple[float, float]:
    """A point `km` due north of origin on the sphere (negative: south), for distances known exactly."""
    return (origin[0] + km / KM_PER_DEGREE_LAT, origin[1])


def sphere_km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """An independent scalar haversine, so brute force does not share the module's distance code."""
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b_lon - a_lon) / 2) ** 2
    return 2 * dispatch.EARTH_MEAN_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def random_case(rng: random.Random) -> tuple[list[Slot], list[Volunteer]]:
    def point() -> tuple[float, float]:
        return ALMATY[0] + rng.gauss(0, 0.08), ALMATY[1] + rng.gauss(0, 0.1)  # about 9 km either way

    slots = [Slot(f"s{i}", *point(), skills=frozenset(rng.sample(SKILLS, rng.choice((0, 0, 0, 1, 2)))),
                  in_home=rng.random() < 0.3) for i in range(rng.randint(1, 6))]
    volunteers = [Volunteer(f"v{j}", *point(), radius_km=rng.uniform(2, 25),
                            skills=frozenset(rng.sample(SKILLS, rng.choice((0, 1, 2, 3)))),
                            vetted=rng.random() < 0.5, adult=rng.random() < 0.8, capacity=rng.choice((1, 1, 1, 2)))
                  for j in range(rng.randint(1, 6))]
    return slots, volunteers


def brute_force(slots: list[Slot], volunteers: list[Volunteer]) -> tuple[int, float]:
    """(most slots assignable, least total km among plans assigning that many), by trying every plan."""
    options = []
    for slot in slots:
        reachable = [(j, sphere_km(slot.lat, slot.lon, v.lat, v.lon)) for j, v in enumerate(volunteers)]
        options.append([None] + [(j, km) for j, km in reachable if eligible(slot, volunteers[j], km)])
    best = (0, 0.0)
    for choice in itertools.product(*options):
        used = [pick[0] for pick in choice if pick is not None]
        if any(used.count(j) > volunteers[j].capacity for j in set(used)):
            continue
        candidate = (len(used), sum(pick[1] for pick in choice if pick is not None))
        if candidate[0] > best[0] or (candidate[0] == best[0] and candidate[1] < best[1]):
            best = candidate
    return best


def check_plan(plan: dispatch.Plan, slots: list[Slot], volunteers: list[Volunteer]) -> None:
    """Every assignment eligible, each slot at most once, no volunteer over capacity, totals consistent."""
    by_slot = {s.key: s for s in slots}
    by_volunteer = {v.key: v for v in volunteers}
    assigned = [a.slot for a in plan.assignments]
    assert len(assigned) == len(set(assigned))
    assert sorted(assigned + plan.unassigned) == sorted(by_slot)
    for a in plan.assignments:
        slot, volunteer = by_slot[a.slot], by_volunteer[a.volunteer]
        assert a.distance_km == pytest.approx(sphere_km(slot.lat, slot.lon, volunteer.lat, volunteer.lon), abs=1e-9)
        assert eligible(slot, volunteer, a.distance_km)
    for volunteer in volunteers:
        assert sum(a.volunteer == volunteer.key for a in plan.assignments) <= volunteer.capacity
    assert plan.total_km == pytest.approx(sum(a.distance_km for a in plan.assignments), abs=1e-9)


@pytest.fixture(params=["dense/tree", "sparse/tree", "dense/matrix", "sparse/matrix"])
def solver(request, monkeypatch):
    """Run a test through both solvers, with the eligible pairs found both ways; all must agree."""
    solve, pairs = request.param.split("/")
    monkeypatch.setattr(dispatch, "DENSE_CELLS_LIMIT", 10**12 if solve == "dense" else 0)
    monkeypatch.setattr(dispatch, "DENSE_FILL", math.inf)
    monkeypatch.setattr(dispatch, "MATRIX_FILL", 0.0 if pairs == "matrix" else math.inf)
    return request.param


def test_matrix_and_tree_find_the_same_eligible_pairs(monkeypatch):
    # A city-sized case where most volunteers reach most slots, with skills, homes and radii mixed.
    rng = random.Random(11)
    slots, volunteers = [], []
    for _ in range(40):
        some_slots, some_volunteers = random_case(rng)
        slots += some_slots
        volunteers += some_volunteers
    found = {}
    for way, fill in (("matrix", 0.0), ("tree", math.inf)):
        monkeypatch.setattr(dispatch, "MATRIX_FILL", fill)
        rows, vols, km = dispatch._eligible_pairs(slots, volunteers)
        found[way] = {(int(r), int(v)): float(k) for r, v, k in zip(rows, vols, km, strict=True)}
    assert len(found["tree"]) > 1000
    assert found["matrix"].keys() == found["tree"].keys()
    for pair, km in found["tree"].items():
        assert found["matrix"][pair] == pytest.approx(km, abs=1e-9)
        slot, volunteer = slots[pair[0]], volunteers[pair[1]]
        assert eligible(slot, volunteer, km)
    # And nothing eligible was left out.
    for i, slot in enumerate(slots):
        for j, volunteer in enumerate(volunteers):
            if eligible(slot, volunteer, sphere_km(slot.lat, slot.lon, volunteer.lat, volunteer.lon)):
                assert (i, j) in found["tree"]


def test_plan_equals_brute_force_optimum(solver):
    rng = random.Random(20240604)
    cases = [random_case(rng) for _ in range(300)]
    compared_partial = 0
    for slots, volunteers in cases:
        plan = plan_dispatch(slots, volunteers)
        check_plan(plan, slots, volunteers)
        most, least_km = brute_force(slots, volunteers)
        assert len(plan.assignments) == most
        assert plan.total_km == pytest.approx(least_km, abs=1e-6)
        compared_partial += 0 < most < len(slots)
    # The random cases must exercise plans where some slots cannot be filled, or the penalty is untested.
    assert compared_partial >= 30


def test_never_farther_than_greedy_and_never_fewer(solver):
    rng = random.Random(7)
    strictly_better = 0
    for _ in range(300):
        slots, volunteers = random_case(rng)
        plan, greedy = plan_dispatch(slots, volunteers), greedy_plan(slots, volunteers)
        check_plan(greedy, slots, volunteers)
        assert len(plan.assignments) >= len(greedy.assignments)
        if len(plan.assignments) == len(greedy.assignments):
            assert plan.total_km <= greedy.total_km + 1e-9
            strictly_better += plan.total_km < greedy.total_km - 1e-9
        else:
            strictly_better += 1
    assert strictly_better > 0


def test_optimal_beats_nearest_first_on_distance():
    # Slots at 0 and 10 km, volunteers at 9 and 20 km: nearest-first takes the 1 km pair and is then
    # left with 20 km (21 in all); the optimum pairs 0–9 and 10–20 for 19 km.
    slots = [Slot("a", *north_of(ALMATY, 0)), Slot("b", *north_of(ALMATY, 10))]
    volunteers = [Volunteer("near", *north_of(ALMATY, 9), radius_km=30),
                  Volunteer("far", *north_of(ALMATY, 20), radius_km=30)]
    greedy, plan = greedy_plan(slots, volunteers), plan_dispatch(slots, volunteers)
    assert [(a.slot, a.volunteer) for a in greedy.assignments] == [("a", "far"), ("b", "near")]
    assert greedy.total_km == pytest.approx(21, abs=1e-6)
    assert [(a.slot, a.volunteer) for a in plan.assignments] == [("a", "near"), ("b", "far")]
    assert plan.total_km == pytest.approx(19, abs=1e-6)


def test_optimal_fills_more_slots_than_nearest_first():
    # Only "near" can reach slot a; greedy gives "near" to b (closer) and a stays empty.
    slots = [Slot("a", *north_of(ALMATY, 0)), Slot("b", *north_of(ALMATY, 5))]
    volunteers = [Volunteer("near", *north_of(ALMATY, 4), radius_km=5),
                  Volunteer("other", *north_of(ALMATY, 8), radius_km=5)]
    assert greedy_plan(slots, volunteers).unassigned == ["a"]
    plan = plan_dispatch(slots, volunteers)
    assert plan.unassigned == []
    assert {(a.slot, a.volunteer) for a in plan.assignments} == {("a", "near"), ("b", "other")}


@pytest.mark.parametrize("needed, has, allowed", [
    (frozenset(), frozenset(), True),
    (frozenset({"car"}), frozenset({"car", "repairs"}), True),
    (frozenset({"car", "repairs"}), frozenset({"car"}), False),
    (frozenset({"medical"}), frozenset(), False),
])
def test_every_required_skill(solver, needed, has, allowed):
    slot = Slot("s", *ALMATY, skills=needed)
    volunteer = Volunteer("v", *north_of(ALMATY, 1), radius_km=5, skills=has)
    assert eligible(slot, volunteer, 1.0) is allowed
    assert len(plan_dispatch([slot], [volunteer]).assignments) == int(allowed)
    assert len(greedy_plan([slot], [volunteer]).assignments) == int(allowed)


def test_the_radius_itself_is_within_reach():
    assert eligible(Slot("s", *ALMATY), Volunteer("v", *ALMATY, radius_km=5.0), 5.0)


@pytest.mark.parametrize("radius_km", [-5.0, -0.001])
def test_a_negative_radius_reaches_nothing_not_even_next_door(solver, radius_km):
    slot, volunteer = Slot("s", *ALMATY), Volunteer("v", *ALMATY, radius_km=radius_km)
    assert not eligible(slot, volunteer, 0.0)
    assert plan_dispatch([slot], [volunteer]).assignments == []
    assert greedy_plan([slot], [volunteer]).assignments == []


def test_a_crowded_city_plan_with_the_default_solver_choice_is_the_optimum(monkeypatch):
    # More than DENSE_CELLS_LIMIT cells and most pairs in reach: the defaults take the matrix and the
    # dense solver; forcing the k-d tree and the sparse solver must give a plan just as good.
    rng = random.Random(3)
    slots, volunteers = [], []
    while len(slots) * sum(v.capacity for v in volunteers) <= dispatch.DENSE_CELLS_LIMIT:
        some_slots, some_volunteers = random_case(rng)
        slots += [dataclasses.replace(slot, key=f"{slot.key}-{len(slots)}") for slot in some_slots]
        volunteers += [dataclasses.replace(v, key=f"{v.key}-{len(volunteers)}") for v in some_volunteers]
    taken = []
    for name in ("_solve_dense", "_solve_sparse"):
        solve = getattr(dispatch, name)
        monkeypatch.setattr(dispatch, name, lambda *args, _solve=solve, _name=name: taken.append(_name) or _solve(*args))
    plan = plan_dispatch(slots, volunteers)
    assert taken == ["_solve_dense"]
    check_plan(plan, slots, volunteers)
    monkeypatch.setattr(dispatch, "DENSE_CELLS_LIMIT", 0)
    monkeypatch.setattr(dispatch, "DENSE_FILL", math.inf)
    monkeypatch.setattr(dispatch, "MATRIX_FILL", math.inf)
    sparse = plan_dispatch(slots, volunteers)
    assert taken == ["_solve_dense", "_solve_sparse"]
    assert len(plan.assignments) == len(sparse.assignments)
    assert plan.total_km == pytest.approx(sparse.total_km, abs=1e-6)


# Not exactly 5 km in a plan: the computed distance of a point placed 5 km away may round either way.
@pytest.mark.parametrize("km, allowed", [(0.0, True), (4.999, True), (5.001, False), (300.0, False)])
def test_within_the_volunteers_radius(solver, km, allowed):
    slot = Slot("s", *north_of(ALMATY, km))
    volunteer = Volunteer("v", *ALMATY, radius_km=5.0)
    assert eligible(slot, volunteer, km) is allowed
    plan = plan_dispatch([slot], [volunteer])
    assert len(plan.assignments) == int(allowed)
    if allowed:
        assert plan.total_km == pytest.approx(km, abs=1e-6)


@pytest.mark.parametrize("in_home, vetted, adult, allowed", [
    (False, False, False, True),
    (False, False, True, True),
    (True, False, True, False),
    (True, True, False, False),  # a vetted minor still never enters a home
    (True, False, False, False),
    (True, True, True, True),
])
def test_in_home_tasks_need_a_vetted_adult(solver, in_home, vetted, adult, allowed):
    slot = Slot("s", *ALMATY, in_home=in_home)
    volunteer = Volunteer("v", *north_of(ALMATY, 1), radius_km=5, vetted=vetted, adult=adult)
    assert eligible(slot, volunteer, 1.0) is allowed
    assert len(plan_dispatch([slot], [volunteer]).assignments) == int(allowed)
    assert len(greedy_plan([slot], [volunteer]).assignments) == int(allowed)


@pytest.mark.parametrize("capacity", [0, 1, 2, 3, 5])
def test_capacity_respected(solver, capacity):
    slots = [Slot(i, *north_of(ALMATY, i)) for i in range(4)]
    volunteers = [Volunteer("v", *ALMATY, radius_km=10, capacity=capacity)]
    for plan in (plan_dispatch(slots, volunteers), greedy_plan(slots, volunteers)):
        check_plan(plan, slots, volunteers)
        # The nearest slots go first: they are what the least total distance keeps.
        assert [a.slot for a in plan.assignments] == list(range(min(capacity, 4)))
        assert plan.unassigned == list(range(min(capacity, 4), 4))


def test_more_slots_than_volunteers_and_the_reverse(solver):
    slots = [Slot(i, *north_of(ALMATY, 2 * i)) for i in range(5)]
    volunteers = [Volunteer(f"v{j}", *north_of(ALMATY, 2 * j + 0.5), radius_km=50) for j in range(2)]
    plan = plan_dispatch(slots, volunteers)
    assert len(plan.assignments) == 2 and len(plan.unassigned) == 3
    assert plan.total_km == pytest.approx(1.0, abs=1e-6)
    plan = plan_dispatch(slots[:2], [*volunteers, *(Volunteer(f"w{j}", *ALMATY, radius_km=50) for j in range(5))])
    assert plan.unassigned == []
    assert plan.total_km == pytest.approx(0.5, abs=1e-6)  # a w* stands on slot 0; v1 is 0.5 km from slot 1


def test_empty_inputs(solver):
    slot, volunteer = Slot("s", *ALMATY), Volunteer("v", *ALMATY, radius_km=5)
    for plan_fn in (plan_dispatch, greedy_plan):
        assert plan_fn([], []) == dispatch.Plan([], [], 0.0)
        assert plan_fn([], [volunteer]) == dispatch.Plan([], [], 0.0)
        assert plan_fn([slot], []) == dispatch.Plan([], ["s"], 0.0)
        # A volunteer standing on the slot (0 km) is a real assignment, not a missing edge.
        assert plan_fn([slot], [volunteer]) == dispatch.Plan([dispatch.Assignment("s", "v", 0.0)], [], 0.0)


def test_haversine_within_half_a_percent_of_geodesic_across_kazakhstan():
    rng = random.Random(3)
    for _ in range(200):
        a = (rng.uniform(40.5, 55.5), rng.uniform(46.5, 87.3))
        b = (a[0] + rng.uniform(-0.5, 0.5), a[1] + rng.uniform(-0.7, 0.7))
        exact = geodesic(a, b).km
        assert abs(float(haversine_km(*a, *b)) - exact) <= 0.005 * exact
