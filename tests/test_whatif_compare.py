"""compare on municipality C, seeds, the forecast, the HTML report in headless Chromium, bad input."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rotation import load_unit, plan, prepare, rota_metrics
from rotation.cli import cli
from rotation.whatif import CompareOptions, compare, scenario_list, write_html, write_plan_report
from rotation.whatif.compare import COLUMNS, plan_organisation
from rotation.whatif.forecast import forecast, workday_factor
from rotation.whatif.scenarios import Scenario, regroup
from rotation.whatif.simulate import flow_setup, simulate

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "municipality-c"


@pytest.fixture(scope="module")
def unit():
    return load_unit(EXAMPLE)


@pytest.fixture(scope="module")
def comparison(unit):
    scenarios = scenario_list([3], [2], True, [0])
    return compare(unit, scenarios, CompareOptions(years=6, seed=3, time_limit=10), jobs=2)


def test_three_teams_four_protected_weeks_per_six_week_cycle(comparison) -> None:
    row = comparison.outcomes[0].row
    assert row["teams"] == 3 and not row["dedicated_intake"]
    assert row["protected_weeks"] == 4.0
    assert row["cycle_weeks"] == 6.0
    assert row["solver_status"]


def test_table_has_every_column(comparison) -> None:
    for row in comparison.rows():
        assert list(row) == COLUMNS
    assert comparison.outcomes[1].row["solver_status"].startswith("NO_ROTATION")
    assert comparison.outcomes[1].row["managers_needed"] == 4  # three teams and the intake group
    shares = [o.row["share_in_time"] for o in comparison.outcomes]
    assert all(0 < s <= 1 for s in shares)


def test_a_dedicated_groups_own_members_count_in_uninterrupted_weeks(comparison, unit) -> None:
    """The intake group's four social workers have no uninterrupted investigation weeks: the
    per-person figure counts them (it left them out: 50.8 weeks against about 42)."""
    dedicated = comparison.outcomes[1].row
    workers = sum(1 for p in unit.people if p.is_social_worker)
    assert dedicated["dedicated_intake"]
    assert dedicated["uninterrupted_weeks"] <= 52 * (workers - 4) / workers + 0.5, dedicated


def test_the_text_table_stays_narrow_and_keeps_each_reason(comparison) -> None:
    """A long status reason goes below the table, not into a column as wide as itself."""
    from rotation.whatif.cli import format_table

    text = format_table(comparison)
    table = text.partition("\n  ")[0]
    assert max(len(line) for line in table.splitlines()) < 120, table
    # Six organisations still fit: the columns wrap into blocks.
    many = replace(comparison, outcomes=comparison.outcomes * 3)
    wide = format_table(many).partition("\n  ")[0]
    assert max(len(line) for line in wide.splitlines()) <= 120, wide
    for outcome in comparison.outcomes:
        status = outcome.row["solver_status"]
        assert status.split(" (")[0] in table
        if " (" in status:
            assert f"{outcome.row['scenario']}: {status}" in text


def test_seed_reproduces_and_differs(unit) -> None:
    planning = prepare(unit)
    result = plan(planning, time_limit=10, workers=1)
    assert result.rota is not None
    setup = flow_setup(planning, result.rota)
    a, b, c = simulate(setup, 3, 7), simulate(setup, 3, 7), simulate(setup, 3, 8)
    assert np.array_equal(a.share_in_time, b.share_in_time)
    assert np.array_equal(a.caseload_p90, b.caseload_p90)
    assert not np.array_equal(a.new_investigations, c.new_investigations)


def test_organisations_share_their_random_years(unit, monkeypatch) -> None:
    """Common random numbers: two organisations of one horizon see the same reports (the same
    investigations each year), so their columns differ by the organisation, not by luck."""
    import importlib

    compare_module = importlib.import_module("rotation.whatif.compare")  # (the package exports compare())
    seen = []

    def recording(setup, years, seed):  # type: ignore[no-untyped-def]
        result = simulate(setup, years, seed)
        seen.append(result)
        return result

    monkeypatch.setattr(compare_module, "simulate", recording)
    scenarios = [Scenario(3, 2), Scenario(3, 2, dedicated_intake=True)]
    compare(unit, scenarios, CompareOptions(years=3, seed=5, time_limit=2), jobs=1)
    rotating, dedicated = seen
    assert np.array_equal(rotating.new_investigations, dedicated.new_investigations)
    assert not np.array_equal(rotating.share_in_time, dedicated.share_in_time), "they still differ"


def test_regroup_spreads_seniors_and_part_timers(unit) -> None:
    org = regroup(unit, Scenario(4, 1))
    teams = [t.id for t in org.unit.teams]
    seniors = [sum(1 for p in org.unit.social_workers(t) if p.role == "senior") for t in teams]
    part = [sum(1 for p in org.unit.social_workers(t) if p.fte < 1) for t in teams]
    assert max(seniors) - min(seniors) <= 1 and max(part) - min(part) <= 1
    assert org.managers_needed == 4 and org.managers_had == 3 and len(org.vacancies) == 1
    assert org.unit.rules.target_rest_weeks == 3
    assert regroup(unit, Scenario(3, 3)).unit.rules.weeks == 51  # trimmed to whole periods


def test_forecast_recovers_a_known_seasonal_profile() -> None:
    public = dict(holidays.country_holidays("SE", years=range(2019, 2027), categories=("public", "de_facto")))
    rng = np.random.default_rng(5)
    true = 1 + 0.15 * np.cos(2 * np.pi * np.arange(52) / 52)
    true /= true.mean()
    mondays = [date(2021, 1, 4) + timedelta(weeks=k) for k in range(4 * 52)]
    lam = [45 * true[min(d.isocalendar().week, 52) - 1] * workday_factor(d, public) for d in mondays]
    history = pd.Series(rng.poisson(lam).astype(float), index=pd.to_datetime(mondays))
    fc = forecast(history, date(2025, 1, 6), 52)
    assert fc.trend_per_year is None  # no trend in the data, none in the forecast
    assert np.abs(fc.profile[1:] - true).mean() < 0.05
    assert np.corrcoef(fc.profile[1:], true)[0, 1] > 0.85
    frame = fc.weeks
    assert (frame.referrals_low < frame.referrals).all() and (frame.referrals < frame.referrals_high).all()
    assert abs(frame.referrals.mean() - 45) < 4


def test_forecast_cli_writes_a_demand_file_the_planner_reads(tmp_path: Path) -> None:
    rows = [
        (date(2024, 1, 1) + timedelta(days=d)).isoformat()
        for d in range(0, 3 * 364)
        for _ in range(d % 13 % 7)
    ]
    (tmp_path / "history.csv").write_text("date\n" + "\n".join(rows) + "\n")
    unit_dir = tmp_path / "unit"
    shutil.copytree(EXAMPLE, unit_dir)
    out = unit_dir / "demand.csv"
    result = CliRunner().invoke(
        cli, ["forecast", str(tmp_path / "history.csv"), "--unit", str(unit_dir), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    toml = (unit_dir / "unit.toml").read_text()
    toml = toml.replace("referrals_per_week = 45", 'file = "demand.csv"').replace(
        'seasonal = "se-school"', 'seasonal = "none"'
    )
    (unit_dir / "unit.toml").write_text(toml)
    planned = load_unit(unit_dir)
    assert planned.demand.weekly_referrals is not None and len(planned.demand.weekly_referrals) == 52


def test_weekly_history_keeps_every_week_whatever_its_date_column(tmp_path: Path) -> None:
    """Weekly counts on Mondays are whole weeks, in a `date` column as in `week_start`: the
    last one is not cut as an incomplete week (it was, under `date`)."""
    from rotation.whatif.forecast import read_history

    mondays = pd.date_range("2024-01-01", periods=20, freq="7D")
    for column in ("date", "week_start"):
        rows = "".join(f"{d.date()},{40 + i}\n" for i, d in enumerate(mondays))
        (tmp_path / "h.csv").write_text(f"{column},count\n" + rows, encoding="utf-8")
        weekly = read_history(tmp_path / "h.csv")
        assert list(weekly.index) == list(mondays) and weekly.iloc[-1] == 59, column
    # Per-day rows still lose a last week that is not complete.
    days = pd.date_range("2024-01-01", "2024-03-13", freq="D")  # ends on a Wednesday
    (tmp_path / "d.csv").write_text(
        "date,count\n" + "".join(f"{d.date()},3\n" for d in days), encoding="utf-8"
    )
    assert read_history(tmp_path / "d.csv").index[-1] == pd.Timestamp("2024-03-04")  # not 03-11


def test_history_saved_by_swedish_excel_reads_like_a_comma_file(tmp_path: Path) -> None:
    """Semicolons, Excel's byte order mark and a blank line, as the unit's own files may have
    them (it was "no date column" for a file with a week_start column); a bad count still names
    its line in the file (9: the header, five weeks, the blank line, then 2024-02-05)."""
    from rotation.whatif.forecast import read_history

    mondays = pd.date_range("2024-01-01", periods=20, freq="7D")
    rows = [f"{d.date()},{40 + i}" for i, d in enumerate(mondays)]
    (tmp_path / "comma.csv").write_text("week_start,referrals\n" + "\n".join(rows) + "\n", encoding="utf-8")
    excel = "\ufeffweek_start;referrals\n" + "\n".join(r.replace(",", ";") for r in rows[:5])
    excel += "\n;\n" + "\n".join(r.replace(",", ";") for r in rows[5:]) + "\n"
    (tmp_path / "excel.csv").write_text(excel, encoding="utf-8")
    assert read_history(tmp_path / "excel.csv").equals(read_history(tmp_path / "comma.csv"))
    (tmp_path / "bad.csv").write_text(excel.replace("2024-02-12;46", "2024-02-12;many"), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["forecast", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "d.csv")]
    )
    assert result.exit_code == 2 and result.output.startswith("error: bad.csv, row 9, field 'referrals'"), (
        result.output
    )


def test_bad_history_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "history.csv"
    bad.write_text("date,referrals\n2024-01-01,40\n2024-01-08,forty\n")
    out = tmp_path / "demand.csv"
    result = CliRunner().invoke(cli, ["forecast", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert result.output.startswith("error: history.csv, row 3, field 'referrals'")
    assert not out.exists() and not list(tmp_path.glob(".demand*"))
    result = CliRunner().invoke(cli, ["compare", str(tmp_path / "nowhere"), "--years", "1"])
    assert result.exit_code == 2 and result.output.startswith("error: ")
    assert "Traceback" not in result.output


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _render(html: Path, tmp_path: Path) -> tuple[str, Path]:
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    shot = tmp_path / "shot.png"
    subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=1200,900", html.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", html.as_uri()],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    return dom, shot


def test_report_renders_in_headless_chromium(comparison, tmp_path: Path) -> None:
    html = write_html(comparison, tmp_path / "report.html")
    dom, shot = _render(html, tmp_path)
    assert dom.count("data:image/png;base64,") == 3
    assert "Klara inom fyra månader" in dom  # the unit's language is Swedish
    assert shot.stat().st_size > 10_000


def test_single_plan_report(unit, tmp_path: Path) -> None:
    planning = prepare(unit)
    result = plan(planning, time_limit=10, workers=1)
    metrics = rota_metrics(planning, result.rota)
    html = write_plan_report(planning, result, metrics, tmp_path / "plan.html", years=3)
    dom, _ = _render(html, tmp_path)
    assert dom.count("data:image/png;base64,") == 2


def test_dedicated_intake_group_short_staffed_days_are_named(unit) -> None:
    # The group is on intake every workday, so min_present applies to it every workday. Count
    # the short days here from the raw lists (employment, weekdays, absences, introduction).
    org = regroup(unit, Scenario(3, 2, True, 0))
    planning = prepare(org.unit)
    group = [org.unit.person(q) for q in org.intake_group]
    weeks = org.unit.rules.introduction_weeks
    away = {
        (a.person, a.start + timedelta(days=i))
        for a in org.unit.absences
        for i in range((a.end - a.start).days + 1)
    }

    def counted(d: date) -> int:
        return sum(
            1
            for p in group
            if p.employed_on(d)
            and d.weekday() in p.weekdays
            and (p.id, d) not in away
            and not p.in_introduction(d, weeks)
        )

    short = [d for d in planning.grid.workdays if counted(d) < org.unit.min_present_on(d)]
    assert short, "municipality C's four-person group falls short (a leaver, a new hire, vacations)"
    status = plan_organisation(org, time_limit=5)[2]
    assert status == f"NO_ROTATION (group short-staffed on {len(short)} workdays from {short[0]})"

    # Two more people in the group (copies of two members, never away): fewer short days.
    extra = [replace(p, id=f"x{i}", name=f"Extra {i}", start=None, end=None) for i, p in enumerate(group[:2])]
    bigger = replace(org, unit=replace(org.unit, people=(*org.unit.people, *extra)))
    still = [
        d
        for d in planning.grid.workdays
        if counted(d) + sum(d.weekday() in p.weekdays for p in extra) < org.unit.min_present_on(d)
    ]
    assert len(still) < len(short)
    expected = (
        f"NO_ROTATION (group short-staffed on {len(still)} workdays from {still[0]})"
        if still
        else "NO_ROTATION"
    )
    assert plan_organisation(bigger, time_limit=5)[2] == expected
