"""A rota: which teams take intake in each period, and who manages the intake team each day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .coverage import Coverage
from .grid import TimeGrid


@dataclass(frozen=True)
class DutyDay:
    date: date
    period: int
    team: str
    manager: str | None  # None: nobody can manage that day (only in a relaxed rota)
    acting: bool  # True: a deputy stands in for the team's manager
    present: int  # social workers present who count toward min_present


@dataclass(frozen=True)
class DutyOfficer:
    """A social worker taking the new cases of their intake team on one workday."""

    date: date
    period: int
    team: str
    person: str
    role: str  # "officer", or "mentor" beside a new hire in introduction


@dataclass(frozen=True)
class Rota:
    on_intake: tuple[tuple[str, ...], ...]  # per period, the teams on intake in team order
    duty_days: tuple[DutyDay, ...]
    officers: tuple[DutyOfficer, ...] = ()  # empty when personal duty is not planned

    def teams_in(self, period: int) -> tuple[str, ...]:
        return self.on_intake[period]

    def periods_of(self, team: str) -> list[int]:
        return [p for p, teams in enumerate(self.on_intake) if team in teams]


def with_officers(rota: Rota, coverage: Coverage, on_duty: dict[tuple[str, date], bool]) -> Rota:
    """The rota with its duty grid; experienced officers beside a new hire are mentors."""
    unit = coverage.grid.unit
    weeks = unit.rules.introduction_weeks
    rows: list[DutyOfficer] = []
    for day in rota.duty_days:
        people = [
            unit.person(q)
            for q in coverage.cell(day.team, day.period).officers.get(day.date, [])
            if on_duty.get((q, day.date))
        ]
        new_hires = {q.id for q in people if q.in_introduction(day.date, weeks)}
        mentor_given = False
        for q in people:
            role = "officer"
            if new_hires - {q.id} and not mentor_given and q.experienced_on(day.date, weeks):
                role, mentor_given = "mentor", True
            rows.append(DutyOfficer(day.date, day.period, day.team, q.id, role))
    return Rota(rota.on_intake, rota.duty_days, tuple(rows))


def strict_cycle(grid: TimeGrid) -> list[tuple[str, ...]]:
    """What a team leader does by hand: A, B, C, A, B, C … from period 0, ignoring absences."""
    teams = [t.id for t in grid.unit.teams]
    k = grid.unit.rules.teams_on_duty
    return [
        tuple(sorted({teams[(p * k + i) % len(teams)] for i in range(k)}, key=teams.index))
        for p in range(len(grid.periods))
    ]


def assign_managers(
    coverage: Coverage,
    on_intake: list[tuple[str, ...]],
    acting: dict[tuple[str, date], str] | None = None,
) -> Rota:
    """Build the day-by-day duty rows for a team assignment.

    ``acting`` gives the deputy chosen for a team on a day its manager is away (from the solver);
    without it, each team takes its first present deputy, in order of preference, who is not
    already managing an intake team that day.
    """
    grid = coverage.grid
    unit = grid.unit
    rows: list[DutyDay] = []
    for p, teams in enumerate(on_intake):
        for d in grid.period_workdays(p):
            busy = {unit.team(t).manager for t in teams if grid.present(unit.team(t).manager, d)}
            for t in teams:
                cell = coverage.cell(t, p)
                manager: str | None = unit.team(t).manager
                is_acting = d in cell.deputies_present
                if is_acting:
                    if acting is not None:
                        manager = acting.get((t, d))
                    else:
                        free = [q for q in cell.deputies_present[d] if q not in busy]
                        manager = free[0] if free else None
                    if manager is not None:
                        busy.add(manager)
                # (No one to act, in a relaxed plan: no manager, and no one acting.)
                acts = is_acting and manager is not None
                rows.append(DutyDay(d, p, t, manager, acts, cell.present_counts[d]))
    return Rota(tuple(tuple(t) for t in on_intake), tuple(rows))
