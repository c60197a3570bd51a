"""The case-flow simulation: hand-computed cases, seeds, and more capacity never hurting."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rotation.whatif.simulate import Cases, Handover, run_cases


def _cases(arrival: list[int], work: list[float], length: list[float], deadline: int, owner=None) -> Cases:
    n = len(arrival)
    return Cases(
        year=np.zeros(n, dtype=int),
        arrival=np.array(arrival),
        owner=np.array(owner if owner is not None else [0] * n),
        work=np.array(work, dtype=float),
        length=np.array(length, dtype=float),
        deadline=np.array(arrival) + deadline,
    )


def test_one_worker_deadline_first_by_hand() -> None:
    # One worker, 4 h a day. Two cases open on day 0, each 8 h, due at once (length 1 day),
    # deadline 2 days. The first gets days 0 and 1 (closes day 1, in time); the second days 2
    # and 3 (closes day 3, one day late). At the end of its deadline day (day 2) 4 of its due
    # 8 h are still undone: that is the overtime that would have kept the deadline.
    cases = _cases([0, 0], [8, 8], [1, 1], deadline=2)
    out = run_cases(cases, np.full((1, 6), 4.0), np.ones(6, bool), years=1)
    assert out.close.tolist() == [1, 3]
    assert out.overtime.tolist() == [0.0, 4.0]


def test_pace_spreads_work_over_natural_length() -> None:
    # 10 h of work over a natural length of 5 days: 2 h a day are due, so with ample capacity the
    # case closes on day 4 (the fifth day), whatever the capacity.
    cases = _cases([0], [10], [5], deadline=10)
    for hours in (2.0, 8.0):
        out = run_cases(cases, np.full((1, 10), hours), np.ones(10, bool), years=1)
        assert out.close.tolist() == [4]


def test_days_off_and_open_counts() -> None:
    # Days 2 and 3 are a weekend: no work. Case of 3 h due at once, 1 h a day: days 0, 1, 4.
    cases = _cases([0], [3], [1], deadline=30)
    workdays = np.array([1, 1, 0, 0, 1, 1], bool)
    out = run_cases(cases, np.ones((1, 6)), workdays, years=1, sample_days=np.array([0, 4, 5]))
    assert out.close.tolist() == [4]
    assert out.open_counts[0, 0].tolist() == [1.0, 0.0, 0.0]


def test_handover_moves_open_cases() -> None:
    # Worker 0 has no time; on day 2 its case goes to worker 1 (2 h a day): 4 h -> closes day 3.
    cases = _cases([0], [4], [1], deadline=30)
    cap = np.array([[0.0] * 6, [2.0] * 6])
    out = run_cases(cases, cap, np.ones(6, bool), years=1, handovers=[Handover(2, 0, (1,))])
    assert out.close.tolist() == [3]
    assert out.owner.tolist() == [1]


def test_years_are_independent() -> None:
    cases = Cases(
        year=np.array([0, 1]),
        arrival=np.array([0, 0]),
        owner=np.array([0, 0]),
        work=np.array([4.0, 8.0]),
        length=np.array([1.0, 1.0]),
        deadline=np.array([5, 5]),
    )
    out = run_cases(cases, np.full((1, 5), 4.0), np.ones(5, bool), years=2)
    assert out.close.tolist() == [0, 1]


@settings(max_examples=40, deadline=None)
@given(
    arrivals=st.lists(st.integers(0, 20), min_size=1, max_size=25),
    works=st.lists(st.floats(0.5, 12), min_size=25, max_size=25),
    lengths=st.lists(st.floats(1, 15), min_size=25, max_size=25),
    owners=st.lists(st.integers(0, 1), min_size=25, max_size=25),
    base=st.floats(0.5, 6),
    extra=st.floats(0, 6),
)
def test_more_capacity_never_makes_deadlines_worse(arrivals, works, lengths, owners, base, extra) -> None:
    n = len(arrivals)
    arrival = sorted(arrivals)
    cases = _cases(arrival, works[:n], lengths[:n], deadline=10, owner=owners[:n])
    days = 80
    low = run_cases(cases, np.full((2, days), base), np.ones(days, bool), years=1)
    high = run_cases(cases, np.full((2, days), base + extra), np.ones(days, bool), years=1)
    late_low = np.maximum(low.close - cases.deadline, 0)
    late_high = np.maximum(high.close - cases.deadline, 0)
    assert (high.close <= cases.deadline).sum() >= (low.close <= cases.deadline).sum()
    assert late_high.sum() <= late_low.sum()


def test_per_year_figures_are_per_52_weeks_on_a_shorter_horizon() -> None:
    """17 three-week periods are 51 weeks: a person's uninterrupted weeks and overtime are
    scaled to a year of 52, so organisations with other period lengths compare fairly."""
    from dataclasses import replace
    from pathlib import Path

    from rotation.read import load_unit
    from rotation.rota import assign_managers, strict_cycle
    from rotation.solve import prepare
    from rotation.whatif.simulate import flow_setup, simulate

    unit = load_unit(Path(__file__).resolve().parent.parent / "examples" / "municipality-c")
    unit = replace(unit, rules=replace(unit.rules, period_weeks=3, weeks=51), pins=())
    planning = prepare(unit)
    setup = flow_setup(planning, assign_managers(planning.coverage, strict_cycle(planning.grid)))
    sim = simulate(setup, 2, 0)
    worked = (setup.capacity.sum(axis=1) > 0) | (np.array(setup.worker_team) == "intake")
    assert setup.horizon_days == 51 * 7
    assert np.isclose(sim.protected_weeks_per_person, setup.protected_weeks[worked].mean() * 52 / 51)
