"""Read a plan folder written by ``rotation plan`` into frozen records for the feeds.

Only what the feeds need is read: the intake periods (``rota.csv``), who manages each intake
day (``duty_days.csv``), the validator's verdict (``summary.json``), when the planner wrote
it, each person's own intake-duty days (``duty.csv``), and a re-plan's or swap's ``today``
(``version.json``). A plan that is not valid is refused.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ..errors import InputError
from ..unit import Unit

DUTY_ROLES = ("officer", "mentor")


@dataclass(frozen=True)
class IntakePeriod:
    period: int
    start: date  # Monday
    end: date  # Sunday, inclusive
    team: str


@dataclass(frozen=True)
class ManagedDay:
    """One workday of an intake team: who manages it, and whether they act for the manager."""

    date: date
    team: str
    manager: str
    acting: bool


@dataclass(frozen=True)
class DutyDay:
    """A person's own intake duty on one day (``duty.csv``)."""

    date: date
    team: str
    person: str
    role: str  # "officer" or "mentor"


@dataclass(frozen=True)
class Plan:
    horizon_start: date
    horizon_end: date  # inclusive
    intake: tuple[IntakePeriod, ...]
    managed_days: tuple[ManagedDay, ...]
    duty: tuple[DutyDay, ...] | None  # None: the plan folder has no duty.csv
    today: date | None = None  # a re-plan's or swap's --today (version.json); None for a fresh plan
    version: int = 1  # version.json's version: 1 for a fresh plan, one more per re-plan or swap
    fingerprint: str = ""  # of rota.csv, duty_days.csv and duty.csv, as a re-plan names its parent
    parent: tuple[str, int] | None = None  # the fingerprint and version of the plan re-planned


def read_plan(folder: str | Path, unit: Unit) -> Plan:
    """Read and check ``folder`` against ``unit``; raise :class:`InputError` on any mistake."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(str(folder), "not a folder; expected a plan folder written by 'rotation plan'")
    _check_valid(folder / "summary.json", unit)
    start = unit.rules.start
    end = start + timedelta(weeks=unit.rules.weeks, days=-1)
    period_days = 7 * unit.rules.period_weeks
    team_ids = {t.id for t in unit.teams}
    person_ids = {p.id for p in unit.people}

    intake = []
    for rec in _rows(folder / "rota.csv", ("period", "start", "end", "team")):
        period = IntakePeriod(
            rec.integer("period"), rec.day("start"), rec.day("end"), rec.known("team", team_ids)
        )
        offset = (period.start - start).days
        if not (start <= period.start <= end) or offset % period_days:
            raise rec.error(
                "start",
                f"{period.start} is not a period start of this unit; is this the plan of another unit?",
            )
        if period.end != period.start + timedelta(days=period_days - 1):
            raise rec.error("end", f"{period.end} does not end the period that starts {period.start}")
        intake.append(period)
    managed = []
    for rec in _rows(folder / "duty_days.csv", ("date", "period", "team", "manager", "acting")):
        managed.append(
            ManagedDay(
                rec.within("date", start, end),
                rec.known("team", team_ids),
                rec.person("manager", person_ids, required=False),
                rec.boolean("acting"),
            )
        )
    duty = None
    if (folder / "duty.csv").exists():
        duty = tuple(
            DutyDay(
                rec.within("date", start, end),
                rec.known("team", team_ids),
                rec.person("person", person_ids),
                rec.known("role", set(DUTY_ROLES)),
            )
            for rec in _rows(folder / "duty.csv", ("date", "period", "team", "person", "role"))
        )
    today, version, parent = _version(folder / "version.json")
    return Plan(start, end, tuple(intake), tuple(managed), duty, today, version, _fingerprint(folder), parent)


def _version(path: Path) -> tuple[date | None, int, tuple[str, int] | None]:
    """From version.json: the ``today`` a re-plan or swap was made as of (None for a fresh plan),
    the version, and the parent's fingerprint and version (None for a fresh plan)."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, 1, None
    if not isinstance(meta, dict):
        return None, 1, None
    try:
        today = date.fromisoformat(meta["today"]) if isinstance(meta.get("today"), str) else None
    except ValueError:
        today = None
    version = meta.get("version")
    parent = meta.get("parent")
    parent_id = None
    if isinstance(parent, dict) and isinstance(parent.get("fingerprint"), str):
        parent_version = parent.get("version")
        parent_id = (parent["fingerprint"], parent_version if isinstance(parent_version, int) else 0)
    return today, version if isinstance(version, int) else 1, parent_id


def _fingerprint(folder: Path) -> str:
    """The plan's fingerprint, computed as ``rotation replan`` computes its parent's."""
    digest = hashlib.sha256()
    for name in ("rota.csv", "duty_days.csv", "duty.csv"):
        if (folder / name).exists():
            digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:16]


def _check_valid(path: Path, unit: Unit) -> None:
    if not path.exists():
        raise InputError(str(path), "missing; expected a plan folder written by 'rotation plan'")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(str(path), f"cannot be read ({e})") from None
    if not isinstance(summary, dict) or summary.get("valid") is not True:
        raise InputError(
            str(path),
            'the plan is not valid ("valid" is not true); only a valid plan is published — '
            "fix the unit and run 'rotation plan' again",
        )
    if summary.get("unit") not in (None, unit.name):
        raise InputError(
            str(path),
            f"is the plan of '{summary['unit']}', not of '{unit.name}'; is this the plan of another unit?",
        )


class _Record:
    def __init__(self, file: str, row: int, values: dict[str, str]) -> None:
        self.file, self.row, self.values = file, row, values

    def error(self, field: str, message: str) -> InputError:
        return InputError(self.file, message, row=self.row, field=field)

    def text(self, field: str, required: bool = True) -> str:
        value = (self.values.get(field) or "").strip()
        if required and not value:
            raise self.error(field, "is empty")
        return value

    def day(self, field: str) -> date:
        value = self.text(field)
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.error(field, f"'{value}' is not a date (YYYY-MM-DD)") from None

    def within(self, field: str, first: date, last: date) -> date:
        value = self.day(field)
        if not first <= value <= last:
            raise self.error(
                field, f"{value} is outside the unit's horizon; is this the plan of another unit?"
            )
        return value

    def integer(self, field: str) -> int:
        value = self.text(field)
        try:
            return int(value)
        except ValueError:
            raise self.error(field, f"'{value}' is not a whole number") from None

    def boolean(self, field: str) -> bool:
        value = self.text(field).lower()
        if value not in ("true", "false"):
            raise self.error(field, f"'{value}' is not true or false")
        return value == "true"

    def person(self, field: str, known: set[str], required: bool = True) -> str:
        value = self.text(field, required)
        if value and value not in known:
            raise self.error(
                field,
                f"'{value}' is in the plan but not in staff.csv; if they left after the plan was "
                "made, keep them in staff.csv with an end date and re-plan (or is this the plan "
                "of another unit?)",
            )
        return value

    def known(self, field: str, known: set[str], required: bool = True) -> str:
        value = self.text(field, required)
        if value and value not in known:
            raise self.error(field, f"'{value}' is not in the unit folder; is this the plan of another unit?")
        return value


def _rows(path: Path, columns: tuple[str, ...]) -> list[_Record]:
    if not path.exists():
        raise InputError(str(path), "missing; expected a plan folder written by 'rotation plan'")
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(str(path), f"missing column(s): {', '.join(missing)}")
            return [_Record(path.name, i, row) for i, row in enumerate(reader, start=2)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(str(path), f"cannot be read ({e})") from None
