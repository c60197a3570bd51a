"""Every quality figure of a rota, computed in one place.

The solver optimises linear versions of the same terms over the same coefficient tables
(:mod:`rotation.demand`, :mod:`rotation.coverage`); the summary, the strict-cycle comparison and
the reports read the figures from here.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import numpy as np

from .planning import Planning
from .rota import Rota


@dataclass(frozen=True)
class TeamMetrics:
    team: str
    name: str
    duty_periods: int
    min_rest_weeks: float | None  # None: fewer than two duty periods
    mean_rest_weeks: float | None
    new_investigations: float
    new_per_fte: float
    peak_open_per_fte: float
    holiday_intake_days: int
    acting_manager_days: int


@dataclass(frozen=True)
class PersonMetrics:
    person: str
    name: str
    team: str
    fte: float
    duty_days: int
    mentor_days: int
    expected_new_investigations: float
    new_per_present_fte: float  # per FTE, weighted by the share of the year they are here
    peak_open_per_fte: float
    holiday_adjacent_days: int
    back_to_back_days: int


@dataclass(frozen=True)
class RotaMetrics:
    teams: list[TeamMetrics]
    rest_shortfall_weeks: float
    caseload_peak: float  # expected open investigations per present FTE
    intake_spread: float  # new investigations per FTE, max - min across teams
    holiday_spread: int  # holiday intake days, max - min across teams
    acting_days: int
    people: list[PersonMetrics] = field(default_factory=list)  # when the duty grid is planned

    def objective_terms(self) -> dict[str, float]:
        terms: dict[str, float] = {
            "rest": round(self.rest_shortfall_weeks, 2),
            "caseload": round(self.caseload_peak, 2),
            "intake_fairness": round(self.intake_spread, 2),
            "holiday_fairness": self.holiday_spread,
            "acting_days": self.acting_days,
        }
        if self.people:
            terms.update(
                {
                    "person_caseload": round(max(p.peak_open_per_fte for p in self.people), 2),
                    "person_intake_spread": round(self._within_teams("new_per_present_fte"), 2),
                    "duty_bunching": sum(p.back_to_back_days for p in self.people),
                    "holiday_adjacent_spread": self._within_teams("holiday_adjacent_days"),
                }
            )
        return terms

    def _within_teams(self, figure: str) -> float:
        """The largest spread (max - min) of a per-person figure inside one team."""
        widest = 0.0
        for team in {p.team for p in self.people}:
            values = [getattr(p, figure) for p in self.people if p.team == team]
            widest = max(widest, max(values) - min(values))
        return widest

    def as_rows(self) -> list[dict[str, object]]:
        return [asdict(t) for t in self.teams]

    def people_rows(self) -> list[dict[str, object]]:
        return [asdict(p) for p in self.people]


def open_caseload(planning: Planning, rota: Rota) -> np.ndarray:
    """Expected open investigations per team and week: [team, week]."""
    d = planning.demand
    teams = [t.id for t in planning.unit.teams]
    load = d.baseline_caseload.copy()
    for p, on_intake in enumerate(rota.on_intake):
        for t in on_intake:
            load[teams.index(t)] += d.period_caseload[p]
    return load


def rota_metrics(planning: Planning, rota: Rota) -> RotaMetrics:
    unit, d = planning.unit, planning.demand
    pw = unit.rules.period_weeks
    target = unit.rules.target_rest_weeks
    per_fte = open_caseload(planning, rota) / d.present_fte
    rows: list[TeamMetrics] = []
    shortfall = 0.0
    for i, team in enumerate(unit.teams):
        periods = rota.periods_of(team.id)
        rests = [(b - a - 1) * pw for a, b in itertools.pairwise(periods)]
        before = planning.grid.before
        if before is not None and periods:  # the rest across the start, after the previous plan
            rest = before.rest_weeks(team.id, planning.grid.periods[periods[0]].start)
            rests = ([rest] if rest is not None else []) + rests
        shortfall += sum(max(0.0, target - r) for r in rests)
        new = float(sum(d.period_new[p] for p in periods))
        acting = sum(1 for row in rota.duty_days if row.team == team.id and row.acting)
        rows.append(
            TeamMetrics(
                team=team.id,
                name=team.name,
                duty_periods=len(periods),
                min_rest_weeks=float(min(rests)) if rests else None,
                mean_rest_weeks=round(float(np.mean(rests)), 2) if rests else None,
                new_investigations=round(new, 1),
                new_per_fte=round(new / d.team_fte[i], 2),
                peak_open_per_fte=round(float(per_fte[i].max()), 2),
                holiday_intake_days=sum(planning.grid.holiday_workdays(p) for p in periods),
                acting_manager_days=acting,
            )
        )
    new_per_fte = [
        sum(d.period_new[p] for p in rota.periods_of(t.id)) / d.team_fte[i] for i, t in enumerate(unit.teams)
    ]
    holiday = [r.holiday_intake_days for r in rows]
    return RotaMetrics(
        people=person_metrics(planning, rota),
        teams=rows,
        rest_shortfall_weeks=shortfall,
        caseload_peak=float(per_fte.max()),
        intake_spread=float(max(new_per_fte) - min(new_per_fte)),
        holiday_spread=max(holiday) - min(holiday),
        acting_days=sum(r.acting_manager_days for r in rows),
    )


def person_metrics(planning: Planning, rota: Rota) -> list[PersonMetrics]:
    """Per social worker: duty days and the expected caseload they bring (empty without a grid)."""
    if not rota.officers:
        return []
    unit, d, grid = planning.unit, planning.demand, planning.grid
    n_weeks = len(grid.weeks)
    days_of: dict[str, list[tuple[date, str]]] = {}
    for o in rota.officers:
        days_of.setdefault(o.person, []).append((o.date, o.role))
    workday_index = {day: i for i, day in enumerate(grid.workdays)}
    rows = []
    first, last = grid.weeks[0], grid.weeks[-1] + timedelta(days=6)
    for person in unit.people:
        if not person.is_social_worker:
            continue
        if not ((person.start or first) <= last and (person.end or last) >= first):
            continue  # (not employed in this horizon: a leaver kept in staff.csv, say)
        mine = sorted(days_of.get(person.id, []))
        load = d.person_baseline[person.id].copy()
        new = 0.0
        for day, _ in mine:
            share = d.day_new[day] / max(unit.duty_per_day_on(day), 1)
            new += share
            w = grid.week_of(day)
            load[w:] += share * d.survival[: n_weeks - w]
        indices = [workday_index[day] for day, _ in mine]
        rows.append(
            PersonMetrics(
                person=person.id,
                name=person.name,
                team=person.team,
                fte=person.fte,
                duty_days=len(mine),
                mentor_days=sum(1 for _, role in mine if role == "mentor"),
                expected_new_investigations=round(new, 2),
                new_per_present_fte=round(new / d.person_capacity[person.id], 2),
                peak_open_per_fte=round(float(load.max()) / person.fte, 2),
                holiday_adjacent_days=sum(1 for day, _ in mine if grid.is_holiday_adjacent(day)),
                back_to_back_days=sum(1 for a, b in itertools.pairwise(indices) if b - a == 1),
            )
        )
    return rows
