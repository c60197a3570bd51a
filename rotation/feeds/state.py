"""What the site published before: per feed and UID, the content hash, SEQUENCE and the time
of the event's current revision (its LAST-MODIFIED and DTSTAMP).

RFC 5545 wants SEQUENCE raised when an event changes; DTSTAMP kept per revision makes an
unchanged event byte-identical between publishes, so a feed's bytes (and its ETag) change
only when the plan does. Withdrawn events are remembered, so an event that comes back
continues above its old SEQUENCE.

The state also names the unit the site publishes (``unit``: unit.toml's ``[unit] name``), so
a publish of another unit into the site is refused; a state written before the name was kept
has none, and the unit is then told by its events' UIDs (:func:`uid_units`).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import InputError
from .events import Feed

STATE_VERSION = 1


@dataclass(frozen=True)
class Revision:
    hash: str
    sequence: int
    modified: datetime  # UTC, whole seconds
    withdrawn: bool = False


@dataclass
class SiteState:
    base_url: str | None = None
    published: datetime | None = None
    people: dict[str, str] = field(default_factory=dict)  # person id -> name, for `rotation links`
    feeds: dict[str, dict[str, Revision]] = field(default_factory=dict)  # feed key -> uid -> revision
    unit: str | None = None  # unit.toml's [unit] name; None in a state written before it was kept


@dataclass(frozen=True)
class Change:
    """What a publish did to the events of all feeds."""

    added: int = 0
    changed: int = 0
    withdrawn: int = 0
    unchanged: int = 0


def advance(state: SiteState, feeds: list[Feed], now: datetime) -> tuple[SiteState, Change]:
    """The state after publishing ``feeds`` at ``now`` (a pure function; ``state`` is not changed)."""
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
                after[event.uid] = Revision(digest, 0, now)
                added += 1
            elif prev.withdrawn or prev.hash != digest:
                after[event.uid] = Revision(digest, prev.sequence + 1, now)
                changed += not prev.withdrawn
                added += prev.withdrawn
            else:
                after[event.uid] = prev
                unchanged += 1
        for gone_uid, prev in before.items():
            if gone_uid not in after:
                after[gone_uid] = prev if prev.withdrawn else replace(prev, withdrawn=True)
                withdrawn += not prev.withdrawn
        new_feeds[feed.key] = after
    new_state = SiteState(state.base_url, now, dict(state.people), new_feeds, state.unit)
    return new_state, Change(added, changed, withdrawn, unchanged)


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
                    u: Revision(r["hash"], int(r["sequence"]), _time(r["modified"]), bool(r.get("withdrawn")))
                    for u, r in events.items()
                }
                for key, events in data.get("feeds", {}).items()
            },
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
        "feeds": {
            key: {
                u: {
                    "hash": r.hash,
                    "sequence": r.sequence,
                    "modified": _stamp(r.modified),
                    "withdrawn": r.withdrawn,
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


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _time(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
