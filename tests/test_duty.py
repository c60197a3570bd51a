"""Personal intake duty (the second planning level): who of the intake team takes the new
cases each day.

Each hard duty rule alone, with a unit where it can be met and one where it cannot; the
explanation when no duty grid exists; the validator on hand-made good and bad duty grids; a
property test on random small units; and municipality C, where a new user should see duty
spread fairly, nobody on a day off and no new hire alone.

The units here are built in this file (``write_unit``) so each test shows the whole situation.
Their horizon starts on Monday 2027-08-02: August 2027 has no Swedish public holiday, so every
Monday–Friday is a workday.
"""

from __future__ import annotations

import csv
import itertools
import json
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import person as staff
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rotation.cli import cli
from rotation.metrics import rota_metrics
from rotation.pipeline import plan_unit
from rotation.read import load_unit
from rotation.replan import read_published
from rotation.rota import Rota
from rotation.solve import PERSON_SLACK, PlanResult, plan, prepare
from rotation.validate import Violation, validate_folder, validate_rows

ROOT = Path(__file__).resolve().parent.parent
MUNICIPALITY_C = ROOT / "examples" / "municipality-c"

START = date(2027, 8, 2)  # a Monday; no weekday holiday in August 2027 (Sweden)
STAFF_COLUMNS = ["id", "name", "email", "team", "role", "fte", "start", "end", "weekdays"]
ABSENCE_COLUMNS = ["person", "start", "end", "kind"]
DURATIONS = '{ "14" = 0.08, "30" = 0.08, "60" = 0.18, "90" = 0.26, "120" = 0.28, "180" = 0.10, "240" = 0.02 }'
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME_LIMIT = 5.0


# --- building small units ------------------------------------------------------------------------


def manager(team: str) -> dict[str, str]:
    return staff(f"m{team.lower()}", team, "manager")


def away(pid: str, first: date | str, last: date | str | None = None) -> dict[str, str]:
    """One absences.csv row (the kind is private and irrelevant here)."""
    return {"person": pid, "start": str(first), "end": str(last or first), "kind": "sick"}


def day(n: int) -> date:
    """The n-th calendar day from START (0 = Monday 2027-08-02)."""
    return START + timedelta(days=n)


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_unit(
    folder: Path,
    people: Sequence[dict[str, str]],
    absences: Sequence[dict[str, str]] = (),
    *,
    start: date = START,
    weeks: int = 2,
    min_present: int = 1,
    duty_per_day: int = 2,
    max_in_row: int | None = None,
    deputies: dict[str, Sequence[str]] | None = None,
    pins: Sequence[tuple[date, str]] = (),
    seasons: Sequence[tuple[date, date, int]] = (),
) -> Path:
    """A unit folder; teams are taken from the staff rows (manager ``m<team>``); deputies
    default to the team's first senior; seasons are (from, to, duty_per_day)."""
    teams = list(dict.fromkeys(p["team"] for p in people))
    if deputies is None:
        deputies = {
            t: [p["id"] for p in people if p["team"] == t and p["role"] == "senior"][:1] for t in teams
        }
    lines = [
        "[unit]",
        'name = "Duty test unit"',
        'timezone = "Europe/Stockholm"',
        'country = "SE"',
        'language = "en"',
        "",
        "[rotation]",
        f"start = {start}",
        f"weeks = {weeks}",
        "period_weeks = 2",
        "teams_on_duty = 1",
        "min_rest_weeks = 0",
        f"min_present = {min_present}",
        "introduction_weeks = 8",
        f"duty_per_day = {duty_per_day}",
    ]
    if max_in_row is not None:
        lines.append(f"max_duty_days_in_row = {max_in_row}")
    lines += [
        "",
        "[demand]",
        "referrals_per_week = 30",
        'seasonal = "none"',
        "investigation_share = 0.35",
        f"duration_days = {DURATIONS}",
    ]
    for t in teams:
        deps = ", ".join(f'"{d}"' for d in deputies.get(t, []))
        lines += ["", "[[team]]", f'id = "{t}"', f'name = "Team {t}"', f'manager = "m{t.lower()}"']
        lines.append(f"deputies = [{deps}]")
    for i, (first, last, k) in enumerate(seasons, start=1):
        lines += ["", "[[season]]", f'name = "season {i}"', f"from = {first}", f"to = {last}"]
        lines.append(f"duty_per_day = {k}")
    for pin_start, team in pins:
        lines += ["", "[[pin]]", f"start = {pin_start}", f'team = "{team}"']
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "unit.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _write_csv(folder / "staff.csv", STAFF_COLUMNS, people)
    _write_csv(folder / "absences.csv", ABSENCE_COLUMNS, absences)
    return folder


def solve(folder: Path, time_limit: float = TIME_LIMIT) -> PlanResult:
    return plan(prepare(load_unit(folder)), time_limit=time_limit)


def plan_folder(folder: Path, out: Path, time_limit: float = TIME_LIMIT) -> Path:
    """Plan, write and validate; the plan must exist."""
    report = plan_unit(folder, out, time_limit=time_limit)
    assert report.result.rota is not None, (report.result.status, report.result.conflicts)
    assert report.valid, report.violations
    assert validate_folder(report.planning.unit, out) == []
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def officers_by_day(out: Path) -> dict[tuple[date, str], list[dict[str, str]]]:
    """duty.csv rows per (date, team)."""
    rows: dict[tuple[date, str], list[dict[str, str]]] = {}
    for row in read_csv(out / "duty.csv"):
        rows.setdefault((date.fromisoformat(row["date"]), row["team"]), []).append(row)
    return rows


def duty_dates(out: Path, person: str) -> list[date]:
    return sorted(date.fromisoformat(r["date"]) for r in read_csv(out / "duty.csv") if r["person"] == person)


def is_here(person: dict[str, str], absences: Sequence[dict[str, str]], d: date) -> bool:
    """Present on ``d``, read straight from the rows this file wrote: employed, on one of the
    person's own weekdays, not away."""
    if person["start"] and d < date.fromisoformat(person["start"]):
        return False
    if person["end"] and d > date.fromisoformat(person["end"]):
        return False
    own = person["weekdays"].split(",") if person["weekdays"] else WEEKDAY_NAMES[:5]
    if WEEKDAY_NAMES[d.weekday()] not in own:
        return False
    return not any(
        a["person"] == person["id"] and date.fromisoformat(a["start"]) <= d <= date.fromisoformat(a["end"])
        for a in absences
    )


def longest_run(days: Sequence[date], workdays: Sequence[date]) -> int:
    """The most consecutive workdays among ``days`` (Friday and Monday are consecutive)."""
    index = {d: i for i, d in enumerate(workdays)}
    positions = sorted(index[d] for d in days)
    best = run = 0
    previous = None
    for i in positions:
        run = run + 1 if previous is not None and i == previous + 1 else 1
        best = max(best, run)
        previous = i
    return best


def weekdays_from(first: date, weeks: int) -> list[date]:
    return [first + timedelta(days=k) for k in range(7 * weeks) if (first + timedelta(days=k)).weekday() < 5]


def conflicts_text(result: PlanResult) -> str:
    assert result.rota is None, "expected no rota"
    assert result.conflicts, f"no explanation for status {result.status}"
    return "\n".join(result.conflicts)


# --- rule 6: only present people of the intake team, on their own weekdays -------------------


def test_only_present_people_of_the_intake_team_on_their_own_weekdays(tmp_path: Path) -> None:
    people = [
        manager("A"),
        staff("a1", "A", "senior"),
        staff("a2", "A"),
        staff("a3", "A", fte=0.8, weekdays="mon,tue,wed,thu"),
        staff("a4", "A"),
        manager("B"),
        staff("b1", "B", "senior"),
        staff("b2", "B"),
        staff("b3", "B", fte=0.8, weekdays="tue,wed,thu,fri"),
        staff("b4", "B"),
    ]
    absences = [away("a2", day(2), day(3)), away("b4", day(15)), away("a4", day(17), day(18))]
    out = plan_folder(
        write_unit(tmp_path / "unit", people, absences, weeks=4, min_present=2), tmp_path / "out"
    )

    rota = {int(r["period"]): r["team"] for r in read_csv(out / "rota.csv")}
    assert sorted(rota.values()) == ["A", "B"], "each team takes one of the two periods"
    by_id = {p["id"]: p for p in people}
    grid = officers_by_day(out)
    duty_days = read_csv(out / "duty_days.csv")
    assert len(duty_days) == 20
    for row in duty_days:
        d, team = date.fromisoformat(row["date"]), row["team"]
        assert team == rota[(d - START).days // 14]
        officers = [o["person"] for o in grid.get((d, team), [])]
        assert len(set(officers)) == len(officers) == 2, (d, officers)
        for q in officers:
            assert by_id[q]["team"] == team and by_id[q]["role"] != "manager", (d, q)
            assert is_here(by_id[q], absences, d), f"{q} on duty on {d} but not working"
    fridays = [d for d in duty_dates(out, "a3") if d.weekday() == 4]
    mondays = [d for d in duty_dates(out, "b3") if d.weekday() == 0]
    assert fridays == [] and mondays == [], "part-timers never on duty on their day off"
    assert duty_dates(out, "a3") and duty_dates(out, "b3"), "part-timers do take duty on their days"


def test_part_timer_day_off_leaves_too_few_officers(tmp_path: Path) -> None:
    """Team B's only other social worker works Monday to Thursday: on Fridays one is left."""
    people = [
        manager("A"),
        staff("a1", "A", "senior"),
        staff("a2", "A"),
        manager("B"),
        staff("b1", "B", "senior"),
        staff("b2", "B", fte=0.8, weekdays="mon,tue,wed,thu"),
    ]
    folder = write_unit(tmp_path / "unit", people, pins=[(START, "B")], max_in_row=10)
    text = conflicts_text(solve(folder))
    assert "team B has one social worker present on 2027-08-06, duty needs 2 (and 1 more day)" in text
    assert "team B is pinned to 2027-08-02–2027-08-15" in text

    # Feasible twin: with B's part-timer working Fridays too, duty can be staffed.
    people[-1] = staff("b2", "B")
    plan_folder(write_unit(tmp_path / "twin", people, pins=[(START, "B")], max_in_row=10), tmp_path / "out")


def test_explanation_names_day_and_people_count(tmp_path: Path) -> None:
    """The issue's example: team B has one social worker present on 2027-08-03, duty needs 2."""
    people = [
        manager("A"),
        staff("a1", "A", "senior"),
        staff("a2", "A"),
        staff("a3", "A"),
        manager("B"),
        staff("b1", "B", "senior"),
        staff("b2", "B"),
    ]
    folder = write_unit(tmp_path / "unit", people, [away("b2", day(1))], pins=[(START, "B")], max_in_row=10)
    expected = "2027-08-02–2027-08-15: team B has one social worker present on 2027-08-03, duty needs 2"
    result = solve(folder)
    assert expected in result.conflicts, result.conflicts

    done = CliRunner().invoke(cli, ["check", str(folder), "--time-limit", "10"], catch_exceptions=False)
    assert done.exit_code == 1, done.output
    assert "No rota can obey every rule" in done.output
    assert f"  - {expected}\n" in done.output

    plan_done = CliRunner().invoke(
        cli, ["plan", str(folder), "--out", str(tmp_path / "out"), "--quiet", "--time-limit", "5"]
    )
    assert plan_done.exit_code == 1, plan_done.output
    assert expected in plan_done.output
    assert not (tmp_path / "out").exists()


# --- rule 7: no new hire in introduction on duty without an experienced colleague ------------


NEW_HIRE_START = "2027-07-26"  # introduction (8 weeks) runs to 2027-09-19, the whole horizon


def test_new_hire_always_beside_an_experienced_colleague_who_is_mentor(tmp_path: Path) -> None:
    people = [
        manager("A"),
        staff("a1", "A", "senior"),
        staff("a2", "A"),  # no start date: long-serving, experienced
        staff("a3", "A", start="2027-01-04"),  # past introduction, but not for a year yet
        staff("n1", "A", start=NEW_HIRE_START),
        manager("B"),
        staff("b1", "B", "senior"),
        staff("b2", "B"),
        staff("b3", "B"),
    ]
    folder = write_unit(tmp_path / "unit", people, pins=[(START, "A")], min_present=2)
    out = plan_folder(folder, tmp_path / "out")
    new_days = duty_dates(out, "n1")
    assert new_days, "the new hire takes duty (beside a colleague)"
    grid = officers_by_day(out)
    for d in new_days:
        rows = {o["person"]: o["role"] for o in grid[d, "A"]}
        partners = set(rows) - {"n1"}
        assert partners <= {"a1", "a2"}, f"{d}: n1 beside {partners}, not an experienced colleague"
        assert rows["n1"] == "officer"
        assert [q for q, role in rows.items() if role == "mentor"] == sorted(partners)
    mentor_rows = [o for rows in grid.values() for o in rows if o["role"] == "mentor"]
    assert {date.fromisoformat(o["date"]) for o in mentor_rows} == set(new_days)
    people_rows = {r["person"]: r for r in read_csv(out / "people.csv")}
    mentor_days = int(people_rows["a1"]["mentor_days"]) + int(people_rows["a2"]["mentor_days"])
    assert mentor_days == len(new_days)


ONLY_NEW_HIRES = [
    manager("A"),
    staff("a1", "A", "senior"),
    staff("a2", "A"),
    manager("B"),
    staff("b1", "B", "senior"),
    staff("n1", "B", start=NEW_HIRE_START),
    staff("n2", "B", start=NEW_HIRE_START),
]


def _only_new_hires(folder: Path, absences: Sequence[dict[str, str]]) -> Path:
    """Team B (pinned) is its senior b1 and two new hires; two officers a day."""
    return write_unit(folder, ONLY_NEW_HIRES, absences, pins=[(START, "B")], min_present=0, max_in_row=10)


def test_only_new_hires_present_has_no_duty_grid(tmp_path: Path) -> None:
    """On 2027-08-04 team B's senior is away and only its two new hires are at work."""
    result = solve(_only_new_hires(tmp_path / "unit", [away("b1", day(2))]))
    text = conflicts_text(result)
    assert "team B" in text and "new hires need an experienced colleague" in text, text

    # Feasible twin: the senior is at work every day, beside one new hire at a time.
    out = plan_folder(_only_new_hires(tmp_path / "twin", []), tmp_path / "out")
    for rows in officers_by_day(out).values():
        roles = {o["person"]: o["role"] for o in rows}
        assert roles in ({"b1": "mentor", "n1": "officer"}, {"b1": "mentor", "n2": "officer"}), rows


def test_explanation_names_the_day_only_new_hires_are_present(tmp_path: Path) -> None:
    """The issue: "the explanation names the day and the people when no duty grid exists".
    Here the day is 2027-08-04 and the people are the new hires n1 and n2, alone."""
    text = conflicts_text(solve(_only_new_hires(tmp_path / "unit", [away("b1", day(2))])))
    assert "2027-08-04" in text, f"the explanation does not name the day: {text}"
    assert "n1" in text and "n2" in text, f"the explanation does not name the new hires: {text}"


# --- rule 8: at most max_duty_days_in_row consecutive duty workdays ----------------------------


THREE_WORKERS = [
    manager("A"),
    staff("a1", "A", "senior"),
    staff("a2", "A"),
    staff("a3", "A"),
    manager("B"),
    staff("b1", "B", "senior"),
    staff("b2", "B"),
    staff("b3", "B"),
]


def test_duty_days_in_a_row_within_the_limit(tmp_path: Path) -> None:
    """Two of three every day for two weeks: possible with at most 2 in a row (Fri–Mon counts)."""
    folder = write_unit(tmp_path / "unit", THREE_WORKERS, pins=[(START, "A")], max_in_row=2)
    out = plan_folder(folder, tmp_path / "out")
    workdays = weekdays_from(START, 2)
    for q in ("a1", "a2", "a3"):
        days = duty_dates(out, q)
        assert longest_run(days, workdays) <= 2, (q, days)
    assert sum(len(duty_dates(out, q)) for q in ("a1", "a2", "a3")) == 20


def test_duty_days_in_a_row_too_few_people(tmp_path: Path) -> None:
    """Two of three every day, nobody twice in a row: impossible on the second day."""
    folder = write_unit(tmp_path / "unit", THREE_WORKERS, pins=[(START, "A")], max_in_row=1)
    text = conflicts_text(solve(folder))
    assert "team A's social workers would need more than 1 intake duty days in a row" in text


# --- rule 9: nobody on duty on a day they act as manager ---------------------------------------


def test_acting_manager_not_on_duty_that_day(tmp_path: Path) -> None:
    people = [*THREE_WORKERS[:4], staff("a4", "A"), *THREE_WORKERS[4:]]
    absences = [away("ma", day(2), day(3))]
    folder = write_unit(tmp_path / "unit", people, absences, pins=[(START, "A")])
    out = plan_folder(folder, tmp_path / "out")
    acting = [r for r in read_csv(out / "duty_days.csv") if r["acting"] == "true"]
    assert [(r["date"], r["manager"]) for r in acting] == [("2027-08-04", "a1"), ("2027-08-05", "a1")]
    assert "2027-08-04" not in map(str, duty_dates(out, "a1"))
    assert "2027-08-05" not in map(str, duty_dates(out, "a1"))


def test_only_deputy_must_act_and_leaves_one_officer(tmp_path: Path) -> None:
    """Team A: senior a1 (its only deputy) and a2. The manager is away on 2027-08-04, so a1
    acts that day and cannot take duty: one officer, duty needs 2."""
    people = [
        manager("A"),
        staff("a1", "A", "senior"),
        staff("a2", "A"),
        manager("B"),
        staff("b1", "B", "senior"),
        staff("b2", "B"),
    ]
    absences = [away("ma", day(2))]
    folder = write_unit(tmp_path / "unit", people, absences, pins=[(START, "A")], max_in_row=10)
    text = conflicts_text(solve(folder))
    assert "team A" in text and "acting managers cannot take duty" in text, text

    # Feasible twin: B's manager (not on intake) may act for A, so a1 stays free for duty.
    twin = write_unit(
        tmp_path / "twin", people, absences, pins=[(START, "A")], max_in_row=10, deputies={"A": ["a1", "mb"]}
    )
    out = plan_folder(twin, tmp_path / "out")
    acting = [r for r in read_csv(out / "duty_days.csv") if r["acting"] == "true"]
    assert [(r["date"], r["manager"]) for r in acting] == [("2027-08-04", "mb")]
    assert {o["person"] for o in officers_by_day(out)[day(2), "A"]} == {"a1", "a2"}


# --- duty_per_day: 0 switches the level off; a season may change it ----------------------------


def test_duty_per_day_zero_switches_the_level_off(tmp_path: Path) -> None:
    folder = write_unit(tmp_path / "unit", THREE_WORKERS, weeks=4, duty_per_day=0)
    report = plan_unit(folder, tmp_path / "out", time_limit=TIME_LIMIT)
    assert report.valid
    assert report.result.rota is not None and report.result.rota.officers == ()
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert "duty.csv" not in files and "people.csv" not in files
    assert {"rota.csv", "duty_days.csv", "summary.json"} <= files
    assert validate_folder(report.planning.unit, tmp_path / "out") == []
    objective = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))["objective"]
    assert "person_caseload" not in objective and "duty_bunching" not in objective

    # With the level on, a plan folder without duty.csv is incomplete.
    on = write_unit(tmp_path / "on", THREE_WORKERS, weeks=4)
    problems = validate_folder(load_unit(on), tmp_path / "out")
    assert [v.rule for v in problems] == ["file"]


def test_season_changes_duty_per_day(tmp_path: Path) -> None:
    """A season with duty_per_day 1 in the second week, 0 on the last day."""
    seasons = [(day(7), day(10), 1), (day(11), day(11), 0)]
    folder = write_unit(tmp_path / "unit", THREE_WORKERS, pins=[(START, "A")], seasons=seasons)
    out = plan_folder(folder, tmp_path / "out")
    counts = {d: len(rows) for (d, _), rows in officers_by_day(out).items()}
    for d in weekdays_from(START, 2):
        expected = 2 if d < day(7) else 1 if d < day(11) else 0
        assert counts.get(d, 0) == expected, d


def test_a_season_turns_duty_on_where_the_unit_has_it_off(tmp_path: Path) -> None:
    """duty_per_day 0, but a season needs one officer a day in the second week: the grid is
    planned for that week, and a plan folder without it does not validate."""
    folder = write_unit(
        tmp_path / "unit", THREE_WORKERS, pins=[(START, "A")], duty_per_day=0, seasons=[(day(7), day(11), 1)]
    )
    out = plan_folder(folder, tmp_path / "out")
    counts = {d: len(rows) for (d, _), rows in officers_by_day(out).items()}
    assert counts == {d: 1 for d in weekdays_from(day(7), 1)}
    (out / "duty.csv").unlink()
    assert [v.rule for v in validate_folder(load_unit(folder), out)] == ["file"]


# --- the validator on hand-made duty grids -----------------------------------------------------

# Team A on intake 2027-08-02 to 2027-08-15. a2 works Monday–Thursday, a3 is away on Thursday
# 2027-08-05, the manager is away on Wednesday 2027-08-11 (a1 acts), a4 is past introduction but
# not for a year (not experienced), n5 is a new hire in introduction.
VALIDATOR_STAFF = [
    manager("A"),
    staff("a1", "A", "senior"),
    staff("a2", "A", fte=0.8, weekdays="mon,tue,wed,thu"),
    staff("a3", "A"),
    staff("a4", "A", start="2027-01-04"),
    staff("n5", "A", start=NEW_HIRE_START),
    manager("B"),
    staff("b1", "B", "senior"),
    staff("b2", "B"),
    staff("b3", "B"),
]
VALIDATOR_ABSENCES = [away("a3", "2027-08-05"), away("ma", "2027-08-11")]
# Social workers counted toward min_present (n5 is in introduction), worked out by hand.
PRESENT = {
    "2027-08-02": 4, "2027-08-03": 4, "2027-08-04": 4, "2027-08-05": 3, "2027-08-06": 3,
    "2027-08-09": 4, "2027-08-10": 4, "2027-08-11": 4, "2027-08-12": 4, "2027-08-13": 3,
}  # fmt: skip
GOOD_GRID = {
    "2027-08-02": ["a1", "a2"],
    "2027-08-03": ["a3", "a4"],
    "2027-08-04": ["a1", "n5"],  # a1 mentors the new hire
    "2027-08-05": ["a2", "a4"],
    "2027-08-06": ["a1", "a3"],
    "2027-08-09": ["a2", "a4"],
    "2027-08-10": ["a3", "n5"],  # a3 is long-serving: may mentor
    "2027-08-11": ["a2", "a4"],  # a1 acts as manager
    "2027-08-12": ["a1", "a3"],
    "2027-08-13": ["a3", "a4"],
}


def validator_rows(grid: dict[str, list[str]]) -> tuple[list[dict[str, str]], ...]:
    rota = [{"period": "0", "start": "2027-08-02", "end": "2027-08-15", "team": "A"}]
    days = [
        {
            "date": d,
            "period": "0",
            "team": "A",
            "manager": "a1" if d == "2027-08-11" else "ma",
            "acting": "true" if d == "2027-08-11" else "false",
            "present": str(n),
        }
        for d, n in PRESENT.items()
    ]
    officers = []
    for d, people in grid.items():
        mentor = "n5" in people
        for q in people:
            role = "mentor" if mentor and q in ("a1", "a2", "a3") else "officer"
            officers.append({"date": d, "period": "0", "team": "A", "person": q, "role": role})
    return rota, days, officers


@pytest.fixture(scope="module")
def validator_unit(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("validator") / "unit"
    return load_unit(write_unit(folder, VALIDATOR_STAFF, VALIDATOR_ABSENCES, min_present=3))


def test_validator_accepts_a_good_grid(validator_unit) -> None:  # type: ignore[no-untyped-def]
    assert validate_rows(validator_unit, *validator_rows(GOOD_GRID)) == []


def _with(changes: dict[str, list[str]]) -> dict[str, list[str]]:
    """The good grid with some days' officers replaced."""
    return {**GOOD_GRID, **changes}


BAD_GRIDS = {
    "one officer short": (_with({"2027-08-03": ["a3"]}), "team A has 1 intake officers, duty needs 2"),
    "one officer too many": (_with({"2027-08-09": ["a2", "a4", "a1"]}), "team A has 3 intake officers"),
    "officer away": (_with({"2027-08-05": ["a2", "a3"]}), "2027-08-05: a3 is on duty but not working"),
    "part-timer's day off": (
        _with({"2027-08-06": ["a1", "a2"]}),
        "2027-08-06: a2 is on duty but not working",
    ),
    "officer from another team": (_with({"2027-08-02": ["a1", "b2"]}), "b2 is not a social worker of team A"),
    "the manager as officer": (_with({"2027-08-02": ["a1", "ma"]}), "ma is not a social worker of team A"),
    "new hire alone": (_with({"2027-08-04": ["a4", "n5"]}), "new hire n5 is on duty without an experienced"),
    "new hire beside a colleague not yet experienced": (
        _with({"2027-08-10": ["a4", "n5"]}),
        "2027-08-10: new hire n5 is on duty without an experienced colleague",
    ),
    "too many days in a row": (
        _with({"2027-08-03": ["a1", "a4"], "2027-08-05": ["a1", "a2"]}),
        "a1 has 4 duty days in a row, at most 3 allowed",
    ),
    "on duty while acting": (
        _with({"2027-08-11": ["a1", "a4"]}),
        "2027-08-11: a1 is on duty and acting manager the same day",
    ),
    "duty on a Saturday": (
        {**GOOD_GRID, "2027-08-07": ["a3"]},
        "2027-08-07: a3 on duty on a day off (Saturday)",
    ),
}


@pytest.mark.parametrize("case", list(BAD_GRIDS))
def test_validator_rejects_a_bad_grid(validator_unit, case: str) -> None:  # type: ignore[no-untyped-def]
    grid, message = BAD_GRIDS[case]
    violations = validate_rows(validator_unit, *validator_rows(grid))
    assert violations, f"{case}: not caught"
    assert {v.rule for v in violations} == {"duty"}, violations
    assert any(message in v.message for v in violations), [str(v) for v in violations]


def test_validator_checks_duty_only_with_duty_rows(validator_unit) -> None:  # type: ignore[no-untyped-def]
    """Without duty.csv rows only the team-level rules are checked."""
    rota, days, _ = validator_rows(GOOD_GRID)
    assert validate_rows(validator_unit, rota, days) == []
    empty = validate_rows(validator_unit, rota, days, [])
    assert len(empty) == len(PRESENT) and all(isinstance(v, Violation) and v.rule == "duty" for v in empty)


def test_validator_counts_days_in_a_row_across_a_replans_today(validator_unit) -> None:  # type: ignore[no-untyped-def]
    """a1 on duty 2027-08-02 to 2027-08-06: five in a row. From a re-plan's today on, only days
    from today are checked, but a run that reaches today counts its days before it."""
    rows = validator_rows(_with({"2027-08-03": ["a1", "a4"], "2027-08-05": ["a1", "a2"]}))
    messages = [str(v) for v in validate_rows(validator_unit, *rows, since=date(2027, 8, 6))]
    assert messages == ["2027-08-06: a1 has 5 duty days in a row, at most 3 allowed"]
    assert validate_rows(validator_unit, *rows, since=date(2027, 8, 9)) == []


def _rows_with(change) -> tuple[list[dict[str, str]], ...]:  # type: ignore[no-untyped-def]
    rota, days, officers = validator_rows(GOOD_GRID)
    change(days, officers)
    return rota, days, officers


def _set(rows: list[dict[str, str]], i: int, **values: str) -> None:
    rows[i] = {**rows[i], **values}


BAD_ROWS = {
    "a duty row twice": (
        lambda days, officers: officers.insert(3, dict(officers[2])),
        "duty.csv row 5: 2027-08-03 a3 again (first in row 4)",
    ),
    "a duplicate hiding days in a row": (  # a1 on 08-02 to 08-05, with 08-04 written twice
        lambda days, officers: officers.extend(
            [
                {"date": "2027-08-03", "period": "0", "team": "A", "person": "a1", "role": "officer"},
                {"date": "2027-08-05", "period": "0", "team": "A", "person": "a1", "role": "officer"},
                {"date": "2027-08-04", "period": "0", "team": "A", "person": "a1", "role": "mentor"},
            ]
        ),
        "2027-08-05: a1 has 4 duty days in a row",
    ),
    "a duty row's period not its date's": (
        lambda days, officers: _set(officers, 0, period="3"),
        "duty.csv row 2: period 3, but 2027-08-02 is in period 0",
    ),
    "a duty-day row's period not its date's": (
        lambda days, officers: _set(days, 0, period="1"),
        "duty_days.csv row 2: period 1, but 2027-08-02 is in period 0",
    ),
    "a duty-day row twice": (
        lambda days, officers: days.append(dict(days[0], manager="b1")),
        "duty_days.csv row 12: 2027-08-02 A again (first in row 2)",
    ),
    "a mentor beside no new hire": (
        lambda days, officers: _set(officers, 0, role="mentor"),
        "2027-08-02: a1 is marked mentor, but mentors no new hire",
    ),
    "a new hire's day without a mentor": (
        lambda days, officers: [_set(officers, i, role="officer") for i in range(len(officers))],
        "2027-08-04: new hire n5 is on duty, no one marked mentor",
    ),
    "acting written in capitals": (  # a1 acts on 08-11: on duty that day is still caught
        lambda days, officers: (
            _set(days, 7, acting="TRUE"),
            officers.append(
                {"date": "2027-08-11", "period": "0", "team": "A", "person": "a1", "role": "officer"}
            ),
        ),
        "2027-08-11: a1 is on duty and acting manager the same day",
    ),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_validator_rejects_bad_rows(validator_unit, case: str) -> None:  # type: ignore[no-untyped-def]
    change, message = BAD_ROWS[case]
    messages = [str(v) for v in validate_rows(validator_unit, *_rows_with(change))]
    assert any(message in m for m in messages), messages


# --- property: random small units --------------------------------------------------------------

PROPERTY_START = date(2027, 9, 6)  # 2027-09-06 to 2027-10-31: no weekday holiday in Sweden


@st.composite
def random_units(draw: st.DrawFn) -> dict:  # type: ignore[type-arg]
    teams = "ABC"[: draw(st.integers(2, 3))]
    weeks = draw(st.sampled_from([4, 6, 8]))
    people: list[dict[str, str]] = []
    absences: list[dict[str, str]] = []
    horizon = weeks * 7
    for t in teams:
        people.append(manager(t))
        for i in range(draw(st.integers(3, 5))):
            pid = f"{t.lower()}{i + 1}"
            role = "senior" if i == 0 else "social_worker"
            kind = draw(st.sampled_from(["full", "full", "full", "part", "new", "leaver"])) if i else "full"
            row = staff(pid, t, role)
            if kind == "part":
                days = draw(st.sampled_from(["mon,tue,wed,thu", "tue,wed,thu,fri", "mon,wed,fri"]))
                row = staff(pid, t, role, fte=0.8, weekdays=days)
            elif kind == "new":
                first = PROPERTY_START + timedelta(days=draw(st.integers(-30, horizon // 2)))
                row = staff(pid, t, role, start=first.isoformat())
            elif kind == "leaver":
                last = PROPERTY_START + timedelta(days=draw(st.integers(horizon // 2, horizon)))
                row = staff(pid, t, role, end=last.isoformat())
            people.append(row)
            if draw(st.integers(0, 3)) == 0:
                first = PROPERTY_START + timedelta(days=draw(st.integers(0, horizon - 1)))
                absences.append(away(pid, first, first + timedelta(days=draw(st.integers(0, 6)))))
        if draw(st.integers(0, 3)) == 0:
            first = PROPERTY_START + timedelta(days=draw(st.integers(0, horizon - 1)))
            absences.append(away(manager(t)["id"], first, first + timedelta(days=draw(st.integers(0, 4)))))
    return {
        "people": people,
        "absences": absences,
        "weeks": weeks,
        "min_present": draw(st.integers(1, 2)),
        "duty_per_day": draw(st.integers(1, 2)),
        "max_in_row": draw(st.integers(2, 3)),
        "deputies": {
            t: [f"{t.lower()}1", f"m{teams[(i + 1) % len(teams)].lower()}"] for i, t in enumerate(teams)
        },
    }


def write_random_unit(folder: Path, spec: dict, weeks: int | None = None) -> Path:  # type: ignore[type-arg]
    """The unit folder of a :func:`random_units` example (``weeks`` overrides its length)."""
    return write_unit(
        folder,
        spec["people"],
        spec["absences"],
        start=PROPERTY_START,
        weeks=weeks or spec["weeks"],
        min_present=spec["min_present"],
        duty_per_day=spec["duty_per_day"],
        max_in_row=spec["max_in_row"],
        deputies=spec["deputies"],
    )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_units())
def test_every_plan_with_a_rota_validates_including_duty(spec: dict) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_random_unit(Path(tmp) / "unit", spec)
        out = Path(tmp) / "out"
        report = plan_unit(folder, out, time_limit=TIME_LIMIT)
        event(f"status {report.result.status}")
        if report.result.rota is None:
            assert report.result.status in ("INFEASIBLE", "UNKNOWN")
            if report.result.status == "INFEASIBLE":
                assert report.result.conflicts, "no rota, and no explanation"
            return
        assert report.valid, report.violations
        unit = report.planning.unit
        assert validate_folder(unit, out) == []

        # Per-person duty days add up to duty_per_day x the intake teams' workdays.
        intake_workdays = sum(
            len(weekdays_from(date.fromisoformat(r["start"]), 2)) for r in read_csv(out / "rota.csv")
        )
        assert len(read_csv(out / "duty_days.csv")) == intake_workdays
        people_rows = read_csv(out / "people.csv")
        assert sum(int(r["duty_days"]) for r in people_rows) == spec["duty_per_day"] * intake_workdays
        assert len(read_csv(out / "duty.csv")) == spec["duty_per_day"] * intake_workdays
        by_id = {p["id"]: p for p in spec["people"]}
        for row in read_csv(out / "duty.csv"):
            assert is_here(by_id[row["person"]], spec["absences"], date.fromisoformat(row["date"]))


# --- municipality C: what a new user sees ------------------------------------------------------


@pytest.fixture(scope="module")
def plan_c(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("municipality-c")
    unit = shutil.copytree(MUNICIPALITY_C, base / "unit")
    out = base / "plan"
    report = plan_unit(unit, out, time_limit=10)
    assert report.valid, (report.result.status, report.violations)
    return out


def _rota_from_folder(out: Path):  # type: ignore[no-untyped-def]
    planning = prepare(load_unit(MUNICIPALITY_C))
    published = read_published(out, planning)
    return planning, Rota(published.on_intake, published.duty_days, published.officers)


def test_people_csv_matches_metrics(plan_c: Path) -> None:
    planning, rota = _rota_from_folder(plan_c)
    expected = rota_metrics(planning, rota).people_rows()
    written = read_csv(plan_c / "people.csv")
    assert [r["person"] for r in written] == [r["person"] for r in expected]
    for got, want in zip(written, expected, strict=True):
        for key, value in want.items():
            if isinstance(value, float):
                assert float(got[key]) == pytest.approx(value, abs=1e-9), (got["person"], key)
            else:
                assert got[key] == str(value), (got["person"], key)

    # And the counts agree with duty.csv itself.
    workdays = planning.grid.workdays
    for row in written:
        mine = [r for r in read_csv(plan_c / "duty.csv") if r["person"] == row["person"]]
        days = sorted(date.fromisoformat(r["date"]) for r in mine)
        assert int(row["duty_days"]) == len(days)
        assert int(row["mentor_days"]) == sum(1 for r in mine if r["role"] == "mentor")
        index = {d: i for i, d in enumerate(workdays)}
        back_to_back = sum(1 for a, b in itertools.pairwise(days) if index[b] - index[a] == 1)
        assert int(row["back_to_back_days"]) == back_to_back
    summary = json.loads((plan_c / "summary.json").read_text(encoding="utf-8"))
    metrics = rota_metrics(planning, rota)
    assert summary["objective"] == metrics.objective_terms()


def test_municipality_c_duty_is_fair_within_teams(plan_c: Path) -> None:
    """Duty spread within each team, per present FTE (FTE x share of the year the person is
    here, so a leaver, a new hire and someone on parental leave are compared fairly).

    Bounds: new investigations per present FTE (the figure the solver balances) within 5 % of
    the team mean plus one duty day of that person (a duty day is 1/duty_per_day of the day's
    new investigations per present FTE: the balance stages stop at a 1 % gap, and whole days
    cannot split finer); duty days per present FTE within 15 % of the team mean
    (the seasonal profile makes a duty day bring 0.86–1.07 times the mean intake, about ±10 %,
    plus one duty day of rounding).
    """
    planning, _ = _rota_from_folder(plan_c)
    d = planning.demand
    biggest_day = max(d.day_new.values()) / planning.unit.rules.duty_per_day
    rows = read_csv(plan_c / "people.csv")
    for team in ("A", "B", "C"):
        mine = [r for r in rows if r["team"] == team]
        new = {r["person"]: float(r["new_per_present_fte"]) for r in mine}
        days = {r["person"]: int(r["duty_days"]) / d.person_capacity[r["person"]] for r in mine}
        mean_new = sum(new.values()) / len(new)
        mean_days = sum(days.values()) / len(days)
        for q in new:
            slack = 0.05 * mean_new + biggest_day / d.person_capacity[q]
            assert abs(new[q] - mean_new) <= slack, (team, q, new[q], mean_new)
            assert abs(days[q] - mean_days) <= 0.15 * mean_days, (team, q, days[q], mean_days)


def test_stage_figures_are_the_written_rotas(plan_c: Path) -> None:
    """Each duty-grid stage reports its term in the rota written, not what the stage itself
    reached: a balance stage leaves some slack (PERSON_SLACK) to the later ones, and they may
    use it, so the gap is measured on what people get."""
    summary = json.loads((plan_c / "summary.json").read_text(encoding="utf-8"))
    people = read_csv(plan_c / "people.csv")
    checked = 0
    for stage in summary["stages"]:
        term, _, team = stage["term"].partition(" ")
        mine = [r for r in people if r["team"] == team]
        if term == "person_caseload":
            expected = max(float(r["peak_open_per_fte"]) for r in mine)
        elif term == "person_intake_max":
            expected = max(float(r["new_per_present_fte"]) for r in mine)
        elif term == "person_intake_min":
            expected = -min(float(r["new_per_present_fte"]) for r in mine)
        elif term == "duty_bunching":
            expected = sum(int(r["back_to_back_days"]) for r in mine)
        else:
            continue
        checked += 1
        assert stage["value"] == pytest.approx(expected, abs=0.01), stage
        gap = max((stage["value"] - stage["best_bound"]) / abs(stage["value"]), 0.0)
        assert stage["gap"] == pytest.approx(0.0 if stage["status"] == "OPTIMAL" else gap, abs=1e-4), stage
        if term != "duty_bunching":  # (the balance terms: the later stages stay within the slack)
            room = PERSON_SLACK * abs(stage["stage_value"]) + 1e-4
            assert stage["value"] <= stage["stage_value"] + room, stage
    assert checked == 12
    # The top-level gaps: every stage's, and the one without the comfort stages (back-to-back
    # and holiday-adjacent days), whose bound of 0 makes any grid look 100 % off.
    gaps = {s["term"]: s["gap"] for s in summary["stages"]}
    comfort = ("duty_bunching", "holiday_adjacent_fairness")
    assert summary["gap"] == pytest.approx(max(gaps.values()))
    balance = max(g for t, g in gaps.items() if not t.startswith(comfort))
    assert summary["balance_gap"] == pytest.approx(balance) and balance < 0.5, gaps


def test_a_stage_reports_the_value_later_stages_leave() -> None:
    """A stage with slack, then one that spends it (here: pushes the caseload peak up as far as
    the slack lets it): the first stage's figures are the final solution's, checked by CP-SAT
    with every decision fixed, and match the metrics of the rota."""
    from rotation.solve import _read_rota, _Run
    from rotation.solver.build import build_model
    from rotation.solver.model import SCALE

    planning = prepare(load_unit(ROOT / "examples" / "tiny"))
    m = build_model(planning.coverage, planning.demand)
    for lit in m.group_literals:
        m.model.add(lit == 1)
    run = _Run(planning, time.monotonic(), 10.0, 2, None)
    # The first team's caseload in its busiest week, as the caseload term's row has it.
    d, team = planning.demand, m.team_ids[0]
    week = int(d.period_caseload.sum(axis=0).argmax())
    row = sum(round(SCALE * d.period_caseload[p, week]) * m.on_intake[team, p] for p in range(m.n_periods))
    specs = [("caseload", m.terms["caseload"], SCALE, 0.5), ("worse", -row, 1, 0.0)]
    assert run.stages(m, specs, later=0)
    first = run.log[0]
    peak = rota_metrics(planning, _read_rota(m, planning.coverage)).caseload_peak
    assert first.found < first.value == pytest.approx(peak, abs=1e-3)
    assert first.value <= 1.5 * first.found + 1e-3
    assert first.status == "FEASIBLE"
    assert first.gap == pytest.approx((first.value - first.bound) / first.value)


def test_municipality_c_nobody_on_a_day_off_no_new_hire_alone(plan_c: Path) -> None:
    """Read straight from the example's staff.csv and absences.csv: every officer works that
    day, and every new hire in introduction has a senior or long-serving colleague beside them."""
    people = {r["id"]: r for r in read_csv(MUNICIPALITY_C / "staff.csv")}
    absences = read_csv(MUNICIPALITY_C / "absences.csv")
    grid = officers_by_day(plan_c)
    intro = timedelta(weeks=8)
    new_hire_days = 0
    for (d, team), rows in grid.items():
        ids = [r["person"] for r in rows]
        assert len(ids) == 2, (d, team, ids)
        for q in ids:
            assert people[q]["team"] == team and people[q]["role"] in ("senior", "social_worker")
            assert is_here(people[q], absences, d), f"{q} on duty on {d}, a day off"
        for q in ids:
            start = people[q]["start"]
            if start and d < date.fromisoformat(start) + intro:
                new_hire_days += 1
                beside = [
                    x
                    for x in ids
                    if x != q
                    and (
                        people[x]["role"] == "senior"
                        or not people[x]["start"]
                        or d >= date.fromisoformat(people[x]["start"]) + intro + timedelta(weeks=52)
                    )
                ]
                assert beside, f"new hire {q} alone on {d}"
                roles = {r["person"]: r["role"] for r in rows}
                assert any(roles[x] == "mentor" for x in beside), (d, rows)
    assert new_hire_days > 0, "p24 and p25 take duty in their introduction weeks"
    assert validate_folder(load_unit(MUNICIPALITY_C), plan_c) == []


# --- the caseload bound from counting whole duty days ----------------------------------------------


def test_counting_whole_days_proves_more_than_sharing_them() -> None:
    """Three slots, two people who each reach the value 20 with two days: at 19 each can take
    only one, so no grid stays at 19 (a fractional share of 1.5 days each would reach 15)."""
    from rotation.solver.schedules import PersonLoads, window_bound

    kind = ("week 0",)
    rows = {q: [(0, {kind: 10})] for q in ("a", "b")}
    loads = PersonLoads({kind: 3}, {"a": {kind: 3}, "b": {kind: 3}}, rows, [frozenset([kind])], 1)
    assert window_bound(loads, found=20, proven=15, tolerance=1e-9, work=1.0).value == 20
    # b is there on one day only: a must take two, and reaches 20 with them.
    alone = PersonLoads(loads.slots, {"a": {kind: 3}, "b": {kind: 1}}, rows, loads.windows, 1)
    assert window_bound(alone, found=20, proven=15, tolerance=1e-9, work=1.0).value == 20
    # A third person makes 19 reachable: 1 + 1 + 1 days.
    three = PersonLoads(
        loads.slots, {**loads.available, "c": {kind: 3}}, {**rows, "c": rows["a"]}, loads.windows, 1
    )
    assert window_bound(three, found=20, proven=0, tolerance=1e-9, work=1.0).value == 10


def test_patterns_prove_what_counting_days_cannot() -> None:
    """Two people, each there on two days of kind x and two of kind y; a row weighs an x day 1
    and a y day 10; x needs one officer, y three. Counting days cannot tell x from y: at 2
    each can take two x days, four for the four slots, so it proves only 2. Patterns can: at 19
    a person's only largest choice is two x and one y, two y in all for the three needed, so
    the optimum (20: one takes two y days) is proven."""
    from rotation.solver.schedules import PersonLoads, pattern_proof, window_bound

    x, y = ("x",), ("y",)
    rows = {q: [(0, {x: 1, y: 10})] for q in "ab"}
    loads = PersonLoads({x: 1, y: 3}, {q: {x: 2, y: 2} for q in "ab"}, rows, [frozenset([x, y])], 1)
    assert window_bound(loads, found=20, proven=0, tolerance=1e-9, work=1.0, patterns=False).value == 2
    assert pattern_proof(loads, 19, work=1.0)[0] == frozenset([x, y])
    assert pattern_proof(loads, 20, work=1.0)[0] is None  # the grid at 20 exists
    assert window_bound(loads, found=20, proven=0, tolerance=1e-9, work=1.0).value == 20
    # With a third person the y days spread (one each, plus an x): 11 is reachable.
    three = PersonLoads(
        loads.slots, {q: {x: 2, y: 2} for q in "abc"}, {**rows, "c": rows["a"]}, loads.windows, 1
    )
    assert pattern_proof(three, 11, work=1.0)[0] is None
    assert pattern_proof(three, 10, work=1.0)[0] is not None


@st.composite
def small_loads(draw):  # type: ignore[no-untyped-def]
    """Two or three people, two or three kinds of day, one or two rows each (small enough to
    try every grid)."""
    from rotation.solver.schedules import PersonLoads

    kinds = [(f"k{i}",) for i in range(draw(st.integers(2, 3)))]
    people = ["a", "b", "c"][: draw(st.integers(2, 3))]
    available = {q: {k: draw(st.integers(0, 3)) for k in kinds} for q in people}
    slots = {k: draw(st.integers(0, sum(available[q][k] for q in people))) for k in kinds}
    rows = {
        q: [
            (draw(st.integers(0, 5)), {k: draw(st.integers(0, 9)) for k in kinds})
            for _ in range(draw(st.integers(1, 2)))
        ]
        for q in people
    }
    return PersonLoads(slots, available, rows, [frozenset(kinds)], 1)


def _best_over_every_grid(loads) -> int:  # type: ignore[no-untyped-def]
    """The lowest peak over every way of filling the slots with whole days (by brute force)."""
    people, kinds = sorted(loads.available), sorted(loads.slots)
    choices = [list(itertools.product(*(range(loads.available[q][k] + 1) for k in kinds))) for q in people]
    best = None
    for grid in itertools.product(*choices):
        if any(sum(x[j] for x in grid) != loads.slots[k] for j, k in enumerate(kinds)):
            continue
        peak = max(
            const + sum(coefs[k] * x[j] for j, k in enumerate(kinds))
            for q, x in zip(people, grid, strict=True)
            for const, coefs in loads.rows[q]
        )
        best = peak if best is None else min(best, peak)
    return best


@settings(max_examples=60, deadline=None)
@given(small_loads())
def test_patterns_prove_exactly_the_whole_day_optimum(loads) -> None:  # type: ignore[no-untyped-def]
    """Over one window holding every kind, patterns are exact for whole days: they prove the
    value just below the best grid (found by trying every grid) and never the best grid's own."""
    from rotation.solver.schedules import pattern_proof

    best = _best_over_every_grid(loads)
    if best is None:
        event("no grid")
        return
    assert pattern_proof(loads, best, work=1.0)[0] is None
    assert pattern_proof(loads, best - 1, work=1.0)[0] is not None


def test_prices_prove_whole_days_over_the_whole_horizon() -> None:
    """The example above, proven by prices instead of windows: at 19 each person can take one
    day only, two for three slots; at 20 the grid exists, so nothing is proven there."""
    from rotation.solver.schedules import PersonLoads, priced_bound, priced_proof

    kind = ("week 0",)
    rows = {q: [(0, {kind: 10})] for q in ("a", "b")}
    loads = PersonLoads({kind: 3}, {"a": {kind: 3}, "b": {kind: 3}}, rows, [frozenset([kind])], 1)
    assert priced_proof(loads, 19, work=1.0)[0] is True
    assert priced_proof(loads, 20, work=1.0)[0] is False
    assert priced_bound(loads, found=20, proven=0, tolerance=1e-9, work=5.0).value == 20
    # Someone over the value with no days at all: proven at once.
    over = PersonLoads(loads.slots, loads.available, {**rows, "b": [(25, {kind: 10})]}, loads.windows, 1)
    assert priced_proof(over, 24, work=1.0)[0] is True


@settings(max_examples=60, deadline=None)
@given(small_loads())
def test_prices_never_prove_a_value_a_grid_reaches(loads) -> None:  # type: ignore[no-untyped-def]
    """Prices prove a bound: never one a grid reaches (found by trying every grid). Below the
    best grid they may fail (their LP mixes people's choices of days), so that is only
    counted."""
    from rotation.solver.schedules import priced_bound, priced_proof

    best = _best_over_every_grid(loads)
    if best is None:
        event("no grid")
        return
    assert priced_proof(loads, best, work=5.0)[0] is not True
    event(f"prices {'prove' if priced_proof(loads, best - 1, work=5.0)[0] else 'miss'} the optimum")
    assert priced_bound(loads, found=best, proven=0, tolerance=1e-9, work=5.0).value <= best


def _team_level(planning):  # type: ignore[no-untyped-def]
    """The first feasible team level: (team, period) -> on intake, or None."""
    from ortools.sat.python import cp_model

    from rotation.solver.build import build_model

    teams = build_model(planning.coverage, planning.demand)
    for lit in teams.group_literals:
        teams.model.add(lit == 1)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    if solver.solve(teams.model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {key: bool(solver.value(var)) for key, var in teams.on_intake.items()}


def _grid_model(planning, fixed, duty_teams=None):  # type: ignore[no-untyped-def]
    """The duty grids' model (of ``duty_teams``, default all) for the team level ``fixed``."""
    from rotation.solver.build import build_model

    m = build_model(planning.coverage, planning.demand, duty=True, duty_teams=duty_teams, fixed_intake=fixed)
    for lit in m.group_literals:
        m.model.add(lit == 1)
    for key, var in m.on_intake.items():
        m.model.add(var == int(fixed[key]))
    return m


def _peak_model(planning):  # type: ignore[no-untyped-def]
    """The duty grids' model for a fixed team level (the first feasible one), or None."""
    fixed = _team_level(planning)
    return None if fixed is None else _grid_model(planning, fixed)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_units())
def test_caseload_counting_bound_never_passes_the_optimum(spec: dict) -> None:  # type: ignore[type-arg]
    """The bound from counting whole days is proven: it never claims that no grid reaches a
    value that a proven optimal grid reaches (a wrong bound would, as it cuts off grids)."""
    from ortools.sat.python import cp_model

    from rotation.solver.schedules import _Counts, pattern_proof, priced_proof, proves_beyond, window_bound

    with tempfile.TemporaryDirectory() as tmp:
        folder = write_random_unit(Path(tmp) / "unit", spec, weeks=4)  # small enough to prove
        m = _peak_model(prepare(load_unit(folder)))
        if m is None:
            event("no team rota")
            return
        m.model.minimize(m.terms["person_caseload"])
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 2
        solver.parameters.max_time_in_seconds = 10
        code = solver.solve(m.model)
        event(solver.status_name(code))
        if code != cp_model.OPTIMAL:
            return
        optimum = round(solver.objective_value)
        loads = m.person_loads["person_caseload"]
        assert proves_beyond(_Counts(loads), optimum) is None
        bound = window_bound(loads, optimum + 1, 0, tolerance=1e-9, work=5.0)
        assert bound.value <= optimum
        event(f"bound {'at' if bound.value == optimum else 'below'} the optimum")
        assert pattern_proof(loads, optimum, work=5.0)[0] is None  # a grid at the optimum exists
        proved = pattern_proof(loads, optimum - 1, work=5.0)[0] is not None
        event(f"patterns {'prove' if proved else 'miss'} the optimum")
        assert priced_proof(loads, optimum, work=5.0)[0] is not True  # nor do prices


# --- the local search over a team's duty grid --------------------------------------------------


def test_local_search_balances_a_lopsided_grid() -> None:
    """One person holds all four duty days of three colleagues: moving days evens it out to
    the best split (2, 1, 1), and the lowest load rises from 0 to 1."""
    from rotation.solver.improve import MAX, MIN, DutyGrid, Term, improve

    days = [date(2027, 8, 2) + timedelta(days=2 * i) for i in range(4)]
    rows = {q: [(0, {d: 1 for d in days})] for q in "abc"}
    grid = DutyGrid(
        days=days,
        present=[list("abc")] * 4,
        workday=[0, 2, 4, 6],
        new_hires=[set()] * 4,
        experienced=[set("abc")] * 4,
        acting=set(),
        limit=3,
        terms={"high": Term(MAX, {"T": rows}), "low": Term(MIN, {"T": rows})},
    )
    lopsided = {(q, d): int(q == "a") for q in "abc" for d in days}
    high = improve(grid, lopsided, "high", {}, target=2, moves=200)
    assert (high.start, high.value) == (4, 2)
    assert sum(high.on.values()) == 4 and all(sum(high.on[q, d] for q in "abc") == 1 for d in days)
    low = improve(grid, high.on, "low", {"high": 2}, target=-1, moves=200)
    assert (low.start, low.value) == (0, -1)
    assert max(sum(low.on[q, d] for d in days) for q in "abc") == 2  # the cap held


def test_local_search_never_leaves_a_new_hire_alone() -> None:
    """The mentor holds all three duty days (one officer a day): every move that would even the
    load gives the new hire a day alone, so the search makes none of them."""
    from rotation.solver.improve import MAX, DutyGrid, Term, improve

    days = [date(2027, 8, 2) + timedelta(days=i) for i in range(3)]  # Monday to Wednesday
    rows = {q: [(0, {d: 1 for d in days})] for q in ("mentor", "new")}
    grid = DutyGrid(
        days=days,
        present=[["mentor", "new"]] * 3,
        workday=[0, 1, 2],
        new_hires=[{"new"}] * 3,
        experienced=[{"mentor"}] * 3,
        acting=set(),
        limit=3,
        terms={"high": Term(MAX, {"T": rows})},
    )
    start = {("mentor", d): 1 for d in days} | {("new", d): 0 for d in days}
    result = improve(grid, start, "high", {}, target=0, moves=500)
    assert result.value == 3 and not result.improved
    assert all(result.on["new", d] == 0 for d in days)


def _monday_to_thursday() -> list[date]:
    return [date(2027, 8, 2) + timedelta(days=i) for i in range(4)]


def _two_officers(days, limit, terms):  # type: ignore[no-untyped-def]
    """A duty grid of one officer a day, ``a`` and ``b`` both present and experienced."""
    from rotation.solver.improve import DutyGrid

    n = len(days)
    return DutyGrid(
        days, [["a", "b"]] * n, list(range(n)), [set()] * n, [{"a", "b"}] * n, set(), limit, terms
    )


def test_local_search_takes_back_to_back_days_apart() -> None:
    """Two officers, one a day, Monday to Thursday, each holding two days in a row: taking
    turns leaves no back-to-back day, and the search finds that."""
    from rotation.solver.improve import PAIRS, Term, improve

    days = _monday_to_thursday()
    grid = _two_officers(days, limit=3, terms={"pairs": Term(PAIRS)})
    start = {(q, d): int((q == "a") == (i < 2)) for q in "ab" for i, d in enumerate(days)}
    result = improve(grid, start, "pairs", {}, target=0, moves=200)
    assert (result.start, result.value) == (2, 0)
    assert [q for d in days for q in "ab" if result.on[q, d]] in (list("abab"), list("baba"))


def test_exchange_shares_two_peoples_days_at_their_best() -> None:
    """Two officers hold Monday-Tuesday and Wednesday-Thursday (loads 7 and 3). Sharing their
    days anew, exactly, gives the best split: 5 and 5 (Monday with Thursday, Tuesday with
    Wednesday). Raising the lower load with the higher one capped at 7 gives 5 and 5 too."""
    from rotation.solver.improve import MAX, MIN, Term, _exchange, _Search

    days = _monday_to_thursday()
    rows = {q: [(0, {d: w for d, w in zip(days, (4, 3, 2, 1), strict=True)})] for q in "ab"}
    grid = _two_officers(days, limit=2, terms={"high": Term(MAX, {"T": rows}), "low": Term(MIN, {"T": rows})})
    start = {(q, d): int((q == "a") == (i < 2)) for q in "ab" for i, d in enumerate(days)}
    search = _Search(grid, start, "high", {})
    handed, work = _exchange(search, (0, 1), work=1.0)
    assert handed is not None and work > 0
    for giver, taker, day in handed:
        search.replace(giver, taker, day)
    assert search.score() is not None and search.score()[0] == 5  # type: ignore[index]
    assert sorted(sorted(search.days_of[q]) for q in (0, 1)) == [[0, 3], [1, 2]]
    # The lowest load (term "low", -3 at the start) is maximised with "high" kept at 7 or under.
    search = _Search(grid, start, "low", {"high": 7})
    handed, _ = _exchange(search, (0, 1), work=1.0)
    assert handed is not None
    for giver, taker, day in handed:
        search.replace(giver, taker, day)
    assert search.score()[0] == -5  # type: ignore[index]


def test_exchanges_take_each_colleague_in_turn_most_room_first(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The exchanges pair the person who sets the peak with each colleague in turn, the one
    with the lowest peak first: while the loads stay (here every exchange is refused), in as
    many exchanges as colleagues, every one of them."""
    from rotation.solver import improve as improve_module
    from rotation.solver.improve import EXCHANGE_EVERY, MAX, DutyGrid, Term, improve

    days = [date(2027, 8, 2) + timedelta(days=i) for i in range(8)]
    people = list("abcde")
    rows = {q: [(0, {d: 1 for d in days})] for q in people}
    grid = DutyGrid(
        days=days,
        present=[people] * 8,
        workday=list(range(8)),
        new_hires=[set()] * 8,
        experienced=[set(people)] * 8,
        acting=set(),
        limit=8,
        terms={"high": Term(MAX, {"T": rows})},
    )
    held = {"a": 4, "b": 2, "c": 1, "d": 1, "e": 0}  # a sets the peak; e has the most room
    order = [q for q, n in held.items() for _ in range(n)]
    start = {(q, d): int(order[i] == q) for q in people for i, d in enumerate(days)}
    pairs: list[tuple[int, ...]] = []

    def refuse(search, pair, work):  # type: ignore[no-untyped-def]
        pairs.append(pair)
        return None, 0.0

    monkeypatch.setattr(improve_module, "_exchange", refuse)
    # Single moves only where they cannot change a thing: no day is handed over at all.
    monkeypatch.setattr(improve_module, "SWAPS", 0.0)
    monkeypatch.setattr(improve_module._Search, "allowed", lambda self, q, i: False)
    improve(grid, start, "high", {}, target=0, moves=4 * (EXCHANGE_EVERY + improve_module.EXCHANGE_COST))
    assert len(pairs) == 4
    assert [people[p[1]] for p in pairs] == ["e", "c", "d", "b"]  # most room first, ties by order
    assert all(people[p[0]] == "a" for p in pairs)


def _team_grids(planning):  # type: ignore[no-untyped-def]
    """Each team's duty-grid model (the teams fixed at a feasible team level), with a feasible
    grid to start from (variable index -> value); [] when there is no team rota."""
    from ortools.sat.python import cp_model

    fixed = _team_level(planning)
    grids = []
    for team in planning.unit.teams if fixed else []:
        m = _grid_model(planning, fixed, {team.id})
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = 10
        if m.duty and solver.solve(m.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            start = {var.index: int(solver.value(var)) for var in (*m.duty.values(), *m.acting.values())}
            grids.append((m, start))
    return grids


def _term_values(m, assignment, acting):  # type: ignore[no-untyped-def]
    """Each person-level term's value with every duty and acting variable fixed, as the CP-SAT
    model computes it; None when the fixed grid breaks a rule."""
    from ortools.sat.python import cp_model

    from rotation.solver.duty import TERM_KINDS

    values = {}
    for term in TERM_KINDS:
        fixed = m.model.clone()
        for key, var in m.duty.items():
            fixed.add(fixed.get_bool_var_from_proto_index(var.index) == assignment[key])
        for var in m.acting.values():
            fixed.add(fixed.get_bool_var_from_proto_index(var.index) == acting[var.index])
        fixed.minimize(m.terms[term])
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        if solver.solve(fixed) != cp_model.OPTIMAL:
            return None
        values[term] = round(solver.objective_value)
    return values


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    random_units(),
    st.sampled_from(["person_caseload", "person_intake_min", "duty_bunching", "holiday_adjacent_fairness"]),
)
def test_local_search_keeps_every_rule_and_the_earlier_stages(spec: dict, term: str) -> None:  # type: ignore[type-arg]
    """From a valid grid, the local search's grid obeys every rule of the CP-SAT model, keeps
    the earlier stages' terms at or under their caps, and reports the term's value as the model
    computes it (a wrong move or a wrong sum fails here)."""
    from rotation.solver.duty import TERM_KINDS, duty_grid
    from rotation.solver.improve import improve

    with tempfile.TemporaryDirectory() as tmp:
        folder = write_random_unit(Path(tmp) / "unit", spec)
        grids = _team_grids(prepare(load_unit(folder)))
        if not grids:
            event("no team rota")
        for m, start in grids:
            on = {key: start[var.index] for key, var in m.duty.items()}
            before = _term_values(m, on, start)
            assert before is not None
            earlier = list(TERM_KINDS)[: list(TERM_KINDS).index(term)]
            caps = {name: before[name] for name in earlier}
            grid = duty_grid(m, start)
            assert grid is not None
            result = improve(grid, on, term, caps, target=float("-inf"), moves=1500)
            after = _term_values(m, result.on, start)
            assert after is not None, "the local search broke a rule"
            assert after[term] == result.value <= before[term] == result.start
            assert all(after[name] <= cap for name, cap in caps.items())
            event("improved" if result.improved else "not improved")
