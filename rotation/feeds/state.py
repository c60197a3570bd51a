"""What the site published before: per feed and UID, the content hash, SEQUENCE and the time
of the event's current revision (its LAST-MODIFIED and DTSTAMP), and what the event said.

RFC 5545 wants SEQUENCE raised when an event changes; DTSTAMP kept per revision makes an
unchanged event byte-identical between publishes, so a feed's bytes (and its ETag) change
only when the plan does. Withdrawn events are remembered (their number, not what they said),
so an event that comes back continues above its old SEQUENCE.

A live event's content is kept so that the next plan — next year's, say — can keep the
events of earlier plans before its first day in the feeds as they were (:func:`history`):
last year stays in subscribers' calendars, and so do the weeks an old plan still covers when
the next is published. Events that start more than :data:`HISTORY` before the current plan's
first day leave the feeds and the state (:func:`advance`'s ``forget_before``).

The state also keeps, per person, the team they were in from which day (``teams``), so a
person who moves team keeps the old team's intake periods in their own feed for the time
they were in it (:func:`memberships`).

The state also names the unit the site publishes (``unit``: unit.toml's ``[unit] name``), so
a publish of another unit into the site is refused; a state written before the name was kept
has none, and the unit is then told by its events' UIDs (:func:`uid_units`).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import InputError
from .events import Feed, FeedEvent

STATE_VERSION = 1
# How far back before the current plan's first day the feeds keep earlier plans' events.
HISTORY = timedelta(days=366)

# Person id -> (first day or None for "always", team id), in order: the team a person was in.
Memberships = dict[str, list[tuple[date | None, str]]]


@dataclass(frozen=True)
class Revision:
    hash: str
    sequence: int
    modified: datetime  # UTC, whole seconds
    withdrawn: bool = False
    # What the event said (live events only; None when withdrawn or in a state written before
    # content was kept): lets a later plan keep it as history.
    event: FeedEvent | None = None


@dataclass
class SiteState:
    base_url: str | None = None
    published: datetime | None = None
    people: dict[str, str] = field(default_factory=dict)  # person id -> name, for `rotation links`
    feeds: dict[str, dict[str, Revision]] = field(default_factory=dict)  # feed key -> uid -> revision
    unit: str | None = None  # unit.toml's [unit] name; None in a state written before it was kept
    teams: Memberships = field(default_factory=dict)  # person id -> the teams they were in, from when
    # The plans this site published and the ones they were re-planned from: fingerprint ->
    # (version, first day of its horizon); and the fingerprint of the last one published.
    plans: dict[str, tuple[int, date]] = field(default_factory=dict)
    plan: str | None = None


@dataclass(frozen=True)
class Change:
    """What a publish did to the events of all feeds."""

    added: int = 0
    changed: int = 0
    withdrawn: int = 0
    unchanged: int = 0


def advance(
    state: SiteState, feeds: list[Feed], now: datetime, forget_before: date | None = None
) -> tuple[SiteState, Change]:
    """The state after publishing ``feeds`` at ``now`` (a pure function; ``state`` is not changed).

    ``forget_before``: withdrawn events whose slot is before this day are forgotten (they have
    left the feeds for good; see :data:`HISTORY`)."""
    now = now.astimezone(UTC).replace(microsecond=0)
    added = changed = withdrawn = unchanged = 0
    new_feeds: dict[str, dict[str, Revision]] = {}
    for feed in feeds:
        before = state.feeds.get(feed.key, {})
        after: dict[str, Revision] = {}
        for event in feed.events:
            digest = event.content_hash()
            prev = before.get(event.uid)
            if prev is None:
                after[event.uid] = Revision(digest, 0, now, event=event)
                added += 1
            elif prev.withdrawn or prev.hash != digest:
                after[event.uid] = Revision(digest, prev.sequence + 1, now, event=event)
                changed += not prev.withdrawn
                added += prev.withdrawn
            else:
                after[event.uid] = replace(prev, event=event)  # the same revision: same bytes
                unchanged += 1
        for gone_uid, prev in before.items():
            if gone_uid in after:
                continue
            withdrawn += not prev.withdrawn
            slot = slot_day(gone_uid)
            if forget_before is None or slot is None or slot >= forget_before:
                after[gone_uid] = replace(prev, withdrawn=True, event=None)
        new_feeds[feed.key] = after
    new_state = replace(
        state, published=now, people=dict(state.people), feeds=new_feeds, teams=dict(state.teams)
    )
    return new_state, Change(added, changed, withdrawn, unchanged)


def history(state: SiteState, feed: Feed, first_day: date, last_day: date) -> Feed:
    """``feed`` (of a plan whose horizon is ``first_day`` to ``last_day``) with the events the
    site published outside that horizon kept, as they were: a plan speaks for its own horizon
    only. What an earlier plan showed before ``first_day`` stays (last year's rota; the weeks
    an old plan still covers when the next is published), and so does what a later plan shows
    after ``last_day`` (next year's rota, when this year's is re-planned in December). An
    earlier event that runs into ``first_day`` ends there, where this plan takes over. Events
    that start more than :data:`HISTORY` before ``first_day`` are not kept."""
    kept = []
    planned = {e.uid for e in feed.events}
    for uid, revision in state.feeds.get(feed.key, {}).items():
        old = revision.event
        if revision.withdrawn or old is None or uid in planned:
            continue
        if first_day - HISTORY <= old.start < first_day:
            kept.append(old if old.end <= first_day else replace(old, end=first_day))
        elif old.start > last_day:
            kept.append(old)
    if not kept:
        return feed
    events = sorted([*feed.events, *kept], key=lambda e: (e.start, e.end, e.uid))
    return replace(feed, events=tuple(events))


def memberships(before: Memberships, teams: dict[str, str], moved_on: date, first_day: date) -> Memberships:
    """Each person's teams after a publish: ``teams`` (person id -> team now, from staff.csv)
    joined to what the site knew. A person in another team than last time is in it from
    ``moved_on`` (the plan's today, else the day of the publish), never before ``first_day``
    (the plan's first day) nor before their previous move. What lies before ``first_day`` is
    folded into the first entry: earlier plans' events are kept as published anyway."""
    after: Memberships = {}
    for pid, team in teams.items():
        known = before.get(pid, [])
        on_first_day = team_on(known, first_day)
        if on_first_day is None:
            after[pid] = [(None, team)]
            continue
        folded = [(None, on_first_day), *((s, t) for s, t in known if s is not None and s > first_day)]
        last_since, last_team = folded[-1]
        if last_team != team:
            since = max(moved_on, last_since or first_day)
            if since <= first_day:
                folded = [(None, team)]
            else:
                if since == last_since:
                    folded.pop()
                if folded[-1][1] != team:
                    folded.append((since, team))
        after[pid] = folded
    return after


def team_on(known: list[tuple[date | None, str]], day: date) -> str | None:
    """The team a person was in on ``day`` by ``known`` (None: not known)."""
    team = None
    for since, t in known:
        if since is None or since <= day:
            team = t
    return team


SLOT = re.compile(r"-(\d{8})(?:-\d+)?\.")


def slot_day(uid: str) -> date | None:
    """The day a UID names (``intake-20270104.unit.…`` → 2027-01-04); None if it names none."""
    found = SLOT.search(uid)
    if not found:
        return None
    try:
        return datetime.strptime(found.group(1), "%Y%m%d").date()
    except ValueError:
        return None


def load_state(path: Path) -> SiteState:
    if not path.exists():
        return SiteState()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unknown version {data.get('version')!r}")
        unit = data.get("unit")
        if unit is not None and not isinstance(unit, str):
            raise ValueError(f"unit is not a name: {unit!r}")
        return SiteState(
            unit=unit,
            base_url=data.get("base_url"),
            published=_time(data["published"]) if data.get("published") else None,
            people=dict(data.get("people", {})),
            feeds={
                key: {
                    u: Revision(
                        r["hash"],
                        int(r["sequence"]),
                        _time(r["modified"]),
                        bool(r.get("withdrawn")),
                        _event(u, r["event"]) if r.get("event") and not r.get("withdrawn") else None,
                    )
                    for u, r in events.items()
                }
                for key, events in data.get("feeds", {}).items()
            },
            teams={
                str(pid): [(date.fromisoformat(since) if since else None, str(team)) for since, team in h]
                for pid, h in data.get("teams", {}).items()
            },
            plans={str(k): (int(v), date.fromisoformat(d)) for k, (v, d) in data.get("plans", {}).items()},
            plan=data.get("plan"),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise InputError(str(path), f"the publish state cannot be read ({e})") from None


def save_state(path: Path, state: SiteState) -> None:
    data: dict[str, Any] = {
        "version": STATE_VERSION,
        "unit": state.unit,
        "base_url": state.base_url,
        "published": _stamp(state.published) if state.published else None,
        "people": state.people,
        "plan": state.plan,
        "plans": {k: [v, d.isoformat()] for k, (v, d) in sorted(state.plans.items())},
        "teams": {
            pid: [[since.isoformat() if since else None, team] for since, team in h]
            for pid, h in sorted(state.teams.items())
        },
        "feeds": {
            key: {
                u: {
                    "hash": r.hash,
                    "sequence": r.sequence,
                    "modified": _stamp(r.modified),
                    "withdrawn": r.withdrawn,
                    **({"event": _event_data(r.event)} if r.event and not r.withdrawn else {}),
                }
                for u, r in sorted(events.items())
            }
            for key, events in sorted(state.feeds.items())
        },
    }
    write_private(path, json.dumps(data, indent=1, ensure_ascii=False).encode() + b"\n")


def uid_units(state: SiteState) -> set[str]:
    """The unit parts (``slug(unit name)``) of the UIDs the site published, e.g.
    ``{"tiny-example-unit"}`` from ``intake-20270301.unit.tiny-example-unit@rotation``."""
    return {
        uid.removesuffix("@rotation").rsplit(".", 1)[-1]
        for events in state.feeds.values()
        for uid in events
        if uid.endswith("@rotation") and "." in uid
    }


def write_private(path: Path, content: bytes) -> None:
    """Replace ``path`` atomically with a file only its owner can read (mode 0600)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _event(uid: str, data: dict[str, str]) -> FeedEvent:
    return FeedEvent(
        uid,
        date.fromisoformat(data["start"]),
        date.fromisoformat(data["end"]),
        str(data["summary"]),
        str(data.get("description", "")),
    )


def _event_data(event: FeedEvent) -> dict[str, str]:
    data = {"start": event.start.isoformat(), "end": event.end.isoformat(), "summary": event.summary}
    if event.description:
        data["description"] = event.description
    return data


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _time(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
