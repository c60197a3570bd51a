"""The validator on hand-made rotas: good ones pass, each kind of bad one is caught by its rule.

The rows are written here by hand (workdays and present counts computed in this file), so the
validator is checked against an independent reading of the rules, not against the planner.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import (
    START,
    away,
    away_in_period,
    period_end,
    period_start,
    staff_for,
    unit_toml,
    weekdays_between,
    write_csv,
)

from rotation.read import load_unit
from rotation.validate import Violation, validate_folder, validate_rows

ROTA_COLUMNS = ["period", "start", "end", "team"]
DUTY_COLUMNS = ["date", "period", "team", "manager", "acting", "present"]
WORKERS = {t: [f"{t.lower()}{i}" for i in (1, 2, 3)] for t in "ABC"}


def make_rows(
    assignment: list[tuple[str, ...]],
    *,
    start: date = START,
    period_weeks: int = 2,
    absent: dict[str, set[date]] | None = None,
    acting: dict[tuple[date, str], str] | None = None,
    holidays: set[date] = frozenset(),  # type: ignore[assignment]
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """rota.csv and duty_days.csv rows for teams A, B, C of three social workers each.

    ``acting`` names who manages a team on a day its manager ``m<team>`` is away.
    """
    absent = absent or {}
    acting = acting or {}
    rota: list[dict[str, str]] = []
    duty: list[dict[str, str]] = []
    for p, teams in enumerate(assignment):
        first = start + timedelta(weeks=p * period_weeks)
        last = first + timedelta(weeks=period_weeks, days=-1)
        for t in teams:
            rota.append({"period": str(p), "start": str(first), "end": str(last), "team": t})
        for d in weekdays_between(first, last):
            if d in holidays:
                continue
            for t in teams:
                present = sum(1 for w in WORKERS[t] if d not in absent.get(w, set()))
                manager = acting.get((d, t), f"m{t.lower()}")
                duty.append(
                    {
                        "date": str(d),
                        "period": str(p),
                        "team": t,
                        "manager": manager,
                        "acting": "true" if (d, t) in acting else "false",
                        "present": str(present),
                    }
                )
    return rota, duty


def days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=k) for k in range((last - first).days + 1)}


def rules_of(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


# The unit most tests check against: min_rest 2 weeks, min_present 2, team C pinned to period 5,
# ma away on Wednesday 2027-09-08 (a1 acts), b2 and b3 away in period 3 (team B understaffed).
ABSENCES = [
    away("ma", "2027-09-08", "2027-09-08", "sick"),
    away_in_period("b2", 3),
    away_in_period("b3", 3, "leave"),
]
ABSENT = {
    "ma": {date(2027, 9, 8)},
    "b2": days(period_start(3), period_end(3)),
    "b3": days(period_start(3), period_end(3)),
}
GOOD = [("A",), ("B",), ("C",), ("A",), ("B",), ("C",)]
GOOD_ACTING = {(date(2027, 9, 8), "A"): "a1"}


@pytest.fixture
def unit(make_unit):
    toml = unit_toml(min_rest_weeks=2, pins=[(period_start(5), "C")])
    return load_unit(make_unit(toml, staff_for("ABC"), ABSENCES))


@pytest.fixture
def duo_unit(make_unit):
    """Two teams on duty; A's deputies are a1 and mb (B's manager); ma away 2027-09-08."""
    toml = unit_toml(teams_on_duty=2, deputies={"A": ["a1", "mb"], "B": ["b1"], "C": ["c1"]})
    return load_unit(make_unit(toml, staff_for("ABC"), [away("ma", "2027-09-08", "2027-09-08")]))


def test_good_rota_has_no_violations(unit):
    rota, duty = make_rows(GOOD, absent=ABSENT, acting=GOOD_ACTING)
    assert validate_rows(unit, rota, duty) == []


def test_good_rota_in_files_has_no_violations(unit, tmp_path: Path):
    rota, duty = make_rows(GOOD, absent=ABSENT, acting=GOOD_ACTING)
    write_csv(tmp_path / "rota.csv", ROTA_COLUMNS, rota)
    write_csv(tmp_path / "duty_days.csv", DUTY_COLUMNS, duty)
    assert validate_folder(unit, tmp_path) == []


def test_good_rota_with_two_teams_on_duty(duo_unit):
    assignment = [("A", "C"), ("B", "C"), ("A", "B"), ("A", "C"), ("B", "C"), ("A", "B")]
    rota, duty = make_rows(
        assignment, absent={"ma": {date(2027, 9, 8)}}, acting={(date(2027, 9, 8), "A"): "mb"}
    )
    # mb may act for A on 2027-09-08 because team B is not on intake in period 0.
    assert validate_rows(duo_unit, rota, duty) == []


def test_good_rota_over_easter_skips_the_holidays(make_unit):
    # Good Friday 2027-03-26 and Easter Monday 2027-03-29 are not workdays: no duty rows for them,
    # and team A being short on those two days only breaks no rule.
    start = date(2027, 3, 15)
    toml = unit_toml(start=start, weeks=6, teams=("A", "B", "C"))
    holidays = {date(2027, 3, 26), date(2027, 3, 29)}
    absences = [away("a2", "2027-03-26", "2027-03-29"), away("a3", "2027-03-26", "2027-03-29")]
    unit = load_unit(make_unit(toml, staff_for("ABC"), absences))
    absent = {w: days(date(2027, 3, 26), date(2027, 3, 29)) for w in ("a2", "a3")}
    rota, duty = make_rows([("A",), ("B",), ("C",)], start=start, holidays=holidays, absent=absent)
    assert validate_rows(unit, rota, duty) == []

    # Without a holiday break team A would be short: the same rota with B off on a workday is not.
    absences = [away("a2", "2027-03-18", "2027-03-18"), away("a3", "2027-03-18", "2027-03-18")]
    unit = load_unit(make_unit(toml, staff_for("ABC"), absences))
    absent = {w: {date(2027, 3, 18)} for w in ("a2", "a3")}
    rota, duty = make_rows([("A",), ("B",), ("C",)], start=start, holidays=holidays, absent=absent)
    assert rules_of(validate_rows(unit, rota, duty)) == {"staffing"}


def test_two_teams_in_a_period(unit):
    assignment = [*GOOD]
    assignment[2] = ("C", "A")
    rota, duty = make_rows(assignment, absent=ABSENT, acting=GOOD_ACTING)
    violations = validate_rows(unit, rota, duty)
    assert "teams_on_duty" in rules_of(violations)
    (v,) = [v for v in violations if v.rule == "teams_on_duty"]
    assert "2027-10-04–2027-10-17" in v.message
    assert rules_of(violations) <= {"teams_on_duty", "min_rest"}  # A in periods 2 and 3 as well


def test_no_team_in_a_period(unit):
    rota, duty = make_rows(GOOD, absent=ABSENT, acting=GOOD_ACTING)
    rota = [r for r in rota if r["period"] != "4"]
    duty = [r for r in duty if r["period"] != "4"]
    violations = validate_rows(unit, rota, duty)
    assert rules_of(violations) == {"teams_on_duty"}
    assert "2027-11-01–2027-11-14" in violations[0].message


def test_the_same_team_twice_in_a_period(unit):
    rota, duty = make_rows(GOOD, absent=ABSENT, acting=GOOD_ACTING)
    rota.append(dict(rota[1]))
    violations = validate_rows(unit, rota, duty)
    assert "teams_on_duty" in rules_of(violations)
    assert any(f"lists team {rota[1]['team']} twice" in v.message for v in violations), violations


def test_rest_too_short(unit):
    # A in periods 0 and 1: no rest at all, min_rest_weeks is 2.
    assignment = [("A",), ("A",), ("C",), ("A",), ("B",), ("C",)]
    rota, duty = make_rows(assignment, absent=ABSENT, acting=GOOD_ACTING)
    violations = validate_rows(unit, rota, duty)
    assert rules_of(violations) == {"min_rest"}
    (v,) = violations
    assert "team A" in v.message and "0 weeks" in v.message


def test_understaffed_day(unit):
    # B takes period 3, when b2 and b3 are away: 1 social worker present, needs 2.
    assignment = [("A",), ("B",), ("C",), ("B",), ("A",), ("C",)]
    rota, duty = make_rows(assignment, absent=ABSENT, acting=GOOD_ACTING)
    violations = validate_rows(unit, rota, duty)
    assert rules_of(violations) == {"staffing"}
    assert len(violations) == 10  # every workday of the period
    assert "team B has 1 social worker present, needs 2" in violations[0].message


def test_understaffed_day_from_a_part_timer(make_unit):
    # a3 works Monday–Thursday; min_present 3: team A is short on Fridays only.
    staff = staff_for("ABC")
    staff[3]["weekdays"] = "mon,tue,wed,thu"
    unit = load_unit(make_unit(unit_toml(min_present=3), staff))
    fridays = {d for d in weekdays_between(START, START + timedelta(weeks=12)) if d.weekday() == 4}
    rota, duty = make_rows(GOOD, absent={"a3": fridays})
    violations = validate_rows(unit, rota, duty)
    assert rules_of(violations) == {"staffing"}
    assert {v.message[:10] for v in violations} == {
        str(d) for d in fridays if d < period_start(1) or period_start(3) <= d <= period_end(3)
    }


def test_understaffed_day_from_a_new_hire_in_introduction(make_unit):
    staff = staff_for("ABC")
    staff[3]["start"] = "2027-08-16"  # a3 counts from 2027-10-11
    unit = load_unit(make_unit(unit_toml(min_present=3), staff))
    introduction = days(date(2027, 8, 16), date(2027, 10, 10))
    rota, duty = make_rows(GOOD, absent={"a3": introduction})
    violations = validate_rows(unit, rota, duty)
    assert rules_of(violations) == {"staffing"}
    assert all(v.message.startswith("2027-09") for v in violations)  # period 0 only; A's next is 3


def test_season_lowers_what_the_validator_needs(make_unit):
    absences = [away_in_period(w, 2) for w in ("c3",)]
    season = [(period_start(2), period_end(2), 2)]
    staff = staff_for("ABC")
    absent = {"c3": days(period_start(2), period_end(2))}
    with_season = load_unit(make_unit(unit_toml(min_present=3, seasons=season), staff, absences))
    rota, duty = make_rows(GOOD, absent=absent)
    assert validate_rows(with_season, rota, duty) == []
    without = load_unit(make_unit(unit_toml(min_present=3), staff, absences))
    assert rules_of(validate_rows(without, rota, duty)) == {"staffing"}


def test_manager_absent_without_deputy(unit):
    # The row for 2027-09-08 names ma, who is away, instead of the acting a1.
    rota, duty = make_rows(GOOD, absent=ABSENT)
    violations = validate_rows(unit, rota, duty)
    assert rules_of(violations) == {"manager"}
    (v,) = violations
    assert "2027-09-08" in v.message and "ma" in v.message


def test_manager_missing_on_a_day(unit):
    rota, duty = make_rows(GOOD, absent=ABSENT, acting=GOOD_ACTING)
    (row,) = [r for r in duty if r["date"] == "2027-09-08"]
    row["manager"] = ""
    assert rules_of(validate_rows(unit, rota, duty)) == {"manager"}


def test_acting_deputy_who_is_away(make_unit):
    # a1 is away too on 2027-09-08 but is written as acting.
    absences = [*ABSENCES, away("a1", "2027-09-08", "2027-09-08")]
    toml = unit_toml(min_rest_weeks=2, pins=[(period_start(5), "C")])
    both_away = load_unit(make_unit(toml, staff_for("ABC"), absences))
    absent = {**ABSENT, "a1": {date(2027, 9, 8)}}
    rota, duty = make_rows(GOOD, absent=absent, acting=GOOD_ACTING)
    assert rules_of(validate_rows(both_away, rota, duty)) == {"manager"}


def test_acting_person_who_is_not_a_deputy(unit):
    rota, duty = make_rows(GOOD, absent=ABSENT, acting={(date(2027, 9, 8), "A"): "a2"})
    violations = validate_rows(unit, rota, duty)
    assert rules_of(violations) == {"manager"}
    assert "a2" in violations[0].message


def test_person_managing_two_teams_the_same_day(duo_unit):
    # A and B on intake in period 0; mb acts for A on 2027-09-08 while managing B.
    assignment = [("A", "B"), ("B", "C"), ("A", "C"), ("A", "B"), ("B", "C"), ("A", "C")]
    rota, duty = make_rows(
        assignment, absent={"ma": {date(2027, 9, 8)}}, acting={(date(2027, 9, 8), "A"): "mb"}
    )
    violations = validate_rows(duo_unit, rota, duty)
    assert rules_of(violations) == {"manager"}
    (v,) = violations
    assert "mb" in v.message and "2027-09-08" in v.message

    fixed = copy.deepcopy(duty)
    for row in fixed:
        if row["date"] == "2027-09-08" and row["team"] == "A":
            row["manager"] = "a1"
    assert validate_rows(duo_unit, rota, fixed) == []


def test_pin_broken(unit):
    # C is pinned to period 5 but takes period 4; B takes period 5.
    assignment = [("A",), ("B",), ("C",), ("A",), ("C",), ("B",)]
    rota, duty = make_rows(assignment, absent=ABSENT, acting=GOOD_ACTING)
    violations = validate_rows(unit, rota, duty)
    assert rules_of(violations) == {"pin"}
    assert "team C" in violations[0].message and "2027-11-15–2027-11-28" in violations[0].message


def test_missing_duty_days_row(unit, tmp_path: Path):
    rota, duty = make_rows(GOOD, absent=ABSENT, acting=GOOD_ACTING)
    duty = [r for r in duty if r["date"] != "2027-10-20"]
    violations = validate_rows(unit, rota, duty)
    assert rules_of(violations) == {"file"}
    assert "2027-10-20" in violations[0].message

    write_csv(tmp_path / "rota.csv", ROTA_COLUMNS, rota)
    write_csv(tmp_path / "duty_days.csv", DUTY_COLUMNS, duty)
    assert rules_of(validate_folder(unit, tmp_path)) == {"file"}


def test_wrong_present_count(unit):
    rota, duty = make_rows(GOOD, absent=ABSENT, acting=GOOD_ACTING)
    duty[3]["present"] = "7"
    assert rules_of(validate_rows(unit, rota, duty)) == {"file"}


def test_duty_row_for_a_team_not_on_intake(unit):
    rota, duty = make_rows(GOOD, absent=ABSENT, acting=GOOD_ACTING)
    extra = dict(duty[0], team="B", manager="mb")
    assert rules_of(validate_rows(unit, rota, [*duty, extra])) == {"file"}


def test_deputy_acting_while_the_manager_is_present(unit):
    rota, duty = make_rows(GOOD, absent=ABSENT, acting={**GOOD_ACTING, (date(2027, 9, 9), "A"): "a1"})
    assert rules_of(validate_rows(unit, rota, duty)) == {"file"}


def test_wrong_period_dates_in_rota(unit):
    rota, duty = make_rows(GOOD, absent=ABSENT, acting=GOOD_ACTING)
    rota[2]["end"] = "2027-10-16"
    assert rules_of(validate_rows(unit, rota, duty)) == {"file"}


def test_unknown_team_in_rota(unit):
    rota, duty = make_rows(GOOD, absent=ABSENT, acting=GOOD_ACTING)
    rota[0]["team"] = "Z"
    assert "file" in rules_of(validate_rows(unit, rota, duty))


def test_planner_output_passes_the_validator(make_unit, tmp_path: Path):
    # The planner's written files, personal duty grid included, pass; without duty.csv they do not.
    from rotation.pipeline import plan_unit

    toml = unit_toml(min_rest_weeks=2, duty_per_day=2, pins=[(period_start(5), "C")])
    folder = make_unit(toml, staff_for("ABC", 4), [*ABSENCES, away_in_period("a4", 1, "sick")])
    report = plan_unit(folder, tmp_path / "out", time_limit=10)
    assert report.valid
    unit = load_unit(folder)
    assert validate_folder(unit, tmp_path / "out") == []
    (tmp_path / "out" / "duty.csv").unlink()
    assert rules_of(validate_folder(unit, tmp_path / "out")) == {"file"}
