"""The forecast's band against synthetic history from a known model, and the band's parts as the
simulation draws them: one factor common to a simulated year, the rest week by week."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
from click.testing import CliRunner

from rotation.cli import cli
from rotation.whatif.forecast import (
    COMMON_COLUMN,
    band_sd,
    common_sd,
    day_shares,
    forecast,
    read_forecast,
    workday_factor,
)
from rotation.whatif.simulate import FlowSetup, draw_cases, report_rates

PUBLIC = dict(holidays.country_holidays("SE", years=range(2015, 2032), categories=("public", "de_facto")))
START = date(2025, 1, 6)
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "municipality-c"


def _true_means(mondays: list[date], base: float = 45.0) -> np.ndarray:
    """The known model: 45 reports a week, a seasonal swing of ±15 %, the holidays' workday
    factor, Poisson scatter and nothing else."""
    season = 1 + 0.15 * np.cos(2 * np.pi * np.arange(52) / 52)
    season /= season.mean()
    return np.array(
        [base * season[min(d.isocalendar().week, 52) - 1] * workday_factor(d, PUBLIC) for d in mondays]
    )


def _synthetic_forecasts(years: int, reps: int, seed: int) -> list[tuple[pd.DataFrame, np.ndarray, bool]]:
    """``reps`` forecasts of the year from START, each from its own Poisson history of ``years``
    years, with the year that then happened (drawn from the same model)."""
    rng = np.random.default_rng(seed)
    mondays = [START - timedelta(weeks=years * 52 - k) for k in range(years * 52)]
    horizon = [START + timedelta(weeks=k) for k in range(52)]
    lam_h, lam_f = _true_means(mondays), _true_means(horizon)
    out = []
    for _ in range(reps):
        history = pd.Series(rng.poisson(lam_h).astype(float), index=pd.to_datetime(mondays))
        fc = forecast(history, START, 52)
        out.append((fc.weeks, rng.poisson(lam_f).astype(float), fc.trend_per_year is not None))
    return out


def test_the_80_percent_band_covers_80_percent_of_realised_weeks() -> None:
    """On pure-Poisson history from a known model the band holds about 80 % of the weeks that then
    happen. (It held 88-91 %: the level's uncertainty was read off week 1's intercept, about
    s2 / years instead of s2 / weeks, and the scatter divided by n - 52 although the smoothed
    profile spends about 26 degrees of freedom.)"""
    for years, seed in ((2, 1), (3, 2)):
        runs = _synthetic_forecasts(years, reps=30, seed=seed)
        inside = [((w.referrals_low <= real) & (real <= w.referrals_high)).mean() for w, real, _ in runs]
        coverage = float(np.mean(inside))
        assert 0.75 <= coverage <= 0.84, (years, coverage)


def test_common_log_sd_is_the_spread_of_the_fitted_level() -> None:
    """The column the simulation draws once a year is the fit's level uncertainty: over many
    histories, the forecast year's mean log error scatters by about ``common_log_sd`` (no
    trend in the data; fits that found one anyway are left out, they are another error)."""
    mondays = [START + timedelta(weeks=k) for k in range(52)]
    truth = np.log(_true_means(mondays))
    runs = _synthetic_forecasts(3, reps=80, seed=3)
    errors = [np.mean(np.log(w.referrals.to_numpy()) - truth) for w, _, trend in runs if not trend]
    predicted = np.mean([w[COMMON_COLUMN].mean() for w, _, trend in runs if not trend])
    assert len(errors) > 60
    assert 0.75 < np.std(errors) / predicted < 1.33, (np.std(errors), predicted)
    # Far below a week's whole spread (~0.17). The old figure, week 1's intercept, was about
    # sqrt(s2 / 3 years) = 0.09, half of it.
    weekly = np.mean([(np.log(w.referrals_high / w.referrals_low) / (2 * 1.2816)).mean() for w, _, _ in runs])
    assert predicted < weekly / 5


def _setup(frame: pd.DataFrame, common: np.ndarray | None, every_day_works: bool = False) -> FlowSetup:
    """A bare timeline over the forecast's weeks: one worker, every report an investigation.
    ``every_day_works``: no days off, so each report is counted in the week it arrives."""
    weeks = len(frame)
    n_days = 7 * weeks
    first = date.fromisoformat(str(frame.week_start.iloc[0]))
    days = [first + timedelta(days=i) for i in range(n_days)]
    return FlowSetup(
        horizon_start=0,
        horizon_days=n_days,
        workdays=np.array([every_day_works or (d.weekday() < 5 and d not in PUBLIC) for d in days]),
        week_of_day=np.arange(n_days) // 7,
        referrals=frame.referrals.to_numpy(dtype=float),
        referrals_sd=band_sd(frame),
        investigation_share=1.0,
        duration_days={30: 1.0},
        capacity=np.zeros((1, n_days)),
        officers=[np.array([0])] * n_days,
        duty_period=np.zeros(n_days, dtype=int),
        worker_ids=["w"],
        worker_team=["A"],
        worker_fte=np.ones(1),
        protected_weeks=np.zeros(1),
        employed_weeks=np.ones((1, weeks), dtype=bool),
        referrals_common_sd=common,
    )


def _weekly_reports(setup: FlowSetup, years: int, seed: int) -> np.ndarray:
    """Simulated reports per [year, week]."""
    cases = draw_cases(setup, years, np.random.default_rng(seed))
    weeks = len(setup.referrals)
    week = setup.week_of_day[cases.arrival]
    return np.bincount(cases.year * weeks + week, minlength=years * weeks).reshape(years, weeks).astype(float)


def test_a_simulated_year_shares_its_level_and_weeks_keep_the_band() -> None:
    """With ``common_log_sd`` the simulation draws the level once per simulated year: the year's
    total spreads as the level's uncertainty says, while each week still varies as its band
    says (about 80 % of simulated weeks inside it). A file without the column (an older
    forecast) keeps every week's spread independent, as before."""
    weeks = 52
    mean = np.full(weeks, 200.0)
    log_sd, common = 0.12, 0.06  # the band's whole log sd and its part common to all weeks
    frame = pd.DataFrame(
        {
            "week_start": [(date(2027, 1, 4) + timedelta(weeks=k)).isoformat() for k in range(weeks)],
            "referrals": mean,
            "referrals_low": mean * np.exp(-1.2816 * log_sd),
            "referrals_high": mean * np.exp(1.2816 * log_sd),
            COMMON_COLUMN: common,
        }
    )
    years = 400
    shared = _weekly_reports(_setup(frame, common_sd(frame), every_day_works=True), years, seed=1)
    old = frame.drop(columns=[COMMON_COLUMN])
    assert common_sd(old) is None
    independent = _weekly_reports(_setup(old, common_sd(old), every_day_works=True), years, seed=1)
    sd = band_sd(frame)
    total = mean.sum()
    # Weeks: the same variance either way (the band's), ~80 % of them inside the band.
    for counts in (shared, independent):
        ratio = counts.var(axis=0).mean() / (sd**2).mean()
        assert 0.85 < ratio < 1.15, ratio
        inside = (
            (frame.referrals_low.to_numpy() <= counts) & (counts <= frame.referrals_high.to_numpy())
        ).mean()
        assert 0.76 < inside < 0.84, inside
    # The year: one common factor of log sd 0.06 spreads the total by about 6 % (6.2 % with the
    # rest); the same spread drawn week by week averages out over 52 weeks (1.7 %).
    spread_shared = shared.sum(axis=1).std() / total
    spread_independent = independent.sum(axis=1).std() / total
    assert 0.053 < spread_shared < 0.072, spread_shared
    assert 0.014 < spread_independent < 0.021, spread_independent
    assert np.isclose(shared.sum(axis=1).mean(), total, rtol=0.015)


def test_a_holiday_gets_a_sundays_share_in_the_forecast_and_the_simulation() -> None:
    """One rule says how a week's reports spread over its days (:func:`day_shares`): the
    forecast's workday factor is its sum over the week, and the simulation spreads each
    week's forecast by it. So a workday of a week with a holiday gets what a workday of a normal
    week gets, and the holiday a Sunday's share. (The simulation gave every weekday 0.172 of the
    week, holiday or not; the forecast had already reduced the week for its holiday, so the
    other workdays got 17 % less than it assumed.)"""
    ascension = date(2027, 5, 3)  # Thursday 6 May 2027 is Ascension Day
    normal = date(2027, 5, 10)
    base = 700.0
    assert workday_factor(normal, PUBLIC) == 1.0
    assert np.isclose(workday_factor(ascension, PUBLIC), 4 * 0.86 / 5 + 3 * 0.14 / 2)
    frame = pd.DataFrame(
        {
            "week_start": [ascension.isoformat(), normal.isoformat()],
            "referrals": [base * workday_factor(ascension, PUBLIC), base * workday_factor(normal, PUBLIC)],
        }
    )
    setup = _setup(frame, None)
    rates = report_rates(setup)
    assert np.allclose(rates.reshape(2, 7).sum(axis=1), frame.referrals)  # a week's days add up to it
    assert np.allclose(rates, base * day_shares(setup.workdays))  # each day as the forecast assumes
    assert np.isclose(rates[3], rates[13])  # the holiday gets what the next Sunday gets

    years = 300
    cases = draw_cases(setup, years, np.random.default_rng(4))
    per_day = np.bincount(cases.arrival, minlength=14) / years
    tuesday, friday = 1, 4
    assert np.isclose(per_day[tuesday], per_day[7 + tuesday], rtol=0.03), per_day
    assert np.isclose(per_day[tuesday], base * 0.86 / 5, rtol=0.03), per_day
    # Thursday's reports are handled on Friday.
    assert per_day[3] == 0 and np.isclose(per_day[friday], base * (0.86 / 5 + 0.14 / 2), rtol=0.03)


def test_an_older_forecast_file_without_the_common_column_still_compares(tmp_path: Path, monkeypatch) -> None:
    """``compare --forecast`` takes a file with or without ``common_log_sd`` (without: the band is
    weekly spread only, as before), and names a bad value in it like any bad input."""
    import importlib

    compare_module = importlib.import_module("rotation.whatif.compare")
    seen: list[np.ndarray | None] = []
    simulate = compare_module.simulate

    def recording(setup, years, seed):  # type: ignore[no-untyped-def]
        seen.append(setup.referrals_common_sd)
        return simulate(setup, years, seed)

    monkeypatch.setattr(compare_module, "simulate", recording)
    fc = forecast(None, date(2027, 1, 4), 52)
    frame = fc.weeks.copy()
    frame[COMMON_COLUMN] = 0.03
    new, old = tmp_path / "new.csv", tmp_path / "old.csv"
    frame.to_csv(new, index=False)
    frame.drop(columns=[COMMON_COLUMN]).to_csv(old, index=False)
    assert common_sd(read_forecast(old)) is None
    assert np.allclose(common_sd(read_forecast(new)), 0.03)

    args = ["--teams", "3", "--years", "2", "--time-limit", "2", "--jobs", "1", "--quiet"]
    for path in (new, old):
        result = CliRunner().invoke(cli, ["compare", str(EXAMPLE), "--forecast", str(path), *args])
        assert result.exit_code == 0, result.output
    with_column, without = seen
    assert with_column is not None and np.allclose(with_column, 0.03) and len(with_column) == 52
    assert without is None

    bad = frame.astype({COMMON_COLUMN: object})
    bad.loc[5, COMMON_COLUMN] = "high"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    result = CliRunner().invoke(
        cli, ["compare", str(EXAMPLE), "--forecast", str(tmp_path / "bad.csv"), *args]
    )
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: bad.csv, row 7, field '{COMMON_COLUMN}': 'high' is not a number >= 0"
    ), result.output
