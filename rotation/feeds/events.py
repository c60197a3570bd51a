"""The events of every feed, as pure functions of the unit and the plan.

Each event's UID comes from its *slot* — unit, feed, role and the period or day — never from
who fills it or from chance, so a re-planned slot keeps its UID and subscribers' calendars
update it in place instead of duplicating it. Absences never enter: the plan folder holds no
absence, and an acting-manager day names who acts, never why.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from ..unit import Unit
from .labels import text
from .plan import Plan


@dataclass(frozen=True)
class FeedEvent:
    """An all-day event from ``start`` up to (not including) ``end``."""

    uid: str
    start: date
    end: date  # exclusive, as DTEND of an all-day event
    summary: str
    description: str = ""

    def content_hash(self) -> str:
        """What a subscriber sees; a change here raises SEQUENCE."""
        content = [self.start.isoformat(), self.end.isoformat(), self.summary, self.description]
        return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Feed:
    key: str  # "unit", "team-A", "person-p01": the feed's part of each UID, and its state key
    name: str  # the calendar's name in the subscriber's list
    events: tuple[FeedEvent, ...]


def slug(value: str) -> str:
    """ASCII letters, digits and dashes: for UIDs and file names."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "unit"


def team_key(team_id: str) -> str:
    return "team-" + re.sub(r"[^A-Za-z0-9_-]", "-", team_id)


def person_key(person_id: str) -> str:
    return "person-" + re.sub(r"[^A-Za-z0-9_-]", "-", person_id)


def uid(unit: Unit, feed: str, role: str, slot: date, seat: int | None = None) -> str:
    seat_part = "" if seat is None else f"-{seat}"
    return f"{role}-{slot:%Y%m%d}{seat_part}.{feed}.{slug(unit.name)}@rotation"


def unit_feed(unit: Unit, plan: Plan) -> Feed:
    """Every team's intake periods. With several teams on intake at once, each takes a seat
    (in team order) so the slot, not the team, names the event."""
    lang = unit.language
    by_start: dict[date, list] = defaultdict(list)
    for p in plan.intake:
        by_start[p.start].append(p)
    events = []
    for start, periods in by_start.items():
        periods.sort(key=lambda p: _team_order(unit, p.team))
        for seat, p in enumerate(periods, start=1):
            events.append(
                FeedEvent(
                    uid(unit, "unit", "intake", start, seat if unit.rules.teams_on_duty > 1 else None),
                    p.start,
                    p.end + timedelta(days=1),
                    text("intake", lang, team=unit.team(p.team).name),
                )
            )
    return Feed("unit", text("cal_unit", lang, unit=unit.name), _sorted(events))


def team_feed(unit: Unit, plan: Plan, team_id: str) -> Feed:
    """A team's intake periods, its protected investigation windows and its acting-manager days."""
    lang = unit.language
    team = unit.team(team_id)
    key = team_key(team_id)
    events = [
        FeedEvent(
            uid(unit, key, "intake", p.start),
            p.start,
            p.end + timedelta(days=1),
            text("intake", lang, team=team.name),
        )
        for p in plan.intake
        if p.team == team_id
    ]
    for start, end in investigation_windows(plan, team_id):
        events.append(
            FeedEvent(
                uid(unit, key, "investigation", start),
                start,
                end + timedelta(days=1),
                text("investigation", lang, team=team.name),
                text("investigation_note", lang, team=team.name),
            )
        )
    for day in plan.managed_days:
        if day.team == team_id and day.acting and day.manager:
            name = unit.person(day.manager).name
            events.append(
                FeedEvent(
                    uid(unit, key, "acting", day.date),
                    day.date,
                    day.date + timedelta(days=1),
                    text("acting_team", lang, person=name),
                    text("acting_team_note", lang, person=name, team=team.name),
                )
            )
    return Feed(key, text("cal_team", lang, team=team.name, unit=unit.name), _sorted(events))


# The team a person was in on a day (their team in staff.csv when not given).
TeamOn = Callable[[date], str | None]


def person_feed(unit: Unit, plan: Plan, person_id: str, team_on: TeamOn | None = None) -> Feed:
    """The intake periods of the person's team while they are employed (a period counts for
    the team the person was in when it began, by ``team_on``, so a move keeps the old team's
    periods before it), the days they act as manager, and their duty days."""
    lang = unit.language
    person = unit.person(person_id)
    key = person_key(person_id)
    events = [
        FeedEvent(
            uid(unit, key, "intake", p.start),
            p.start,
            p.end + timedelta(days=1),
            text("intake", lang, team=unit.team(p.team).name),
        )
        for p in plan.intake
        if p.team == (team_on(p.start) if team_on else person.team)
        and (person.start is None or p.end >= person.start)
        and (person.end is None or p.start <= person.end)
    ]
    acting = sorted(
        (d for d in plan.managed_days if d.acting and d.manager == person_id),
        key=lambda d: (d.date, _team_order(unit, d.team)),
    )
    for day, seat in _seats([d.date for d in acting]):
        d = acting[seat[0]]
        events.append(
            FeedEvent(
                uid(unit, key, "acting", day, seat[1]),
                day,
                day + timedelta(days=1),
                text("acting_person", lang, team=unit.team(d.team).name),
            )
        )
    for duty in sorted(plan.duty or (), key=lambda d: (d.date, d.role, _team_order(unit, d.team))):
        if duty.person != person_id:
            continue
        events.append(
            FeedEvent(
                uid(unit, key, f"duty-{duty.role}", duty.date),
                duty.date,
                duty.date + timedelta(days=1),
                text(f"duty_{duty.role}", lang, team=unit.team(duty.team).name),
            )
        )
    return Feed(key, text("cal_person", lang, person=person.name), _dedupe(_sorted(events)))


def all_feeds(
    unit: Unit, plan: Plan, team_on: Mapping[str, TeamOn] | None = None
) -> tuple[Feed, list[Feed], dict[str, Feed]]:
    """The unit feed, one feed per team, and one personal feed per person (by person id);
    ``team_on``: per person id, the team they were in on a day (see :func:`person_feed`)."""
    team_on = team_on or {}
    return (
        unit_feed(unit, plan),
        [team_feed(unit, plan, t.id) for t in unit.teams],
        {p.id: person_feed(unit, plan, p.id, team_on.get(p.id)) for p in unit.people},
    )


def investigation_windows(plan: Plan, team_id: str) -> list[tuple[date, date]]:
    """The stretches of the horizon (inclusive dates) when the team is off intake."""
    busy = sorted((p.start, p.end) for p in plan.intake if p.team == team_id)
    windows = []
    cursor = plan.horizon_start
    for start, end in busy:
        if start > cursor:
            windows.append((cursor, start - timedelta(days=1)))
        cursor = max(cursor, end + timedelta(days=1))
    if cursor <= plan.horizon_end:
        windows.append((cursor, plan.horizon_end))
    return windows


def _seats(days: list[date]) -> list[tuple[date, tuple[int, int | None]]]:
    """For each day, (index into ``days``, seat number or None when the day occurs once)."""
    counts: dict[date, int] = defaultdict(int)
    for d in days:
        counts[d] += 1
    seen: dict[date, int] = defaultdict(int)
    out = []
    for i, d in enumerate(days):
        seen[d] += 1
        out.append((d, (i, seen[d] if counts[d] > 1 or seen[d] > 1 else None)))
    return out


def _team_order(unit: Unit, team_id: str) -> int:
    return [t.id for t in unit.teams].index(team_id)


def _sorted(events: list[FeedEvent]) -> tuple[FeedEvent, ...]:
    return tuple(sorted(events, key=lambda e: (e.start, e.end, e.uid)))


def _dedupe(events: tuple[FeedEvent, ...]) -> tuple[FeedEvent, ...]:
    """One event per UID: the same duty listed twice in duty.csv is one event."""
    seen: set[str] = set()
    out = []
    for e in events:
        if e.uid not in seen:
            seen.add(e.uid)
            out.append(e)
    return tuple(out)
