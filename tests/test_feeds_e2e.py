"""A subscriber's view, end to end: plan municipality C, publish, ``rotation serve`` it, subscribe
with vdirsyncer (http storage → local vdir), list with khal; re-plan after a new absence, move
and withdraw duties, publish, sync again — the calendar follows exactly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from feeds_support import (
    MUNICIPALITY_C,
    TINY,
    copy_plan,
    copy_unit,
    duty_row,
    free_port,
    later_plan,
    plan,
    plan_c,
    plan_tiny,
    read_csv,
    write_duty,
)

from rotation.feeds.site import personal_links, publish
from rotation.read import load_unit

__all__ = ["plan_c", "plan_tiny"]  # fixtures

BIN = Path(sys.executable).parent
HORIZON = (date(2027, 1, 4), date(2028, 1, 2))


def executable(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{name} is a test dependency: pip install -e '.[test]'"
    return str(path)


class Subscriber:
    """vdirsyncer + khal in a folder of their own, subscribed to some feeds."""

    def __init__(self, home: Path, feeds: dict[str, str]) -> None:
        self.home = home
        (home / "status").mkdir(parents=True)
        vdir_conf = ['[general]\nstatus_path = "%s"\n' % (home / "status")]
        khal_conf = ["[calendars]"]
        for name, url in feeds.items():
            (home / "vdir" / name).mkdir(parents=True)
            vdir_conf.append(
                f'[pair {name}]\na = "{name}_remote"\nb = "{name}_local"\ncollections = null\n'
                f'conflict_resolution = "a wins"\n'
                f'[storage {name}_remote]\ntype = "http"\nurl = "{url}"\n'
                f'[storage {name}_local]\ntype = "filesystem"\n'
                f'path = "{home / "vdir" / name}/"\nfileext = ".ics"\n'
            )
            khal_conf.append(f"[[{name}]]\npath = {home / 'vdir' / name}/\nreadonly = True")
        khal_conf.append(f"[sqlite]\npath = {home / 'khal.db'}")
        khal_conf.append(
            "[locale]\nlocal_timezone = Europe/Stockholm\ndefault_timezone = Europe/Stockholm\n"
            "timeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
            "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M"
        )
        (home / "vdirsyncer.conf").write_text("\n".join(vdir_conf))
        (home / "khal.conf").write_text("\n".join(khal_conf) + "\n")
        self.env = {
            **os.environ,
            "VDIRSYNCER_CONFIG": str(home / "vdirsyncer.conf"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TZ": "Europe/Stockholm",
        }

    def run(self, *args: str) -> str:
        result = subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def sync(self) -> None:
        self.run(executable("vdirsyncer"), "discover")
        self.run(executable("vdirsyncer"), "sync")

    def items(self, name: str) -> int:
        return len(list((self.home / "vdir" / name).glob("*.ics")))

    def agenda(self, name: str) -> list[str]:
        out = self.run(
            executable("khal"), "-c", str(self.home / "khal.conf"), "list", "-a", name, "--once",
            "--day-format", "", "--format", "{start} - {end} | {title}", "2027-01-01", "400d",
        )  # fmt: skip
        return [line for line in out.splitlines() if line.strip()]


def serve(site: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [executable("rotation"), "serve", str(site), "--port", str(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            assert process.poll() is None, log.read_text()
            time.sleep(0.1)
    process.kill()
    raise AssertionError("rotation serve did not start")


def expected_team_agenda(plan_dir: Path, team: str) -> list[str]:
    """What khal must show for a team feed, computed from the plan folder (inclusive ends)."""
    unit = load_unit(MUNICIPALITY_C)
    intake = [
        (date.fromisoformat(r["start"]), date.fromisoformat(r["end"]))
        for r in read_csv(plan_dir / "rota.csv")
        if r["team"] == team
    ]
    lines = [f"{s} - {e} | Mottagning: Team {team}" for s, e in intake]
    cursor = HORIZON[0]
    for s, e in [*intake, (HORIZON[1] + timedelta(days=1), HORIZON[1])]:
        if s > cursor:
            lines.append(f"{cursor} - {s - timedelta(days=1)} | Utredningstid: Team {team}")
        cursor = e + timedelta(days=1)
    for r in read_csv(plan_dir / "duty_days.csv"):
        if r["team"] == team and r["acting"] == "true":
            lines.append(f"{r['date']} - {r['date']} | Tf. chef: {unit.person(r['manager']).name}")
    return sorted(lines)


def test_subscribers_follow_a_replan_exactly(tmp_path: Path, plan_c: Path) -> None:
    unit_dir = copy_unit(MUNICIPALITY_C, tmp_path / "unit")
    first = copy_plan(plan_c, tmp_path / "plan-1")
    write_duty(
        first,
        [
            duty_row("2027-02-01", "A", "p05", "officer", "2"),
            duty_row("2027-02-03", "A", "p05", "mentor", "2"),
        ],
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    site = tmp_path / "site"
    publish(unit_dir, first, site, base_url=base)
    personal = next(link.url for link in personal_links(site) if link.person == "p05")
    log = tmp_path / "serve.log"
    server = serve(site, port, log)
    try:
        subscriber = Subscriber(tmp_path / "client", {"teamA": f"{base}/team-A.ics", "mine": personal})
        subscriber.sync()
        before = subscriber.agenda("teamA")
        assert before == expected_team_agenda(first, "A")
        mine = subscriber.agenda("mine")
        assert "2027-02-01 - 2027-02-01 | Mottagningspass: Team A" in mine
        assert "2027-02-03 - 2027-02-03 | Mottagningspass (mentor): Team A" in mine

        # A new absence: team A's manager is away for two weeks of A's intake. Re-plan for real;
        # p05's duty moves from Monday to Tuesday and the mentor day is withdrawn.
        with (unit_dir / "absences.csv").open("a", encoding="utf-8") as f:
            f.write("p01,2027-02-01,2027-02-12,sick\n")
        second = plan(
            unit_dir, tmp_path / "plan-2", duty=[duty_row("2027-02-02", "A", "p05", "officer", "2")]
        )
        publish(unit_dir, second, site)
        subscriber.sync()

        after = subscriber.agenda("teamA")
        assert after == expected_team_agenda(second, "A")
        assert after != before, "the new absence must show as acting-manager days"
        assert Counter(after).most_common(1)[0][1] == 1, "nothing duplicated"
        assert subscriber.items("teamA") == len(after)
        mine = subscriber.agenda("mine")
        duty = [line for line in mine if "Mottagningspass" in line]
        assert duty == ["2027-02-02 - 2027-02-02 | Mottagningspass: Team A"], (
            "moved duty moved, withdrawn duty gone"
        )
        assert Counter(mine).most_common(1)[0][1] == 1 and subscriber.items("mine") == len(mine)
        assert not any("sick" in line or "sjuk" in line for line in after + mine)
    finally:
        server.terminate()
        server.wait(timeout=10)
    token = personal.rsplit("/", 1)[1].removesuffix(".ics")
    served = log.read_text()
    assert "GET /p/[redacted] 200" in served and token not in served


def test_subscribers_keep_the_earlier_plan_when_the_next_one_is_published(
    tmp_path: Path, plan_tiny: Path
) -> None:
    """The next plan (next year's) published onto the site: the earlier plan's events stay in
    the subscriber's calendar, once each, and the new plan's join them."""
    first = copy_plan(plan_tiny, tmp_path / "plan-1")
    write_duty(first, [duty_row("2027-03-02", "A", "p05", "officer", "0")])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    site = tmp_path / "site"
    publish(TINY, first, site, base_url=base)
    personal = next(link.url for link in personal_links(site) if link.person == "p05")
    server = serve(site, port, tmp_path / "serve.log")
    try:
        subscriber = Subscriber(tmp_path / "client", {"teamA": f"{base}/team-A.ics", "mine": personal})
        subscriber.sync()
        before = {name: subscriber.agenda(name) for name in ("teamA", "mine")}
        assert "2027-03-02 - 2027-03-02 | Intake duty: Team A" in before["mine"]

        unit_2, second = later_plan(TINY, first, 12, tmp_path / "next")  # 2027-05-24 to 2027-08-15
        publish(unit_2, second, site)
        subscriber.sync()

        for name, old in before.items():
            after = subscriber.agenda(name)
            assert set(old) < set(after), f"{name}: the earlier plan's events stay"
            assert all(line >= "2027-05-24" for line in set(after) - set(old)), name
            assert Counter(after).most_common(1)[0][1] == 1 and subscriber.items(name) == len(after), name
        assert "2027-05-25 - 2027-05-25 | Intake duty: Team A" in subscriber.agenda("mine")
    finally:
        server.terminate()
        server.wait(timeout=10)
