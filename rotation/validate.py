"""The independent validator: re-checks every hard rule from the inputs and the written rota.

It shares no code with the solver or the time grid: workdays, presence and staffing are
recomputed here from the unit's raw lists, so a bug in the model cannot hide itself. (The
previous horizon's plan, for the rules across the start, is read with the same CSV reader as
the planner's, :func:`rotation.previous.read_previous`.)
"""

from __future__ import annotations

import csv
import itertools
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import holidays

from .previous import Before, read_previous
from .unit import Unit


@dataclass(frozen=True)
class Violation:
    rule: str  # teams_on_duty, min_rest, staffing, manager, pin, file
    message: str

    def __str__(self) -> str:
        return self.message


def validate_folder(unit: Unit, out_dir: str | Path, since: date | None = None) -> list[Violation]:
    """Check ``rota.csv``, ``duty_days.csv`` and ``duty.csv`` in ``out_dir`` against the unit;
    where ``version.json`` names the previous horizon's plan (``after``), also the rules across
    the start (rest, duty days in a row), read from that folder."""
    out = Path(out_dir)
    officers = _read(out / "duty.csv") if (out / "duty.csv").exists() else None
    if officers is None and unit.plans_duty:
        return [Violation("file", "duty.csv is missing; the unit plans daily intake duty")]
    before = None
    after = _after(out)
    if after is not None:
        if not (after / "rota.csv").is_file():
            return [
                Violation("file", f"version.json: the previous plan {after} is not there to check against")
            ]
        before = read_previous(after, unit)
    return validate_rows(unit, _read(out / "rota.csv"), _read(out / "duty_days.csv"), officers, since, before)


def _after(out: Path) -> Path | None:
    try:
        after = json.loads((out / "version.json").read_text(encoding="utf-8")).get("after")
    except (OSError, ValueError):
        return None
    return out / after if after else None  # (relative to the plan folder, or absolute)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def validate_rows(
    unit: Unit,
    rota_rows: list[dict[str, str]],
    duty_rows: list[dict[str, str]],
    officer_rows: list[dict[str, str]] | None = None,
    since: date | None = None,
    before: Before | None = None,
) -> list[Violation]:
    """Every broken hard rule; ``officer_rows`` (duty.csv) adds the daily duty rules.

    ``since`` (a re-plan's today) leaves earlier days out of the day-by-day rules: history
    cannot be re-planned, only recorded. ``before`` (the previous horizon's plan) adds the
    rest and the duty days in a row across the start."""
    v: list[Violation] = []
    r = unit.rules
    team_ids = [t.id for t in unit.teams]
    n_periods = r.weeks // r.period_weeks
    days_per_period = 7 * r.period_weeks

    # Which teams are on intake in which period, as the file says.
    on: dict[int, list[str]] = {p: [] for p in range(n_periods)}
    for i, row in enumerate(rota_rows, start=2):
        p = int(row["period"])
        start = r.start + timedelta(days=p * days_per_period)
        if not 0 <= p < n_periods:
            v.append(Violation("file", f"rota.csv row {i}: period {p} is outside the horizon"))
            continue
        if (
            row["start"] != start.isoformat()
            or row["end"] != (start + timedelta(days=days_per_period - 1)).isoformat()
        ):
            v.append(Violation("file", f"rota.csv row {i}: wrong dates for period {p}"))
        if row["team"] not in team_ids:
            v.append(Violation("file", f"rota.csv row {i}: unknown team {row['team']!r}"))
        on[p].append(row["team"])

    def period_of(day: str) -> int:
        """The period a date lies in, from the unit's start (not from a file's period column)."""
        return (date.fromisoformat(day) - r.start).days // days_per_period

    def label(p: int) -> str:
        s = r.start + timedelta(days=p * days_per_period)
        return f"{s}–{s + timedelta(days=days_per_period - 1)}"

    for p, teams in on.items():
        twice = sorted({t for t in teams if teams.count(t) > 1})
        if twice:
            v.append(Violation("teams_on_duty", f"rota.csv: {label(p)} lists team {', '.join(twice)} twice"))
        if len(set(teams)) != r.teams_on_duty:
            v.append(
                Violation(
                    "teams_on_duty",
                    f"{label(p)}: {len(set(teams))} team(s) on intake, needs exactly {r.teams_on_duty}",
                )
            )

    # Rule 2: rest between duty periods.
    for t in team_ids:
        periods = [p for p in range(n_periods) if t in on[p]]
        for a, b in itertools.pairwise(periods):
            rest = (b - a - 1) * r.period_weeks
            if rest < r.min_rest_weeks:
                v.append(
                    Violation(
                        "min_rest",
                        f"team {t}: {rest} weeks off intake between {label(a)} and {label(b)}, "
                        f"needs {r.min_rest_weeks}",
                    )
                )

    if before is not None:  # ... and across the start, after the previous plan's last intake
        for t in team_ids:
            periods = [p for p in range(n_periods) if t in on[p]]
            ends = [end for _, end in before.intake.get(t, [])]
            if periods and ends:
                rest = (r.start + timedelta(days=periods[0] * days_per_period) - max(ends)).days // 7
                if rest < r.min_rest_weeks:
                    v.append(
                        Violation(
                            "min_rest",
                            f"team {t}: {rest} weeks off intake between the previous plan's last "
                            f"intake (to {max(ends)}) and {label(periods[0])}, needs {r.min_rest_weeks}",
                        )
                    )

    # Rule 5: pins.
    for pin in unit.pins:
        p = (pin.start - r.start).days // days_per_period
        if pin.team not in on.get(p, []):
            v.append(Violation("pin", f"team {pin.team} is pinned to {label(p)} but not on intake"))

    # Rules 3 and 4, day by day, from the raw lists.
    free = holidays.country_holidays(
        unit.country,
        years=range(r.start.year, r.start.year + r.weeks // 52 + 2),
        categories=("public", "de_facto"),
        language="en_US",  # (names in messages; English where the country's module has it)
    )
    away: dict[str, set[date]] = {}
    for absence in unit.absences:
        for k in range((absence.end - absence.start).days + 1):
            away.setdefault(absence.person, set()).add(absence.start + timedelta(days=k))
    people = {p.id: p for p in unit.people}

    def here(pid: str, d: date) -> bool:
        person = people[pid]
        return (
            (person.start is None or person.start <= d)
            and (person.end is None or d <= person.end)
            and d.weekday() in person.weekdays
            and d not in away.get(pid, set())
        )

    v.extend(_check_rows("duty_days.csv", duty_rows, ("date", "team"), period_of))
    duty_by_key = {(row["date"], row["team"]): row for row in duty_rows}
    managing: dict[tuple[str, str], str] = {}
    for p, teams in on.items():
        for k in range(days_per_period):
            d = r.start + timedelta(days=p * days_per_period + k)
            if d.weekday() >= 5 or d in free or (since is not None and d < since):
                continue
            needed = next(
                (s.min_present for s in unit.seasons if s.start <= d <= s.end and s.min_present is not None),
                r.min_present,
            )
            for t in teams:
                team = next((x for x in unit.teams if x.id == t), None)
                if team is None:
                    continue  # reported above as an unknown team
                count = sum(
                    1
                    for x in unit.people
                    if x.team == t
                    and x.role in ("social_worker", "senior")
                    and here(x.id, d)
                    and not (x.start is not None and d < x.start + timedelta(weeks=r.introduction_weeks))
                )
                if count < needed:
                    v.append(
                        Violation(
                            "staffing",
                            f"{d}: team {t} has {count} social worker{'' if count == 1 else 's'} present, "
                            f"needs {needed}",
                        )
                    )
                duty = duty_by_key.get((d.isoformat(), t))
                if duty is None:
                    v.append(Violation("file", f"duty_days.csv: no row for team {t} on {d}"))
                    continue
                if duty["present"] != str(count):
                    v.append(
                        Violation(
                            "file",
                            f"duty_days.csv: {d} team {t} says {duty['present']} present, "
                            f"the lists give {count}",
                        )
                    )
                v.extend(_check_manager(duty, team, d, here, managing))
    for row in duty_rows:
        d = date.fromisoformat(row["date"])
        if d.weekday() >= 5 or d in free:
            v.append(Violation("file", f"duty_days.csv: {d} is not a workday"))
        elif row["team"] not in on.get(period_of(row["date"]), []):
            v.append(Violation("file", f"duty_days.csv: {d} has a row for team {row['team']}, not on intake"))
    if officer_rows is not None:
        workdays = [
            r.start + timedelta(days=k)
            for k in range(7 * r.weeks)
            if (r.start + timedelta(days=k)).weekday() < 5 and r.start + timedelta(days=k) not in free
        ]
        v.extend(_check_rows("duty.csv", officer_rows, ("date", "person"), period_of))
        v.extend(_check_officers(unit, on, workdays, free, officer_rows, duty_rows, here, period_of, since))
        if before is not None and (since is None or since <= r.start):
            # Runs that go on from the previous plan's last workdays.
            lead = [r.start - timedelta(days=k) for k in range(21, 0, -1)]
            lead = [d for d in lead if d.weekday() < 5 and d not in free]
            earlier = [
                {"date": d.isoformat(), "person": q}
                for (d, _), people in before.officers.items()
                if d >= lead[0]
                for q in people
            ]
            first_days = {w.isoformat() for w in workdays[: r.max_duty_days_in_row]}
            for x in _check_runs(unit, lead + workdays, earlier + officer_rows, r.start):
                if x.message[:10] in first_days and x not in v:
                    v.append(x)
    return v


def _check_rows(
    name: str,
    rows: list[dict[str, str]],
    key: tuple[str, str],
    period_of,  # type: ignore[no-untyped-def]
) -> list[Violation]:
    """Rows written twice, and period columns that disagree with their dates."""
    v: list[Violation] = []
    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(rows, start=2):
        k = (row[key[0]], row[key[1]])
        if k in seen:
            v.append(Violation("file", f"{name} row {i}: {k[0]} {k[1]} again (first in row {seen[k]})"))
        seen.setdefault(k, i)
        if row["period"] != str(period_of(row["date"])):
            v.append(
                Violation(
                    "file",
                    f"{name} row {i}: period {row['period']}, but {row['date']} is in period "
                    f"{period_of(row['date'])}",
                )
            )
    return v


def _check_officers(
    unit: Unit,
    on: dict[int, list[str]],
    workdays: list[date],
    free: holidays.HolidayBase,
    officer_rows: list[dict[str, str]],
    duty_rows: list[dict[str, str]],
    here,  # type: ignore[no-untyped-def]
    period_of,  # type: ignore[no-untyped-def]
    since: date | None = None,
) -> list[Violation]:
    """The daily duty rules, from duty.csv and duty_days.csv. With ``since`` only days from it
    on are checked, except days in a row: a run that reaches today counts its past days."""
    v = _check_runs(unit, workdays, officer_rows, since)
    if since is not None:
        officer_rows = [row for row in officer_rows if row["date"] >= since.isoformat()]
        duty_rows = [row for row in duty_rows if row["date"] >= since.isoformat()]
    r = unit.rules
    people = {p.id: p for p in unit.people}
    intro = timedelta(weeks=r.introduction_weeks)
    acting = {(row["date"], row["manager"]) for row in duty_rows if row["acting"].lower() == "true"}

    def experienced(x: str, d: date) -> bool:
        start = people[x].start
        return people[x].role == "senior" or start is None or d >= start + intro + timedelta(weeks=52)

    by_day: dict[tuple[str, str], list[str]] = {}
    mentors: dict[tuple[str, str], list[str]] = {}
    for i, row in enumerate(officer_rows, start=2):
        d, t, q = date.fromisoformat(row["date"]), row["team"], row["person"]
        person = people.get(q)
        if person is None or person.team != t or person.role not in ("social_worker", "senior"):
            v.append(Violation("duty", f"{d}: {q} is not a social worker of team {t}"))
            continue
        if row["role"] not in ("officer", "mentor"):
            v.append(Violation("file", f"duty.csv row {i}: unknown role {row['role']!r}"))
        if d in free or d.weekday() >= 5:
            v.append(Violation("duty", f"{d}: {q} on duty on a day off ({free.get(d) or d.strftime('%A')})"))
        elif t not in on.get(period_of(row["date"]), []) or d not in workdays:
            v.append(Violation("duty", f"{d}: {q} on duty though team {t} is not on intake that workday"))
        if not here(q, d):
            v.append(Violation("duty", f"{d}: {q} is on duty but not working that day"))
        if (row["date"], q) in acting:
            v.append(Violation("duty", f"{d}: {q} is on duty and acting manager the same day"))
        by_day.setdefault((row["date"], t), []).append(q)
        if row["role"] == "mentor":
            mentors.setdefault((row["date"], t), []).append(q)
    for row in duty_rows:
        d = date.fromisoformat(row["date"])
        needed = next(
            (s.duty_per_day for s in unit.seasons if s.start <= d <= s.end and s.duty_per_day is not None),
            r.duty_per_day,
        )
        officers = by_day.get((row["date"], row["team"]), [])
        if len(set(officers)) != needed:
            v.append(
                Violation(
                    "duty",
                    f"{d}: team {row['team']} has {len(set(officers))} intake officers, duty needs {needed}",
                )
            )

        new_hires = [q for q in officers if (start := people[q].start) is not None and d < start + intro]
        for q in new_hires:
            if not any(experienced(x, d) for x in officers if x != q):
                v.append(Violation("duty", f"{d}: new hire {q} is on duty without an experienced colleague"))
        # The role: one officer marked mentor where a new hire has an experienced colleague.
        can_mentor = [x for x in officers if experienced(x, d) and set(new_hires) - {x}]
        marked = mentors.get((row["date"], row["team"]), [])
        for q in marked:
            if q not in can_mentor:
                v.append(Violation("file", f"duty.csv: {d}: {q} is marked mentor, but mentors no new hire"))
        if can_mentor and not marked:
            v.append(
                Violation("file", f"duty.csv: {d}: new hire {new_hires[0]} is on duty, no one marked mentor")
            )
    return v


def _check_runs(
    unit: Unit, workdays: list[date], officer_rows: list[dict[str, str]], since: date | None
) -> list[Violation]:
    """At most ``max_duty_days_in_row`` duty workdays in a row per person; with ``since``, runs
    that end before it are history and not reported."""
    limit = unit.rules.max_duty_days_in_row
    index = {d: i for i, d in enumerate(workdays)}
    days_of: dict[str, set[int]] = {}
    for row in officer_rows:
        d = date.fromisoformat(row["date"])
        if d in index:  # (a day off is reported on its own)
            days_of.setdefault(row["person"], set()).add(index[d])
    v: list[Violation] = []
    for q, days in sorted(days_of.items()):
        run = 1
        for a, b in itertools.pairwise(sorted(days)):
            run = run + 1 if b - a == 1 else 1
            if run > limit and (since is None or workdays[b] >= since):
                v.append(
                    Violation(
                        "duty", f"{workdays[b]}: {q} has {run} duty days in a row, at most {limit} allowed"
                    )
                )
    return v


def _check_manager(
    row: dict[str, str],
    team,  # type: ignore[no-untyped-def]
    d: date,
    here,  # type: ignore[no-untyped-def]
    managing: dict[tuple[str, str], str],
) -> list[Violation]:
    who = row["manager"]
    acting = row["acting"].lower() == "true"
    if not who:
        return [Violation("manager", f"{d}: team {team.id} has no manager present")]
    out: list[Violation] = []
    if who == team.manager:
        if acting or not here(who, d):
            out.append(Violation("manager", f"{d}: team {team.id}'s manager {who} is not present"))
    elif who in team.deputies:
        if not acting:
            out.append(Violation("file", f"{d}: team {team.id}: deputy {who} not marked acting"))
        if here(team.manager, d):
            out.append(Violation("file", f"{d}: team {team.id}: {who} acts though the manager is present"))
        if not here(who, d):
            out.append(Violation("manager", f"{d}: team {team.id}'s acting manager {who} is away"))
    else:
        out.append(Violation("manager", f"{d}: {who} may not manage team {team.id}"))
    other = managing.get((d.isoformat(), who))
    if other is not None and other != team.id:
        out.append(Violation("manager", f"{d}: {who} manages both team {other} and team {team.id}"))
    managing[d.isoformat(), who] = team.id
    return out
