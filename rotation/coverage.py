"""What each team could offer in each period: staffing and manager cover, day by day.

These facts do not depend on the rota, so they are computed once and read by the solver,
the metrics and the explanations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .grid import TimeGrid


@dataclass(frozen=True)
class StaffingGap:
    day: date
    present: int
    needed: int


@dataclass
class TeamPeriod:
    """Team ``team`` if it took intake in period ``period``."""

    team: str
    period: int
    workdays: list[date]
    staffing_gaps: list[StaffingGap] = field(default_factory=list)
    manager_away: list[date] = field(default_factory=list)  # days an acting manager is needed
    deputies_present: dict[date, list[str]] = field(default_factory=dict)  # on manager_away days
    present_counts: dict[date, int] = field(default_factory=dict)
    officers: dict[date, list[str]] = field(default_factory=dict)  # who could take duty that day
    duty_gaps: list[StaffingGap] = field(default_factory=list)  # fewer officers than duty needs

    @property
    def uncovered(self) -> list[date]:
        """Days when neither the manager nor any deputy is present."""
        return [d for d in self.manager_away if not self.deputies_present[d]]

    @property
    def staffed(self) -> bool:
        return not self.staffing_gaps


@dataclass
class Coverage:
    grid: TimeGrid
    cells: dict[tuple[str, int], TeamPeriod]

    def cell(self, team: str, period: int) -> TeamPeriod:
        return self.cells[team, period]


def build_coverage(grid: TimeGrid, since: date | None = None) -> Coverage:
    """Facts per team and period. Days before ``since`` (a re-plan's today) are history: they
    raise no staffing, manager or duty gap, since no plan can change them."""
    unit = grid.unit
    cells: dict[tuple[str, int], TeamPeriod] = {}
    for p in range(len(grid.periods)):
        days = grid.period_workdays(p)
        for team in unit.teams:
            cell = TeamPeriod(team.id, p, days)
            for d in days:
                count = len(grid.counted_present(team.id, d))
                cell.present_counts[d] = count
                if since is not None and d < since:
                    continue
                cell.officers[d] = [p.id for p in unit.social_workers(team.id) if grid.present(p.id, d)]
                duty = unit.duty_per_day_on(d)
                if len(cell.officers[d]) < duty:
                    cell.duty_gaps.append(StaffingGap(d, len(cell.officers[d]), duty))
                gap = staffing_gap(grid, team.id, d)
                if gap is not None:
                    cell.staffing_gaps.append(gap)
                if not grid.present(team.manager, d):
                    cell.manager_away.append(d)
                    cell.deputies_present[d] = [q for q in team.deputies if grid.present(q, d)]
            cells[team.id, p] = cell
    return Coverage(grid, cells)


def staffing_gap(grid: TimeGrid, team_id: str, day: date) -> StaffingGap | None:
    """The staffing rule for one group on one workday: fewer social workers counted present
    (new hires in introduction do not count) than ``min_present`` of that day."""
    count = len(grid.counted_present(team_id, day))
    needed = grid.unit.min_present_on(day)
    return StaffingGap(day, count, needed) if count < needed else None


def group_staffing_gaps(grid: TimeGrid, team_id: str) -> list[StaffingGap]:
    """Every workday a group permanently on intake (a dedicated intake group) is short."""
    gaps = (staffing_gap(grid, team_id, d) for d in grid.workdays)
    return [g for g in gaps if g is not None]


def duty_day_problem(coverage: Coverage, team: str, period: int, day: date) -> str | None:
    """Why team ``team`` cannot staff intake duty on ``day`` on its own, in the user's words,
    or None when the day alone is fine (the problem may then lie across days)."""
    unit = coverage.grid.unit
    cell = coverage.cell(team, period)
    officers = cell.officers.get(day, [])
    k = unit.duty_per_day_on(day)
    weeks = unit.rules.introduction_weeks
    if len(officers) < k:
        n = "one social worker" if len(officers) == 1 else f"{len(officers)} social workers"
        return f"team {team} has {n} present on {day}, duty needs {k}"
    people = [unit.person(q) for q in officers]
    new = [q.id for q in people if q.in_introduction(day, weeks)]
    settled = [q for q in people if q.id not in new]
    if new and len(settled) < k and not any(q.experienced_on(day, weeks) for q in settled):
        others = f"{', '.join(q.id for q in settled)} and " if settled else "only "
        return (
            f"team {team} has {others}the new hires {', '.join(new)} present on {day}, and new "
            f"hires need an experienced colleague beside them on duty; duty needs {k}"
        )
    deputies = cell.deputies_present.get(day)
    if deputies and all(q in officers for q in deputies) and len(officers) - 1 < k:
        left = len(officers) - 1
        who = deputies[0] if len(deputies) == 1 else f"one of {', '.join(deputies)}"
        return (
            f"team {team}'s manager is away on {day} and {who} must act (acting managers cannot "
            f"take duty), leaving {left} social worker{'s' if left != 1 else ''} for duty, which needs {k}"
        )
    return None
