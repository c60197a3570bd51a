"""Shared helpers for the calendar-feed tests (test_feeds*.py): a strict iCalendar lint, the
two parsers, plan folders from the real planner, hand-written duty.csv, a live server."""

from __future__ import annotations

import csv
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream
from waitress.server import create_server

from rotation.feeds.server import make_app
from rotation.pipeline import plan_unit

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TINY = EXAMPLES / "tiny"
MUNICIPALITY_C = EXAMPLES / "municipality-c"
DUTY_COLUMNS = ["date", "period", "team", "person", "role"]

UTC_STAMP = re.compile(r"\d{8}T\d{6}Z")
DURATION = re.compile(r"[+-]?P(\d+W|(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?)")
ABSENCE_WORDS = (
    "vacation", "leave", "sick", "training", "absence", "absent", "away",
    "semester", "ledig", "sjuk", "utbildning", "frånvar", "föräldra", "borta",
)  # fmt: skip


def moment(day: int, hour: int = 12) -> datetime:
    """A publish time in UTC, for tests that publish more than once."""
    return datetime(2026, 12, day, hour, 0, tzinfo=UTC)


def plan(unit_dir: Path, out: Path, duty: list[dict[str, str]] | None = None) -> Path:
    """Plan ``unit_dir`` with the real planner into ``out``; then write ``duty`` as duty.csv
    (or make sure there is no duty.csv when ``duty`` is None)."""
    report = plan_unit(unit_dir, out, time_limit=8)  # a valid plan is all the feeds need
    assert report.valid, "the example must plan"
    write_duty(out, duty)
    return out


def write_duty(folder: Path, rows: list[dict[str, str]] | None) -> None:
    path = folder / "duty.csv"
    if rows is None:
        path.unlink(missing_ok=True)
        return
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=DUTY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def duty_row(day: str, team: str, person: str, role: str = "officer", period: str = "0") -> dict[str, str]:
    return {"date": day, "period": period, "team": team, "person": person, "role": role}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def copy_unit(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def later_plan(unit_dir: Path, plan_dir: Path, weeks: int, root: Path) -> tuple[Path, Path]:
    """A copy of ``unit_dir`` whose rota starts ``weeks`` later, and ``plan_dir`` moved there:
    every date of rota.csv, duty_days.csv and duty.csv ``weeks`` later (the same weekdays), as
    if the unit had been planned again for that horizon — e.g. next year's plan. Returns
    (unit folder, plan folder)."""
    shift = timedelta(weeks=weeks)
    unit = copy_unit(unit_dir, root / "unit")
    toml = (unit / "unit.toml").read_text(encoding="utf-8")
    first = re.search(r"^start = (\d{4}-\d{2}-\d{2})", toml, flags=re.M)
    assert first is not None
    moved = (date.fromisoformat(first.group(1)) + shift).isoformat()
    (unit / "unit.toml").write_text(toml[: first.start(1)] + moved + toml[first.end(1) :], encoding="utf-8")
    plan_copy = copy_plan(plan_dir, root / "plan")
    for name, columns in (
        ("rota.csv", ("start", "end")),
        ("duty_days.csv", ("date",)),
        ("duty.csv", ("date",)),
    ):
        path = plan_copy / name
        if not path.exists():
            continue
        rows = read_csv(path)
        for row in rows:
            for column in columns:
                row[column] = (date.fromisoformat(row[column]) + shift).isoformat()
        write_csv(path, rows)
    return unit, plan_copy


def feed_files(site: Path) -> list[Path]:
    return sorted([*site.glob("*.ics"), *(site / "p").glob("*.ics")])


# --- the strict lint ------------------------------------------------------------------------


def unfold(data: bytes) -> list[str]:
    return data.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")[:-1]


def lint_ics(data: bytes) -> list[str]:
    """Every problem a strict reader or a real client would have with ``data``."""
    problems: list[str] = []
    if not data.endswith(b"\r\n"):
        problems.append("does not end with CRLF")
    physical = data.split(b"\r\n")[:-1]
    for n, line in enumerate(physical, start=1):
        if b"\n" in line or b"\r" in line:
            problems.append(f"line {n}: bare CR or LF")
        if len(line) > 75:
            problems.append(f"line {n}: {len(line)} octets (> 75)")
    lines = unfold(data)
    if not lines or lines[0] != "BEGIN:VCALENDAR" or lines[-1] != "END:VCALENDAR":
        return [*problems, "not one VCALENDAR"]
    calendar_props: list[str] = []
    events: list[list[str]] = []
    depth, current = 0, None
    for line in lines[1:-1]:
        if line.startswith("BEGIN:"):
            depth += 1
            if line == "BEGIN:VEVENT" and depth == 1:
                current = []
            continue
        if line.startswith("END:"):
            depth -= 1
            if line == "END:VEVENT" and depth == 0 and current is not None:
                events.append(current)
                current = None
            continue
        if depth == 0:
            calendar_props.append(line)
        elif current is not None and depth == 1:
            current.append(line)
    names = [_name(p) for p in calendar_props]
    if "VERSION:2.0" not in calendar_props:
        problems.append("no VERSION:2.0")
    if names.count("PRODID") != 1:
        problems.append("no PRODID")
    if "UID" in names:
        problems.append("calendar-level UID (vdirsyncer merges all events into one)")
    refresh = [p for p in calendar_props if _name(p) == "REFRESH-INTERVAL"]
    if len(refresh) != 1 or not re.fullmatch(
        r"REFRESH-INTERVAL;VALUE=DURATION:" + DURATION.pattern, refresh[0]
    ):
        problems.append(f"REFRESH-INTERVAL must be one VALUE=DURATION property: {refresh}")
    for p in calendar_props:
        if _name(p) == "X-PUBLISHED-TTL" and not DURATION.fullmatch(p.split(":", 1)[1]):
            problems.append(f"X-PUBLISHED-TTL is not a duration: {p}")
    uids: list[str] = []
    for i, event in enumerate(events):
        props: dict[str, list[str]] = {}
        for p in event:
            props.setdefault(_name(p), []).append(p)
        where = f"event {i}"
        if len(props.get("UID", [])) != 1:
            problems.append(f"{where}: needs exactly one UID")
        else:
            uids.append(props["UID"][0].split(":", 1)[1])
        stamp = props.get("DTSTAMP", [])
        if len(stamp) != 1 or not re.fullmatch(r"DTSTAMP:" + UTC_STAMP.pattern, stamp[0]):
            problems.append(f"{where}: DTSTAMP must be one UTC date-time: {stamp}")
        for key in ("LAST-MODIFIED",):
            for p in props.get(key, []):
                if not re.fullmatch(key + ":" + UTC_STAMP.pattern, p):
                    problems.append(f"{where}: {key} not in UTC: {p}")
        starts, ends = props.get("DTSTART", []), props.get("DTEND", [])
        if len(starts) != 1 or len(ends) != 1:
            problems.append(f"{where}: needs one DTSTART and one DTEND")
            continue
        start, end = _when(starts[0]), _when(ends[0])
        if type(start) is not type(end):
            problems.append(f"{where}: DTSTART and DTEND differ in value type")
        elif not end > start:  # type: ignore[operator]
            problems.append(f"{where}: DTEND is not after DTSTART")
        if any(p.startswith("STATUS:CANCELLED") for p in event):
            problems.append(f"{where}: withdrawn events must leave the feed, not be cancelled")
    if len(uids) != len(set(uids)):
        problems.append("duplicate UIDs")
    return problems


def _name(prop: str) -> str:
    return re.split(r"[;:]", prop, maxsplit=1)[0].upper()


def _when(prop: str) -> date | datetime:
    head, value = prop.split(":", 1)
    if "VALUE=DATE" in head.upper().split(";") or re.fullmatch(r"\d{8}", value):
        if not re.fullmatch(r"\d{8}", value):
            raise AssertionError(f"VALUE=DATE with a date-time: {prop}")
        return datetime.strptime(value, "%Y%m%d").date()
    if "TZID=" in head.upper():
        raise AssertionError(f"TZID without VTIMEZONE is not allowed here: {prop}")
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def parse_both(data: bytes) -> list[icalendar.Event]:
    """Parse with icalendar and with ical (the strict parser behind Home Assistant); both must
    see the same events."""
    strict = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    cal = icalendar.Calendar.from_ical(data)
    events = list(cal.walk("VEVENT"))
    assert len(strict.events) == len(events)
    assert sorted(e.uid for e in strict.events) == sorted(str(e["UID"]) for e in events)
    return events


def event_blocks(data: bytes) -> dict[str, bytes]:
    """UID -> the exact bytes of its VEVENT block (for byte-identity checks)."""
    blocks = {}
    for block in re.findall(rb"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", data, flags=re.S):
        uid = re.search(rb"\r\nUID:(.*?)\r\n(?! )", block.replace(b"\r\n ", b""), flags=re.S)
        assert uid is not None
        blocks[uid.group(1).decode()] = block
    return blocks


def event_fields(data: bytes) -> dict[str, dict[str, str]]:
    """UID -> {property name: value} of every event (unfolded, parameters dropped)."""
    out: dict[str, dict[str, str]] = {}
    for uid, block in event_blocks(data).items():
        props = {}
        for line in unfold(block)[1:-1]:
            props[_name(line)] = line.split(":", 1)[1]
        out[uid] = props
    return out


# --- a live server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(site: Path, threads: int = 8) -> Iterator[str]:
    """The real WSGI app under waitress on 127.0.0.1 (a free port); yields the base URL."""
    server = create_server(make_app(site), host="127.0.0.1", port=0, threads=threads)
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except (OSError, ValueError):  # the loop notices the closed socket only after close()
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stopping.set()
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(timeout=5)


# --- fixtures (import them into a test module to use them) ---------------------------------


@pytest.fixture(scope="session")
def plan_c(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Municipality C planned once by the real planner, without duty.csv. Copy before editing."""
    return plan(MUNICIPALITY_C, tmp_path_factory.mktemp("plan-c") / "plan")


@pytest.fixture(scope="session")
def plan_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny example (English) planned once, without duty.csv. Copy before editing."""
    return plan(TINY, tmp_path_factory.mktemp("plan-tiny") / "plan")


def copy_plan(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
