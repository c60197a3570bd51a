"""Feed content: the strict lint and both parsers on every feed, what each feed holds, privacy,
and the one-line errors of ``rotation publish`` / ``rotation links``."""

from __future__ import annotations

import itertools
import json
import shutil
import stat
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from feeds_support import (
    ABSENCE_WORDS,
    MUNICIPALITY_C,
    TINY,
    copy_plan,
    duty_row,
    event_fields,
    feed_files,
    lint_ics,
    parse_both,
    plan_c,
    plan_tiny,
    read_csv,
    write_duty,
)

from rotation.cli import cli
from rotation.feeds.site import personal_links, publish
from rotation.read import load_unit

__all__ = ["plan_c", "plan_tiny"]  # fixtures

ROTATION = str(Path(sys.executable).parent / "rotation")
DUTY_C = [  # p05 (team A) and p12 (team B) on intake duty; p05 once as mentor
    duty_row("2027-02-01", "A", "p05", "officer", "2"),
    duty_row("2027-02-03", "A", "p05", "mentor", "2"),
    duty_row("2027-02-04", "A", "p06", "officer", "2"),
    duty_row("2027-01-19", "B", "p12", "officer", "1"),
]


@pytest.fixture
def site_c(tmp_path: Path, plan_c: Path) -> Path:
    """Municipality C published with a hand-written duty.csv."""
    plan = copy_plan(plan_c, tmp_path / "plan")
    write_duty(plan, DUTY_C)
    publish(MUNICIPALITY_C, plan, tmp_path / "site", base_url="https://rota.example.se/bou")
    return tmp_path / "site"


def personal_feed(site: Path, person: str) -> bytes:
    link = next(link for link in personal_links(site, static=True) if link.person == person)
    return (site / "p" / link.url.rsplit("/", 1)[1]).read_bytes()


def summaries(data: bytes) -> list[tuple[str, str, str]]:
    return sorted((e["DTSTART"], e["DTEND"], e["SUMMARY"]) for e in event_fields(data).values())


def day(value: str) -> str:
    return value.replace("-", "")


def next_day(value: str) -> str:
    return (date.fromisoformat(value) + timedelta(days=1)).strftime("%Y%m%d")


# --- lint and parsers ------------------------------------------------------------------------


def test_every_feed_passes_the_strict_lint_and_both_parsers(
    site_c: Path, tmp_path: Path, plan_tiny: Path
) -> None:
    publish(TINY, plan_tiny, tmp_path / "tiny-site", base_url="https://x.example/t")
    files = feed_files(site_c) + feed_files(tmp_path / "tiny-site")
    assert len(files) == 1 + 3 + 25 + 1 + 3 + 15
    for file in files:
        data = file.read_bytes()
        assert lint_ics(data) == [], file.name
        events = parse_both(data)
        assert events, file.name
        for event in events:
            assert str(event["TRANSP"]) == "TRANSPARENT"
            assert event["DTSTART"].params.get("VALUE") == "DATE"


def test_the_lint_catches_what_clients_choke_on(site_c: Path) -> None:
    good = (site_c / "team-A.ics").read_bytes()
    assert lint_ics(good) == []
    bad = {
        "LF line ends": good.replace(b"\r\n", b"\n"),
        "long line": good.replace(b"SUMMARY:Mottagning", b"SUMMARY:" + b"x" * 80, 1),
        "calendar UID": good.replace(b"VERSION:2.0\r\n", b"VERSION:2.0\r\nUID:abc\r\n"),
        "refresh without VALUE": good.replace(b"REFRESH-INTERVAL;VALUE=DURATION:", b"REFRESH-INTERVAL:"),
        "local DTSTAMP": good.replace(b"DTSTAMP:20", b"DTSTAMP;TZID=Europe/Stockholm:20", 1),
        "mixed DTEND": good.replace(b"DTEND;VALUE=DATE:20270215", b"DTEND:20270215T000000Z", 1),
        "no PRODID": good.replace(b"PRODID:", b"X-PRODID:"),
    }
    first = good.index(b"BEGIN:VEVENT")
    second = good.index(b"BEGIN:VEVENT", first + 1)
    bad["duplicate UID"] = good[:second] + good[first:second] + good[second:]
    bad["cancelled"] = good.replace(
        b"TRANSP:TRANSPARENT\r\n", b"TRANSP:TRANSPARENT\r\nSTATUS:CANCELLED\r\n", 1
    )
    for what, data in bad.items():
        assert lint_ics(data), what


# --- what each feed holds --------------------------------------------------------------------


def test_unit_feed_has_every_intake_period_as_an_all_day_event(site_c: Path, plan_c: Path) -> None:
    rota = read_csv(plan_c / "rota.csv")
    expected = sorted((day(r["start"]), next_day(r["end"]), f"Mottagning: Team {r['team']}") for r in rota)
    data = (site_c / "unit.ics").read_bytes()
    assert summaries(data) == expected
    for start, end, _ in expected:  # Monday to Sunday: DTEND is the next Monday
        assert date.fromisoformat(f"{start[:4]}-{start[4:6]}-{start[6:]}").weekday() == 0
        assert date.fromisoformat(f"{end[:4]}-{end[4:6]}-{end[6:]}").weekday() == 0
    assert b"NAME:Mottagning" in data and b"X-WR-CALNAME:" in data


def test_titles_follow_the_units_language(tmp_path: Path, plan_tiny: Path) -> None:
    publish(TINY, plan_tiny, tmp_path / "site")
    unit_titles = {s for _, _, s in summaries((tmp_path / "site" / "unit.ics").read_bytes())}
    assert unit_titles == {"Intake: Team A", "Intake: Team B", "Intake: Team C"}
    team_titles = {s for _, _, s in summaries((tmp_path / "site" / "team-A.ics").read_bytes())}
    assert {"Intake: Team A", "Investigation time: Team A"} <= team_titles


def test_team_feed_intake_and_investigation_windows_tile_the_horizon(site_c: Path, plan_c: Path) -> None:
    unit = load_unit(MUNICIPALITY_C)
    horizon = (unit.rules.start, unit.rules.start + timedelta(weeks=unit.rules.weeks))
    for team in ("A", "B", "C"):
        events = summaries((site_c / f"team-{team}.ics").read_bytes())
        blocks = sorted(
            (s, e, t) for s, e, t in events if t.startswith(("Mottagning:", "Utredningstid:"))
        )  # fmt: skip
        assert blocks[0][0] == horizon[0].strftime("%Y%m%d")
        assert blocks[-1][1] == horizon[1].strftime("%Y%m%d")
        for (_, end, title), (start, _, next_title) in itertools.pairwise(blocks):
            assert end == start, "windows must meet without gap or overlap"
            assert "Utredningstid" in title or "Utredningstid" in next_title
        intake = [(s, e) for s, e, t in blocks if t == f"Mottagning: Team {team}"]
        rota = read_csv(plan_c / "rota.csv")
        assert intake == [(day(r["start"]), next_day(r["end"])) for r in rota if r["team"] == team]


def test_team_feed_names_the_acting_manager_on_each_acting_day(site_c: Path, plan_c: Path) -> None:
    unit = load_unit(MUNICIPALITY_C)
    acting = [r for r in read_csv(plan_c / "duty_days.csv") if r["acting"] == "true"]
    assert acting, "the example has acting-manager days"
    for team in ("A", "B", "C"):
        events = summaries((site_c / f"team-{team}.ics").read_bytes())
        got = [(s, e, t) for s, e, t in events if t.startswith("Tf. chef")]
        expected = [
            (day(r["date"]), next_day(r["date"]), f"Tf. chef: {unit.person(r['manager']).name}")
            for r in acting
            if r["team"] == team
        ]
        assert got == sorted(expected)


def test_personal_feed_has_team_intake_acting_days_and_duty_days(site_c: Path, plan_c: Path) -> None:
    unit = load_unit(MUNICIPALITY_C)
    rota = read_csv(plan_c / "rota.csv")
    duty_days = read_csv(plan_c / "duty_days.csv")
    for person in unit.people:
        events = summaries(personal_feed(site_c, person.id))
        team = unit.team(person.team).name
        expected = [
            (day(r["start"]), next_day(r["end"]), f"Mottagning: {team}")
            for r in rota
            if r["team"] == person.team
            and (person.start is None or date.fromisoformat(r["end"]) >= person.start)
            and (person.end is None or date.fromisoformat(r["start"]) <= person.end)
        ]
        expected += [
            (day(r["date"]), next_day(r["date"]), f"Tf. chef för Team {r['team']}")
            for r in duty_days
            if r["acting"] == "true" and r["manager"] == person.id
        ]
        titles = {"officer": "Mottagningspass: Team {}", "mentor": "Mottagningspass (mentor): Team {}"}
        expected += [
            (day(d["date"]), next_day(d["date"]), titles[d["role"]].format(d["team"]))
            for d in DUTY_C
            if d["person"] == person.id
        ]
        assert events == sorted(expected), person.id
    assert any(r["acting"] == "true" for r in duty_days)


def test_without_duty_csv_personal_feeds_have_no_duty_days(tmp_path: Path, plan_c: Path) -> None:
    assert not (plan_c / "duty.csv").exists()
    publish(MUNICIPALITY_C, plan_c, tmp_path / "site")
    for file in (tmp_path / "site" / "p").glob("*.ics"):
        assert b"Mottagningspass" not in file.read_bytes()


def test_uids_come_from_the_slot(site_c: Path) -> None:
    for file in feed_files(site_c):
        for uid in event_fields(file.read_bytes()):
            role_date, feed, unit_slug = uid.removesuffix("@rotation").split(".")
            assert unit_slug == "barn-och-ungdomsenheten-kommun-c"
            assert feed in ("unit", "team-A", "team-B", "team-C") or feed.startswith("person-p")
            assert role_date.split("-")[0] in ("intake", "investigation", "acting", "duty")


# --- privacy ---------------------------------------------------------------------------------


def test_no_absence_kind_or_reason_anywhere(site_c: Path) -> None:
    kinds = {row["kind"] for row in read_csv(MUNICIPALITY_C / "absences.csv")}
    assert {"sick", "leave", "vacation"} <= kinds
    for file in [*feed_files(site_c), site_c / "index.html"]:
        text = file.read_text(encoding="utf-8").lower()
        for word in ABSENCE_WORDS:
            assert word not in text, (file.name, word)


def test_shared_feeds_name_only_acting_managers(site_c: Path) -> None:
    unit = load_unit(MUNICIPALITY_C)
    for name in ("unit.ics", "team-A.ics", "team-B.ics", "team-C.ics", "index.html"):
        data = (site_c / name).read_bytes()
        fields = event_fields(data).values() if name.endswith(".ics") else []
        for person in unit.people:
            if person.name.encode() not in data:
                continue
            assert name.startswith("team-"), (name, person.id)
            for event in fields:
                if person.name in event["SUMMARY"] + event.get("DESCRIPTION", ""):
                    assert event["SUMMARY"] == f"Tf. chef: {person.name}"


def test_personal_feeds_name_nobody_else(site_c: Path) -> None:
    unit = load_unit(MUNICIPALITY_C)
    for person in unit.people:
        data = personal_feed(site_c, person.id).decode()
        others = [p.id for p in unit.people if p.id != person.id and p.name in data]
        assert others == [], person.id


def test_tokens_only_in_the_private_key_file(site_c: Path) -> None:
    private = site_c.parent / "site.private"
    tokens = json.loads((private / "tokens.json").read_text())["tokens"]
    assert len(tokens) == 25
    assert stat.S_IMODE((private / "tokens.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((private / "state.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    served = b"".join(f.read_bytes() for f in site_c.rglob("*") if f.is_file())
    names = "\n".join(str(f) for f in site_c.rglob("*"))
    for token in tokens.values():
        assert token.encode() not in served and token not in names
    index = (site_c / "index.html").read_text()
    assert "/p/" not in index
    assert not any(f.stem in index for f in (site_c / "p").glob("*.ics"))


def test_private_folder_inside_the_site_is_refused(tmp_path: Path, plan_tiny: Path) -> None:
    result = run("publish", str(TINY), "--plan", str(plan_tiny), "--site", str(tmp_path / "s"),
                 "--private", str(tmp_path / "s" / "keys"))  # fmt: skip
    assert result.returncode == 2 and "must not be inside the site" in result.stderr
    assert not (tmp_path / "s").exists()


# --- errors ----------------------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, in process (fast); :func:`test_the_installed_command` runs the
    executable itself."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def test_the_installed_command_fails_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [ROTATION, "publish", str(TINY), "--plan", str(tmp_path / "nope"), "--site", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert_one_line_error(result, "not a folder")


def assert_one_line_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_publish_refuses_a_missing_plan_folder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert_one_line_error(
        run("publish", str(TINY), "--plan", str(tmp_path / "nope"), "--site", str(site)), "not a folder"
    )
    assert not site.exists() and not (tmp_path / "site.private").exists()


def test_publish_refuses_an_invalid_plan_and_keeps_the_old_site(tmp_path: Path, plan_tiny: Path) -> None:
    publish(TINY, plan_tiny, tmp_path / "site", base_url="https://x.example")
    before = {f: f.read_bytes() for f in (tmp_path / "site").rglob("*") if f.is_file()}
    bad = copy_plan(plan_tiny, tmp_path / "bad")
    summary = json.loads((bad / "summary.json").read_text())
    (bad / "summary.json").write_text(json.dumps({**summary, "valid": False}))
    assert_one_line_error(
        run("publish", str(TINY), "--plan", str(bad), "--site", str(tmp_path / "site")), "not valid"
    )
    (bad / "summary.json").unlink()
    assert_one_line_error(
        run("publish", str(TINY), "--plan", str(bad), "--site", str(tmp_path / "site")), "missing"
    )
    after = {f: f.read_bytes() for f in (tmp_path / "site").rglob("*") if f.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left


def test_publish_refuses_a_plan_of_another_unit(tmp_path: Path, plan_c: Path) -> None:
    result = run("publish", str(TINY), "--plan", str(plan_c), "--site", str(tmp_path / "site"))
    assert_one_line_error(result, "another unit")


def test_publish_says_so_when_someone_in_the_plan_left_staff_csv(tmp_path: Path, plan_tiny: Path) -> None:
    """A person removed from staff.csv after planning: not "another unit", but what to do."""
    unit_dir = tmp_path / "unit"
    shutil.copytree(TINY, unit_dir)
    staff = (unit_dir / "staff.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (unit_dir / "staff.csv").write_text("".join(line for line in staff if not line.startswith("p07,")))
    plan = copy_plan(plan_tiny, tmp_path / "plan")
    write_duty(plan, [duty_row("2027-03-02", "A", "p07", "officer", "0")])
    result = run("publish", str(unit_dir), "--plan", str(plan), "--site", str(tmp_path / "site"))
    needle = "duty.csv, row 2, field 'person': 'p07' is in the plan but not in staff.csv"
    assert_one_line_error(result, needle)
    assert "end date and re-plan" in result.stderr
    assert not (tmp_path / "site").exists()


def test_publish_refuses_to_overwrite_a_folder_that_is_not_a_site(tmp_path: Path, plan_tiny: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "thesis.txt").write_text("mine")
    result = run("publish", str(TINY), "--plan", str(plan_tiny), "--site", str(tmp_path / "docs"))
    assert_one_line_error(result, "not a published feed site")
    assert [p.name for p in (tmp_path / "docs").iterdir()] == ["thesis.txt"]


def test_links_prints_one_address_per_person_and_rotate_rejects_unknown_people(
    tmp_path: Path, plan_tiny: Path
) -> None:
    site = tmp_path / "site"
    assert run("publish", str(TINY), "--plan", str(plan_tiny), "--site", str(site),
               "--base-url", "https://rota.example.org/team/").returncode == 0  # fmt: skip
    lines = run("links", str(site)).stdout.splitlines()
    assert len(lines) == 15
    pid, name, url = lines[0].split("\t")
    assert (pid, name) == ("p01", "Anna Berg")
    assert url.startswith("https://rota.example.org/team/p/") and url.endswith(".ics")
    assert_one_line_error(run("links", str(site), "--rotate", "p99"), "unknown person 'p99'")
    assert run("links", str(site)).stdout.splitlines() == lines  # nothing changed
    assert_one_line_error(run("links", str(tmp_path / "nowhere")), "not a published feed site")
