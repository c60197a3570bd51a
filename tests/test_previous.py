"""The next horizon planned after the previous one (``rotation plan --after``): rest, caseload
and duty days in a row carry over the start, and the validator checks the start against the
previous plan.

The tiny example (12 weeks from 2027-03-01) is the previous horizon; the next one starts on
2027-05-24, the Monday after it ends.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from rotation.cli import cli
from rotation.pipeline import plan_unit
from rotation.previous import read_previous
from rotation.read import load_unit
from rotation.solve import prepare
from rotation.validate import validate_folder

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "examples" / "tiny"
NEXT_START = date(2027, 5, 24)
TIME_LIMIT = 5.0


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def next_unit(folder: Path, **rules: int) -> Path:
    """The tiny unit moved to the next horizon, with ``rules`` ([rotation] settings) changed."""
    shutil.copytree(TINY, folder)
    toml = (folder / "unit.toml").read_text(encoding="utf-8")
    toml = toml.replace("start = 2027-03-01", f"start = {NEXT_START}")
    for key, value in rules.items():
        toml = re.sub(rf"^{key} = \d+", f"{key} = {value}", toml, flags=re.M)
    (folder / "unit.toml").write_text(toml, encoding="utf-8")
    (folder / "absences.csv").write_text("person,start,end,kind\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("previous") / "plan"
    report = plan_unit(TINY, out, time_limit=TIME_LIMIT)
    assert report.valid
    return out


def last_intake(previous: Path) -> dict[str, date]:
    ends: dict[str, date] = {}
    for row in read_csv(previous / "rota.csv"):
        ends[row["team"]] = max(ends.get(row["team"], date.min), date.fromisoformat(row["end"]))
    return ends


def test_rest_holds_across_the_start_and_the_validator_checks_it(previous: Path, tmp_path: Path) -> None:
    """With four weeks of rest required, every team's first period of the new horizon starts
    at least four weeks after its last intake in the previous plan; the folder names the
    previous plan, and the validator reports a rota that breaks the rest across the start
    (and only with the previous plan known)."""
    unit = next_unit(tmp_path / "unit", min_rest_weeks=4)
    out = tmp_path / "next"
    code = CliRunner().invoke(cli, ["plan", str(unit), "--out", str(out), "--after", str(previous)])
    assert code.exit_code == 0, code.output
    ends = last_intake(previous)
    first: dict[str, date] = {}
    for row in read_csv(out / "rota.csv"):
        first.setdefault(row["team"], date.fromisoformat(row["start"]))
    for team, start in first.items():
        assert (start - ends[team] - timedelta(days=1)).days // 7 >= 4, (team, start, ends[team])
    after = json.loads((out / "version.json").read_text())["after"]
    assert (out / after).resolve() == previous.resolve() and not Path(after).is_absolute()
    assert validate_folder(load_unit(unit), out) == []

    # The same rota with its first two periods' teams swapped breaks the rest across the start.
    rows = read_csv(out / "rota.csv")
    team_of = {row["period"]: row["team"] for row in rows}
    swapped = {"0": team_of["2"], "2": team_of["0"]}
    write_rows(out / "rota.csv", [{**row, "team": swapped.get(row["period"], row["team"])} for row in rows])
    found = [v for v in validate_folder(load_unit(unit), out) if v.rule == "min_rest"]
    assert any("previous plan's last intake" in v.message for v in found), found
    version = json.loads((out / "version.json").read_text())
    (out / "version.json").write_text(json.dumps({**version, "after": None}))
    assert not [v for v in validate_folder(load_unit(unit), out) if "previous plan" in v.message]


def test_the_previous_plans_open_investigations_are_the_start_load(previous: Path, tmp_path: Path) -> None:
    """The team on intake last in the previous plan starts the new horizon with the most open
    investigations (an even share without --after), and so do the people who had duty then."""
    unit = load_unit(next_unit(tmp_path / "unit"))
    even = prepare(unit).demand
    after = prepare(unit, before=read_previous(previous, unit)).demand
    assert np.allclose(even.baseline_caseload[:, 0], even.baseline_caseload[0, 0])
    ends = last_intake(previous)
    last_team = max(ends, key=lambda t: ends[t])
    teams = [t.id for t in unit.teams]
    start_load = after.baseline_caseload[:, 0]
    assert start_load[teams.index(last_team)] == max(start_load) > min(start_load) > 0
    last_days = {r["person"] for r in read_csv(previous / "duty.csv") if r["period"] == "5"}
    others = {q for q in after.person_baseline if q not in last_days}
    start = {q: load[0] for q, load in after.person_baseline.items()}
    assert min(start[q] for q in last_days) > max(start[q] for q in others), start
    # ... and it decays: what is open in week 0 is more than in week 10.
    assert start_load[teams.index(last_team)] > after.baseline_caseload[teams.index(last_team), 10]


def test_duty_days_in_a_row_go_on_across_the_start(previous: Path, tmp_path: Path) -> None:
    """A person with three duty days in a row at the previous plan's end (the limit) gets no
    duty on the new horizon's first workday, when their team goes on (no rest required and
    the team pinned); the validator reports such a day."""
    unit = next_unit(tmp_path / "unit", min_rest_weeks=0, target_rest_weeks=0)
    prev = tmp_path / "prev"
    shutil.copytree(previous, prev)
    ends = last_intake(previous)
    team = max(ends, key=lambda t: ends[t])
    with (unit / "unit.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[[pin]]\nstart = {NEXT_START}\nteam = "{team}"\n')
    rows = read_csv(prev / "duty.csv")
    *_, fourth, a, b, c = sorted({r["date"] for r in rows if r["team"] == team})
    person = next(r["person"] for r in rows if r["date"] == c)
    # Exactly three in a row at the end: on the last three workdays, not on the one before.
    rows = [r for r in rows if not (r["person"] == person and r["date"] in (fourth, a, b, c))]
    rows += [{"date": d, "period": "5", "team": team, "person": person, "role": "officer"} for d in (a, b, c)]
    write_rows(prev / "duty.csv", rows)
    out = tmp_path / "next"
    report = plan_unit(unit, out, time_limit=TIME_LIMIT, after=prev)
    assert report.valid, report.violations
    duty = read_csv(out / "duty.csv")
    first_day = min(r["date"] for r in duty)
    assert first_day == NEXT_START.isoformat()
    assert not [r for r in duty if r["date"] == first_day and r["person"] == person]
    # Put them on duty that day (in a colleague's place): the validator sees four in a row.
    i = next(i for i, r in enumerate(duty) if r["date"] == first_day)
    duty[i] = {**duty[i], "person": person}
    write_rows(out / "duty.csv", duty)
    found = [str(v) for v in validate_folder(load_unit(unit), out)]
    assert f"{first_day}: {person} has 4 duty days in a row, at most 3 allowed" in found, found


def test_after_a_plan_that_does_not_end_before_the_start_is_refused(previous: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "o")
    code = CliRunner().invoke(cli, ["plan", str(TINY), "--out", out, "--after", str(previous)])
    assert code.exit_code == 2, code.output
    assert "not before this unit's start (2027-03-01)" in code.output
    assert not (tmp_path / "o").exists()
    code = CliRunner().invoke(cli, ["plan", str(TINY), "--out", out, "--after", str(tmp_path)])
    assert code.exit_code == 2 and "not a plan folder" in code.output, code.output


def test_a_replan_keeps_the_previous_plan_it_was_planned_after(previous: Path, tmp_path: Path) -> None:
    """A re-plan of a plan made --after keeps the carry-over: its version names the same
    previous plan, and validates against it; with that folder gone it is refused (exit 2)."""
    unit = next_unit(tmp_path / "unit", min_rest_weeks=4)
    prev = shutil.copytree(previous, tmp_path / "prev")
    report = plan_unit(unit, tmp_path / "v1", time_limit=TIME_LIMIT, after=prev)
    assert report.valid
    args = ["replan", str(unit), "--published", str(tmp_path / "v1"), "--today", "2027-06-07"]
    code = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "v2"), "--time-limit", "5", "--quiet"])
    assert code.exit_code == 0, code.output
    after = json.loads((tmp_path / "v2" / "version.json").read_text())["after"]
    assert (tmp_path / "v2" / after).resolve() == prev.resolve()
    assert validate_folder(load_unit(unit), tmp_path / "v2", since=date(2027, 6, 7)) == []
    shutil.rmtree(prev)
    code = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "v3"), "--quiet"])
    assert code.exit_code == 2 and "not there any more" in code.output, code.output
