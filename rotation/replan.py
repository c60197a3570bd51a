"""Re-planning that keeps promises: frozen near future, fewest changes, who is affected.

A published plan folder is never overwritten: each re-plan or swap writes a new version (with
``version.json`` naming its parent) plus ``changes.csv`` and ``changes.md``. Days before today
are history: they are copied from the published plan, never re-planned.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

from .errors import InputError
from .labels import label
from .outputs import write_csv
from .pipeline import PlanReport, baseline, write_plan
from .previous import read_previous
from .read import load_unit
from .rota import DutyDay, DutyOfficer, Rota
from .solve import Planning, PlanResult, Progress, plan, prepare
from .solver.stability import Baseline
from .unit import Unit

CHANGE_COLUMNS = ["kind", "period", "date", "team", "old", "new", "affected"]


@dataclass(frozen=True)
class PublishedPlan:
    folder: Path
    on_intake: tuple[tuple[str, ...], ...]
    duty_days: tuple[DutyDay, ...]
    officers: tuple[DutyOfficer, ...]
    version: int
    fingerprint: str
    today: date | None = None  # a re-plan's or swap's today: days before it are history there
    after: Path | None = None  # the previous horizon's plan it was planned after (``--after``)

    @property
    def acting(self) -> frozenset[tuple[str, date, str]]:
        """(team, day, deputy) of every published acting-manager day."""
        return frozenset((d.team, d.date, d.manager) for d in self.duty_days if d.acting and d.manager)


@dataclass(frozen=True)
class Change:
    kind: str  # period, duty, acting
    period: int
    day: date | None
    team: str
    old: str
    new: str
    affected: tuple[str, ...]  # person ids


@dataclass
class ReplanReport:
    report: PlanReport
    published: PublishedPlan
    frozen: list[int] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    command: str = "replan"  # or "swap A B"


def read_published(folder: str | Path, planning: Planning) -> PublishedPlan:
    """Read a plan folder written by ``rotation plan`` / ``replan`` and check it fits the unit."""
    folder = Path(folder)
    if not (folder / "rota.csv").is_file():
        raise InputError(
            str(folder), "not a plan folder (no rota.csv); give the folder `rotation plan` wrote"
        )
    periods = planning.grid.periods
    teams = {t.id for t in planning.unit.teams}
    on: list[list[str]] = [[] for _ in periods]
    for row_no, row in _rows(folder / "rota.csv"):
        try:
            p = int(row["period"])
        except (KeyError, ValueError):
            raise InputError("rota.csv", "expected a period number", row=row_no, field="period") from None
        if not 0 <= p < len(periods) or row.get("start") != periods[p].start.isoformat():
            raise InputError(
                "rota.csv",
                f"period {p} does not match the unit's periods (start {planning.unit.rules.start}, "
                f"{planning.unit.rules.period_weeks}-week periods); was it planned for this unit?",
                row=row_no,
                field="start",
            )
        if row.get("team") not in teams:
            raise InputError("rota.csv", f"unknown team {row.get('team')!r}", row=row_no, field="team")
        on[p].append(row["team"])
    days = tuple(
        DutyDay(
            date.fromisoformat(r["date"]),
            int(r["period"]),
            r["team"],
            r["manager"] or None,
            r["acting"] == "true",
            int(r["present"]),
        )
        for _, r in _rows(folder / "duty_days.csv")
    )
    officers: tuple[DutyOfficer, ...] = ()
    if (folder / "duty.csv").exists():
        officers = tuple(
            DutyOfficer(date.fromisoformat(r["date"]), int(r["period"]), r["team"], r["person"], r["role"])
            for _, r in _rows(folder / "duty.csv")
        )
    version, today, after = 1, None, None
    if (folder / "version.json").exists():
        meta = json.loads((folder / "version.json").read_text(encoding="utf-8"))
        version = int(meta.get("version", 1))
        today = date.fromisoformat(meta["today"]) if meta.get("today") else None
        after = (folder / meta["after"]).resolve() if meta.get("after") else None
    digest = hashlib.sha256()
    for name in ("rota.csv", "duty_days.csv", "duty.csv"):
        if (folder / name).exists():
            digest.update((folder / name).read_bytes())
    order = [t.id for t in planning.unit.teams]
    return PublishedPlan(
        folder,
        tuple(tuple(sorted(ts, key=order.index)) for ts in on),
        days,
        officers,
        version,
        digest.hexdigest()[:16],
        today,
        after,
    )


def _published(
    unit: Unit, folder: str | Path, today: date, after: str | Path | None = None
) -> tuple[Planning, PublishedPlan]:
    """The planning of a re-plan or swap as of ``today`` and the plan it starts from; a plan
    made ``--after`` a previous horizon's plan keeps that plan's carry-over (from ``after``
    where given: the previous plan moved, or was re-planned since)."""
    planning = prepare(unit, since=today)
    published = read_published(folder, planning)
    _check_today(published, today)
    _check_people(published, unit)
    if after is not None:
        published = replace(published, after=Path(after).resolve())
    if published.after is not None:
        if not (published.after / "rota.csv").is_file():
            raise InputError(
                "version.json",
                f"{published.folder} was planned after {published.after}, which is not there any "
                "more; give its place with --after",
                field="after",
            )
        planning = prepare(unit, since=today, before=read_previous(published.after, unit))
    return planning, published


def _check_people(published: PublishedPlan, unit: Unit) -> None:
    """Everyone the published plan names is still in staff.csv: their days before today are
    history the new version keeps."""
    known = {p.id for p in unit.people}
    named = [(o.person, "duty.csv") for o in published.officers]
    named += [(d.manager, "duty_days.csv") for d in published.duty_days if d.manager]
    for person, file in named:
        if person not in known:
            raise InputError(
                "staff.csv",
                f"has no {person!r}, whom the published plan names ({published.folder}/{file}); keep "
                "a leaver in staff.csv with an end date (their past days stay history) and re-plan",
            )


def _check_today(published: PublishedPlan, today: date) -> None:
    """A new version cannot re-open days its parent already made history."""
    if published.today is not None and today < published.today:
        raise InputError(
            "--today",
            f"{today} is before {published.today}, the today of version {published.version} "
            f"({published.folder}): its days before then are history",
        )


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    if not path.exists():
        raise InputError(path.name, f"missing in {path.parent}")
    with path.open(encoding="utf-8", newline="") as f:
        return list(enumerate(csv.DictReader(f), start=2))


def frozen_periods(planning: Planning, today: date, freeze_weeks: int) -> list[int]:
    """Periods that have started, or start within ``freeze_weeks`` of today."""
    horizon = today + timedelta(weeks=freeze_weeks)
    return [p.index for p in planning.grid.periods if p.start <= today or p.start < horizon]


def replan_unit(
    unit_dir: str | Path,
    published_dir: str | Path,
    out_dir: str | Path,
    freeze_weeks: int = 4,
    today: date | None = None,
    allow_frozen_changes: bool = False,
    balance_slack: float = 0.0,
    time_limit: float = 30.0,
    progress: Progress | None = None,
    rebalance_duty: bool = False,
    relax: bool = False,
    after: str | Path | None = None,
) -> ReplanReport:
    """Re-plan with the current inputs against a published plan (see the module docstring).
    ``rebalance_duty``: share duty days after the frozen window out anew, balance first (for
    someone new or back), keeping published days only where the balance allows. ``relax``: when
    no rota obeys every rule, write the least-bad one (started and frozen periods still kept),
    marked not valid."""
    today = today or date.today()
    unit = load_unit(unit_dir)
    planning, published = _published(unit, published_dir, today, after)
    frozen = frozen_periods(planning, today, freeze_weeks)
    base = Baseline(
        on_intake=published.on_intake,
        officers=frozenset((o.person, o.date) for o in published.officers),
        acting=published.acting,
        frozen_periods=frozenset(frozen),
        started=frozenset(p.index for p in planning.grid.periods if p.start < today),
        allow_frozen_changes=allow_frozen_changes,
        balance_slack=balance_slack,
        rebalance_duty=rebalance_duty,
    )
    result = plan(planning, time_limit=time_limit, progress=progress, baseline=base, relax=relax)
    return _finish(planning, published, result, out_dir, today, frozen, "replan", relax)


def swap_periods(
    unit_dir: str | Path,
    plan_dir: str | Path,
    period_a: str,
    period_b: str,
    out_dir: str | Path | None = None,
    today: date | None = None,
    time_limit: float = 30.0,
    after: str | Path | None = None,
) -> ReplanReport:
    """Two periods trade teams; every other period keeps its team; the duty grid is re-planned
    only where it must be. Refused, with the reason, when the swap breaks a rule."""
    today = today or date.today()
    unit = load_unit(unit_dir)
    planning, published = _published(unit, plan_dir, today, after)
    a, b = _period(planning, period_a, "PERIOD_A"), _period(planning, period_b, "PERIOD_B")
    if a == b:
        raise InputError("PERIOD_B", "is the same period as PERIOD_A")
    if set(published.on_intake[a]) == set(published.on_intake[b]):
        teams = ", ".join(published.on_intake[a])
        raise InputError("PERIOD_B", f"has the same team as PERIOD_A (team {teams}): nothing to swap")
    for p in (a, b):
        if planning.grid.periods[p].start <= today:
            raise InputError(
                f"PERIOD {p}",
                f"{planning.grid.periods[p].label} has already started; only future periods can be swapped",
            )
    others = frozenset(range(len(planning.grid.periods))) - {a, b}
    base = Baseline(
        on_intake=published.on_intake,
        officers=frozenset((o.person, o.date) for o in published.officers),
        acting=published.acting,
        frozen_periods=others,
        pins={a: published.on_intake[b], b: published.on_intake[a]},
    )
    result = plan(planning, time_limit=time_limit, baseline=base)
    out = Path(out_dir) if out_dir else _next_folder(Path(plan_dir), published.version + 1)
    return _finish(planning, published, result, out, today, sorted(others), f"swap {a} {b}")


def _period(planning: Planning, text: str, field_name: str) -> int:
    """A period by its number (as in rota.csv, from 0; the terminal and rota.xlsx count from 1)
    or by any date inside it."""
    periods = planning.grid.periods
    if text.isdigit():
        p = int(text)
    else:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise InputError(field_name, f"expected a period number or a date, got {text!r}") from None
        if not periods[0].start <= day <= periods[-1].end:
            raise InputError(
                field_name, f"{day} is outside the rota ({periods[0].start} to {periods[-1].end})"
            )
        p = planning.grid.period_of(day)
    if not 0 <= p < len(periods):
        raise InputError(field_name, f"period {p} is outside 0–{len(periods) - 1}")
    return p


def _next_folder(folder: Path, version: int) -> Path:
    """``PLAN.vN`` beside the plan: the plan's next version, or the first free one after it."""
    stem = folder.name.split(".v")[0]
    while (folder.parent / f"{stem}.v{version}").exists():
        version += 1
    return folder.parent / f"{stem}.v{version}"


def _finish(
    planning: Planning,
    published: PublishedPlan,
    result: PlanResult,
    out_dir: str | Path,
    today: date,
    frozen: list[int],
    command: str,
    relax: bool = False,
) -> ReplanReport:
    report = PlanReport(planning, result, baseline(planning))
    replan = ReplanReport(report, published, frozen, command=command)
    if result.rota is None:
        return replan
    result.rota = _with_history(result.rota, published, today)
    replan.changes = diff(planning, published, result.rota)
    version = {
        "version": published.version + 1,
        "parent": {
            "folder": str(published.folder),
            "version": published.version,
            "fingerprint": published.fingerprint,
        },
        "command": command,
        "today": today.isoformat(),
        "frozen_periods": frozen,
    }

    def write_changes(folder: Path) -> None:
        rows = [_change_row(c) for c in replan.changes]
        write_csv(folder / "changes.csv", CHANGE_COLUMNS, rows)
        (folder / "changes.md").write_text(changes_markdown(planning, replan), encoding="utf-8")

    write_plan(report, Path(out_dir), relax=relax, since=today, extra=write_changes, version=version)
    return replan


def _with_history(rota: Rota, published: PublishedPlan, today: date) -> Rota:
    """Days before today as published (history), the re-planned days from today on."""
    days = [d for d in published.duty_days if d.date < today] + [d for d in rota.duty_days if d.date >= today]
    officers = [o for o in published.officers if o.date < today] + [
        o for o in rota.officers if o.date >= today
    ]
    return replace(
        rota,
        duty_days=tuple(sorted(days, key=lambda d: (d.date, d.team))),
        officers=tuple(sorted(officers, key=lambda o: (o.date, o.team, o.person))),
    )


def diff(planning: Planning, published: PublishedPlan, rota: Rota) -> list[Change]:
    """Every period, duty day and acting-manager day that changed, with the people affected."""
    unit = planning.unit
    changes: list[Change] = []
    for p, (old, new) in enumerate(zip(published.on_intake, rota.on_intake, strict=True)):
        if set(old) != set(new):
            period = planning.grid.periods[p]
            people = sorted(
                {
                    m.id
                    for t in (*old, *new)
                    for m in unit.members(t)
                    # (employed on some day of the period)
                    if (m.start is None or m.start <= period.end) and (m.end is None or m.end >= period.start)
                }
            )
            changes.append(
                Change("period", p, None, ",".join(new), ",".join(old), ",".join(new), tuple(people))
            )
    old_acting = {(d.date, d.team): d.manager for d in published.duty_days if d.acting}
    new_acting = {(d.date, d.team): d.manager for d in rota.duty_days if d.acting}
    for key in sorted(set(old_acting) | set(new_acting)):
        before, after = old_acting.get(key), new_acting.get(key)
        if before != after:
            day, team = key
            who = tuple(sorted(x for x in (before, after) if x))
            changes.append(
                Change("acting", planning.grid.period_of(day), day, team, before or "", after or "", who)
            )
    old_duty: dict[tuple[date, str], set[str]] = {}
    for o in published.officers:
        old_duty.setdefault((o.date, o.team), set()).add(o.person)
    new_duty: dict[tuple[date, str], set[str]] = {}
    for o in rota.officers:
        new_duty.setdefault((o.date, o.team), set()).add(o.person)
    for slot in sorted(set(old_duty) | set(new_duty)):
        was, now = old_duty.get(slot, set()), new_duty.get(slot, set())
        if was != now:
            day, team = slot
            changes.append(
                Change(
                    "duty",
                    planning.grid.period_of(day),
                    day,
                    team,
                    ",".join(sorted(was)),
                    ",".join(sorted(now)),
                    tuple(sorted(was ^ now)),
                )
            )
    return changes


def change_kind(c: Change, frozen: list[int], lang: str) -> str:
    """What changed, in words; a frozen period that changed (--allow-frozen-changes) says so."""
    text = label("change_" + c.kind, lang)
    return f"{text} ({label('frozen_changed', lang)})" if c.kind == "period" and c.period in frozen else text


def _direction(c: Change, person: str, unit: Unit) -> str:
    """What a change means for one person it affects: the label key of "now …" or "no longer …"."""
    if c.kind == "period":
        return "now_on_intake" if unit.person(person).team in c.new.split(",") else "no_longer_on_intake"
    now = person in c.new.split(",")
    return f"{'now' if now else 'no_longer'}_{'on_duty' if c.kind == 'duty' else 'acting'}"


def _change_row(c: Change) -> dict[str, str]:
    return {
        "kind": c.kind,
        "period": str(c.period),
        "date": c.day.isoformat() if c.day else "",
        "team": c.team,
        "old": c.old,
        "new": c.new,
        "affected": ",".join(c.affected),
    }


def changes_markdown(planning: Planning, replan: ReplanReport) -> str:
    """What a team leader sends out: the changes, then who is affected and how."""
    unit = planning.unit
    lang = unit.language
    names = {p.id: p.name for p in unit.people}
    periods = planning.grid.periods
    result = replan.report.result
    lines = [
        f"# {label('changes_title', lang)}: {unit.name}",
        "",
        f"- {label('changes_version', lang)}: {replan.published.version} → {replan.published.version + 1}",
        f"- {label('status', lang)}: {result.status}",
        f"- {label('frozen', lang)}: {len(replan.frozen)}",
        f"- {label('changed_periods', lang)}: {sum(1 for c in replan.changes if c.kind == 'period')}",
        f"- {label('changed_duty', lang)}: {sum(1 for c in replan.changes if c.kind == 'duty')}",
        f"- {label('changed_acting', lang)}: {sum(1 for c in replan.changes if c.kind == 'acting')}",
        "",
    ]
    if not replan.changes:
        lines.append(label("no_changes", lang))
        return "\n".join(lines) + "\n"
    lines += [
        f"| {label('what', lang)} | {label('when', lang)} | {label('team', lang)} | "
        f"{label('before', lang)} | {label('after', lang)} |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in replan.changes:
        when = c.day.isoformat() if c.day else periods[c.period].label
        old = ", ".join(names.get(x, x) for x in c.old.split(",") if x) if c.kind != "period" else c.old
        new = ", ".join(names.get(x, x) for x in c.new.split(",") if x) if c.kind != "period" else c.new
        lines.append(
            f"| {change_kind(c, replan.frozen, lang)} | {when} | {c.team} | {old or '–'} | {new or '–'} |"
        )
    lines += ["", f"## {label('affected', lang)}", ""]
    by_person: dict[str, list[Change]] = {}
    for c in replan.changes:
        for q in c.affected:
            by_person.setdefault(q, []).append(c)
    for q in sorted(by_person, key=lambda x: names.get(x, x)):
        items = []
        for c in by_person[q]:
            when = c.day.isoformat() if c.day else periods[c.period].label
            items.append(f"{label('change_' + c.kind, lang)} {when}: {label(_direction(c, q, unit), lang)}")
        lines.append(f"- **{names.get(q, q)}** ({q}): {'; '.join(items)}")
    return "\n".join(lines) + "\n"
