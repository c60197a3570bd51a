"""Case flow: new investigations arrive, are worked deadline-first, and finish in time or late.

The model, in the words of a team leader:

* Reports arrive every day at the forecast's seasonal rate (Poisson, with the forecast's extra
  spread: a factor common to the whole simulated year for the uncertain level and trend, the
  rest week by week). A week's reports spread over its days as the forecast assumes
  (:func:`rotation.whatif.forecast.day_shares`: a public holiday gets a Sunday's share). A share
  opens an investigation; reports from weekends and holidays are handled on the next workday.
* Each new investigation goes to the team on intake — to that day's duty officers where a duty
  grid exists, else to its social workers present that day — in turn (round-robin). With a
  dedicated intake group it goes, in turn, to the investigators present that day.
* An investigation has a natural length (drawn from the unit's duration distribution: waiting
  for statements, meetings) and needs work time spread evenly over that length. It closes when
  all its work is done; the legal deadline is four months after it opened.
* Each social worker has hours per workday by FTE and presence (absences, vacations, start and
  end dates): a share of a protected day goes to investigations, less on intake duty. They
  spend it deadline-first on the work their cases are due. Someone who leaves or is away longer
  than six weeks hands their open cases to their team's colleagues.

The engine (:func:`run_cases`) only sees arrays, so hand-computed cases can test it exactly;
:func:`simulate` draws many random years at once and vectorises over them with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from ..rota import Rota
from ..solve import Planning
from .forecast import day_shares

DEADLINE_DAYS = 122  # four months
#: Default work time per investigation, in hours: calibrated so that municipality C's rota of
#: three teams in two-week periods finishes at least 86 % of its investigations within four
#: months in the median year (the domain's duration table ends 88 % within 120 days); see
#: :func:`rotation.whatif.compare.calibrate_work_hours` and the README.
WORK_HOURS = 18.5


@dataclass(frozen=True)
class FlowModel:
    """Parameters of the case flow (estimates; see the README for where they come from)."""

    work_hours: float = WORK_HOURS  # mean work per investigation
    deadline_days: int = DEADLINE_DAYS
    hours_per_day: float = 8.0  # a full-time workday (40 h a week)
    protected_share: float = 0.75  # share of a protected day spent on investigations
    intake_share: float = 0.25  # the same on an intake day (reports, protection assessments)
    introduction_share: float = 0.5  # capacity of a new hire during introduction
    handover_days: int = 42  # away longer than this: open cases go to colleagues
    warmup_days: int = 182  # simulated before the horizon so caseloads start realistic
    tail_days: int = 182  # simulated after it so late investigations can close


@dataclass
class Cases:
    """Investigations, one entry each (all years together): days count from the timeline start."""

    year: np.ndarray  # int
    arrival: np.ndarray  # int day the investigation opened
    owner: np.ndarray  # int worker index
    work: np.ndarray  # hours
    length: np.ndarray  # natural length in days (>= 1)
    deadline: np.ndarray  # int day

    def __len__(self) -> int:
        return len(self.arrival)


@dataclass(frozen=True)
class Handover:
    """On ``day`` the open cases of ``worker`` go, in turn, to ``to`` (its colleagues)."""

    day: int
    worker: int
    to: tuple[int, ...]


@dataclass
class FlowOutcome:
    """What happened to every case, plus weekly open caseloads per worker."""

    close: np.ndarray  # day each case closed (the timeline's end if still open)
    overtime: np.ndarray  # hours of due work still undone when the deadline passed
    owner: np.ndarray  # final owner
    open_counts: np.ndarray  # [year, worker, sample]
    sample_days: np.ndarray  # the days the open counts were taken


def run_cases(
    cases: Cases,
    capacity: np.ndarray,
    workdays: np.ndarray,
    years: int,
    handovers: list[Handover] | None = None,
    sample_days: np.ndarray | None = None,
) -> FlowOutcome:
    """Work the cases day by day: each worker spends ``capacity[worker, day]`` hours on the work
    their cases are due, earliest deadline first; a case closes the day its last hour is done.

    A case is due ``work * (days since opening + 1) / length`` hours (never more than its work),
    so with enough capacity it closes after its natural length.
    """
    n_workers, n_days = capacity.shape
    handovers = sorted(handovers or [], key=lambda h: h.day)
    sample_days = np.asarray(sample_days if sample_days is not None else [], dtype=int)
    n = len(cases)
    # Arrays are kept sorted by (year, worker, deadline): earliest-deadline-first is then a
    # running sum within each group. ``ids`` maps a sorted position back to the case.
    ids = np.lexsort((cases.deadline, cases.year.astype(np.int64) * n_workers + cases.owner))
    year = cases.year.astype(np.int64)[ids]
    owner = cases.owner.astype(np.int64)[ids]
    arrival = cases.arrival.astype(np.float64)[ids]
    deadline = cases.deadline.astype(np.int64)[ids]
    work = cases.work.astype(np.float64)[ids]
    pace = work / np.maximum(cases.length.astype(np.float64)[ids], 1.0)
    done = np.zeros(n)
    close = np.full(n, n_days, dtype=np.int64)
    overtime = np.zeros(n)
    open_counts = np.zeros((years, n_workers, len(sample_days)))

    def groups() -> np.ndarray:
        key = year * n_workers + owner
        first = np.r_[True, key[1:] != key[:-1]] if n else np.zeros(0, bool)
        return np.flatnonzero(first)[np.cumsum(first) - 1] if n else np.zeros(0, np.int64)

    group_start = groups()
    by_deadline = np.argsort(deadline, kind="stable")  # sorted positions, by deadline
    deadlines_sorted = deadline[by_deadline]
    next_deadline = 0
    h = 0
    s = 0
    for t in range(n_days):
        while h < len(handovers) and handovers[h].day <= t:
            ho = handovers[h]
            mine = np.flatnonzero((owner == ho.worker) & (close >= t))
            if len(mine) and ho.to:
                owner[mine] = np.asarray(ho.to)[np.arange(len(mine)) % len(ho.to)]
                perm = np.lexsort((deadline, year * n_workers + owner))
                ids, year, owner, deadline, close = (
                    ids[perm],
                    year[perm],
                    owner[perm],
                    deadline[perm],
                    close[perm],
                )
                arrival, work, pace, done, overtime = (
                    arrival[perm],
                    work[perm],
                    pace[perm],
                    done[perm],
                    overtime[perm],
                )
                group_start = groups()
                by_deadline = np.argsort(deadline, kind="stable")
                deadlines_sorted = deadline[by_deadline]
            h += 1
        if workdays[t] and n:
            target = np.clip(pace * (t - arrival + 1), 0.0, work)
            due = np.maximum(target - done, 0.0)
            before = np.cumsum(due) - due
            before -= before[group_start]
            alloc = np.minimum(np.maximum(capacity[:, t][owner] - before, 0.0), due)
            done += alloc
            finished = (done >= work - 1e-9) & (arrival <= t) & (close == n_days)
            close[finished] = t
        # Deadlines passing today: the due work still undone is what overtime would have needed.
        stop = np.searchsorted(deadlines_sorted, t, side="right")
        if stop > next_deadline:
            idx = by_deadline[next_deadline:stop]
            still = idx[close[idx] > deadline[idx]]
            if len(still):
                target = np.clip(pace[still] * (t - arrival[still] + 1), 0.0, work[still])
                overtime[still] = np.maximum(target - done[still], 0.0)
            next_deadline = int(stop)
        while s < len(sample_days) and sample_days[s] == t:
            is_open = (arrival <= t) & (close > t)
            counts = np.bincount(year[is_open] * n_workers + owner[is_open], minlength=years * n_workers)
            open_counts[:, :, s] = counts.reshape(years, n_workers)
            s += 1
    back = np.empty(n, dtype=np.int64)
    back[ids] = np.arange(n)
    close, overtime, owner = close[back], overtime[back], owner[back]
    return FlowOutcome(close, overtime, owner, open_counts, sample_days)


# --- random years --------------------------------------------------------------------------------


@dataclass
class FlowSetup:
    """A scenario as the simulation sees it, on a timeline of days (warm-up, horizon, tail)."""

    horizon_start: int  # index of the horizon's first day on the timeline
    horizon_days: int
    workdays: np.ndarray  # [day] bool
    week_of_day: np.ndarray  # [day] index into ``referrals`` (the horizon's weeks, cyclic)
    referrals: np.ndarray  # [week] expected reports
    referrals_sd: np.ndarray  # [week] standard deviation of weekly reports (>= Poisson)
    investigation_share: float
    duration_days: dict[int, float]
    capacity: np.ndarray  # [worker, day] hours for investigations
    officers: list[np.ndarray]  # [day] workers who take new investigations that day
    duty_period: np.ndarray  # [day] index of the intake period (for the burst per person)
    worker_ids: list[str]
    worker_team: list[str]  # team (or "intake") per worker
    worker_fte: np.ndarray
    protected_weeks: np.ndarray  # [worker] horizon weeks without intake duty while employed
    employed_weeks: np.ndarray  # [worker, horizon week] bool
    handovers: list[Handover] = field(default_factory=list)
    model: FlowModel = field(default_factory=FlowModel)
    #: [week] log-scale sd of the part of ``referrals_sd`` common to all weeks of a year (the
    #: forecast's level and trend uncertainty); None: all of it is week-to-week spread.
    referrals_common_sd: np.ndarray | None = None

    @property
    def n_days(self) -> int:
        return len(self.workdays)


@dataclass
class SimResult:
    """Per simulated year (arrays of length ``years``) and mean curves for the report."""

    years: int
    share_in_time: np.ndarray
    days_late_mean: np.ndarray  # mean days past the deadline, over the late investigations
    overtime_per_person: np.ndarray  # hours a year
    caseload_mean: np.ndarray  # open investigations per person
    caseload_p90: np.ndarray
    caseload_peak: np.ndarray
    burst_mean: np.ndarray  # new investigations per person in one intake period
    burst_p90: np.ndarray
    new_investigations: np.ndarray
    team_curves: dict[str, list[float]]  # team -> mean open investigations per FTE by week
    protected_weeks_per_person: float


def report_rates(setup: FlowSetup) -> np.ndarray:
    """Expected reports on each day of the timeline: each week's expected reports spread over its
    days by :func:`rotation.whatif.forecast.day_shares`, so a week's days add up to its figure
    and a public holiday gets a Sunday's share, as the forecast's workday factor assumes."""
    rel = np.arange(setup.n_days) - setup.horizon_start
    week, weekday = rel // 7, rel % 7
    shares = day_shares(setup.workdays)
    k = week - week.min()
    # A week cut by the timeline's ends counts its missing days as a normal week's.
    week_shares = np.tile(day_shares(np.arange(7) < 5), (int(k.max()) + 1 if len(k) else 0, 1))
    week_shares[k, weekday] = shares
    return setup.referrals[setup.week_of_day] * shares / week_shares.sum(axis=1)[k]


def draw_cases(setup: FlowSetup, years: int, rng: np.random.Generator) -> Cases:
    """Random arrivals for ``years`` years at once, assigned in turn to the day's officers.

    A week's reports are Poisson around its expected figure times two random factors of mean 1:
    one log-normal factor per simulated year (the level and trend uncertainty the forecast says
    is common to all weeks, ``referrals_common_sd``) and a gamma factor per week for the rest
    of the spread beyond Poisson, so a week's variance is still ``referrals_sd²``.
    """
    m = setup.model
    weeks = setup.week_of_day
    mean_w = setup.referrals
    # The spread beyond Poisson, as the relative variance of the weekly multiplier.
    beyond = np.maximum(setup.referrals_sd**2 - mean_w, 0.0) / np.maximum(mean_w, 1e-9) ** 2
    common = setup.referrals_common_sd
    if common is not None:
        common = np.asarray(common, dtype=float)
        # (1 + year's variance) x (1 + week's) = 1 + the whole multiplier's variance.
        extra = np.maximum((1 + beyond) / (1 + np.expm1(common**2)) - 1, 0.0)
    else:
        extra = beyond
    n_weeks = len(mean_w)
    # The timeline runs over more than one horizon: each pass over a week gets its own draw.
    passes = int(np.ceil(setup.n_days / 7 / n_weeks)) + 1
    mult = np.ones((years, passes, n_weeks))
    spread = extra > 0
    if spread.any():
        shape = 1 / extra[spread]
        mult[:, :, spread] = rng.gamma(shape, 1 / shape, size=(years, passes, int(spread.sum())))
    if common is not None and (common > 0).any():
        # One draw per simulated year: a level 5 % high is high in every week of that year.
        z = rng.standard_normal(years)[:, None]
        mult *= np.exp(z * common[None, :] - common[None, :] ** 2 / 2)[:, None, :]
    day_index = np.arange(setup.n_days)
    pass_of_day = (day_index - setup.horizon_start) // (7 * n_weeks) + 1
    rate = report_rates(setup) * setup.investigation_share  # [day]
    lam = rate[None, :] * mult[:, np.clip(pass_of_day, 0, passes - 1), weeks]  # [year, day]
    # Reports from days off are handled on the next workday.
    work_idx = np.flatnonzero(setup.workdays)
    starts = np.r_[0, work_idx[:-1] + 1]
    lam_work = np.add.reduceat(lam, starts, axis=1)
    counts = rng.poisson(lam_work)  # [year, workday]
    year = np.repeat(np.repeat(np.arange(years), len(work_idx)), counts.ravel())
    step = np.repeat(np.tile(np.arange(len(work_idx)), years), counts.ravel())
    arrival = work_idx[step]
    # Round-robin: a per-year running number picks the next officer of the day.
    running = np.arange(len(year)) - np.r_[0, np.cumsum(counts.sum(axis=1))][year]
    owner = np.empty(len(year), dtype=np.int64)
    for t in np.unique(arrival):
        sel = arrival == t
        officers = setup.officers[t]
        owner[sel] = officers[running[sel] % len(officers)]
    length = _draw_lengths(setup.duration_days, len(year), rng)
    mean_length = _mean_length(setup.duration_days)
    work = m.work_hours * (0.5 + 0.5 * length / mean_length)
    return Cases(year, arrival, owner, work, length, arrival + m.deadline_days)


def _draw_lengths(duration_days: dict[int, float], n: int, rng: np.random.Generator) -> np.ndarray:
    uppers = np.array(sorted(duration_days), dtype=float)
    shares = np.array([duration_days[int(u)] for u in uppers])
    lowers = np.r_[0.0, uppers[:-1]]
    band = rng.choice(len(uppers), size=n, p=shares / shares.sum())
    return np.maximum(lowers[band] + rng.random(n) * (uppers[band] - lowers[band]), 1.0)


def _mean_length(duration_days: dict[int, float]) -> float:
    uppers = np.array(sorted(duration_days), dtype=float)
    shares = np.array([duration_days[int(u)] for u in uppers])
    lowers = np.r_[0.0, uppers[:-1]]
    return float((shares * (lowers + uppers) / 2).sum() / shares.sum())


def simulate(setup: FlowSetup, years: int, seed: int | np.random.SeedSequence = 0) -> SimResult:
    """Simulate ``years`` random years of the scenario; the same seed gives the same numbers."""
    rng = np.random.default_rng(seed)
    cases = draw_cases(setup, years, rng)
    h0, h1 = setup.horizon_start, setup.horizon_start + setup.horizon_days
    samples = np.arange(h0, h1, 7)
    outcome = run_cases(cases, setup.capacity, setup.workdays, years, setup.handovers, samples)
    measured = (cases.arrival >= h0) & (cases.arrival < h1)
    yr = cases.year[measured]
    in_time = outcome.close[measured] <= cases.deadline[measured]
    late_days = np.maximum(outcome.close[measured] - cases.deadline[measured], 0)
    n_cases = np.bincount(yr, minlength=years).astype(float)
    n_late = np.bincount(yr, weights=~in_time, minlength=years)
    share = np.bincount(yr, weights=in_time, minlength=years) / np.maximum(n_cases, 1)
    days_late = np.bincount(yr, weights=late_days, minlength=years) / np.maximum(n_late, 1)
    investigators = max(int((setup.capacity.sum(axis=1) > 0).sum()), 1)
    # "A year" is 52 weeks: a horizon of whole periods may be shorter (17 x 3 weeks = 51).
    per_year = 52 * 7 / setup.horizon_days
    overtime = np.bincount(yr, weights=outcome.overtime[measured], minlength=years) / investigators * per_year

    # Open caseload per person, over the weeks each person is employed.
    employed = setup.employed_weeks[:, : len(samples)] & (setup.capacity.sum(axis=1) > 0)[:, None]
    counts = outcome.open_counts  # [year, worker, week]
    per_person = np.where(employed[None], counts, np.nan)
    flat = per_person.reshape(years, -1)
    caseload_mean = np.nanmean(flat, axis=1)
    caseload_p90 = np.nanpercentile(flat, 90, axis=1)
    caseload_peak = np.nanmax(flat, axis=1)

    # Intake burst: new investigations one officer gets in one intake period.
    periods = setup.duty_period[cases.arrival[measured]]
    n_periods = int(setup.duty_period[h0:h1].max()) + 1
    n_workers = len(setup.worker_ids)
    got = np.bincount(
        (yr * n_workers + cases.owner[measured]) * n_periods + periods,
        minlength=years * n_workers * n_periods,
    ).reshape(years, n_workers, n_periods)
    was_officer = np.zeros((n_workers, n_periods), dtype=bool)
    for t in range(h0, h1):
        if setup.workdays[t]:
            was_officer[setup.officers[t], setup.duty_period[t]] = True
    bursts = np.where(was_officer[None], got, np.nan).reshape(years, -1)
    burst_mean = np.nanmean(bursts, axis=1)
    burst_p90 = np.nanpercentile(bursts, 90, axis=1)

    team_curves: dict[str, list[float]] = {}
    mean_counts = counts.mean(axis=0)  # [worker, week]
    for team in dict.fromkeys(setup.worker_team):
        rows = [i for i, t in enumerate(setup.worker_team) if t == team]
        fte = (setup.worker_fte[rows, None] * employed[rows]).sum(axis=0)
        if not (setup.capacity[rows].sum() > 0):
            continue
        curve = mean_counts[rows].sum(axis=0) / np.maximum(fte, 0.1)
        team_curves[team] = [round(float(x), 2) for x in curve]
    # Everyone who works: a dedicated intake group's members count too, with no uninterrupted
    # investigation weeks, so the figure compares organisations over the same people.
    counted = (setup.capacity.sum(axis=1) > 0) | (np.array(setup.worker_team) == "intake")
    return SimResult(
        years=years,
        share_in_time=share,
        days_late_mean=days_late,
        overtime_per_person=overtime,
        caseload_mean=caseload_mean,
        caseload_p90=caseload_p90,
        caseload_peak=caseload_peak,
        burst_mean=burst_mean,
        burst_p90=burst_p90,
        new_investigations=n_cases,
        team_curves=team_curves,
        protected_weeks_per_person=float(setup.protected_weeks[counted].mean()) * per_year,
    )


# --- from a planned unit -------------------------------------------------------------------------


def flow_setup(
    planning: Planning,
    rota: Rota | None,
    model: FlowModel | None = None,
    intake_group: tuple[str, ...] = (),
    referrals_sd: np.ndarray | None = None,
    referrals_common_sd: np.ndarray | None = None,
) -> FlowSetup:
    """The simulation's view of a planned unit.

    ``rota`` gives the team on intake per period; ``None`` means a dedicated intake group
    (``intake_group``, people who investigate nothing) screens all reports and every new
    investigation goes, in turn, to the investigators present that day. Days before and after
    the horizon repeat the horizon (the same rota, absences and holidays), so a warm-up fills
    the caseloads and a tail lets late investigations close.
    """
    model = model or FlowModel()
    unit, grid = planning.unit, planning.grid
    rules = unit.rules
    horizon = rules.weeks * 7
    warm = (model.warmup_days // 7) * 7
    n_days = warm + horizon + model.tail_days
    base = (np.arange(n_days) - warm) % horizon
    dates = [rules.start + timedelta(days=int(b)) for b in range(horizon)]
    is_workday = np.array([grid.is_workday(d) for d in dates])
    intro = rules.introduction_weeks

    workers = [p for p in unit.people if p.is_social_worker]
    index = {p.id: i for i, p in enumerate(workers)}
    team_of = ["intake" if p.id in intake_group else p.team for p in workers]
    present = np.array([[grid.present(p.id, d) for d in dates] for p in workers], dtype=bool)
    available = np.array(
        [[p.employed_on(d) and d not in grid.absent_days.get(p.id, ()) for d in dates] for p in workers],
        dtype=bool,
    )
    in_intro = np.array([[p.in_introduction(d, intro) for d in dates] for p in workers], dtype=bool)
    employed = np.array([[p.employed_on(d) for d in dates] for p in workers], dtype=bool)

    period_days = 7 * rules.period_weeks
    period = np.arange(horizon) // period_days
    on_intake = np.zeros((len(workers), horizon), dtype=bool)
    if rota is not None:
        for i, team in enumerate(team_of):
            on_intake[i] = [team in rota.on_intake[p] for p in period]
    else:
        on_intake[[index[q] for q in intake_group if q in index]] = True

    hours = np.array([model.hours_per_day * p.fte * 5 / max(len(p.weekdays), 1) for p in workers])
    share = np.where(on_intake, model.intake_share, model.protected_share)
    if rota is None:
        share[[index[q] for q in intake_group if q in index]] = 0.0
    capacity = hours[:, None] * share * present * np.where(in_intro, model.introduction_share, 1.0)
    capacity[:, ~is_workday] = 0.0

    duty = {(o.date, o.person) for o in getattr(rota, "officers", ()) or ()}
    officers_by_base: list[np.ndarray] = []
    investigators = [i for i, t in enumerate(team_of) if t != "intake"]
    for b, d in enumerate(dates):
        takers = investigators if rota is None else [i for i in range(len(workers)) if on_intake[i, b]]
        chosen = [i for i in takers if (d, workers[i].id) in duty] if duty else []
        if not chosen:
            chosen = [i for i in takers if present[i, b] and not in_intro[i, b]]
        if not chosen:
            chosen = [i for i in takers if present[i, b]] or [i for i in investigators if present[i, b]]
        officers_by_base.append(np.array(chosen or investigators, dtype=np.int64))

    handovers: list[Handover] = []
    long_away = model.handover_days
    for i in range(len(workers)):
        away = ~np.r_[available[i], available[i]]  # twice: runs may wrap around the horizon
        starts = np.flatnonzero(away & ~np.r_[False, away[:-1]])
        for s0 in starts[starts < horizon]:
            run = np.argmax(~away[s0:]) if (~away[s0:]).any() else len(away) - s0
            if run <= long_away:
                continue
            for t in range(n_days):
                if base[t] == s0:
                    mates = [
                        j
                        for j in investigators
                        if j != i and team_of[j] == team_of[i] and available[j, (s0 + 1) % horizon]
                    ] or [j for j in investigators if j != i and available[j, s0]]
                    handovers.append(Handover(t, i, tuple(mates)))

    weeks_employed = employed.reshape(len(workers), rules.weeks, 7).any(axis=2)
    week_on_intake = on_intake.reshape(len(workers), rules.weeks, 7).any(axis=2)
    protected = (weeks_employed & ~week_on_intake).sum(axis=1).astype(float)
    if referrals_sd is None:
        referrals_sd = np.sqrt(planning.demand.referrals)
    return FlowSetup(
        horizon_start=warm,
        horizon_days=horizon,
        workdays=is_workday[base],
        week_of_day=base // 7,
        referrals=np.asarray(planning.demand.referrals, dtype=float),
        referrals_sd=np.asarray(referrals_sd, dtype=float),
        investigation_share=unit.demand.investigation_share,
        duration_days=unit.demand.duration_days,
        capacity=capacity[:, base],
        officers=[officers_by_base[b] for b in base],
        duty_period=period[base],
        worker_ids=[p.id for p in workers],
        worker_team=team_of,
        worker_fte=np.array([p.fte for p in workers]),
        protected_weeks=protected,
        employed_weeks=np.asarray(weeks_employed, dtype=bool),
        handovers=handovers,
        model=model,
        referrals_common_sd=None if referrals_common_sd is None else np.asarray(referrals_common_sd, float),
    )
