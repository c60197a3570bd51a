"""Helpers shared by the tests: build small unit folders from Python data and plan them.

Most tests build exactly the situation they need with :func:`unit_toml` (the unit.toml text),
:func:`team_staff` / :func:`person` (staff rows) and absence tuples, written by the ``make_unit``
fixture in conftest.py. The default horizon, 2027-09-06 to 2027-11-28, has no Swedish public
holiday on a weekday, so every Monday–Friday is a workday and all teams are alike unless a test
makes them differ.
"""

from __future__ import annotations

import csv
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from rotation.read import load_unit
from rotation.solve import Planning, PlanResult, plan, prepare
from rotation.unit import Unit

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TINY = EXAMPLES / "tiny"
MUNICIPALITY_C = EXAMPLES / "municipality-c"

STAFF_COLUMNS = ["id", "name", "email", "team", "role", "fte", "start", "end", "weekdays"]
ABSENCE_COLUMNS = ["person", "start", "end", "kind"]
DURATIONS = '{ "14" = 0.08, "30" = 0.08, "60" = 0.18, "90" = 0.26, "120" = 0.28, "180" = 0.10, "240" = 0.02 }'

START = date(2027, 9, 6)  # a Monday; 12 weeks from here hold no weekday holiday in Sweden
TIME_LIMIT = 10.0


def person(
    pid: str,
    team: str,
    role: str = "social_worker",
    fte: float | str = 1.0,
    start: str = "",
    end: str = "",
    weekdays: str = "",
) -> dict[str, str]:
    """One staff.csv row."""
    return {
        "id": pid,
        "name": f"Person {pid}",
        "email": f"{pid}@example.se",
        "team": team,
        "role": role,
        "fte": str(fte),
        "start": start,
        "end": end,
        "weekdays": weekdays,
    }


def manager_id(team: str) -> str:
    return f"m{team.lower()}"


def worker_id(team: str, i: int) -> str:
    return f"{team.lower()}{i}"


def team_staff(team: str, workers: int = 3) -> list[dict[str, str]]:
    """A team's manager ``m<team>`` and ``workers`` social workers ``<team>1…`` (the first a senior)."""
    rows = [person(manager_id(team), team, "manager")]
    for i in range(1, workers + 1):
        rows.append(person(worker_id(team, i), team, "senior" if i == 1 else "social_worker"))
    return rows


def staff_for(teams: Sequence[str], workers: int = 3) -> list[dict[str, str]]:
    return [row for t in teams for row in team_staff(t, workers)]


def period_start(p: int, period_weeks: int = 2, start: date = START) -> date:
    return start + timedelta(weeks=p * period_weeks)


def period_end(p: int, period_weeks: int = 2, start: date = START) -> date:
    return period_start(p + 1, period_weeks, start) - timedelta(days=1)


def away(pid: str, first: date | str, last: date | str, kind: str = "vacation") -> tuple[str, str, str, str]:
    """One absences.csv row."""
    return (pid, str(first), str(last), kind)


def away_in_period(pid: str, p: int, kind: str = "vacation") -> tuple[str, str, str, str]:
    return away(pid, period_start(p), period_end(p), kind)


def unit_toml(
    *,
    teams: Sequence[str] = ("A", "B", "C"),
    deputies: dict[str, Sequence[str]] | None = None,
    start: date | str = START,
    weeks: int = 12,
    period_weeks: int = 2,
    teams_on_duty: int = 1,
    min_rest_weeks: int = 0,
    target_rest_weeks: float | None = None,
    min_present: int = 2,
    introduction_weeks: int = 8,
    duty_per_day: int | None = 0,
    language: str = "en",
    referrals_per_week: float = 30,
    seasons: Iterable[tuple[str, str, int]] = (),
    pins: Iterable[tuple[str, str]] = (),
    extra: str = "",
) -> str:
    """unit.toml text. ``deputies`` defaults to each team's senior; seasons are (from, to,
    min_present); pins are (start, team).

    ``duty_per_day`` defaults to 0: no personal intake-duty grid, so a test sees the team-level
    rules alone; None leaves the key out (the reader's default applies).
    """
    deputies = deputies if deputies is not None else {t: [worker_id(t, 1)] for t in teams}
    lines = [
        "[unit]",
        'name = "Test unit"',
        'timezone = "Europe/Stockholm"',
        'country = "SE"',
        f'language = "{language}"',
        "",
        "[rotation]",
        f"start = {start}",
        f"weeks = {weeks}",
        f"period_weeks = {period_weeks}",
        f"teams_on_duty = {teams_on_duty}",
        f"min_rest_weeks = {min_rest_weeks}",
        f"min_present = {min_present}",
        f"introduction_weeks = {introduction_weeks}",
    ]
    if target_rest_weeks is not None:
        lines.append(f"target_rest_weeks = {target_rest_weeks}")
    if duty_per_day is not None:
        lines.append(f"duty_per_day = {duty_per_day}")
    lines += [
        "",
        "[demand]",
        f"referrals_per_week = {referrals_per_week}",
        'seasonal = "none"',
        "investigation_share = 0.35",
        f"duration_days = {DURATIONS}",
    ]
    for t in teams:
        deps = ", ".join(f'"{d}"' for d in deputies.get(t, []))
        lines += [
            "",
            "[[team]]",
            f'id = "{t}"',
            f'name = "Team {t}"',
            f'manager = "{manager_id(t)}"',
            f"deputies = [{deps}]",
        ]
    for i, (first, last, value) in enumerate(seasons, start=1):
        lines += ["", "[[season]]", f'name = "Season {i}"', f"from = {first}", f"to = {last}"]
        lines.append(f"min_present = {value}")
    for pin_start, team in pins:
        lines += ["", "[[pin]]", f"start = {pin_start}", f'team = "{team}"']
    if extra:
        lines += ["", extra]
    return "\n".join(lines) + "\n"


def without_duty(folder: Path) -> Path:
    """Switch the personal duty grid off in a unit folder (e.g. one from synthetic.write_unit)."""
    toml = folder / "unit.toml"
    text = toml.read_text(encoding="utf-8")
    assert "duty_per_day" not in text
    toml.write_text(text.replace("[rotation]\n", "[rotation]\nduty_per_day = 0\n", 1), encoding="utf-8")
    return folder


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, str] | Sequence[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns] if isinstance(row, dict) else list(row))


def write_unit_folder(
    folder: Path,
    toml: str,
    staff: Iterable[dict[str, str] | Sequence[str]],
    absences: Iterable[dict[str, str] | Sequence[str]] | None = None,
    staff_format: str = "csv",
) -> Path:
    """Write unit.toml, staff.csv (or staff.xlsx) and absences.csv (empty unless given) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "unit.toml").write_text(toml, encoding="utf-8")
    staff = list(staff)
    if staff_format == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(STAFF_COLUMNS)
        for row in staff:
            sheet.append([row.get(c, "") for c in STAFF_COLUMNS] if isinstance(row, dict) else list(row))
        book.save(folder / "staff.xlsx")
    else:
        write_csv(folder / "staff.csv", STAFF_COLUMNS, staff)
    write_csv(folder / "absences.csv", ABSENCE_COLUMNS, absences or [])  # (required, maybe empty)
    return folder


@dataclass
class Solved:
    unit: Unit
    planning: Planning
    result: PlanResult

    @property
    def on_intake(self) -> tuple[tuple[str, ...], ...]:
        assert self.result.rota is not None, f"no rota: {self.result.status} {self.result.conflicts}"
        return self.result.rota.on_intake

    def rows_of(self, team: str, day: date) -> list:
        assert self.result.rota is not None
        return [d for d in self.result.rota.duty_days if d.team == team and d.date == day]


def solve_folder(folder: Path, time_limit: float = TIME_LIMIT, relax: bool = False) -> Solved:
    unit = load_unit(folder)
    planning = prepare(unit)
    return Solved(unit, planning, plan(planning, time_limit=time_limit, relax=relax))


def weekdays_between(first: date, last: date) -> list[date]:
    """Monday–Friday dates from ``first`` to ``last`` inclusive."""
    days = []
    d = first
    while d <= last:
        if d.weekday() < 5:
            days.append(d)
        d += timedelta(days=1)
    return days


def installed_command() -> str | None:
    """The `rotation` script of the environment running the tests (PATH need not include it:
    the README runs the tests as `.venv/bin/python -m pytest`)."""
    beside = Path(sys.executable).parent / "rotation"
    return str(beside) if beside.exists() else shutil.which("rotation")
