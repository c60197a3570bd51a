"""Demand and caseload curves: how many investigations each intake week brings, and how long
they stay open.

The team on intake keeps the investigations it opens until they close, so its open caseload
rises during its intake period and decays afterwards with the duration distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import holidays
import numpy as np

from .grid import TimeGrid
from .previous import Before
from .unit import Unit


def se_school_multiplier(monday: date) -> float:
    """The Swedish school-year profile of reports (domain.md, an estimate)."""
    week = monday.isocalendar().week
    easter_week = _easter_sunday(monday.year) - timedelta(days=2)  # Good Friday's week
    if week in (8, 44) or easter_week.isocalendar().week == week:
        return 0.93
    if 2 <= week <= 25:
        return 1.03
    if 26 <= week <= 32:
        return 0.87
    if week == 33:
        return 0.96
    if 34 <= week <= 50:
        return 1.07
    return 0.86  # weeks 51, 52, 53 and 1


def _easter_sunday(year: int) -> date:
    from dateutil.easter import easter

    return easter(year)


def survival(duration_days: dict[int, float], weeks: int) -> np.ndarray:
    """S[k]: share of investigations still open k weeks after they were opened.

    Durations are spread evenly within each band of the distribution (e.g. 61–90 days).
    """
    s = np.zeros(weeks)
    lower = 0
    for upper, share in sorted(duration_days.items()):
        for k in range(weeks):
            t = 7 * k
            if t < lower:
                s[k] += share
            elif t < upper:
                s[k] += share * (upper - t) / (upper - lower)
        lower = upper
    return s


@dataclass
class Demand:
    """Expected new investigations per week and the caseload they cause, per team."""

    new_investigations: np.ndarray  # [week]
    referrals: np.ndarray  # [week]
    survival: np.ndarray  # [weeks since opened]
    period_caseload: np.ndarray  # [period, week]: a team's open cases in week from intake in period
    baseline_caseload: np.ndarray  # [team, week]: cases opened before the horizon still open
    present_fte: np.ndarray  # [team, week]: FTE of social workers, weighted by presence
    team_fte: np.ndarray  # [team]: nominal FTE of social workers
    period_new: np.ndarray  # [period]: expected new investigations of a team on intake then
    day_new: dict[date, float]  # expected new investigations per workday, of a team on intake
    person_baseline: dict[str, np.ndarray]  # [week]: a person's open cases from before the horizon
    person_capacity: dict[str, float]  # FTE x share of the horizon's workdays present


def carried_over(
    unit: Unit, before: Before, mean_new: float, n_weeks: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Per team and per person: the expected investigations the previous plan's intake opened
    that are still open in each week of this horizon; and per team, what weeks the previous
    plan does not cover (before it, or a gap between the plans) left open, as an even share of
    a steady intake. A week's new investigations are this unit's estimate for that week (its
    rate and seasonal profile, or a demand file's figure where it has the week, else
    ``mean_new``), shared among the teams on intake then and, day by day, among the day's
    officers."""
    spec = unit.demand
    start = unit.rules.start
    longest = max(spec.duration_days)
    reach = math.ceil(longest / 7) + 1  # weeks back that can still be open
    s = survival(spec.duration_days, reach + n_weeks + 1)
    years = range(start.year - 2, start.year + 1)
    free = holidays.country_holidays(unit.country, years=years, categories=("public", "de_facto"))

    def week_new(monday: date) -> float:
        if spec.weekly_referrals is not None:
            known = spec.weekly_referrals.get(monday)
            return known * spec.investigation_share if known is not None else mean_new
        multiplier = se_school_multiplier(monday) if spec.seasonal == "se-school" else 1.0
        return (spec.referrals_per_week or 0.0) * multiplier * spec.investigation_share

    def still_open(monday: date, cases: float) -> np.ndarray:
        k = (start - monday).days // 7
        return cases * s[k : k + n_weeks] if k <= reach else np.zeros(n_weeks)

    on_intake: dict[date, int] = {}
    for periods in before.intake.values():
        for first, _ in periods:
            on_intake[first] = on_intake.get(first, 0) + 1
    teams: dict[str, np.ndarray] = {}
    for team, periods in before.intake.items():
        load = np.zeros(n_weeks)
        for first, end in periods:
            monday = first - timedelta(days=first.weekday())
            while monday <= end:
                load += still_open(monday, week_new(monday) / on_intake[first])
                monday += timedelta(weeks=1)
        teams[team] = load
    people: dict[str, np.ndarray] = {}
    for (day, _), officers in before.officers.items():
        monday = day - timedelta(days=day.weekday())
        workdays = sum(1 for i in range(5) if monday + timedelta(days=i) not in free) or 5
        share = week_new(monday) / workdays / max(len(officers), 1)
        for q in officers:
            people[q] = people.get(q, np.zeros(n_weeks)) + still_open(monday, share)
    covered_from = before.first_day or before.last_day
    steady = np.zeros(n_weeks)
    for k in range(1, reach + 1):
        monday = start - timedelta(weeks=k)
        if not covered_from <= monday <= before.last_day:
            steady += still_open(monday, week_new(monday) / len(unit.teams))
    return teams, people, steady


def build_demand(unit: Unit, grid: TimeGrid) -> Demand:
    spec = unit.demand
    n_weeks = len(grid.weeks)
    if spec.weekly_referrals is not None:
        referrals = np.array([spec.weekly_referrals[w] for w in grid.weeks])
    else:
        rate = spec.referrals_per_week or 0.0
        mult = [se_school_multiplier(w) if spec.seasonal == "se-school" else 1.0 for w in grid.weeks]
        referrals = rate * np.array(mult)
    new = referrals * spec.investigation_share
    longest = max(spec.duration_days)
    s = survival(spec.duration_days, max(n_weeks, math.ceil(longest / 7) + 1))

    pw = unit.rules.period_weeks
    n_periods = unit.rules.periods
    # With more than one team on intake at a time, they share the week's new investigations.
    per_team = new / max(unit.rules.teams_on_duty, 1)
    period_caseload = np.zeros((n_periods, n_weeks))
    for p in range(n_periods):
        for u in range(p * pw, (p + 1) * pw):
            period_caseload[p, u:] += per_team[u] * s[: n_weeks - u]
    period_new = np.array([per_team[p * pw : (p + 1) * pw].sum() for p in range(n_periods)])

    teams = unit.teams
    # Before the horizon, assume the teams shared intake evenly at the mean rate: what is still
    # open in week w is the tail of the survival curve (or the staff's own open_cases, scaled).
    # With the previous horizon's plan (grid.before), what its intake opened, still open.
    tail = np.array([s[w + 1 :].sum() for w in range(n_weeks)])
    mean_rate = new.mean() / len(teams)
    baseline = np.zeros((len(teams), n_weeks))
    steady = s[1:].sum()
    before = grid.before
    carried_team, carried_person, steady_before = (
        carried_over(unit, before, float(new.mean()), n_weeks) if before else ({}, {}, np.zeros(n_weeks))
    )
    for i, team in enumerate(teams):  # (estimates; a team whose staff give open_cases: below)
        if before is not None:
            baseline[i] = carried_team.get(team.id, np.zeros(n_weeks)) + steady_before
        else:
            baseline[i] = mean_rate * tail if steady > 0 else 0

    present_fte = np.zeros((len(teams), n_weeks))
    team_fte = np.zeros(len(teams))
    for i, team in enumerate(teams):
        workers = unit.social_workers(team.id)
        team_fte[i] = sum(p.fte for p in workers)
        for w in range(n_weeks):
            days = grid.week_workdays(w)
            for person in workers:
                scheduled = [d for d in days if grid.scheduled(person.id, d)]
                if scheduled:
                    here = sum(1 for d in scheduled if grid.present(person.id, d))
                    present_fte[i, w] += person.fte * here / len(scheduled)
    # A team with (almost) nobody present would divide by zero; count at least a tenth of it.
    floor = np.maximum(team_fte[:, None] * 0.1, 0.1)
    present_fte = np.maximum(present_fte, floor)

    # Person level: a workday's expected new investigations, and each person's starting cases
    # (their own open_cases, or an FTE share of the team's among those employed at the start).
    day_new = {}
    for w in range(n_weeks):
        days = grid.week_workdays(w)
        for d in days:
            day_new[d] = float(per_team[w]) / len(days)
    person_baseline: dict[str, np.ndarray] = {}
    person_capacity: dict[str, float] = {}
    first = grid.weeks[0]
    for i, team in enumerate(teams):
        workers = unit.social_workers(team.id)
        at_start = [p for p in workers if p.employed_on(first)]
        fte_at_start = sum(p.fte for p in at_start) or 1.0
        for person in workers:
            if person.open_cases is not None:
                person_baseline[person.id] = person.open_cases * tail / steady if steady > 0 else tail
            elif before is not None and person in at_start:
                # Their own duty days' cases and an FTE share of the rest (the weeks the previous
                # plan does not cover; all of the team's when it had no duty grid).
                share = person.fte / fte_at_start
                if before.officers:
                    own = carried_person.get(person.id, np.zeros(n_weeks))
                    person_baseline[person.id] = own + steady_before * share
                else:
                    person_baseline[person.id] = baseline[i] * share
            elif person in at_start and before is None:
                person_baseline[person.id] = baseline[i] * person.fte / fte_at_start
            else:
                person_baseline[person.id] = np.zeros(n_weeks)
            # FTE times the share of their own weekdays in the horizon they are employed and here.
            own_days = [d for d in grid.workdays if d.weekday() in person.weekdays]
            here = sum(1 for d in own_days if grid.present(person.id, d))
            person_capacity[person.id] = max(person.fte * here / max(len(own_days), 1), 0.01)
    for i, team in enumerate(teams):
        # Where staff give their open_cases, the team's are theirs plus the others' estimates.
        workers = unit.social_workers(team.id)
        if any(p.open_cases is not None for p in workers):
            baseline[i] = sum((person_baseline[p.id] for p in workers), np.zeros(n_weeks))
    return Demand(
        new_investigations=new,
        referrals=referrals,
        survival=s,
        period_caseload=period_caseload,
        baseline_caseload=baseline,
        present_fte=present_fte,
        team_fte=np.maximum(team_fte, 0.1),
        period_new=period_new,
        day_new=day_new,
        person_baseline=person_baseline,
        person_capacity=person_capacity,
    )
