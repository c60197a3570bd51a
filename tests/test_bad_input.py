"""One test per bad-input message: each mistake in a unit folder gets one clear line on stderr
naming the file, the row (the line in a CSV file, header = 1; the row in Excel) where there is
one, and the field — exit code 2, no traceback, and no output folder.

The base unit (three teams, see helpers.py) has these lines:

    staff.csv     1 header, 2 ma, 3 a1, 4 a2, 5 a3, 6 mb, 7 b1, 8 b2, 9 b3, 10 mc, 11 c1, 12 c2, 13 c3
    absences.csv  1 header, 2 a2, 3 b3, 4 c2
"""

from __future__ import annotations

import csv
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from helpers import STAFF_COLUMNS, START, away, installed_command, staff_for, unit_toml, write_unit_folder

from rotation.cli import cli

ABSENCES = [
    away("a2", "2027-09-13", "2027-09-14", "sick"),
    away("b3", "2027-10-04", "2027-10-08", "vacation"),
    away("c2", "2027-11-02", "2027-11-02", "training"),
]


def base_unit(folder: Path, **toml) -> Path:
    return write_unit_folder(folder, unit_toml(**toml), staff_for("ABC"), ABSENCES)


# --- edits to the base unit ---------------------------------------------------------------------


def set_cell(file: str, line: int, column: str, value: str) -> Callable[[Path], None]:
    """Set ``column`` on ``line`` (as the user counts: header = 1) of a CSV file."""

    def edit(folder: Path) -> None:
        path = folder / file
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        rows[line - 1][rows[0].index(column)] = value
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)

    return edit


def drop_column(file: str, column: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / file
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        i = rows[0].index(column)
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows([r[:i] + r[i + 1 :] for r in rows])

    return edit


def rename_column(file: str, old: str, new: str) -> Callable[[Path], None]:
    """A header cell written otherwise (a misspelling, or the user's own word for it)."""

    def edit(folder: Path) -> None:
        path = folder / file
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        rows[0][rows[0].index(old)] = new
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)

    return edit


def rename(file: str, new: str) -> Callable[[Path], None]:
    return lambda folder: (folder / file).rename(folder / new)


def replace_toml(old: str, new: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / "unit.toml"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def append_toml(extra: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / "unit.toml"
        path.write_text(path.read_text(encoding="utf-8") + "\n" + extra + "\n", encoding="utf-8")

    return edit


def remove(file: str) -> Callable[[Path], None]:
    return lambda folder: (folder / file).unlink()


def write(file: str, text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / file).write_text(text, encoding="utf-8")


def to_semicolons(file: str) -> Callable[[Path], None]:
    """Save a CSV file the way Swedish Excel does: columns separated by ';'."""

    def edit(folder: Path) -> None:
        path = folder / file
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, delimiter=";", lineterminator="\n").writerows(rows)

    return edit


def demand_file(rows: str = "") -> Callable[[Path], None]:
    """Take the referrals from demand.csv (with ``rows`` after its header; "" for an empty file)."""

    def edit(folder: Path) -> None:
        replace_toml("referrals_per_week = 30", 'file = "demand.csv"')(folder)
        write("demand.csv", f"week_start,referrals\n{rows}" if rows else "")(folder)

    return edit


def steps(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        for e in edits:
            e(folder)

    return edit


def staff_to_xlsx(
    edit_row: tuple[int, str, str] | None = None, keep_csv: bool = False
) -> Callable[[Path], None]:
    """Save staff.csv as staff.xlsx (Excel row = CSV line), optionally changing one cell."""

    def edit(folder: Path) -> None:
        with (folder / "staff.csv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        if edit_row is not None:
            line, column, value = edit_row
            rows[line - 1][rows[0].index(column)] = value
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        book.save(folder / "staff.xlsx")
        if not keep_csv:
            (folder / "staff.csv").unlink()

    return edit


@dataclass(frozen=True)
class Case:
    edit: Callable[[Path], None]
    file: str  # the file the message must name
    row: int | None  # the row it must name, if any
    field: str | None  # the field it must name, as "field '...'"
    words: tuple[str, ...] = ()  # what else the message must say


PIN = '[[pin]]\nstart = {}\nteam = "{}"'

CASES = {
    # staff.csv: a team that unit.toml does not define.
    "unknown team in staff.csv": Case(
        set_cell("staff.csv", 4, "team", "Z"), "staff.csv", 4, "team", ("'Z'",)
    ),
    # unit.toml: a team's manager whose role in staff.csv is social_worker.
    "manager who is not a manager": Case(
        replace_toml('manager = "ma"', 'manager = "a2"'),
        "unit.toml",
        None,
        "team[1].manager",
        ("a2", "manager"),
    ),
    # unit.toml: two teams pinned to the same period with teams_on_duty = 1.
    "overlapping pins": Case(
        append_toml(PIN.format("2027-09-20", "A") + "\n\n" + PIN.format("2027-09-20", "B")),
        "unit.toml",
        None,
        "pin[2].start",
        ("overlapping",),
    ),
    # unit.toml: a pin on a date before the rotation starts (2027-09-06).
    "pin before the horizon": Case(
        append_toml(PIN.format("2027-08-30", "A")), "unit.toml", None, "pin[1].start", ("2027-08-30",)
    ),
    # unit.toml: a pin inside the horizon but not on the first day of a period.
    "pin not at a period start": Case(
        append_toml(PIN.format("2027-09-13", "A")), "unit.toml", None, "pin[1].start", ("2027-09-13",)
    ),
    # unit.toml: a pin for a team that does not exist.
    "pin of an unknown team": Case(
        append_toml(PIN.format("2027-09-20", "Q")), "unit.toml", None, "pin[1].team"
    ),
    # staff.csv: fte 0 (must be in (0, 1]).
    "fte 0": Case(set_cell("staff.csv", 5, "fte", "0"), "staff.csv", 5, "fte", ("(0, 1]",)),
    # staff.csv: fte 1.5.
    "fte 1.5": Case(set_cell("staff.csv", 5, "fte", "1.5"), "staff.csv", 5, "fte", ("1.5",)),
    # staff.csv: fte that is not a number.
    "fte not a number": Case(set_cell("staff.csv", 7, "fte", "full"), "staff.csv", 7, "fte", ("'full'",)),
    # unit.toml: 13 weeks of two-week periods.
    "horizon not a multiple of the period": Case(
        replace_toml("weeks = 12", "weeks = 13"), "unit.toml", None, "rotation.weeks", ("13", "period_weeks")
    ),
    # unit.toml: the rotation starts on a Tuesday.
    "a Tuesday start": Case(
        replace_toml("start = 2027-09-06", "start = 2027-09-07"),
        "unit.toml",
        None,
        "rotation.start",
        ("Tuesday", "Monday"),
    ),
    # unit.toml: more teams on duty than there are teams.
    "teams_on_duty not below the teams": Case(
        replace_toml("teams_on_duty = 1", "teams_on_duty = 3"), "unit.toml", None, "rotation.teams_on_duty"
    ),
    # staff.csv: a role that is not manager, social_worker or senior.
    "unknown role": Case(set_cell("staff.csv", 3, "role", "boss"), "staff.csv", 3, "role", ("'boss'",)),
    # staff.csv: a weekday that does not exist.
    "unknown weekday": Case(
        set_cell("staff.csv", 8, "weekdays", "mon,tus"), "staff.csv", 8, "weekdays", ("tus",)
    ),
    # staff.csv: an employment end before its start.
    "staff end before start": Case(
        lambda f: (
            set_cell("staff.csv", 12, "start", "2027-10-01")(f),
            set_cell("staff.csv", 12, "end", "2027-09-01")(f),
        ),
        "staff.csv",
        12,
        "end",
    ),
    # absences.csv: a date that does not exist.
    "bad date in absences.csv": Case(
        set_cell("absences.csv", 3, "start", "2027-02-30"), "absences.csv", 3, "start", ("2027-02-30",)
    ),
    # absences.csv: an absence that ends before it starts.
    "absence end before start": Case(
        set_cell("absences.csv", 2, "end", "2027-09-01"), "absences.csv", 2, "end", ("2027-09-01",)
    ),
    # absences.csv: a person who is not in staff.csv.
    "unknown person in absences.csv": Case(
        set_cell("absences.csv", 4, "person", "zz"), "absences.csv", 4, "person", ("'zz'",)
    ),
    # absences.csv: a kind that is not vacation, leave, sick, training or other.
    "unknown absence kind": Case(
        set_cell("absences.csv", 2, "kind", "holiday"), "absences.csv", 2, "kind", ("'holiday'",)
    ),
    # staff.csv: the id a1 (line 3) again on line 9.
    "duplicate staff id": Case(set_cell("staff.csv", 9, "id", "a1"), "staff.csv", 9, "id", ("'a1'",)),
    # staff.csv: no role column.
    "missing column": Case(drop_column("staff.csv", "role"), "staff.csv", 1, None, ("'role'",)),
    # absences.csv: no kind column.
    "missing column in absences.csv": Case(
        drop_column("absences.csv", "kind"), "absences.csv", 1, None, ("'kind'",)
    ),
    # No unit.toml at all.
    "missing unit.toml": Case(remove("unit.toml"), "unit.toml", None, None, ("missing",)),
    # No staff list at all.
    "missing staff.csv": Case(remove("staff.csv"), "staff.csv", None, None, ("missing",)),
    # unit.toml: a value missing after "=" on line 9 (the line of "weeks").
    "invalid TOML syntax": Case(replace_toml("weeks = 12", "weeks = "), "unit.toml", None, None, ("line 9",)),
    # unit.toml: a misspelt key in [rotation].
    "unknown key in [rotation]": Case(
        replace_toml("min_rest_weeks = 0", "min_rest_week = 0"), "unit.toml", None, "rotation.min_rest_week"
    ),
    # unit.toml: a deputy who is not in staff.csv.
    "deputy not in staff list": Case(
        replace_toml('deputies = ["a1"]', 'deputies = ["a1", "p99"]'),
        "unit.toml",
        None,
        "team[1].deputies",
        ("p99",),
    ),
    # unit.toml: a season that ends before it begins.
    "season to before from": Case(
        append_toml('[[season]]\nname = "Summer"\nfrom = 2027-10-10\nto = 2027-10-01\nmin_present = 1'),
        "unit.toml",
        None,
        "season[1].to",
    ),
    # unit.toml: duration shares that do not add up to 1.
    "duration shares not adding up": Case(
        replace_toml('"14" = 0.08', '"14" = 0.5'), "unit.toml", None, "demand.duration_days", ("1",)
    ),
    # staff.xlsx in place of staff.csv, with a bad fte on Excel row 6.
    "bad row in staff.xlsx": Case(staff_to_xlsx((6, "fte", "2")), "staff.xlsx", 6, "fte"),
    # Both staff.csv and staff.xlsx: which one counts?
    "both staff.csv and staff.xlsx": Case(staff_to_xlsx(keep_csv=True), "staff", None, None, ("staff.xlsx",)),
    # unit.toml: a misspelt time zone (it used to pass check and plan, and fail only in publish).
    "misspelt timezone": Case(
        replace_toml('timezone = "Europe/Stockholm"', 'timezone = "Europe/Stokholm"'),
        "unit.toml",
        None,
        "unit.timezone",
        ("'Europe/Stokholm'", "time zone"),
    ),
    # unit.toml: a misspelt key in [unit].
    "unknown key in [unit]": Case(
        replace_toml('language = "en"', 'langauge = "en"'),
        "unit.toml",
        None,
        "unit.langauge",
        ("unknown setting", "language"),
    ),
    # unit.toml: [[seasons]] for [[season]], which would drop the summer rules without a word.
    "unknown table [[seasons]]": Case(
        append_toml('[[seasons]]\nname = "Summer"\nfrom = 2027-10-01\nto = 2027-10-10\nmin_present = 1'),
        "unit.toml",
        None,
        "seasons",
        ("unknown table [[seasons]]", "[[season]]", "[unit]"),
    ),
    # unit.toml: [[pins]] for [[pin]].
    "unknown table [[pins]]": Case(
        append_toml(PIN.replace("[[pin]]", "[[pins]]").format("2027-09-20", "A")),
        "unit.toml",
        None,
        "pins",
        ("unknown table [[pins]]", "[[pin]]"),
    ),
    # unit.toml: [rotaton] for [rotation] (said before "missing table [rotation]").
    "unknown table [rotaton]": Case(
        replace_toml("[rotation]", "[rotaton]"), "unit.toml", None, "rotaton", ("unknown table", "[rotation]")
    ),
    # unit.toml: a setting above the first table.
    "setting outside any table": Case(
        lambda f: (f / "unit.toml").write_text(
            'title = "x"\n' + (f / "unit.toml").read_text(encoding="utf-8"), encoding="utf-8"
        ),
        "unit.toml",
        None,
        "title",
        ("outside any table",),
    ),
    # absences.csv: an empty file (zero bytes), not even the header.
    "empty absences.csv": Case(
        write("absences.csv", ""), "absences.csv", None, None, ("empty", "person,start,end,kind")
    ),
    # absences.csv: nothing but blank lines.
    "blank absences.csv": Case(
        write("absences.csv", "\n\n"), "absences.csv", None, None, ("empty", "person,start,end,kind")
    ),
    # staff.csv: an empty file.
    "empty staff.csv": Case(write("staff.csv", ""), "staff.csv", None, None, ("empty", "id,name,email,team")),
    # demand.csv named in unit.toml: an empty file.
    "empty demand file": Case(demand_file(), "demand.csv", None, None, ("empty", "week_start,referrals")),
    # absences.xlsx: an empty file.
    "empty absences.xlsx": Case(
        steps(remove("absences.csv"), write("absences.xlsx", "")),
        "absences.xlsx",
        None,
        None,
        ("empty", "person,start,end,kind"),
    ),
    # staff.csv saved by Swedish Excel (';' between columns) with an unknown team on line 4:
    # read like the comma file, so the message is about the team, not a "missing column 'id'".
    "unknown team in a ';' staff.csv": Case(
        steps(set_cell("staff.csv", 4, "team", "Z"), to_semicolons("staff.csv")),
        "staff.csv",
        4,
        "team",
        ("'Z'",),
    ),
    # absences.csv with ';' and an unknown kind on line 3.
    "unknown kind in a ';' absences.csv": Case(
        steps(set_cell("absences.csv", 3, "kind", "holiday"), to_semicolons("absences.csv")),
        "absences.csv",
        3,
        "kind",
        ("'holiday'",),
    ),
    # staff.csv: a misspelt optional column would be ignored, and part-timers planned on their
    # days off: an unknown column is an error, with the column it most likely means.
    "misspelt column 'weekday'": Case(
        rename_column("staff.csv", "weekdays", "weekday"),
        "staff.csv",
        1,
        None,
        ("unknown column 'weekday'", "did you mean 'weekdays'"),
    ),
    # staff.csv: the user's own word for a column (leavers would be planned after they left).
    "unknown column 'slut'": Case(
        rename_column("staff.csv", "end", "slut"), "staff.csv", 1, None, ("unknown column 'slut'",)
    ),
    # absences.csv: a column the tool has no use for (and a private one at that).
    "unknown column in absences.csv": Case(
        rename_column("absences.csv", "kind", "reason"), "absences.csv", 1, None, ("unknown column 'reason'",)
    ),
    # absences.csv missing: not "nobody is ever away".
    "missing absences.csv": Case(
        remove("absences.csv"), "absences.csv", None, None, ("missing", "absences.csv or absences.xlsx")
    ),
    # absences.csv under another name: the message names the file found.
    "misnamed absences.csv": Case(
        rename("absences.csv", "absence.csv"), "absences.csv", None, None, ("missing", "found absence.csv")
    ),
    # staff.csv: a weekday named by more than its abbreviation ("thurs" is neither thu nor thursday).
    "weekday 'thurs'": Case(
        set_cell("staff.csv", 8, "weekdays", "mon,thurs"), "staff.csv", 8, "weekdays", ("'thurs'",)
    ),
    # staff.csv: a word that merely starts like a weekday.
    "weekday 'monkey'": Case(
        set_cell("staff.csv", 8, "weekdays", "monkey,tue"), "staff.csv", 8, "weekdays", ("'monkey'",)
    ),
    # staff.csv: a weekend day; the rota covers Monday to Friday.
    "weekday 'saturday'": Case(
        set_cell("staff.csv", 8, "weekdays", "mon,saturday"),
        "staff.csv",
        8,
        "weekdays",
        ("'saturday'", "Monday to Friday"),
    ),
}


def run(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def check_message(stderr: str, case: Case) -> str:
    lines = stderr.strip("\n").splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {stderr!r}"
    message = lines[0]
    assert message.startswith("error: "), message
    assert case.file in message, message
    if case.row is not None:
        assert re.search(rf"\brow {case.row}\b", message), f"no 'row {case.row}' in: {message}"
    else:
        assert not re.search(r"\brow \d", message), f"a row that is not there in: {message}"
    if case.field is not None:
        assert f"field '{case.field}'" in message, message
    for word in case.words:
        assert word in message, f"{word!r} not in: {message}"
    return message


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_plan(name: str, tmp_path: Path):
    case = CASES[name]
    folder = base_unit(tmp_path / "unit")
    case.edit(folder)
    out = tmp_path / "plan"
    result = run(["plan", str(folder), "--out", str(out), "--time-limit", "10", "--quiet"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    check_message(result.stderr, case)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["unit"]  # no temporary folder left


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_check(name: str, tmp_path: Path):
    case = CASES[name]
    folder = base_unit(tmp_path / "unit")
    case.edit(folder)
    result = run(["check", str(folder)])
    assert result.exit_code == 2, result.output
    check_message(result.stderr, case)


@pytest.mark.parametrize("name", ["unknown team in staff.csv", "a Tuesday start", "missing unit.toml"])
def test_bad_input_through_the_installed_command(name: str, tmp_path: Path):
    case = CASES[name]
    folder = base_unit(tmp_path / "unit")
    case.edit(folder)
    out = tmp_path / "plan"
    exe = installed_command()
    assert exe is not None
    done = subprocess.run(
        [exe, "plan", str(folder), "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    check_message(done.stderr, case)
    assert not out.exists()


def test_the_base_unit_is_good(tmp_path: Path):
    """Every case above breaks a unit that is fine as it is."""
    out = tmp_path / "plan"
    result = run(
        ["plan", str(base_unit(tmp_path / "unit")), "--out", str(out), "--time-limit", "10", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "rota.csv").exists()


def test_staff_xlsx_accepted_in_place_of_staff_csv(tmp_path: Path):
    folder = base_unit(tmp_path / "unit")
    staff_to_xlsx()(folder)
    assert not (folder / "staff.csv").exists()
    out = tmp_path / "plan"
    result = run(["plan", str(folder), "--out", str(out), "--time-limit", "10", "--quiet"])
    assert result.exit_code == 0, result.output
    with (out / "duty_days.csv").open(encoding="utf-8", newline="") as f:
        managers = {row["manager"] for row in csv.DictReader(f)}
    assert managers <= {"ma", "mb", "mc", "a1", "b1", "c1"} and managers


def test_staff_xlsx_with_dates_and_numbers_as_excel_types(tmp_path: Path):
    """Excel stores dates as dates and fte as numbers; both are read like the CSV text."""
    import datetime as dt

    folder = base_unit(tmp_path / "unit")
    (folder / "staff.csv").unlink()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(STAFF_COLUMNS)
    for row in staff_for("ABC"):
        values = [row[c] for c in STAFF_COLUMNS]
        values[STAFF_COLUMNS.index("fte")] = 1
        if row["id"] == "a3":
            values[STAFF_COLUMNS.index("start")] = dt.datetime(2027, 1, 4)
            values[STAFF_COLUMNS.index("fte")] = 0.8
        sheet.append(values)
    book.save(folder / "staff.xlsx")

    from rotation.read import load_unit

    unit = load_unit(folder)
    a3 = unit.person("a3")
    assert a3.start == dt.date(2027, 1, 4) and a3.fte == 0.8
    assert unit.person("a2").fte == 1.0


def test_absences_xlsx_accepted_in_place_of_absences_csv(tmp_path: Path):
    folder = base_unit(tmp_path / "unit")
    with (folder / "absences.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    (folder / "absences.csv").unlink()
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(folder / "absences.xlsx")

    from rotation.read import load_unit

    assert [(a.person, str(a.start)) for a in load_unit(folder).absences] == [
        ("a2", "2027-09-13"),
        ("b3", "2027-10-04"),
        ("c2", "2027-11-02"),
    ]


def test_row_is_the_line_in_the_file_after_a_blank_line(tmp_path: Path):
    # A blank line (line 4) before the bad row: the message must still name the row's own line.
    folder = base_unit(tmp_path / "unit")
    path = folder / "staff.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "")
    assert lines[5].startswith("a3,")  # line 6
    lines[5] = lines[5].replace(",A,", ",Z,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(["check", str(folder)])
    assert result.exit_code == 2
    check_message(result.stderr, Case(lambda f: None, "staff.csv", 6, "team", ("'Z'",)))


TOML_CASES = [
    "manager who is not a manager",
    "overlapping pins",
    "pin before the horizon",
    "horizon not a multiple of the period",
    "a Tuesday start",
    "unknown key in [rotation]",
    "deputy not in staff list",
    "misspelt timezone",
    "unknown key in [unit]",
    "unknown table [[seasons]]",
    "unknown table [[pins]]",
    "unknown table [rotaton]",
    "setting outside any table",
]


def test_toml_messages_name_the_line(tmp_path: Path):
    """The issue asks for "the line or row": a mistake in unit.toml names its line too."""
    missing = {}
    for i, name in enumerate(TOML_CASES):
        folder = base_unit(tmp_path / f"unit{i}")
        CASES[name].edit(folder)
        result = run(["check", str(folder)])
        assert result.exit_code == 2
        if not re.search(r"\bline \d+\b", result.stderr):
            missing[name] = result.stderr.strip()
    assert missing == {}, "unit.toml messages without a line number:\n" + "\n".join(missing.values())


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("misspelt timezone", 3),
        ("unknown key in [unit]", 5),
        ("unknown table [rotaton]", 7),
        ("unknown table [[seasons]]", 41),
        ("unknown table [[pins]]", 41),
        ("setting outside any table", 1),
    ],
)
def test_toml_messages_name_the_right_line(name: str, line: int, tmp_path: Path):
    folder = base_unit(tmp_path / "unit")
    CASES[name].edit(folder)
    result = run(["check", str(folder)])
    assert result.exit_code == 2
    assert f"unit.toml, line {line}, " in result.stderr, result.stderr


def test_semicolon_csv_files_read_like_comma_files(tmp_path: Path):
    """Swedish Excel saves "CSV" with ';' between columns (and a decimal comma): staff.csv,
    absences.csv and a demand file read the same either way."""
    from rotation.read import load_unit

    weeks = "".join(f"{START + timedelta(weeks=w)},{30 + w}.5\n" for w in range(12))
    commas = base_unit(tmp_path / "commas")
    set_cell("staff.csv", 5, "fte", "0.8")(commas)
    demand_file(weeks)(commas)
    semicolons = base_unit(tmp_path / "semicolons")
    set_cell("staff.csv", 5, "fte", "0,8")(semicolons)
    demand_file(weeks)(semicolons)
    for file in ("staff.csv", "absences.csv", "demand.csv"):
        to_semicolons(file)(semicolons)
        assert ";" in (semicolons / file).read_text(encoding="utf-8").splitlines()[0]
    demand = semicolons / "demand.csv"
    demand.write_text(demand.read_text(encoding="utf-8").replace(".", ","), encoding="utf-8")
    assert "2027-09-06;30,5" in demand.read_text(encoding="utf-8")
    a, b = load_unit(commas), load_unit(semicolons)
    assert b.person("a3").fte == 0.8
    assert (b.people, b.absences, b.demand) == (a.people, a.absences, a.demand)


@pytest.mark.parametrize(
    ("weekdays", "expected"),
    [
        ("mon,tue,wed,thu", (0, 1, 2, 3)),
        ("Monday, Tuesday, Friday", (0, 1, 4)),
        ("THU;fri", (3, 4)),
        ("mån,tis,ons,tor,fre", (0, 1, 2, 3, 4)),
        ("Måndag,tisdag,onsdag,torsdag", (0, 1, 2, 3)),
        ("tors fre", (3, 4)),
        ("ma\u030andag,tis", (0, 1)),  # "måndag" with the ring as a combining mark (macOS)
    ],
)
def test_weekday_names_in_english_and_swedish(weekdays: str, expected: tuple[int, ...], tmp_path: Path):
    from rotation.read import load_unit

    folder = base_unit(tmp_path / "unit")
    set_cell("staff.csv", 8, "weekdays", weekdays)(folder)
    assert load_unit(folder).person("b2").weekdays == expected


def test_absence_kinds_may_be_written_in_swedish(tmp_path: Path) -> None:
    """A Swedish team leader writes semester, sjuk, utbildning …: read as the kinds they are
    (any case); a word that is no kind in either language is still an error."""
    from rotation.read import load_unit

    folder = base_unit(tmp_path / "unit")
    rows = list(csv.DictReader((folder / "absences.csv").open(encoding="utf-8")))
    assert len(rows) >= 1
    words = ["Semester", "sjuk", "utbildning", "tjänstledig", "övrigt"]
    with (folder / "absences.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["person", "start", "end", "kind"], lineterminator="\n")
        writer.writeheader()
        for word in words:
            writer.writerow({**rows[0], "kind": word})
    kinds = [a.kind for a in load_unit(folder).absences]
    assert kinds == ["vacation", "sick", "training", "leave", "other"]
    set_cell("absences.csv", 2, "kind", "sjukt")(folder)
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert result.exit_code == 2 and "got 'sjukt'" in result.output


def test_an_absence_without_an_end_lasts_to_the_rotas_last_day(tmp_path: Path) -> None:
    """A long sick leave whose end is not known yet: an empty end means to the rota's end."""
    from rotation.read import load_unit

    folder = base_unit(tmp_path / "unit")
    set_cell("absences.csv", 2, "end", "")(folder)
    unit = load_unit(folder)
    last = unit.rules.start + timedelta(weeks=unit.rules.weeks, days=-1)
    assert unit.absences[0].end == last


def test_an_out_folder_of_other_files_is_refused_before_the_solver_starts(tmp_path: Path) -> None:
    """The README promises it: a folder that is not a plan is refused at once (no solving
    stages shown first), and its files are left as they were."""
    folder = base_unit(tmp_path / "unit")
    out = tmp_path / "documents"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    result = run(["plan", str(folder), "--out", str(out), "--time-limit", "10"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not a plan folder" in lines[0], result.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_tab_separated_files_read_like_comma_files(tmp_path: Path):
    """A table pasted from Excel into a text editor has tabs between its columns: read the same
    (it was "missing column 'id'", and would now be an unknown column of the whole header)."""
    from rotation.read import load_unit

    commas = base_unit(tmp_path / "commas")
    tabs = base_unit(tmp_path / "tabs")
    for file in ("staff.csv", "absences.csv"):
        with (tabs / file).open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        with (tabs / file).open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, delimiter="\t", lineterminator="\n").writerows(rows)
    a, b = load_unit(commas), load_unit(tabs)
    assert (b.people, b.absences) == (a.people, a.absences)


def test_a_table_on_the_second_sheet_is_named(tmp_path: Path):
    """Only a workbook's first sheet is read: with it empty and the table on another, the
    message names that sheet (it said only "is empty")."""
    folder = base_unit(tmp_path / "unit")
    with (folder / "staff.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    (folder / "staff.csv").unlink()
    book = openpyxl.Workbook()
    book.active.title = "Blad1"
    sheet = book.create_sheet("Personal")
    for row in rows:
        sheet.append(row)
    book.save(folder / "staff.xlsx")
    result = run(["check", str(folder)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        "error: staff.xlsx: the first sheet is empty; the table is on sheet 'Personal': move it first"
    ), result.stderr
