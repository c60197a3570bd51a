"""``rotation forecast``, ``rotation compare`` and ``rotation report``: thin shells over the
what-if functions. Mistakes in the input: one line ``error: ...`` on stderr, exit code 2."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click
import pandas as pd

from ..errors import InputError
from ..read import load_unit
from .compare import COLUMNS, CompareOptions, Comparison, stderr_progress
from .compare import compare as run_compare
from .forecast import band_sd, common_sd, read_forecast, read_history, write_forecast
from .forecast import forecast as make_forecast
from .labels import label
from .report import write_html
from .scenarios import scenario_list


def _fail(error: InputError) -> NoReturn:
    click.echo(f"error: {error}", err=True)
    sys.exit(2)


def _ints(text: str, option: str, minimum: int) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter(f"expected whole numbers separated by commas, got {text!r}") from None
    if not values or min(values) < minimum:
        raise click.BadParameter(f"expected numbers >= {minimum}, got {text!r}", param_hint=option)
    return values


@click.command("forecast")
@click.argument("history", required=False, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="demand.csv to write.")
@click.option(
    "--unit", "unit_dir", type=click.Path(path_type=Path), help="Take start and weeks from this unit."
)
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), help="First Monday of the forecast.")
@click.option("--weeks", type=click.IntRange(min=1), help="Weeks to forecast (default 52).")
@click.option("--rate", type=click.FloatRange(min=0), help="Reports a week without history (default 45).")
def forecast(
    history: Path | None, out: Path, unit_dir: Path | None, start: Any, weeks: int | None, rate: float | None
) -> None:
    """Forecast weekly reports from HISTORY.csv (or the se-school profile) into --out."""
    try:
        series = read_history(history) if history is not None else None
        country = "SE"
        if unit_dir is not None:
            unit = load_unit(unit_dir)
            first, weeks, country = unit.rules.start, weeks or unit.rules.weeks, unit.country
            rate = rate if rate is not None else unit.demand.referrals_per_week
        elif start is not None:
            first = start.date()
            if first.weekday() != 0:
                raise InputError("--start", f"{first} is not a Monday")
        elif series is not None:
            first = series.index[-1].date() + timedelta(weeks=1)
        else:
            today = date.today()
            first = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
        fc = make_forecast(series, first, weeks or 52, country=country, rate=rate or 45.0)
        write_forecast(fc, out)
    except InputError as e:
        _fail(e)
    trend = "none" if fc.trend_per_year is None else f"{fc.trend_per_year:+.1%} a year"
    click.echo(
        f"{out}: {len(fc.weeks)} weeks from {fc.weeks['week_start'].iloc[0]}, "
        f"{fc.weeks['referrals'].mean():.1f} reports a week on average (80 % band "
        f"{fc.weeks['referrals_low'].mean():.1f}–{fc.weeks['referrals_high'].mean():.1f}); "
        f"method: {fc.method}; trend: {trend}"
    )


@click.command("compare")
@click.argument("unit_dir", type=click.Path(path_type=Path))
@click.option("--teams", default="2,3,4,5", show_default=True, help="Team counts, comma-separated.")
@click.option("--period-weeks", default="2", show_default=True, help="Period lengths in weeks.")
@click.option("--dedicated-intake", is_flag=True, help="Also a dedicated intake group (municipality B).")
@click.option("--extra-staff", default="0", show_default=True, help="Extra social workers, e.g. 0,2.")
@click.option("--years", default=200, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--time-limit", default=10.0, show_default=True, type=click.FloatRange(min=0.5))
@click.option("--jobs", type=click.IntRange(min=1), help="Processes (default: the machine's cores).")
@click.option("--forecast", "forecast_file", type=click.Path(path_type=Path), help="A forecast CSV to use.")
@click.option("--html", "html_path", type=click.Path(path_type=Path), help="Write the HTML report here.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Save results (for `report`).")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="Write the table as CSV.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
def compare(
    unit_dir: Path,
    teams: str,
    period_weeks: str,
    dedicated_intake: bool,
    extra_staff: str,
    years: int,
    seed: int,
    time_limit: float,
    jobs: int | None,
    forecast_file: Path | None,
    html_path: Path | None,
    json_path: Path | None,
    csv_path: Path | None,
    quiet: bool,
) -> None:
    """Compare organisations of UNIT_DIR's staff: plan, simulate, print one table."""
    team_counts = _ints(teams, "--teams", 2)
    periods = _ints(period_weeks, "--period-weeks", 1)
    extras = _ints(extra_staff, "--extra-staff", 0)
    try:
        unit = load_unit(unit_dir)
        sd = common = None
        if forecast_file is not None:
            frame = read_forecast(forecast_file)
            weekly = {
                date.fromisoformat(str(w)): float(r)
                for w, r in zip(frame.week_start, frame.referrals, strict=True)
            }
            missing = [
                w for w in range(unit.rules.weeks) if unit.rules.start + timedelta(weeks=w) not in weekly
            ]
            if missing:
                raise InputError(forecast_file.name, "does not cover the unit's horizon", field="week_start")
            demand = replace(unit.demand, weekly_referrals=weekly, referrals_per_week=None, seasonal="none")
            unit = replace(unit, demand=demand)
            index = {date.fromisoformat(str(w)): i for i, w in enumerate(frame.week_start)}
            rows = [index[unit.rules.start + timedelta(weeks=w)] for w in range(unit.rules.weeks)]
            all_sd, all_common = band_sd(frame), common_sd(frame)
            sd = tuple(float(all_sd[i]) for i in rows)
            if all_common is not None:
                common = tuple(float(all_common[i]) for i in rows)
    except InputError as e:
        _fail(e)
    scenarios = scenario_list(team_counts, periods, dedicated_intake, extras)
    options = CompareOptions(
        years=years, seed=seed, time_limit=time_limit, referrals_sd=sd, referrals_common_sd=common
    )
    result = run_compare(unit, scenarios, options, jobs=jobs, progress=None if quiet else stderr_progress)
    click.echo(format_table(result))
    if csv_path is not None:
        _atomic_text(
            csv_path, pd.DataFrame(result.rows(), columns=COLUMNS).to_csv(index=False, lineterminator="\n")
        )
    if json_path is not None:
        _atomic_text(json_path, json.dumps(result.to_json(), indent=1, ensure_ascii=False) + "\n")
    if html_path is not None:
        write_html(result, html_path)
        click.echo(f"report: {html_path}", err=True)


@click.command("report")
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--html", "html_path", required=True, type=click.Path(path_type=Path))
def report(results: Path, html_path: Path) -> None:
    """Write the HTML report of saved comparison RESULTS (from `compare --json`)."""
    try:
        if not results.is_file():
            raise InputError(results.name, f"not found: {results}")
        try:
            comparison = Comparison.from_json(json.loads(results.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as e:
            raise InputError(results.name, f"not a comparison saved by `compare --json` ({e})") from None
    except InputError as e:
        _fail(e)
    write_html(comparison, html_path)
    click.echo(f"report: {html_path}")


def format_table(result: Comparison) -> str:
    """The comparison as a text table, labelled in the unit's language."""
    lang = result.language
    frame = pd.DataFrame(result.rows(), columns=COLUMNS)
    for col in ("share_in_time", "share_in_time_low", "share_in_time_high"):
        frame[col] = frame[col].map(lambda x: f"{x:.0%}")
    frame["dedicated_intake"] = frame["dedicated_intake"].map(lambda x: label("yes" if x else "no", lang))
    # A status with its reason ("NO_ROTATION (group short-staffed on …)") would widen its
    # column to the reason's length: the table shows the status, a note below the reason.
    notes = [
        f"  {scenario}: {status}"
        for scenario, status in zip(frame["scenario"], frame["solver_status"], strict=True)
        if " (" in str(status)
    ]
    frame["solver_status"] = frame["solver_status"].map(lambda x: str(x).split(" (")[0])
    frame = frame.astype(object).where(frame.notna(), "–")
    frame = frame.set_index("scenario").T
    frame.index = [label(c, lang) for c in frame.index]
    # Many organisations: the columns wrap into blocks, each with the row labels, instead of
    # one line as wide as all of them.
    return "\n".join([frame.to_string(line_width=TABLE_WIDTH), *notes])


TABLE_WIDTH = 120


def _atomic_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
