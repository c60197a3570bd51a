"""Everything known before solving: the unit, its time grid, coverage facts and demand curves.

Computed once by :func:`prepare` and read by the solver, the metrics, the validator's callers
and the reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .coverage import Coverage, build_coverage
from .demand import Demand, build_demand
from .grid import TimeGrid
from .previous import Before
from .unit import Unit


@dataclass
class Planning:
    """Everything computed from a unit before solving: reused by metrics and reports."""

    unit: Unit
    grid: TimeGrid
    coverage: Coverage
    demand: Demand
    since: date | None = None  # a re-plan's today: earlier days are history


def prepare(unit: Unit, since: date | None = None, before: Before | None = None) -> Planning:
    """Everything computed before solving; ``since`` (a re-plan's today) leaves earlier days
    to history; ``before`` (the previous horizon's plan) carries rest, caseload and duty runs
    over the start."""
    grid = TimeGrid(unit, before)
    return Planning(unit, grid, build_coverage(grid, since), build_demand(unit, grid), since)
