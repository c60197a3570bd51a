"""Build the whole CP-SAT model: the team level and, when asked, the duty level."""

from __future__ import annotations

from datetime import date

from ..coverage import Coverage
from ..demand import Demand
from .duty import add_duty, add_duty_possible
from .model import (
    RotaModel,
    acting_days,
    add_manager_coverage,
    add_min_rest,
    add_pins,
    add_staffing,
    add_teams_on_duty,
    add_variables,
    caseload_peak,
    holiday_fairness,
    intake_fairness,
    rest_shortfall,
    tie_break,
)


def build_model(
    coverage: Coverage,
    demand: Demand,
    duty: bool = False,
    duty_teams: set[str] | None = None,
    fixed_intake: dict[tuple[str, int], bool] | None = None,
    history: dict[str, list[date]] | None = None,
) -> RotaModel:
    """All variables, hard rules (under group literals) and objective terms, in a fixed order.

    With ``duty``, the second level (who takes the new cases each day) is part of the model,
    for every team or only for ``duty_teams``; ``fixed_intake`` (the team level already
    solved) leaves out the duty variables of teams not on intake; ``history`` (a re-plan's
    published duty days before today) counts as fixed load in the person-level terms.
    """
    m = RotaModel(coverage, demand, history=history or {})
    m.duty_teams = duty_teams if duty_teams is not None else {t.id for t in coverage.grid.unit.teams}
    add_variables(m)
    if fixed_intake is not None:
        # The team level is solved: its decisions are fixed by the caller; who acts as manager
        # is decided again here, so a deputy from outside the team can free an officer.
        add_manager_coverage(m)
        add_duty(m, fixed_intake)
        m.terms["tie_break"] = tie_break(m)
        return m
    add_teams_on_duty(m)
    add_min_rest(m)
    add_staffing(m)
    add_manager_coverage(m)
    add_pins(m)
    m.terms["rest"] = rest_shortfall(m)
    m.terms["caseload"] = caseload_peak(m)
    m.terms["intake_fairness"] = intake_fairness(m)
    m.terms["holiday_fairness"] = holiday_fairness(m)
    m.terms["acting_days"] = acting_days(m)
    if duty:
        add_duty(m, fixed_intake)
    elif coverage.grid.unit.plans_duty:
        add_duty_possible(m)
    m.terms["tie_break"] = tie_break(m)
    return m
