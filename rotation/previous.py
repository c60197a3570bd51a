"""The plan before this one (last year's rota): what carries over the new horizon's start.

A unit plans a year at a time. ``rotation plan UNIT --after PREVIOUS`` reads the previous plan
folder so that the new year starts where the old one ended:

- **rest**: a team on intake just before the start has rested only since; ``min_rest_weeks``
  holds across the boundary (hard) and ``target_rest_weeks`` counts the weeks before it (soft);
- **caseload**: the investigations the previous plan's intake opened that are still open
  (expected, by the duration distribution) are each team's and each person's load at the start,
  instead of an even share of a steady state (``open_cases`` in staff.csv still wins: it is
  measured);
- **days in a row**: duty days right before the start count towards ``max_duty_days_in_row``.

The previous plan's new investigations are estimated with this unit's demand settings (its rate
and seasonal profile on the previous plan's dates; a demand file's mean where it does not reach
back).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import holidays

from .errors import InputError
from .unit import Unit


@dataclass(frozen=True)
class Before:
    """The previous plan's intake periods and duty days."""

    folder: Path
    intake: dict[str, list[tuple[date, date]]]  # team -> (first, last day) of each intake period
    officers: dict[tuple[date, str], list[str]]  # (day, team) -> people on duty
    last_day: date  # the previous plan's last day
    first_day: date | None = None  # the previous plan's first day (None: as its first intake)
    unknown_teams: tuple[str, ...] = ()  # teams of the previous plan this unit does not have
    # Person -> duty workdays in a row right before this unit's start (only those with a run)
    runs: dict[str, int] = field(default_factory=dict)

    def rest_weeks(self, team: str, day: date) -> int | None:
        """Whole weeks off intake between the team's last intake period before ``day`` and
        ``day``; None when the previous plan never had the team on intake."""
        ends = [end for _, end in self.intake.get(team, []) if end < day]
        if not ends:
            return None
        return (day - max(ends) - timedelta(days=1)).days // 7


def read_previous(folder: str | Path, unit: Unit) -> Before:
    """Read the plan folder ``rotation plan`` (or ``replan``) wrote for the previous horizon: a
    valid plan of the same unit that ends before this one starts."""
    folder = Path(folder)
    name = str(folder)
    if not (folder / "rota.csv").is_file() or not (folder / "summary.json").is_file():
        raise InputError(
            name, "not a plan folder (no rota.csv or summary.json); give the previous plan's folder"
        )
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InputError(str(folder / "summary.json"), "is not the JSON a plan folder has") from None
    if isinstance(summary, dict) and summary.get("unit") not in (None, unit.name):
        raise InputError(
            name,
            f"is the plan of unit '{summary.get('unit')}', not '{unit.name}' (unit.toml's [unit] name)",
        )
    if not isinstance(summary, dict) or summary.get("valid") is not True:
        raise InputError(
            name,
            'is not a valid plan ("valid" is not true in summary.json: a relaxed draft?); give the '
            "version that was published",
        )
    teams = {t.id for t in unit.teams}
    intake: dict[str, list[tuple[date, date]]] = {}
    unknown: set[str] = set()
    last = first_day = None
    for row_no, row in _rows(folder / "rota.csv", ("start", "end", "team")):
        first, end = (
            _date(row, "start", folder / "rota.csv", row_no),
            _date(row, "end", folder / "rota.csv", row_no),
        )
        last, first_day = max(last or end, end), min(first_day or first, first)
        if row["team"] in teams:
            intake.setdefault(row["team"], []).append((first, end))
        else:  # (a team the unit no longer has: its intake carries nothing over)
            unknown.add(row["team"])
    if last is None:
        raise InputError(str(folder / "rota.csv"), "has no rows; give the previous plan's folder")
    if last >= unit.rules.start:
        raise InputError(
            name,
            f"the previous plan runs to {last}, not before this unit's start ({unit.rules.start}); "
            "--after takes the plan of the horizon before this one",
        )
    officers: dict[tuple[date, str], list[str]] = {}
    if (folder / "duty.csv").is_file():
        for row_no, row in _rows(folder / "duty.csv", ("date", "team", "person")):
            day = _date(row, "date", folder / "duty.csv", row_no)
            officers.setdefault((day, row["team"]), []).append(row["person"])
    runs = _runs_before(officers, unit.rules.start, unit.country)
    return Before(folder, intake, officers, last, first_day, tuple(sorted(unknown)), runs)


def _runs_before(officers: dict[tuple[date, str], list[str]], start: date, country: str) -> dict[str, int]:
    """Each person's duty workdays in a row right before ``start`` (a workday without duty, in
    the previous plan or between the plans, ends a run)."""
    on_duty = {(q, d) for (d, _), people in officers.items() for q in people}
    years = range(start.year - 2, start.year + 1)
    free = holidays.country_holidays(country, years=years, categories=("public", "de_facto"))
    runs: dict[str, int] = {}
    for person in {q for q, _ in on_duty}:
        run, day = 0, start - timedelta(days=1)
        while day.weekday() >= 5 or day in free or (person, day) in on_duty:
            run += day.weekday() < 5 and day not in free
            day -= timedelta(days=1)
        if run:
            runs[person] = run
    return runs


def _rows(path: Path, needed: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(enumerate(csv.DictReader(f), start=2))
            header = rows[0][1].keys() if rows else set()
    except UnicodeDecodeError:
        raise InputError(
            str(path), "is not UTF-8 text (saved from Excel?); use the file rotation wrote"
        ) from None
    missing = [c for c in needed if c not in header]
    if rows and missing:
        raise InputError(str(path), f"has no column {missing[0]!r}", row=1, field=missing[0])
    return rows


def _date(row: dict[str, str], field_name: str, path: Path, row_no: int) -> date:
    try:
        return date.fromisoformat(row.get(field_name) or "")
    except ValueError:
        raise InputError(str(path), "expected a date like 2027-01-04", row=row_no, field=field_name) from None
