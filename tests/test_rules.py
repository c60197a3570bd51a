"""Each hard rule alone, with a case where a rota exists and one where none can, plus the
objective's visible behaviour (the strict cycle, fewer acting days) and determinism.

Unless a test says otherwise the unit is three teams A, B, C of a manager ``m<team>`` and three
social workers ``<team>1..3`` (``<team>1`` a senior and the team's deputy), 12 weeks of two-week
periods from 2027-09-06, min_present 2, no min_rest and no personal duty grid (see helpers.py);
the duty-grid section switches it on.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from helpers import (
    MUNICIPALITY_C,
    START,
    away,
    away_in_period,
    manager_id,
    period_end,
    period_start,
    solve_folder,
    staff_for,
    team_staff,
    unit_toml,
    weekdays_between,
    without_duty,
    worker_id,
)

from rotation.metrics import rota_metrics
from rotation.outputs import duty_rows, officer_rows, rota_rows
from rotation.validate import validate_rows

FEASIBLE = ("OPTIMAL", "FEASIBLE")


def label(p: int, period_weeks: int = 2) -> str:
    """A period as the explanations write it."""
    return f"{period_start(p, period_weeks)}–{period_end(p, period_weeks)}"


def assert_valid(solved) -> None:
    """The planner's rota passes the independent validator."""
    rota = solved.result.rota
    assert rota is not None, (solved.result.status, solved.result.conflicts)
    assert validate_rows(solved.unit, rota_rows(solved.planning, rota), duty_rows(rota)) == []


def assert_infeasible(solved) -> str:
    """No rota, a reason; returns all conflict sentences as one text."""
    assert solved.result.status == "INFEASIBLE"
    assert solved.result.rota is None
    assert solved.result.conflicts, "an infeasible unit must be explained"
    return "\n".join(solved.result.conflicts)


def gaps_in_weeks(on_intake, team: str, period_weeks: int = 2) -> list[int]:
    periods = [p for p, teams in enumerate(on_intake) if team in teams]
    return [(b - a - 1) * period_weeks for a, b in itertools.pairwise(periods)]


# --- rule 1: exactly teams_on_duty teams in every period -------------------------------------


def test_teams_on_duty_two_of_three(make_unit):
    solved = solve_folder(make_unit(unit_toml(teams_on_duty=2), staff_for("ABC")))
    assert solved.result.status in FEASIBLE
    assert len(solved.on_intake) == 6
    for teams in solved.on_intake:
        assert len(teams) == 2 and len(set(teams)) == 2
        assert set(teams) <= {"A", "B", "C"}
    assert_valid(solved)


def test_teams_on_duty_one_understaffed_team_is_left_out(make_unit):
    # Team B has only b1 in period 1: the two teams on intake must be A and C.
    absences = [away_in_period("b2", 1), away_in_period("b3", 1, "sick")]
    solved = solve_folder(make_unit(unit_toml(teams_on_duty=2), staff_for("ABC"), absences))
    assert solved.result.status in FEASIBLE
    assert solved.on_intake[1] == ("A", "C")
    assert all(len(teams) == 2 for teams in solved.on_intake)
    assert_valid(solved)


def test_teams_on_duty_infeasible_when_only_one_team_can_take_intake(make_unit):
    # Teams B and C are both understaffed in period 1, but two teams are needed.
    absences = [away_in_period(p, 1) for p in ("b2", "b3", "c2", "c3")]
    solved = solve_folder(make_unit(unit_toml(teams_on_duty=2), staff_for("ABC"), absences))
    text = assert_infeasible(solved)
    line = next(c for c in solved.result.conflicts if c.startswith(label(1)))
    assert "team B" in line and "team C" in line
    assert "needs 2" in line
    assert "team A" not in text


# --- rule 2: min_rest_weeks ------------------------------------------------------------------


def test_min_rest_two_teams_cannot_rest_four_weeks(make_unit):
    toml = unit_toml(teams=("A", "B"), min_rest_weeks=4)
    solved = solve_folder(make_unit(toml, staff_for("AB")))
    text = assert_infeasible(solved)
    assert "4 weeks" in text
    assert "team A" in text and "team B" in text


def test_min_rest_three_teams_can_rest_four_weeks(make_unit):
    toml = unit_toml(teams=("A", "B", "C"), min_rest_weeks=4)
    solved = solve_folder(make_unit(toml, staff_for("ABC")))
    assert solved.result.status in FEASIBLE
    for team in "ABC":
        assert gaps_in_weeks(solved.on_intake, team), f"team {team} should be on intake twice"
        assert min(gaps_in_weeks(solved.on_intake, team)) >= 4
    assert_valid(solved)


def test_min_rest_two_teams_alternate_with_two_weeks(make_unit):
    toml = unit_toml(teams=("A", "B"), min_rest_weeks=2)
    solved = solve_folder(make_unit(toml, staff_for("AB")))
    assert solved.result.status in FEASIBLE
    assert all(a != b for a, b in itertools.pairwise(solved.on_intake))
    assert_valid(solved)


def test_min_rest_not_a_multiple_of_the_period_rounds_up(make_unit):
    # 3 weeks of rest cannot be had with 2-week periods and 2 teams: the rest would be 2 weeks.
    toml = unit_toml(teams=("A", "B"), min_rest_weeks=3)
    solved = solve_folder(make_unit(toml, staff_for("AB")))
    assert "3 weeks" in assert_infeasible(solved)


def test_min_rest_one_week_periods(make_unit):
    # One-week periods and min_rest 2: each team rests at least two periods; 3 teams must cycle.
    toml = unit_toml(teams=("A", "B", "C"), period_weeks=1, weeks=9, min_rest_weeks=2)
    solved = solve_folder(make_unit(toml, staff_for("ABC")))
    assert solved.result.status in FEASIBLE
    for team in "ABC":
        assert min(gaps_in_weeks(solved.on_intake, team, 1)) >= 2
    assert_valid(solved)


# --- rule 3: min_present, seasons, new hires, part-timers ------------------------------------


def test_min_present_understaffed_team_skips_the_period(make_unit):
    # Without the rule, the tie-break would take the familiar cycle A, B, C, A, B, C.
    absences = [away_in_period("b2", 1), away_in_period("b3", 1)]
    solved = solve_folder(make_unit(unit_toml(), staff_for("ABC"), absences))
    assert solved.result.status in FEASIBLE
    assert "B" not in solved.on_intake[1]
    assert_valid(solved)


def test_min_present_every_team_understaffed_is_infeasible(make_unit):
    absences = [away_in_period(worker_id(t, 3), 2, "sick") for t in "ABC"]
    absences += [away(worker_id(t, 2), "2027-10-06", "2027-10-06", "training") for t in "ABC"]
    solved = solve_folder(make_unit(unit_toml(), staff_for("ABC"), absences))
    text = assert_infeasible(solved)
    assert label(2) in text
    for team in "ABC":
        assert f"team {team} has 1 social worker present on 2027-10-06, needs 2" in text


def test_min_present_counts_seniors_but_not_managers(make_unit):
    # A team of a manager, one senior and one social worker has 2 social workers, not 3.
    staff = [*team_staff("A", 2), *team_staff("B", 2)]
    solved = solve_folder(make_unit(unit_toml(teams=("A", "B"), min_present=2), staff))
    assert solved.result.status in FEASIBLE
    solved = solve_folder(make_unit(unit_toml(teams=("A", "B"), min_present=3), staff))
    assert "needs 3" in assert_infeasible(solved)


def test_season_lowers_min_present(make_unit):
    # One of each team's three social workers is away in period 2; min_present is 3.
    absences = [away_in_period(worker_id(t, 3), 2) for t in "ABC"]
    staff = staff_for("ABC")
    without = solve_folder(make_unit(unit_toml(min_present=3), staff, absences))
    assert label(2) in assert_infeasible(without)

    season = [(period_start(2), period_end(2), 2)]
    with_season = solve_folder(make_unit(unit_toml(min_present=3, seasons=season), staff, absences))
    assert with_season.result.status in FEASIBLE
    assert_valid(with_season)
    team = with_season.on_intake[2][0]
    rows = [d for d in with_season.result.rota.duty_days if d.period == 2]
    assert rows and all(d.present == 2 and d.team == team for d in rows)


def test_season_covering_part_of_a_period_is_not_enough(make_unit):
    # The season lowers min_present in the first week of period 2 only; the second week needs 3.
    absences = [away_in_period(worker_id(t, 3), 2) for t in "ABC"]
    season = [(period_start(2), period_start(2) + timedelta(days=6), 2)]
    solved = solve_folder(make_unit(unit_toml(min_present=3, seasons=season), staff_for("ABC"), absences))
    text = assert_infeasible(solved)
    second_week = period_start(2) + timedelta(days=7)
    assert f"present on {second_week}, needs 3" in text


def test_new_hires_in_introduction_do_not_count(make_unit):
    # Each team's third social worker started 2027-08-16: with 8 introduction weeks they count
    # from 2027-10-11, so period 0 (from 2027-09-06) has only 2 counted social workers.
    staff = staff_for("ABC")
    for row in staff:
        if row["id"].endswith("3"):
            row["start"] = "2027-08-16"
    solved = solve_folder(make_unit(unit_toml(min_present=3), staff))
    text = assert_infeasible(solved)
    assert "team A has 2 social workers present on 2027-09-06, needs 3" in text

    solved = solve_folder(make_unit(unit_toml(min_present=3, introduction_weeks=2), staff))
    assert solved.result.status in FEASIBLE
    assert_valid(solved)


def test_one_new_hire_keeps_only_their_team_off_intake(make_unit):
    # a3 counts from 2027-10-11 (introduction_weeks 8): team A cannot take periods 0, 1 or 2
    # (period 2 starts 2027-10-04) but may later; with min_present 3 every team needs all three.
    staff = staff_for("ABC")
    staff[3]["start"] = "2027-08-16"
    assert staff[3]["id"] == "a3"
    solved = solve_folder(make_unit(unit_toml(min_present=3, target_rest_weeks=2), staff))
    assert solved.result.status in FEASIBLE
    assert all("A" not in solved.on_intake[p] for p in (0, 1, 2))
    assert any("A" in solved.on_intake[p] for p in (3, 4, 5))
    assert_valid(solved)


def test_new_hire_not_yet_employed_is_not_present(make_unit):
    # a3 starts on 2027-09-20 (period 1); introduction_weeks 0: A is short in period 0 only.
    staff = staff_for("ABC")
    staff[3]["start"] = "2027-09-20"
    toml = unit_toml(
        teams=("A", "B", "C"), min_present=3, introduction_weeks=0, pins=[(period_start(0), "A")]
    )
    solved = solve_folder(make_unit(toml, staff))
    text = assert_infeasible(solved)
    assert "team A has 2 social workers present on 2027-09-06, needs 3" in text
    assert f"team A is pinned to {label(0)}" in text


def test_leaver_is_not_present_after_end(make_unit):
    staff = staff_for("AB")
    staff[3]["end"] = "2027-10-01"  # a3 leaves during period 1
    toml = unit_toml(teams=("A", "B"), min_present=3, pins=[(period_start(2), "A")])
    solved = solve_folder(make_unit(toml, staff))
    text = assert_infeasible(solved)
    assert "team A has 2 social workers present on 2027-10-04, needs 3" in text


def test_part_timer_is_not_present_on_fridays(make_unit):
    # a3 works Monday–Thursday: with min_present 3 team A is short every Friday.
    staff = staff_for("ABC")
    staff[3]["weekdays"] = "mon,tue,wed,thu"
    solved = solve_folder(make_unit(unit_toml(min_present=3), staff))
    assert solved.result.status in FEASIBLE
    assert all("A" not in teams for teams in solved.on_intake)
    assert_valid(solved)

    coverage = solved.planning.coverage.cell("A", 0)
    fridays = [d for d in coverage.workdays if d.weekday() == 4]
    assert [g.day for g in coverage.staffing_gaps] == fridays


def test_part_timers_in_every_team_is_infeasible(make_unit):
    staff = staff_for("ABC")
    for row in staff:
        if row["id"].endswith("3"):
            row["weekdays"] = "mon,tue,wed,thu"
    text = assert_infeasible(solve_folder(make_unit(unit_toml(min_present=3), staff)))
    friday = date(2027, 9, 10)
    for team in "ABC":
        assert f"team {team} has 2 social workers present on {friday}, needs 3" in text


def test_part_timer_counted_on_their_days(make_unit):
    # Team A of four: a4 works Monday–Thursday; A is pinned to period 0.
    staff = [*team_staff("A", 4), *team_staff("B", 3)]
    staff[4]["weekdays"] = "mon,tue,wed,thu"
    assert staff[4]["id"] == "a4"
    toml = unit_toml(teams=("A", "B"), min_present=3, pins=[(period_start(0), "A")])
    solved = solve_folder(make_unit(toml, staff))
    assert solved.on_intake[0] == ("A",)
    for d in weekdays_between(period_start(0), period_end(0)):
        (row,) = solved.rows_of("A", d)
        assert row.present == (3 if d.weekday() == 4 else 4), d
    assert_valid(solved)


def test_full_week_part_timer_spelled_out_counts_on_fridays(make_unit):
    staff = staff_for("ABC")
    staff[3]["weekdays"] = "mon,tue,wed,thu,fri"
    solved = solve_folder(make_unit(unit_toml(min_present=3, pins=[(period_start(0), "A")]), staff))
    assert solved.result.status in FEASIBLE
    assert solved.on_intake[0] == ("A",)


# --- rule 4: a manager on every duty day ------------------------------------------------------


def test_manager_away_deputy_acts(make_unit):
    # ma is away on Wednesday 2027-09-08; team A is pinned to period 0.
    toml = unit_toml(pins=[(period_start(0), "A")])
    absences = [away("ma", "2027-09-08", "2027-09-08", "sick")]
    solved = solve_folder(make_unit(toml, staff_for("ABC"), absences))
    assert solved.on_intake[0] == ("A",)
    for d in weekdays_between(period_start(0), period_end(0)):
        (row,) = solved.rows_of("A", d)
        if d == date(2027, 9, 8):
            assert (row.manager, row.acting) == ("a1", True)
        else:
            assert (row.manager, row.acting) == ("ma", False)
    assert_valid(solved)


def test_deputies_act_in_order_of_preference(make_unit):
    # ma away all of period 0; A's deputies are a1 then a2. a1 is away in the first week.
    toml = unit_toml(deputies={"A": ["a1", "a2"], "B": ["b1"], "C": ["c1"]}, pins=[(period_start(0), "A")])
    absences = [away_in_period("ma", 0), away("a1", "2027-09-06", "2027-09-10")]
    solved = solve_folder(make_unit(toml, staff_for("ABC"), absences))
    managers = {d: solved.rows_of("A", d)[0] for d in weekdays_between(period_start(0), period_end(0))}
    for d, row in managers.items():
        assert row.acting
        assert row.manager == ("a2" if d <= date(2027, 9, 10) else "a1"), d
    assert_valid(solved)


def test_manager_and_deputies_away_team_never_on_intake_then(make_unit):
    # Two teams with min_rest 2 must alternate; A's manager and deputy are away in period 0,
    # so the only rota is B, A, B, A, B, A.
    toml = unit_toml(teams=("A", "B"), min_rest_weeks=2)
    absences = [away_in_period("ma", 0), away_in_period("a1", 0, "leave")]
    solved = solve_folder(make_unit(toml, staff_for("AB"), absences))
    assert solved.on_intake == (("B",), ("A",), ("B",), ("A",), ("B",), ("A",))
    assert_valid(solved)


def test_manager_and_deputies_away_two_periods_is_infeasible(make_unit):
    toml = unit_toml(teams=("A", "B"), min_rest_weeks=2)
    absences = [away("ma", period_start(0), period_end(1)), away("a1", period_start(0), period_end(1))]
    text = assert_infeasible(solve_folder(make_unit(toml, staff_for("AB"), absences)))
    assert "team A's manager ma and deputies a1 are away" in text


def test_all_managers_and_deputies_away_the_same_fortnight(make_unit):
    absences = [away_in_period(p, 2) for t in "ABC" for p in (manager_id(t), worker_id(t, 1))]
    solved = solve_folder(make_unit(unit_toml(), staff_for("ABC"), absences))
    assert_infeasible(solved)
    (sentence,) = [c for c in solved.result.conflicts if label(2) in c]
    assert sentence.startswith("2027-10-04–2027-10-17")
    for team in "ABC":
        assert (
            f"team {team}'s manager {manager_id(team)} and deputies {worker_id(team, 1)} are away" in sentence
        )
    assert "2027-10-04" in sentence


def test_all_managers_away_but_one_deputy_present(make_unit):
    # The same fortnight, but team B's deputy is at work: B takes period 2 with b1 acting.
    absences = [away_in_period(p, 2) for p in ("ma", "a1", "mb", "mc", "c1")]
    solved = solve_folder(make_unit(unit_toml(), staff_for("ABC"), absences))
    assert solved.on_intake[2] == ("B",)
    rows = [d for d in solved.result.rota.duty_days if d.period == 2]
    assert rows and all(d.manager == "b1" and d.acting for d in rows)
    assert_valid(solved)


def test_team_without_deputies_needs_its_manager(make_unit):
    toml = unit_toml(deputies={}, pins=[(period_start(1), "A")])
    absences = [away("ma", "2027-09-22", "2027-09-22")]
    text = assert_infeasible(solve_folder(make_unit(toml, staff_for("ABC"), absences)))
    assert "team A's manager ma is away on 2027-09-22" in text
    assert f"team A is pinned to {label(1)}" in text


def test_deputy_who_manages_an_intake_team_cannot_act_for_another(make_unit):
    # Two teams on duty; ma is away in period 0 and A's only deputy is mb, B's manager.
    # With A pinned to period 0, B cannot be on intake then: mb cannot manage both.
    toml = unit_toml(teams_on_duty=2, deputies={"A": ["mb"]}, pins=[(period_start(0), "A")])
    absences = [away_in_period("ma", 0)]
    solved = solve_folder(make_unit(toml, staff_for("ABC"), absences))
    assert solved.on_intake[0] == ("A", "C")
    for d in weekdays_between(period_start(0), period_end(0)):
        (row,) = solved.rows_of("A", d)
        assert (row.manager, row.acting) == ("mb", True)
    assert_valid(solved)


def test_deputy_who_manages_an_intake_team_pinned_both_is_infeasible(make_unit):
    pins = [(period_start(0), "A"), (period_start(0), "B")]
    toml = unit_toml(teams_on_duty=2, deputies={"A": ["mb"]}, pins=pins)
    solved = solve_folder(make_unit(toml, staff_for("ABC"), [away_in_period("ma", 0)]))
    text = assert_infeasible(solved)
    assert "team A's manager ma is away" in text
    assert "mb" in text
    assert f"team A is pinned to {label(0)}" in text
    assert f"team B is pinned to {label(0)}" in text


def test_one_deputy_cannot_act_for_two_teams_the_same_day(make_unit):
    # c1 is the only deputy of A and of B; both managers are away on 2027-09-08 only.
    # Two teams on duty: A and B may not be on intake together in period 0.
    toml = unit_toml(teams_on_duty=2, deputies={"A": ["c1"], "B": ["c1"]})
    absences = [away("ma", "2027-09-08", "2027-09-08"), away("mb", "2027-09-08", "2027-09-08")]
    solved = solve_folder(make_unit(toml, staff_for("ABC"), absences))
    assert solved.result.status in FEASIBLE
    assert set(solved.on_intake[0]) != {"A", "B"}
    for d in weekdays_between(START, START + timedelta(weeks=12)):
        managers = [row.manager for row in solved.result.rota.duty_days if row.date == d]
        assert len(managers) == len(set(managers)), d
    assert_valid(solved)

    pins = [(period_start(0), "A"), (period_start(0), "B")]
    toml = unit_toml(teams_on_duty=2, deputies={"A": ["c1"], "B": ["c1"]}, pins=pins)
    text = assert_infeasible(solve_folder(make_unit(toml, staff_for("ABC"), absences)))
    assert "c1" in text


# --- rule 5: pins -----------------------------------------------------------------------------


def test_pin_respected(make_unit):
    # Without pins the tie-break gives A, B, C, A, B, C; pin C to period 0 and B to period 5.
    toml = unit_toml(pins=[(period_start(0), "C"), (period_start(5), "B")])
    solved = solve_folder(make_unit(toml, staff_for("ABC")))
    assert solved.on_intake[0] == ("C",)
    assert solved.on_intake[5] == ("B",)
    assert_valid(solved)


def test_pin_with_two_teams_on_duty(make_unit):
    toml = unit_toml(teams_on_duty=2, pins=[(period_start(1), "C"), (period_start(1), "B")])
    solved = solve_folder(make_unit(toml, staff_for("ABC")))
    assert solved.on_intake[1] == ("B", "C")
    assert_valid(solved)


def test_pin_on_understaffed_team_is_infeasible(make_unit):
    toml = unit_toml(pins=[(period_start(1), "B")])
    absences = [away_in_period("b2", 1), away_in_period("b3", 1, "sick")]
    solved = solve_folder(make_unit(toml, staff_for("ABC"), absences))
    text = assert_infeasible(solved)
    assert f"team B is pinned to {label(1)}" in solved.result.conflicts
    assert f"{label(1)}: team B has 1 social worker present on {period_start(1)}, needs 2" in text


def test_pins_clashing_with_min_rest_are_infeasible(make_unit):
    toml = unit_toml(min_rest_weeks=2, pins=[(period_start(3), "A"), (period_start(4), "A")])
    text = assert_infeasible(solve_folder(make_unit(toml, staff_for("ABC"))))
    assert f"team A is pinned to {label(3)}" in text
    assert f"team A is pinned to {label(4)}" in text
    assert "team A needs at least 2 weeks off intake" in text


# --- with the personal duty grid (duty_per_day > 0) ----------------------------------------


def test_duty_grid_shortage_in_every_team_is_explained_per_team(make_unit):
    # Two officers a day are needed; in period 1 each team has one social worker present.
    # The explanation must say, per team, why it cannot take the period (as for min_present).
    toml = unit_toml(teams=("A", "B"), min_present=1, duty_per_day=2)
    absences = [away_in_period(p, 1) for p in ("a2", "a3", "b2", "b3")]
    solved = solve_folder(make_unit(toml, staff_for("AB"), absences))
    text = assert_infeasible(solved)
    line = next(c for c in solved.result.conflicts if c.startswith(label(1)))
    for team in "AB":
        assert f"team {team} has one social worker present on {period_start(1)}, duty needs 2" in line, text


def test_duty_grid_is_planned_and_valid(make_unit):
    toml = unit_toml(teams=("A", "B", "C"), min_rest_weeks=2, duty_per_day=2)
    solved = solve_folder(make_unit(toml, staff_for("ABC", 4), [away_in_period("a2", 0)]))
    assert solved.result.status in FEASIBLE
    rota = solved.result.rota
    assert len(rota.officers) == 2 * len(rota.duty_days)
    for day in rota.duty_days:
        officers = [o.person for o in rota.officers if o.date == day.date and o.team == day.team]
        assert len(set(officers)) == 2
        assert all(o.startswith(day.team.lower()) for o in officers)
        if day.date <= period_end(0):
            assert "a2" not in officers  # away
    assert (
        validate_rows(solved.unit, rota_rows(solved.planning, rota), duty_rows(rota), officer_rows(rota))
        == []
    )


# --- the objective ----------------------------------------------------------------------------


def test_target_rest_gives_a_strict_cycle(make_unit):
    solved = solve_folder(make_unit(unit_toml(target_rest_weeks=4), staff_for("ABC")))
    assert solved.result.status == "OPTIMAL"
    for team in "ABC":
        assert gaps_in_weeks(solved.on_intake, team) == [4]
    assert all(solved.on_intake[p] == solved.on_intake[p + 3] for p in range(3))
    # All teams are alike and the horizon has no holidays: the tie-break keeps team order.
    assert solved.on_intake == (("A",), ("B",), ("C",), ("A",), ("B",), ("C",))
    assert rota_metrics(solved.planning, solved.result.rota).rest_shortfall_weeks == 0


def test_target_rest_strict_cycle_of_four_teams_over_a_year(make_unit):
    toml = unit_toml(teams=("A", "B", "C", "D"), target_rest_weeks=6, weeks=52, start="2027-01-04")
    solved = solve_folder(make_unit(toml, staff_for("ABCD")))
    assert solved.result.status in FEASIBLE
    for team in "ABCD":
        assert set(gaps_in_weeks(solved.on_intake, team)) == {6}
    assert_valid(solved)


def test_rest_shortfall_is_minimised_when_the_target_cannot_be_met(make_unit):
    # Two teams, target 4 weeks: alternating gives 2 weeks short per gap, the least possible.
    solved = solve_folder(make_unit(unit_toml(teams=("A", "B"), target_rest_weeks=4), staff_for("AB")))
    assert all(a != b for a, b in itertools.pairwise(solved.on_intake))
    assert rota_metrics(solved.planning, solved.result.rota).rest_shortfall_weeks == 4 * 2
    assert solved.result.stages[0].name == "rest"
    assert solved.result.stages[0].value == pytest.approx(8)


def test_acting_days_avoided_when_nothing_else_differs(make_unit):
    # ma is away all of period 0 (a1 could act); the cycle can start with B or C at no cost.
    toml = unit_toml(target_rest_weeks=4)
    solved = solve_folder(make_unit(toml, staff_for("ABC"), [away_in_period("ma", 0)]))
    assert "A" not in solved.on_intake[0]
    assert "A" not in solved.on_intake[3]
    assert not any(d.acting for d in solved.result.rota.duty_days)
    assert solved.result.stages[4].name == "acting_days"
    assert solved.result.stages[4].value == 0


def test_same_unit_twice_gives_the_same_rota(synthetic_unit):
    folder = without_duty(synthetic_unit(teams=4, years=1, staff=24, seed=7, min_present=2))
    first, second = solve_folder(folder), solve_folder(folder)
    assert first.result.status in FEASIBLE
    assert first.result.rota == second.result.rota
    assert_valid(first)


def test_same_unit_in_two_folders_gives_the_same_rota(make_unit):
    absences = [away_in_period("ma", 1), away("b2", "2027-10-05", "2027-10-20", "leave")]
    toml = unit_toml(teams=("A", "B", "C"), min_rest_weeks=2)
    one = solve_folder(make_unit(toml, staff_for("ABC"), absences))
    two = solve_folder(make_unit(toml, staff_for("ABC"), absences))
    assert one.result.rota == two.result.rota


def test_same_unit_twice_gives_the_same_duty_grid(make_unit):
    # With the personal duty grid planned too, the officers of every day are the same each time.
    absences = [
        away_in_period("a2", 1),
        away("b3", "2027-10-05", "2027-10-20", "leave"),
        away_in_period("mc", 2),
    ]
    toml = unit_toml(teams=("A", "B", "C"), min_rest_weeks=2, duty_per_day=2)
    folder = make_unit(toml, staff_for("ABC", 4), absences)
    first, second = solve_folder(folder), solve_folder(folder)
    assert first.result.status in FEASIBLE
    assert first.result.rota.officers, "the duty grid is planned"
    # The promise: the same grid, unless the clock cut a team's work (a machine far slower or
    # busier than the rates assume), and then the plan says so.
    cut = {**first.result.clock_cut, **second.result.clock_cut}
    assert first.result.rota == second.result.rota or cut, "different grids, and no clock cut reported"


def test_a_clock_far_behind_the_rates_shrinks_the_duty_grids_work(monkeypatch):  # type: ignore[no-untyped-def]
    # The duty grid's work is fixed by the input; only a clock that has fallen far behind it
    # (a machine much slower than the rates assume) cuts it, and the grid stays valid.
    import rotation.solve as solve

    # The normal run as if no time had passed at all, so a busy machine cannot cut it too.
    monkeypatch.setattr(solve._Run, "left", lambda self: self.time_limit)
    normal = solve_folder(MUNICIPALITY_C, time_limit=6.0)
    assert not normal.result.clock_cut
    monkeypatch.setattr(solve._Run, "left", lambda self: 0.9)  # (as if 5.1 s had gone already)
    late = solve_folder(MUNICIPALITY_C, time_limit=6.0)
    for solved in (normal, late):
        assert solved.result.rota is not None and solved.result.rota.officers
        rota = solved.result.rota
        rows = rota_rows(solved.planning, rota)
        assert validate_rows(solved.unit, rows, duty_rows(rota), officer_rows(rota)) == []

    def duty_work(solved) -> float:  # type: ignore[no-untyped-def]
        return sum(s.work for s in solved.result.stages if " " in s.name)

    # (Not to nothing: each balance stage keeps a floor, and each check its fixed work.)
    assert duty_work(late) < 0.75 * duty_work(normal), (duty_work(late), duty_work(normal))
    # ... and the plan says so, team by team (the terminal summary and summary.json show it).
    assert set(late.result.clock_cut) == {"A", "B", "C"}
    assert all(0 <= share < 1 for share in late.result.clock_cut.values()), late.result.clock_cut


def test_two_teams_on_intake_share_the_new_investigations(make_unit):  # type: ignore[no-untyped-def]
    # With two teams on intake at a time, each takes half the week's new investigations: the
    # teams' expected new investigations add up to the horizon's, and so do the officers'
    # (each team was charged all of them, doubling the caseload the balance saw).
    toml = unit_toml(teams=("A", "B", "C", "D"), teams_on_duty=2, min_rest_weeks=2, duty_per_day=2)
    solved = solve_folder(make_unit(toml, staff_for("ABCD", 4)))
    assert solved.result.status in FEASIBLE
    metrics = rota_metrics(solved.planning, solved.result.rota)
    total = float(solved.planning.demand.new_investigations.sum())
    assert sum(t.new_investigations for t in metrics.teams) == pytest.approx(total, abs=0.5)
    assert sum(p.expected_new_investigations for p in metrics.people) == pytest.approx(total, abs=0.5)


def test_open_cases_given_for_some_staff_count_with_the_others_estimates(tmp_path):  # type: ignore[no-untyped-def]
    # open_cases in staff.csv for two of team A's four social workers: the team starts with
    # theirs plus the other two's estimated share (it started with the two given alone).
    import shutil

    from rotation.read import load_unit
    from rotation.solve import prepare

    unit_dir = shutil.copytree(MUNICIPALITY_C.parent / "tiny", tmp_path / "tiny")
    plain = prepare(load_unit(unit_dir)).demand
    lines = (unit_dir / "staff.csv").read_text(encoding="utf-8").splitlines()
    lines[0] += ",open_cases"
    lines[1:] = [line + (",20" if line.startswith(("p05,", "p06,")) else ",") for line in lines[1:]]
    (unit_dir / "staff.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    unit = load_unit(unit_dir)
    d = prepare(unit).demand
    a = [p.id for p in unit.social_workers("A")]
    assert d.baseline_caseload[0, 0] == pytest.approx(sum(d.person_baseline[q][0] for q in a))
    others = [q for q in a if q not in ("p05", "p06")]
    for q in others:
        assert d.person_baseline[q][0] == pytest.approx(plain.person_baseline[q][0])
        assert d.person_baseline[q][0] > 0
    given = sum(d.person_baseline[q][0] for q in ("p05", "p06"))
    assert d.baseline_caseload[0, 0] > given + 1


def test_a_relaxed_plan_that_breaks_duty_on_one_day_staffs_the_other_days(make_unit):  # type: ignore[no-untyped-def]
    # One social worker of each team is at work on one day of period 2, duty needs two: no
    # rota exists. The relaxed plan breaks that team-period's duty rule, and still puts two
    # officers on every other day of the period and the one there is on that day (it left all
    # ten days empty: the broken group no longer asked for any).
    day = period_start(2) + timedelta(days=1)
    absences = [away(worker_id(t, i), day, day) for t in "ABC" for i in (2, 3)]
    folder = make_unit(unit_toml(min_present=1, duty_per_day=2), staff_for("ABC", 3), absences)
    solved = solve_folder(folder, relax=True)
    assert solved.result.rota is not None and solved.result.broken
    (team,) = solved.result.rota.teams_in(2)
    officers: dict[date, int] = {}
    for o in solved.result.rota.officers:
        if o.team == team and period_start(2) <= o.date <= period_end(2):
            officers[o.date] = officers.get(o.date, 0) + 1
    days = weekdays_between(period_start(2), period_end(2))
    assert {d: officers.get(d, 0) for d in days} == {d: 1 if d == day else 2 for d in days}
