"""Feeds over the years: the next plan (next year's) keeps what earlier plans published before
its first day, byte for byte, for a year; a person who moves team keeps the old team's past
intake in their own feed; a personal feed shows intake only while the person is employed; an
id given to someone else starts a feed without the previous holder's history; and every
publish is stamped later than the one before."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner
from feeds_support import (
    TINY,
    copy_plan,
    copy_unit,
    event_blocks,
    event_fields,
    later_plan,
    lint_ics,
    moment,
    parse_both,
    plan_tiny,
    read_csv,
    write_csv,
)

from rotation.cli import cli as main_cli
from rotation.feeds.server import make_app
from rotation.feeds.site import personal_links, publish
from rotation.feeds.state import memberships, team_on
from rotation.pipeline import plan_unit
from rotation.replan import replan_unit

__all__ = ["plan_tiny"]  # fixture

FIRST_DAY = date(2027, 3, 1)  # tiny's rota: 12 weeks, 2027-03-01 to 2027-05-23


@pytest.fixture(scope="module")
def tiny_with_duty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny example planned by the real planner, duty.csv included. Copy before editing."""
    out = tmp_path_factory.mktemp("tiny-duty") / "plan"
    assert plan_unit(TINY, out, time_limit=8).valid
    assert (out / "duty.csv").exists()
    return out


def by_person(site: Path) -> dict[str, bytes]:
    """Every feed's bytes: shared feeds by file name, personal feeds by person id."""
    files = {f.name: f.read_bytes() for f in site.glob("*.ics")}
    for link in personal_links(site, static=True, base_url="https://x.example"):
        files[link.person] = (site / "p" / link.url.rsplit("/", 1)[1]).read_bytes()
    return files


def day(value: date) -> str:
    return value.strftime("%Y%m%d")


def starts(data: bytes) -> dict[str, str]:
    return {uid: f["DTSTART"] for uid, f in event_fields(data).items()}


# --- the next plan -----------------------------------------------------------------------------


def test_next_plan_keeps_the_earlier_plans_events_byte_for_byte(tmp_path: Path, tiny_with_duty: Path) -> None:
    site = tmp_path / "site"
    publish(TINY, tiny_with_duty, site, base_url="https://x.example", now=moment(1))
    first = by_person(site)
    unit_2, plan_2 = later_plan(TINY, tiny_with_duty, 12, tmp_path / "next")  # starts 2027-05-24

    result = publish(unit_2, plan_2, site, now=moment(2))

    assert result.change.withdrawn == 0, "nothing of the earlier plan is taken from calendars"
    second = by_person(site)
    assert second.keys() == first.keys()
    next_day = day(FIRST_DAY + timedelta(weeks=12))
    for name, old in first.items():
        old_blocks, new_blocks = event_blocks(old), event_blocks(second[name])
        assert old_blocks, name
        for uid, block in old_blocks.items():
            assert new_blocks[uid] == block, (name, uid)  # the same bytes: no SEQUENCE, no DTSTAMP
        new = {uid for uid in new_blocks if uid not in old_blocks}
        assert new and all(starts(second[name])[uid] >= next_day for uid in new), name
        assert lint_ics(second[name]) == [], name
        parse_both(second[name])
    # Publishing the next plan again changes no feed.
    publish(unit_2, plan_2, site, now=moment(3))
    assert by_person(site) == second


def test_an_overlapping_plan_takes_over_from_its_first_day(tmp_path: Path, tiny_with_duty: Path) -> None:
    """A plan that starts inside the published one: earlier events stay, one running into the
    new first day ends there (a new revision), later ones give way to the new plan's."""
    site = tmp_path / "site"
    publish(TINY, tiny_with_duty, site, now=moment(1))
    first = by_person(site)
    unit_2, plan_2 = later_plan(TINY, tiny_with_duty, 5, tmp_path / "next")  # starts 2027-04-05
    takeover = FIRST_DAY + timedelta(weeks=5)

    publish(unit_2, plan_2, site, now=moment(2))

    second = by_person(site)
    fresh = by_person(publish(unit_2, plan_2, tmp_path / "fresh", now=moment(2)).site)
    team_a_old, team_a_new = event_fields(first["team-A.ics"]), event_fields(second["team-A.ics"])
    cut = [u for u, f in team_a_old.items() if f["DTSTART"] < day(takeover) < f["DTEND"]]
    assert cut, "the example has a window running through the new first day"
    for uid in cut:
        assert team_a_new[uid]["DTEND"] == day(takeover)
        assert int(team_a_new[uid]["SEQUENCE"]) == int(team_a_old[uid]["SEQUENCE"]) + 1
    for name, old in first.items():
        old_blocks, new_blocks = event_blocks(old), event_blocks(second[name])
        for uid, f in event_fields(old).items():
            if f["DTEND"] <= day(takeover):
                assert new_blocks[uid] == old_blocks[uid], (name, uid)
        # From the new first day on, the feed is the new plan's, exactly.
        assert content(second[name], takeover) == content(fresh[name], takeover), name
        assert content(fresh[name], takeover), name
    intake = sorted((f["DTSTART"], f["DTEND"]) for f in event_fields(second["unit.ics"]).values())
    assert all(end <= start for (_, end), (start, _) in pairwise(intake)), (
        "one team on intake at a time: no two intake events overlap"
    )


def content(data: bytes, since: date) -> Counter[tuple[str, ...]]:
    """What the events from ``since`` on say (UID and revision left out)."""
    keys = ("DTSTART", "DTEND", "SUMMARY", "DESCRIPTION")
    return Counter(
        tuple(f.get(k, "") for k in keys) for f in event_fields(data).values() if f["DTSTART"] >= day(since)
    )


def test_a_replan_of_this_year_after_next_years_plan_keeps_next_year(
    tmp_path: Path, tiny_with_duty: Path
) -> None:
    """Next year's plan is out; then this year's is re-planned (a late sickness) and
    published: a plan speaks for its own horizon only, so next year's events stay as they were."""
    unit_dir = copy_unit(TINY, tmp_path / "unit")
    site = tmp_path / "site"
    publish(unit_dir, tiny_with_duty, site, now=moment(1))
    unit_2, plan_2 = later_plan(TINY, tiny_with_duty, 12, tmp_path / "next")  # from 2027-05-24
    publish(unit_2, plan_2, site, now=moment(2))
    before = by_person(site)
    with (unit_dir / "absences.csv").open("a", encoding="utf-8") as f:
        f.write("p01,2027-05-10,2027-05-14,sick\n")  # team A's manager, in A's or another's period
        f.write("p02,2027-05-10,2027-05-14,sick\n")
        f.write("p03,2027-05-10,2027-05-14,sick\n")
    replan_unit(unit_dir, tiny_with_duty, tmp_path / "v2", today=date(2027, 5, 3), time_limit=8)

    result = publish(unit_dir, tmp_path / "v2", site, now=moment(3))

    assert result.change.added + result.change.changed > 0, "the re-plan changes this year"
    after = by_person(site)
    next_first = day(FIRST_DAY + timedelta(weeks=12))
    for name, old in before.items():
        old_blocks, new_blocks = event_blocks(old), event_blocks(after[name])
        nexts = {u for u, f in event_fields(old).items() if f["DTSTART"] >= next_first}
        assert nexts, name
        for uid in nexts:
            assert new_blocks[uid] == old_blocks[uid], (name, uid)


def test_events_more_than_a_year_before_the_plan_leave_the_feeds_and_the_state(
    tmp_path: Path, tiny_with_duty: Path
) -> None:
    site = tmp_path / "site"
    publish(TINY, tiny_with_duty, site, now=moment(1))
    first = by_person(site)
    unit_2, plan_2 = later_plan(TINY, tiny_with_duty, 12, tmp_path / "next")
    publish(unit_2, plan_2, site, now=moment(2))
    second = by_person(site)
    unit_3, plan_3 = later_plan(TINY, tiny_with_duty, 12 + 60, tmp_path / "later")  # 2028-07-17

    publish(unit_3, plan_3, site, now=moment(3))

    third = by_person(site)
    cutoff = day(FIRST_DAY + timedelta(weeks=72) - timedelta(days=366))
    state = (tmp_path / "site.private" / "state.json").read_text(encoding="utf-8")
    for name in first:
        for uid in event_fields(first[name]):
            assert uid not in event_fields(third[name]) and uid not in state, (name, uid)
        kept = {u for u, f in event_fields(second[name]).items() if f["DTSTART"] >= cutoff}
        gone = set(event_fields(second[name])) - kept - set(event_fields(first[name]))
        assert kept <= set(event_fields(third[name])) and gone, name
        assert not gone & set(event_fields(third[name])) and not any(u in state for u in gone), name


def test_an_id_given_to_someone_else_starts_without_the_previous_holders_history(
    tmp_path: Path, tiny_with_duty: Path
) -> None:
    site = tmp_path / "site"
    publish(TINY, tiny_with_duty, site, now=moment(1))
    elsa = set(event_fields(by_person(site)["p05"]))
    filip = set(event_fields(by_person(site)["p06"]))
    unit_2, plan_2 = later_plan(TINY, tiny_with_duty, 12, tmp_path / "next")
    rows = read_csv(unit_2 / "staff.csv")
    for row in rows:
        if row["id"] == "p05":
            row["name"] = "Karin Lindqvist"  # Elsa Hall left; a new hire gets her id
    write_csv(unit_2 / "staff.csv", rows)

    result = publish(unit_2, plan_2, site, now=moment(2))

    assert [pid for pid, _ in result.reissued] == ["p05"]
    karin = event_fields(by_person(site)["p05"])
    assert karin and not elsa & set(karin), "none of Elsa's events in Karin's feed"
    assert all(f["DTSTART"] >= day(FIRST_DAY + timedelta(weeks=12)) for f in karin.values())
    assert filip < set(event_fields(by_person(site)["p06"])), "everyone else keeps their history"


# --- moving team -------------------------------------------------------------------------------


def test_a_person_who_moves_team_keeps_the_old_teams_past_intake(
    tmp_path: Path, tiny_with_duty: Path
) -> None:
    """p06 moves from team A to team B, and a real re-plan as of 2027-04-05 follows: p06's own
    feed keeps team A's periods begun before that day and shows team B's from it."""
    unit_dir = copy_unit(TINY, tmp_path / "unit")
    site = tmp_path / "site"
    publish(unit_dir, tiny_with_duty, site, now=moment(1))
    before = by_person(site)["p06"]
    rows = read_csv(unit_dir / "staff.csv")
    for row in rows:
        if row["id"] == "p06":
            row["team"] = "B"
    write_csv(unit_dir / "staff.csv", rows)
    today = date(2027, 4, 5)
    replan_unit(unit_dir, tiny_with_duty, tmp_path / "v2", today=today, time_limit=8)

    publish(unit_dir, tmp_path / "v2", site, now=moment(2))

    after = by_person(site)["p06"]
    rota = read_csv(tmp_path / "v2" / "rota.csv")
    expected = sorted(
        (day(date.fromisoformat(r["start"])), f"Intake: Team {r['team']}")
        for r in rota
        if r["team"] == ("A" if date.fromisoformat(r["start"]) < today else "B")
    )
    got = sorted(
        (f["DTSTART"], f["SUMMARY"])
        for f in event_fields(after).values()
        if f["SUMMARY"].startswith("Intake:")
    )
    assert got == expected
    assert any(s.endswith("Team A") for _, s in got) and any(s.endswith("Team B") for _, s in got)
    old, new = event_blocks(before), event_blocks(after)
    for uid, f in event_fields(before).items():
        if f["DTSTART"] < day(today) and f["SUMMARY"].startswith("Intake:"):
            assert new[uid] == old[uid], "the past intake is what p06 saw, byte for byte"
    state = json.loads((tmp_path / "site.private" / "state.json").read_text(encoding="utf-8"))
    assert state["teams"]["p06"] == [[None, "A"], [today.isoformat(), "B"]]

    # Publishing again changes nothing.
    publish(unit_dir, tmp_path / "v2", site, now=moment(3))
    assert by_person(site)["p06"] == after


def test_a_move_without_a_replan_counts_from_the_day_of_the_publish(tmp_path: Path, plan_tiny: Path) -> None:
    unit_dir = copy_unit(TINY, tmp_path / "unit")
    site = tmp_path / "site"
    publish(unit_dir, plan_tiny, site, now=moment(1))
    rows = read_csv(unit_dir / "staff.csv")
    for row in rows:
        if row["id"] == "p06":
            row["team"] = "C"
    write_csv(unit_dir / "staff.csv", rows)
    publish(unit_dir, plan_tiny, site, now=datetime(2027, 4, 20, 6, 0, tzinfo=UTC))

    feed = by_person(site)["p06"]
    got = sorted((f["DTSTART"], f["SUMMARY"]) for f in event_fields(feed).values())
    rota = read_csv(plan_tiny / "rota.csv")
    expected = sorted(
        (day(date.fromisoformat(r["start"])), f"Intake: Team {r['team']}")
        for r in rota
        if r["team"] == ("A" if r["start"] < "2027-04-20" else "C")
    )
    assert got == expected


def test_memberships_follow_moves_and_fold_what_lies_before_the_plan() -> None:
    first = date(2027, 1, 4)
    # new people, no move, a move, a move back later, two moves on one day
    m = memberships({}, {"a": "A", "b": "B"}, date(2027, 3, 1), first)
    assert m == {"a": [(None, "A")], "b": [(None, "B")]}
    m = memberships(m, {"a": "B", "b": "B"}, date(2027, 3, 1), first)
    assert m["a"] == [(None, "A"), (date(2027, 3, 1), "B")] and m["b"] == [(None, "B")]
    m2 = memberships(m, {"a": "A"}, date(2027, 6, 1), first)
    assert m2["a"] == [(None, "A"), (date(2027, 3, 1), "B"), (date(2027, 6, 1), "A")]
    assert team_on(m2["a"], date(2027, 2, 28)) == "A" and team_on(m2["a"], date(2027, 3, 1)) == "B"
    assert team_on(m2["a"], date(2027, 6, 1)) == "A"
    assert memberships(m, {"a": "A"}, date(2027, 3, 1), first)["a"] == [(None, "A")], "moved back at once"
    assert memberships(m, {"a": "C"}, date(2027, 2, 1), first)["a"] == [
        (None, "A"),
        (date(2027, 3, 1), "C"),
    ], "never before the previous move"
    # a move before the plan's first day (next year's plan) is "always"; the past folds in
    assert memberships(m, {"a": "C"}, date(2027, 12, 1), date(2028, 1, 3))["a"] == [(None, "C")]
    assert memberships(m, {"a": "B"}, date(2027, 12, 1), date(2028, 1, 3))["a"] == [(None, "B")]


# --- employment --------------------------------------------------------------------------------


def test_a_personal_feed_shows_intake_only_while_the_person_is_employed(
    tmp_path: Path, plan_tiny: Path
) -> None:
    """A leaver who keeps the subscription does not go on getting the team's rota; a new hire's
    feed does not start before they do."""
    unit_dir = copy_unit(TINY, tmp_path / "unit")
    rows = read_csv(unit_dir / "staff.csv")
    for row in rows:
        if row["id"] == "p06":
            row["end"] = "2027-03-31"
        if row["id"] == "p07":
            row["start"] = "2027-04-12"
    write_csv(unit_dir / "staff.csv", rows)
    site = tmp_path / "site"
    publish(unit_dir, plan_tiny, site)
    feeds = by_person(site)
    rota = [r for r in read_csv(plan_tiny / "rota.csv") if r["team"] == "A"]
    leaver = sorted(f["DTSTART"] for f in event_fields(feeds["p06"]).values())
    hire = sorted(f["DTSTART"] for f in event_fields(feeds["p07"]).values())
    everyone = sorted(f["DTSTART"] for f in event_fields(feeds["p05"]).values())
    assert everyone == sorted(r["start"].replace("-", "") for r in rota)
    assert leaver == sorted(r["start"].replace("-", "") for r in rota if r["start"] <= "2027-03-31")
    assert hire == sorted(r["start"].replace("-", "") for r in rota if r["end"] >= "2027-04-12")
    assert leaver and hire and leaver != everyone and hire != everyone


# --- the publish clock -------------------------------------------------------------------------


def test_every_publish_is_stamped_after_the_one_before(tmp_path: Path, plan_tiny: Path) -> None:
    """Two publishes in one second (or with the clock set back): the changed feed's
    Last-Modified and its changed events' LAST-MODIFIED still rise, so a client that asks
    If-Modified-Since gets the change instead of 304."""
    other = copy_plan(plan_tiny, tmp_path / "other")
    rota = read_csv(other / "rota.csv")
    rota[1]["team"], rota[2]["team"] = rota[2]["team"], rota[1]["team"]
    write_csv(other / "rota.csv", rota)
    site = tmp_path / "site"
    at = datetime(2027, 2, 1, 12, 0, 0, 100000, tzinfo=UTC)
    publish(TINY, plan_tiny, site, now=at)
    app = make_app(site)

    def get(**headers: str) -> tuple[str, dict[str, str], bytes]:
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/unit.ics"}
        environ.update({f"HTTP_{k}": v for k, v in headers.items()})
        answer: dict[str, object] = {}

        def start_response(status: str, hs: list[tuple[str, str]]) -> None:
            answer.update(status=status, headers=dict(hs))

        body = b"".join(app(environ, start_response))
        return str(answer["status"]), answer["headers"], body  # type: ignore[return-value]

    _, before, body_before = get()
    for plan, later in ((other, at.replace(microsecond=900000)), (plan_tiny, at - timedelta(hours=1))):
        publish(TINY, plan, site, now=later)
        status, headers, body = get(IF_MODIFIED_SINCE=before["Last-Modified"])
        assert status == "200 OK" and body != body_before
        assert headers["Last-Modified"] != before["Last-Modified"]
        old, new = event_fields(body_before), event_fields(body)
        latest = max(f["LAST-MODIFIED"] for f in old.values())
        changed = [f for u, f in new.items() if old[u]["SUMMARY"] != f["SUMMARY"]]
        assert len(changed) == 2 and all(f["LAST-MODIFIED"] > latest for f in changed)
        before, body_before = headers, body


def test_a_state_from_before_content_was_kept_fills_it_in_and_changes_no_feed(
    tmp_path: Path, tiny_with_duty: Path
) -> None:
    site, state_file = tmp_path / "site", tmp_path / "site.private" / "state.json"
    publish(TINY, tiny_with_duty, site, now=moment(1))
    first = by_person(site)
    state = json.loads(state_file.read_text(encoding="utf-8"))
    del state["teams"]
    for events in state["feeds"].values():
        for revision in events.values():
            del revision["event"]
    state_file.write_text(json.dumps(state), encoding="utf-8")

    publish(TINY, tiny_with_duty, site, now=moment(2))  # the first publish after the upgrade

    assert by_person(site) == first
    unit_2, plan_2 = later_plan(TINY, tiny_with_duty, 12, tmp_path / "next")
    assert publish(unit_2, plan_2, site, now=moment(3)).change.withdrawn == 0
    for name, old in first.items():
        assert event_blocks(old).items() <= event_blocks(by_person(site)[name]).items(), name


# --- publishing a superseded version -----------------------------------------------------------

COMMON = ["--today", "2027-04-05", "--time-limit", "8"]  # a re-plan's or swap's options here


def cli(*args: str) -> tuple[int, str]:
    """The real command line: exit code and stderr."""
    result = CliRunner().invoke(main_cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stderr


def _published_then_changed(tmp_path: Path, plan: Path) -> tuple[Path, Path, Path]:
    """The tiny unit, its plan published to a site, and then a sick day for p01 in April (so
    re-plans have something to change): the unit folder, the plan and the site."""
    unit_dir = copy_unit(TINY, tmp_path / "unit")
    v1 = copy_plan(plan, tmp_path / "plan")
    site = tmp_path / "site"
    assert cli("publish", str(unit_dir), "--plan", str(v1), "--site", str(site))[0] == 0
    with (unit_dir / "absences.csv").open("a", encoding="utf-8") as f:
        f.write("p01,2027-04-26,2027-04-30,sick\n")
    return unit_dir, v1, site


def test_a_superseded_version_is_refused_and_writes_nothing(tmp_path: Path, tiny_with_duty: Path) -> None:
    """The real commands: a plan published, a re-plan of it, a swap of that published; then the
    first folder or the re-plan by mistake is refused (it would take back the changes in every
    calendar), whether the site published it or only the version made from it."""
    unit_dir, v1, site = _published_then_changed(tmp_path, tiny_with_duty)
    v2, v3 = tmp_path / "plan.v2", tmp_path / "plan.v3"
    assert cli("replan", str(unit_dir), "--published", str(v1), "--out", str(v2), *COMMON)[0] == 0
    # v2 is sent round but never published; the swap made from it is.
    assert cli("swap", str(unit_dir), "--plan", str(v2), "3", "4", "--out", str(v3), *COMMON)[0] == 0
    assert cli("publish", str(unit_dir), "--plan", str(v3), "--site", str(site))[0] == 0
    before = {f: f.read_bytes() for folder in (site, tmp_path / "site.private") for f in folder.rglob("*")
              if f.is_file()}  # fmt: skip

    for old, version in ((v1, 1), (v2, 2)):
        code, err = cli("publish", str(unit_dir), "--plan", str(old), "--site", str(site))
        assert code == 2 and err.startswith(f"error: {old}: is version {version} of the rota"), err
        assert "has since published version 3" in err and "publish the newest version" in err
    after = {f: f.read_bytes() for folder in (site, tmp_path / "site.private") for f in folder.rglob("*")
             if f.is_file()}  # fmt: skip
    assert after == before, "nothing written"

    assert cli("publish", str(unit_dir), "--plan", str(v3), "--site", str(site))[0] == 0  # the newest
    fresh = copy_plan(tiny_with_duty, tmp_path / "fresh")
    write_csv(fresh / "duty.csv", read_csv(fresh / "duty.csv")[:-1])  # another plan of the same rota
    assert cli("publish", str(unit_dir), "--plan", str(fresh), "--site", str(site))[0] == 0


def test_a_sibling_version_is_refused(tmp_path: Path, tiny_with_duty: Path) -> None:
    """A re-plan and a swap both made from the published plan are both version 2: once the swap
    is published, publishing the re-plan would take the swap back out of every calendar."""
    unit_dir, v1, site = _published_then_changed(tmp_path, tiny_with_duty)
    replanned, swapped = tmp_path / "plan.v2", tmp_path / "plan.v3"
    assert cli("replan", str(unit_dir), "--published", str(v1), "--out", str(replanned), *COMMON)[0] == 0
    assert cli("swap", str(unit_dir), "--plan", str(v1), "3", "4", "--out", str(swapped), *COMMON)[0] == 0
    assert json.loads((swapped / "version.json").read_text(encoding="utf-8"))["version"] == 2
    assert cli("publish", str(unit_dir), "--plan", str(swapped), "--site", str(site))[0] == 0
    before = {f: f.read_bytes() for f in site.rglob("*") if f.is_file()}

    code, err = cli("publish", str(unit_dir), "--plan", str(replanned), "--site", str(site))
    assert code == 2, err
    assert "is version 2 of the rota, made from version 1" in err and "published version 2" in err
    assert {f: f.read_bytes() for f in site.rglob("*") if f.is_file()} == before, "nothing written"
    # A version made from the one published goes out.
    newest = tmp_path / "plan.v4"
    assert cli("swap", str(unit_dir), "--plan", str(swapped), "3", "4", "--out", str(newest), *COMMON)[0] == 0
    assert cli("publish", str(unit_dir), "--plan", str(newest), "--site", str(site))[0] == 0
