"""History of reports → weekly forecast for the horizon, with an honest uncertainty band.

The method, step by step:

1. Count reports per ISO week (Monday). Rows may be one per report (a ``date`` column) or
   counts (``date``/``week_start`` plus ``referrals``, ``count`` or ``reports``); incomplete
   first and last weeks are dropped.
2. Holiday weeks: about 86 % of reports arrive on weekdays, 0.86 / 5 of a normal week's on each
   workday and 0.14 / 2 on each day off; a public holiday on a weekday is a day off like a
   Sunday (:func:`day_shares`, which the simulation uses too). A week's *workday factor* is
   the sum of its days' shares (``0.49 + 0.102 × workdays``: 1 for five workdays, 0.898 for
   four). Each week is divided by it before anything is estimated, and the forecast multiplies
   it back for the horizon's own weeks — so Easter and Ascension, which move between ISO weeks,
   do not smear into the seasonal profile.
3. Fit ``log(count) = level + trend × t + season[ISO week]`` by least squares. The trend is kept
   only where the data supports one: at least two years of history and a slope more than two
   standard errors from zero. Otherwise the level is the mean.
4. The seasonal profile is smoothed over neighbouring weeks (1-2-1) and scaled to mean 1. With
   less than a year of history it cannot be estimated; the ``se-school`` profile is used.
5. The band (80 %) combines the week-to-week scatter around the fit, the uncertainty of the
   profile (fewer years, wider) and of the level and trend (growing with the distance from the
   data). The fitted log mean of every horizon week is linear in the history's log counts, so
   these uncertainties are computed exactly from the fit (for an ordinary least-squares fit
   with independent scatter). Written as ``referrals_low``/``referrals_high`` beside
   ``week_start,referrals``.
6. The level and trend uncertainty is common to all weeks of a year (if the level is 5 % higher,
   it is higher in every week); the scatter and the profile's week-by-week error are not. The
   common part is written as ``common_log_sd``, a standard deviation on the log scale, so the
   simulation can draw it once per simulated year and the rest week by week.

Without history the ``se-school`` profile times the unit's rate is the forecast, and the band is
Poisson scatter only (``common_log_sd`` 0).
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import holidays
import numpy as np
import pandas as pd

from ..demand import se_school_multiplier
from ..errors import InputError
from ..read import DEMAND_BAND_COLUMNS, read_table

Z80 = 1.2816  # the 80 % band: 10th and 90th percentile
DATE_COLUMNS = ("date", "week_start", "week")
COUNT_COLUMNS = ("referrals", "count", "reports", "n")
#: A forecast's optional column: the log-scale standard deviation of the part of the band that is
#: common to every week of the horizon (level and trend uncertainty).
COMMON_COLUMN = DEMAND_BAND_COLUMNS[2]  # (the band columns: one list, in read.py)
FORECAST_NUMBERS = ("referrals", *DEMAND_BAND_COLUMNS)

#: How a week's reports spread over its days, as shares of a normal week's: a workday gets
#: 0.86 / 5, a day off (Saturday, Sunday, or a public holiday on a weekday) 0.14 / 2. The forecast
#: (:func:`workday_factor`) and the simulation both use :func:`day_shares`.
WORKDAY_SHARE = 0.86 / 5
DAY_OFF_SHARE = 0.14 / 2


@dataclass
class Forecast:
    weeks: pd.DataFrame  # week_start, referrals, referrals_low, referrals_high, common_log_sd
    profile: np.ndarray  # [53] multiplier by ISO week (index 0 unused)
    trend_per_year: float | None  # relative change a year, None when the data shows none
    history_weeks: int
    method: str

    def referrals_sd(self) -> np.ndarray:
        return band_sd(self.weeks)


def band_sd(frame: pd.DataFrame) -> np.ndarray:
    """The weekly standard deviation implied by an 80 % band (at least Poisson scatter)."""
    mean = frame["referrals"].to_numpy(dtype=float)
    if "referrals_low" in frame and "referrals_high" in frame:
        sd = (frame["referrals_high"].to_numpy(float) - frame["referrals_low"].to_numpy(float)) / (2 * Z80)
        return np.maximum(sd, np.sqrt(mean))
    return np.sqrt(mean)


def common_sd(frame: pd.DataFrame) -> np.ndarray | None:
    """The log-scale sd of the band's part common to all weeks, or None for a file without it
    (an older forecast, or a demand file: its band is then weekly spread only, as before)."""
    if COMMON_COLUMN not in frame:
        return None
    return frame[COMMON_COLUMN].to_numpy(dtype=float)


def read_history(path: str | Path) -> pd.Series:
    """Weekly report counts, indexed by Monday, from a history CSV; InputError on a bad file."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputError(name, f"not found: {path}")
    frame = read_table(path, f"a header with a date column ({', '.join(DATE_COLUMNS)})")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    # (blank lines are kept so rows are the file's lines; they hold no report)
    if not frame.empty:
        frame = frame[frame.apply(lambda row: any(str(v).strip() for v in row), axis=1)]
    date_col = next((c for c in DATE_COLUMNS if c in frame.columns), None)
    if date_col is None:
        raise InputError(name, f"no date column; expected one of {', '.join(DATE_COLUMNS)}", row=1)
    count_col = next((c for c in COUNT_COLUMNS if c in frame.columns), None)
    if frame.empty:
        raise InputError(name, "no rows; expected one row per report or per week")
    days = pd.to_datetime(frame[date_col].str.strip(), format="%Y-%m-%d", errors="coerce")
    bad = days.isna().to_numpy().nonzero()[0]
    if len(bad):
        i = int(bad[0])
        raise InputError(
            name,
            f"{frame[date_col].iloc[i]!r} is not a date like 2024-01-01",
            row=int(frame.index[i]) + 2,
            field=date_col,
        )
    if count_col is not None:
        counts = pd.to_numeric(frame[count_col].str.strip(), errors="coerce")
        bad = (counts.isna() | (counts < 0)).to_numpy().nonzero()[0]
        if len(bad):
            i = int(bad[0])
            raise InputError(
                name,
                f"{frame[count_col].iloc[i]!r} is not a count >= 0",
                row=int(frame.index[i]) + 2,
                field=count_col,
            )
    else:
        counts = pd.Series(1.0, index=frame.index)
    monday = days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    weekly = counts.groupby(monday).sum().sort_index()
    first, last = weekly.index.min(), weekly.index.max()
    full = pd.date_range(first, last, freq="7D")
    weekly = weekly.reindex(full, fill_value=0.0).astype(float)
    # Rows of weekly counts (a count each, every date a Monday, one per week) are whole weeks,
    # whatever the date column is called.
    weekly_rows = count_col is not None and bool((days.dt.day_of_week == 0).all()) and monday.is_unique
    if (count_col is None or date_col == "date") and not weekly_rows:
        # Per-report or per-day rows: the first and last weeks may be incomplete.
        if days.min().weekday() != 0:
            weekly = weekly.iloc[1:]
        if days.max().weekday() != 6:
            weekly = weekly.iloc[:-1]
    if len(weekly) < 8:
        raise InputError(name, f"only {len(weekly)} complete weeks of history; need at least 8")
    return weekly


def day_shares(workday: np.ndarray | list[bool]) -> np.ndarray:
    """Each day's share of a normal week's reports: :data:`WORKDAY_SHARE` on a workday,
    :data:`DAY_OFF_SHARE` on a day off (a weekend day or a public holiday)."""
    return np.where(np.asarray(workday, dtype=bool), WORKDAY_SHARE, DAY_OFF_SHARE)


def workday_factor(monday: date, public: dict[date, str]) -> float:
    """Share of a normal week's reports expected in this week: the sum of its days' shares
    (1 for five workdays; a public holiday on a weekday gets a Sunday's share)."""
    days = [monday + timedelta(days=i) for i in range(7)]
    return float(day_shares([d.weekday() < 5 and d not in public for d in days]).sum())


def _iso_week(monday: date) -> int:
    return min(monday.isocalendar().week, 52)


def forecast(
    history: pd.Series | None,
    start: date,
    weeks: int,
    country: str = "SE",
    rate: float = 45.0,
) -> Forecast:
    """Forecast weekly reports for ``weeks`` weeks from the Monday ``start``."""
    years = range(start.year - 12, start.year + weeks // 52 + 2)
    public = dict(holidays.country_holidays(country, years=years, categories=("public", "de_facto")))
    horizon = [start + timedelta(weeks=w) for w in range(weeks)]
    factor_f = np.array([workday_factor(d, public) for d in horizon])
    school = np.array([0.0] + [_school_profile(w) for w in range(1, 53)])

    if history is None or len(history) == 0:
        mean = rate * np.array([se_school_multiplier(d) for d in horizon])
        sd = np.sqrt(mean)
        return _result(
            horizon, mean, mean - Z80 * sd, mean + Z80 * sd, school, None, 0, "se-school", np.zeros(weeks)
        )

    mondays = [ts.date() for ts in history.index]
    counts = history.to_numpy(dtype=float)
    factor_h = np.array([workday_factor(d, public) for d in mondays])
    y = np.log(np.maximum(counts, 0.5) / factor_h)
    t = np.array([(d - mondays[0]).days / 365.25 for d in mondays])
    wk = np.array([_iso_week(d) for d in mondays])
    n = len(y)
    n_years = n / 52

    estimate_season = n >= 52
    fit_trend = n >= 104
    profile_log = np.log(school[1:]) if not estimate_season else np.zeros(52)

    def design(with_trend: bool) -> np.ndarray:
        cols = [np.ones(n)]
        if with_trend:
            cols.append(t - t.mean())
        if estimate_season:
            cols += [(wk == k).astype(float) for k in range(2, 53)]
        return np.column_stack(cols)

    offset = np.zeros(n) if estimate_season else profile_log[wk - 1]
    trend: float | None = None
    for with_trend in [True, False] if fit_trend else [False]:
        x = design(with_trend)
        beta, *_ = np.linalg.lstsq(x, y - offset, rcond=None)
        resid = y - offset - x @ beta
        dof = max(n - x.shape[1], 1)
        s2 = float(resid @ resid) / dof
        cov = s2 * np.linalg.pinv(x.T @ x)
        if with_trend and abs(beta[1]) < 2 * math.sqrt(cov[1, 1]):
            continue  # the data does not support a trend
        break
    level = float(beta[0])
    slope = float(beta[1]) if with_trend else 0.0
    if with_trend:
        trend = math.expm1(slope)
    tc = t - t.mean()
    season_col = (2 if with_trend else 1) if estimate_season else 0  # week 2's column in x
    if estimate_season:
        raw = np.r_[0.0, beta[season_col : season_col + 51]]  # week 1 is the reference
        smooth = (np.roll(raw, 1) + 2 * raw + np.roll(raw, -1)) / 4
        profile_log = smooth - np.log(np.mean(np.exp(smooth)))
        # Re-centre the level on the smoothed profile.
        level = float(np.mean(y - profile_log[wk - 1] - slope * tc))
    t_f = np.array([(d - mondays[0]).days / 365.25 for d in horizon]) - t.mean()
    wk_f = np.array([_iso_week(d) for d in horizon])
    mu = level + profile_log[wk_f - 1] + slope * t_f
    # The scatter: the smoothed profile spends about 26 degrees of freedom, not the 52 of the
    # raw ISO-week columns (dividing by n - 52 made s2 39 % too big with two years of history).
    coef = np.linalg.pinv(x)  # the fit's coefficients are coef @ (y - offset)
    common_h, own_h = _fit_operators(coef, season_col, with_trend, wk, wk, tc)
    resid = y - level - profile_log[wk - 1] - slope * tc
    s2 = float(resid @ resid) / max(n - float(np.trace(common_h + own_h)), 1.0)
    common_f, own_f = _fit_operators(coef, season_col, with_trend, wk, wk_f, t_f)
    common_var = s2 * (common_f**2).sum(axis=1)
    # The profile's own part; what little correlation it has with the common part goes here,
    # so the two add up to the week's whole variance.
    profile_var = np.maximum(s2 * ((common_f + own_f) ** 2).sum(axis=1) - common_var, 0.0)
    if not estimate_season:
        profile_var = profile_var + s2 / max(n_years, 1)  # the se-school profile is a guess
    var = s2 + profile_var + common_var
    mean = np.exp(mu + s2 / 2) * factor_f
    low = np.exp(mu - Z80 * np.sqrt(var)) * factor_f
    high = np.exp(mu + Z80 * np.sqrt(var)) * factor_f
    profile = np.r_[0.0, np.exp(profile_log)]
    method = "history" if estimate_season else "history level, se-school profile"
    return _result(horizon, mean, low, high, profile, trend, n, method, np.sqrt(common_var))


def _fit_operators(
    coef: np.ndarray, season_col: int, with_trend: bool, wk: np.ndarray, weeks: np.ndarray, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The fitted log mean at ISO weeks ``weeks`` and centred times ``times`` as linear maps of
    the history's log counts ``y``: ``(common + own) @ y`` (plus a constant).

    Every step of the fit is linear in ``y`` (least squares, whose coefficients are ``coef @ y``;
    the 1-2-1 smoothing; re-centring the level; the profile's scaling to mean 1 cancels), so
    with independent scatter of variance ``s2`` a week's log mean has variance ``s2 · |row|²``.
    ``common`` is the level (the mean over the 52 ISO weeks) plus the trend: an error in it moves
    every week alike. ``own`` is the profile's deviation from its mean, whose errors sum to zero
    over a year. (With ISO-week columns the fit's first coefficient is week 1's intercept, not
    the level: its variance is about ``s2 / years``, the level's ``s2 / weeks``.)
    """
    n = coef.shape[1]
    slope = coef[1] if with_trend else np.zeros(n)
    if not season_col:
        common = coef[0] + times[:, None] * slope
        return common, np.zeros_like(common)
    raw = np.vstack([np.zeros(n), coef[season_col : season_col + 51]])  # [ISO week, n]; week 1 is 0
    smooth = (np.roll(raw, 1, axis=0) + 2 * raw + np.roll(raw, -1, axis=0)) / 4
    level = (1.0 - smooth[wk - 1].sum(axis=0)) / n  # mean(y - profile[wk] - slope · t); t sums to 0
    mean_profile = smooth.mean(axis=0)
    return level + mean_profile + times[:, None] * slope, smooth[weeks - 1] - mean_profile


def _school_profile(iso_week: int) -> float:
    # The se-school multiplier of a typical year's week (2027 has no moving holiday clash).
    return se_school_multiplier(date.fromisocalendar(2027, iso_week, 1))


def _result(
    horizon: list[date],
    mean: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    profile: np.ndarray,
    trend: float | None,
    n: int,
    method: str,
    common: np.ndarray,
) -> Forecast:
    frame = pd.DataFrame(
        {
            "week_start": [d.isoformat() for d in horizon],
            "referrals": np.round(mean, 2),
            "referrals_low": np.round(np.maximum(low, 0), 2),
            "referrals_high": np.round(high, 2),
            COMMON_COLUMN: np.round(common, 4),
        }
    )
    return Forecast(frame, profile, trend, n, method)


def write_forecast(fc: Forecast, path: str | Path) -> Path:
    """Write ``week_start,referrals,referrals_low,referrals_high,common_log_sd`` (temp file,
    then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            fc.weeks.to_csv(f, index=False, lineterminator="\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def read_forecast(path: str | Path) -> pd.DataFrame:
    """A forecast (or any demand file) as written above; band columns are optional."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path.name, f"not found: {path}")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise InputError(path.name, f"not a readable CSV file ({str(e).splitlines()[0]})") from None
    for column in ("week_start", "referrals"):
        if column not in frame:
            raise InputError(path.name, f"missing column {column!r}", row=1, field=column)
    weeks = pd.to_datetime(frame["week_start"].astype(str).str.strip(), format="%Y-%m-%d", errors="coerce")
    bad = weeks.isna().to_numpy().nonzero()[0]
    if len(bad):
        i = int(bad[0])
        raise InputError(
            path.name,
            f"{frame['week_start'].iloc[i]!r} is not a date like 2027-01-04",
            row=i + 2,
            field="week_start",
        )
    for column in FORECAST_NUMBERS:
        if column in frame:
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = (values.isna() | (values < 0)).to_numpy().nonzero()[0]
            if len(bad):
                i = int(bad[0])
                value = frame[column].iloc[i]
                shown = "an empty value" if pd.isna(value) else repr(str(value))
                raise InputError(path.name, f"{shown} is not a number >= 0", row=i + 2, field=column)
            frame[column] = values.astype(float)
    return frame
