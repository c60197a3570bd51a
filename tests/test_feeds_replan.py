"""Re-planning: same slot, same UID; SEQUENCE and LAST-MODIFIED raised exactly for changed
events; unchanged events byte-identical; withdrawn events leave the feed."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

from feeds_support import (
    MUNICIPALITY_C,
    copy_plan,
    duty_row,
    event_blocks,
    event_fields,
    feed_files,
    moment,
    plan_c,
    read_csv,
    write_csv,
    write_duty,
)

from rotation.feeds.events import Feed, FeedEvent
from rotation.feeds.site import personal_links, publish
from rotation.feeds.state import SiteState, advance

__all__ = ["plan_c"]  # fixture

STAMP_1 = moment(1).strftime("%Y%m%dT%H%M%SZ")
STAMP_2 = moment(2).strftime("%Y%m%dT%H%M%SZ")
REVISION_FIELDS = ("SEQUENCE", "LAST-MODIFIED", "DTSTAMP")
DUTY = [
    duty_row("2027-02-01", "A", "p05", "officer", "2"),
    duty_row("2027-02-03", "A", "p05", "mentor", "2"),
    duty_row("2027-02-04", "A", "p06", "officer", "2"),
]


def snapshot(site: Path) -> dict[str, bytes]:
    """Feed bytes by a stable name: shared feeds by file name, personal feeds by person."""
    files = {f.name: f.read_bytes() for f in site.glob("*.ics")}
    for link in personal_links(site, static=True):
        files[link.person] = (site / "p" / link.url.rsplit("/", 1)[1]).read_bytes()
    return files


def content(fields: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in fields.items() if k not in REVISION_FIELDS}


def check_revisions(before: dict[str, bytes], after: dict[str, bytes]) -> dict[str, set[str]]:
    """The rules for every feed; returns the changed UIDs by feed."""
    changed: dict[str, set[str]] = {}
    for name, old in before.items():
        old_fields, new_fields = event_fields(old), event_fields(after[name])
        old_blocks, new_blocks = event_blocks(old), event_blocks(after[name])
        for uid in old_fields.keys() & new_fields.keys():
            o, n = old_fields[uid], new_fields[uid]
            slot = uid.split(".")[0].split("-")
            slot_day = next(p for p in slot if len(p) == 8 and p.isdigit())
            assert n["DTSTART"] == slot_day, "the UID names the slot, and the slot does not move"
            if content(o) == content(n):
                assert new_blocks[uid] == old_blocks[uid], (name, uid)
            else:
                changed.setdefault(name, set()).add(uid)
                assert int(n["SEQUENCE"]) == int(o["SEQUENCE"]) + 1, (name, uid)
                assert n["LAST-MODIFIED"] == n["DTSTAMP"] == STAMP_2, (name, uid)
        for uid in new_fields.keys() - old_fields.keys():
            assert new_fields[uid]["SEQUENCE"] == "0" and new_fields[uid]["DTSTAMP"] == STAMP_2
    return changed


def test_replan_keeps_uids_raises_sequence_exactly_and_withdraws(tmp_path: Path, plan_c: Path) -> None:
    plan = copy_plan(plan_c, tmp_path / "plan")
    write_duty(plan, DUTY)
    site = tmp_path / "site"
    publish(MUNICIPALITY_C, plan, site, base_url="https://x.example", now=moment(1))
    before = snapshot(site)

    # The re-plan: periods 3 and 4 swap teams; one acting day gets another deputy, another
    # acting day is no longer needed; p05's duty moves a day, p06's is withdrawn.
    rota = read_csv(plan / "rota.csv")
    p3, p4 = rota[3], rota[4]
    p3["team"], p4["team"] = p4["team"], p3["team"]
    write_csv(plan / "rota.csv", rota)
    days = read_csv(plan / "duty_days.csv")
    managers = {"A": "p01", "B": "p02", "C": "p03"}
    for d in days:
        if d["period"] in ("3", "4"):
            d["team"] = p3["team"] if d["period"] == "3" else p4["team"]
            d["manager"], d["acting"] = managers[d["team"]], "false"
    acting = [d for d in days if d["acting"] == "true"]
    reassigned, dropped = acting[0], acting[-1]
    old_deputy = reassigned["manager"]
    reassigned["manager"] = "p04" if old_deputy != "p04" else "p11"
    dropped_manager = dropped["manager"]
    dropped["manager"], dropped["acting"] = managers[dropped["team"]], "false"
    write_csv(plan / "duty_days.csv", days)
    write_duty(plan, [duty_row("2027-02-02", "A", "p05", "officer", "2"), DUTY[1]])
    publish(MUNICIPALITY_C, plan, site, now=moment(2))
    after = snapshot(site)

    changed = check_revisions(before, after)

    unit_old, unit_new = event_fields(before["unit.ics"]), event_fields(after["unit.ics"])
    assert unit_old.keys() == unit_new.keys()
    swapped = {u for u, f in unit_new.items() if f["DTSTART"] in (day(p3["start"]), day(p4["start"]))}
    assert changed["unit.ics"] == swapped and len(swapped) == 2

    team_feed = f"team-{reassigned['team']}.ics"
    re_uid = next(
        u
        for u, f in event_fields(after[team_feed]).items()
        if f["DTSTART"] == day(reassigned["date"]) and u.startswith("acting")
    )
    assert re_uid in changed[team_feed]
    assert event_fields(after[team_feed])[re_uid]["SEQUENCE"] == "1"
    dropped_feed = f"team-{dropped['team']}.ics"
    dropped_uids = {
        u
        for u, f in event_fields(before[dropped_feed]).items()
        if u.startswith("acting") and f["DTSTART"] == day(dropped["date"])
    }
    assert len(dropped_uids) == 1 and not dropped_uids & event_fields(after[dropped_feed]).keys()

    def acting_days(feed: bytes) -> set[str]:
        return {f["DTSTART"] for u, f in event_fields(feed).items() if u.startswith("acting")}

    assert day(reassigned["date"]) in acting_days(before[old_deputy]) - acting_days(after[old_deputy])
    assert day(reassigned["date"]) in acting_days(after[reassigned["manager"]])
    assert day(dropped["date"]) not in acting_days(after[dropped_manager])

    p05 = {f["DTSTART"]: f["SUMMARY"] for u, f in event_fields(after["p05"]).items() if u.startswith("duty")}
    assert p05 == {"20270202": "Mottagningspass: Team A", "20270203": "Mottagningspass (mentor): Team A"}
    mentor_uid = next(u for u in event_fields(after["p05"]) if u.startswith("duty-mentor"))
    assert event_blocks(after["p05"])[mentor_uid] == event_blocks(before["p05"])[mentor_uid]
    assert not any(u.startswith("duty") for u in event_fields(after["p06"]))

    for name in ("unit.ics", "team-A.ics", "team-B.ics", "team-C.ics", "p05", "p13"):
        uids = list(event_fields(after[name]))
        assert len(uids) == len(set(uids))


def test_publishing_the_same_plan_again_changes_no_feed(tmp_path: Path, plan_c: Path) -> None:
    site = tmp_path / "site"
    publish(MUNICIPALITY_C, plan_c, site, now=moment(1))
    before = {f: (f.read_bytes(), f.stat().st_mtime_ns, f.stat().st_ino) for f in feed_files(site)}
    result = publish(MUNICIPALITY_C, plan_c, site, now=moment(2))
    after = {f: (f.read_bytes(), f.stat().st_mtime_ns, f.stat().st_ino) for f in feed_files(site)}
    assert after == before
    assert result.change.changed == result.change.added == result.change.withdrawn == 0
    assert result.files_written == 1  # index.html, for its published time
    published = datetime.fromtimestamp((site / "unit.ics").stat().st_mtime, UTC)
    assert published == moment(1), "Last-Modified of a feed is when its bytes last changed"
    assert os.stat(site / "index.html").st_mtime == moment(2).timestamp()


def test_a_withdrawn_event_that_returns_continues_its_sequence() -> None:
    event = FeedEvent(
        "intake-20270104.unit.u@rotation", date(2027, 1, 4), date(2027, 1, 18), "Intake: Team A"
    )
    moved = FeedEvent(event.uid, event.start, event.end, "Intake: Team B")
    state = SiteState()
    steps = [[event], [moved], [], [moved], [moved]]
    sequences = []
    for i, events in enumerate(steps):
        state, _ = advance(state, [Feed("unit", "U", tuple(events))], datetime(2027, 1, i + 1, tzinfo=UTC))
        revision = state.feeds["unit"][event.uid]
        sequences.append((revision.sequence, revision.withdrawn, revision.modified.day))
    assert sequences == [(0, False, 1), (1, False, 2), (1, True, 2), (2, False, 4), (2, False, 4)]


def day(value: str) -> str:
    return value.replace("-", "")
