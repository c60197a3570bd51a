"""The CP-SAT adapter: variables, one function per hard rule, one per objective term.

Every hard rule is added under an enforcement literal per *group* a person understands
("team A's staffing in period 14"). In a normal solve the literals are fixed to true; to explain
infeasibility they become assumptions; in a relaxed solve breaking a group costs a penalty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ortools.sat.python import cp_model

from ..coverage import Coverage
from ..demand import Demand
from ..rota import strict_cycle
from .improve import Rows
from .schedules import PersonLoads

SCALE = 10_000  # objective terms in ten-thousandths of their unit


@dataclass(frozen=True)
class RuleGroup:
    """A set of constraints that stands or falls together, with the facts to explain it."""

    rule: str  # teams_on_duty, min_rest, staffing, manager, pin, duty, duty_in_row
    team: str | None = None
    period: int | None = None
    penalty: int = 1  # in a relaxed solve


@dataclass
class RotaModel:
    coverage: Coverage
    demand: Demand
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    on_intake: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    acting: dict[tuple[str, date, str], cp_model.IntVar] = field(default_factory=dict)
    duty: dict[tuple[str, date], cp_model.IntVar] = field(default_factory=dict)  # person, day
    duty_groups: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    duty_teams: set[str] = field(default_factory=set)  # whose duty grid is planned here
    duty_cells: list[tuple[str, int]] = field(default_factory=list)  # (team, period) with a grid
    intake_fixed: bool = False  # the team level is solved: its duty cells are decisions made
    groups: dict[int, RuleGroup] = field(default_factory=dict)  # literal index -> group
    group_literals: list[cp_model.IntVar] = field(default_factory=list)
    terms: dict[str, cp_model.LinearExpr] = field(default_factory=dict)
    solution_values: dict[int, bool] = field(default_factory=dict)  # variable index -> value
    history: dict[str, list[date]] = field(default_factory=dict)  # person -> past duty days
    # Person-level terms in the form the counting bound needs (the caseload peak)
    person_loads: dict[str, PersonLoads] = field(default_factory=dict)
    caps: dict[str, int] = field(default_factory=dict)  # term -> the value its stage fixed
    # Person-level terms as plain data, for the local search: per group of people (a team;
    # "" for all), each person's rows, a constant plus a weight per duty day (scaled integers)
    loads: dict[str, dict[str, Rows]] = field(default_factory=dict)

    @property
    def unit(self):  # type: ignore[no-untyped-def]
        return self.coverage.grid.unit

    @property
    def team_ids(self) -> list[str]:
        return [t.id for t in self.unit.teams]

    @property
    def n_periods(self) -> int:
        return len(self.coverage.grid.periods)

    def group(self, group: RuleGroup) -> cp_model.IntVar:
        name = f"{group.rule}[{group.team or ''},{'' if group.period is None else group.period}]"
        lit = self.model.new_bool_var(name)
        self.groups[lit.index] = group
        self.group_literals.append(lit)
        return lit


# --- variables ---------------------------------------------------------------------------------


def add_variables(m: RotaModel) -> None:
    for t in m.team_ids:
        for p in range(m.n_periods):
            m.on_intake[t, p] = m.model.new_bool_var(f"on_intake[{t},{p}]")
    for (t, p), cell in m.coverage.cells.items():
        for d, deputies in cell.deputies_present.items():
            for q in deputies:
                var = m.model.new_bool_var(f"acting[{t},{d},{q}]")
                m.model.add_implication(var, m.on_intake[t, p])
                m.acting[t, d, q] = var


# --- hard rules --------------------------------------------------------------------------------


def add_teams_on_duty(m: RotaModel) -> None:
    """Rule 1: exactly ``teams_on_duty`` teams on intake in every period."""
    k = m.unit.rules.teams_on_duty
    for p in range(m.n_periods):
        lit = m.group(RuleGroup("teams_on_duty", period=p, penalty=10))
        total = sum(m.on_intake[t, p] for t in m.team_ids)
        m.model.add(total == k).only_enforce_if(lit)
        m.model.add(total <= k)


def add_min_rest(m: RotaModel) -> None:
    """Rule 2: at least ``min_rest_weeks`` off intake between two duty periods of a team."""
    r = m.unit.rules
    gap = math.ceil(r.min_rest_weeks / r.period_weeks)
    if gap == 0:
        return
    for t in m.team_ids:
        lit = m.group(RuleGroup("min_rest", team=t))
        for p in range(m.n_periods - 1):
            window = [m.on_intake[t, q] for q in range(p, min(p + gap + 1, m.n_periods))]
            m.model.add(sum(window) <= 1).only_enforce_if(lit)
        short = [p for p, rest in _rest_before(m, t) if rest < r.min_rest_weeks]
        if short:  # across the start, after the previous plan's last intake of the team
            before = m.group(RuleGroup("min_rest_before", team=t))
            for p in short:
                m.model.add(m.on_intake[t, p] == 0).only_enforce_if(before)


def _rest_before(m: RotaModel, team: str) -> list[tuple[int, int]]:
    """(period, weeks off intake since the previous plan's last intake of the team) for the
    periods whose rest so far is below the target: only with ``--after``."""
    grid = m.coverage.grid
    if grid.before is None:
        return []
    target = m.unit.rules.target_rest_weeks
    rests = [(p.index, grid.before.rest_weeks(team, p.start)) for p in grid.periods]
    return [
        (p, rest) for p, rest in rests if rest is not None and rest < max(target, m.unit.rules.min_rest_weeks)
    ]


def add_staffing(m: RotaModel) -> None:
    """Rule 3: enough social workers present on every workday of the team's duty."""
    for (t, p), cell in m.coverage.cells.items():
        if not cell.staffed:
            lit = m.group(RuleGroup("staffing", team=t, period=p))
            m.model.add(m.on_intake[t, p] == 0).only_enforce_if(lit)


def add_manager_coverage(m: RotaModel) -> None:
    """Rule 4: the manager present, or one present deputy acting, on every duty workday.

    A person manages at most one intake team a day: a manager whose own team is on intake
    cannot act for another team, and a deputy acts for one team at a time.
    """
    grid = m.coverage.grid
    for (t, p), cell in m.coverage.cells.items():
        if not cell.manager_away:
            continue
        lit = m.group(RuleGroup("manager", team=t, period=p))
        for d in cell.manager_away:
            deputies = [m.acting[t, d, q] for q in cell.deputies_present[d]]
            m.model.add(sum(deputies) >= m.on_intake[t, p]).only_enforce_if(lit)
            m.model.add(sum(deputies) <= 1)
    own_team = {team.manager: team.id for team in m.unit.teams}
    by_person_day: dict[tuple[str, date], list[cp_model.IntVar]] = {}
    for (_, d, q), var in m.acting.items():
        by_person_day.setdefault((q, d), []).append(var)
    for (q, d), acts in by_person_day.items():
        busy = []
        if q in own_team and grid.present(q, d):
            busy = [m.on_intake[own_team[q], grid.period_of(d)]]
        if len(acts) + len(busy) > 1:
            m.model.add_at_most_one(acts + busy)


def add_pins(m: RotaModel) -> None:
    """Rule 5: pinned periods keep their team."""
    grid = m.coverage.grid
    for pin in m.unit.pins:
        p = grid.period_of(pin.start)
        lit = m.group(RuleGroup("pin", team=pin.team, period=p, penalty=5))
        m.model.add(m.on_intake[pin.team, p] == 1).only_enforce_if(lit)


def add_periodic_cycle(m: RotaModel) -> None:
    """An implied constraint once no rest falls short of the target.

    Every window of ``g + 1`` periods (g = target rest in periods) then holds each team at most
    once; when the teams exactly fill such a window, each holds every team exactly once, so the
    rota repeats with that cycle. Stating it lets the later stages search orders of teams
    instead of whole years (8 teams x 5 years: from no bound in 60 s to proven optimal).
    """
    r = m.unit.rules
    cycle = math.ceil(r.target_rest_weeks / r.period_weeks) + 1
    if cycle * r.teams_on_duty != len(m.team_ids):
        return
    for t in m.team_ids:
        for p in range(m.n_periods - cycle):
            m.model.add(m.on_intake[t, p] == m.on_intake[t, p + cycle])


# --- objective terms ---------------------------------------------------------------------------


def rest_shortfall(m: RotaModel) -> cp_model.LinearExpr:
    """Weeks (x SCALE) below target_rest_weeks, summed over gaps between consecutive duties.

    When the target is a whole number g of periods, the shortfall of two consecutive duties d
    periods apart, period_weeks * (g + 1 - d), equals period_weeks times the number of windows
    of g + 1 periods holding both. So the term is period_weeks * sum over windows of
    max(0, duties in window - 1): a formulation whose LP bound is far tighter than one
    variable per pair of periods. Other targets use the pairs.
    """
    r = m.unit.rules
    g, remainder = divmod(r.target_rest_weeks, r.period_weeks)
    inside = _rest_shortfall_windows(m, int(g)) if remainder == 0 and g > 0 else _rest_shortfall_pairs(m)
    return inside + _rest_shortfall_before(m)  # type: ignore[no-any-return]


def _rest_shortfall_before(m: RotaModel) -> cp_model.LinearExpr:
    """With ``--after``: a team's first duty of the horizon falls short by the weeks its rest
    since the previous plan's last intake lacks."""
    r = m.unit.rules
    terms = []
    for t in m.team_ids:
        for p, rest in _rest_before(m, t):
            if rest >= r.target_rest_weeks:
                continue
            first = m.model.new_bool_var(f"short_rest_before[{t},{p}]")
            earlier = [m.on_intake[t, q] for q in range(p)]
            m.model.add(first >= m.on_intake[t, p] - sum(earlier))
            terms.append(round((r.target_rest_weeks - rest) * SCALE) * first)
    return sum(terms) if terms else cp_model.LinearExpr.constant(0)  # type: ignore[return-value]


def _rest_shortfall_windows(m: RotaModel, g: int) -> cp_model.LinearExpr:
    pw = m.unit.rules.period_weeks
    excess = []
    for t in m.team_ids:
        for s in range(-g, m.n_periods - 1):
            window = [m.on_intake[t, p] for p in range(max(s, 0), min(s + g + 1, m.n_periods))]
            if len(window) < 2:
                continue
            over = m.model.new_int_var(0, len(window) - 1, f"rest_excess[{t},{s}]")
            m.model.add(over >= sum(window) - 1)
            excess.append(over)
    return SCALE * pw * sum(excess)  # type: ignore[return-value]


def _rest_shortfall_pairs(m: RotaModel) -> cp_model.LinearExpr:
    r = m.unit.rules
    terms = []
    for t in m.team_ids:
        for p1 in range(m.n_periods):
            for p2 in range(p1 + 1, m.n_periods):
                rest_weeks = (p2 - p1 - 1) * r.period_weeks
                if rest_weeks >= r.target_rest_weeks:
                    break
                short = round((r.target_rest_weeks - rest_weeks) * SCALE)
                pair = m.model.new_bool_var(f"short_rest[{t},{p1},{p2}]")
                between = [m.on_intake[t, q] for q in range(p1 + 1, p2)]
                m.model.add(pair >= m.on_intake[t, p1] + m.on_intake[t, p2] - 1 - sum(between))
                terms.append(short * pair)
    return sum(terms) if terms else cp_model.LinearExpr.constant(0)  # type: ignore[return-value]


def caseload_peak(m: RotaModel) -> cp_model.LinearExpr:
    """Peak over teams and weeks of expected open investigations per present FTE (x SCALE)."""
    d = m.demand
    n_weeks = d.present_fte.shape[1]
    worst = (d.baseline_caseload + d.period_caseload.sum(axis=0)) / d.present_fte
    upper = int(SCALE * worst.max()) + 1
    peak = m.model.new_int_var(0, upper, "caseload_peak")
    for i, t in enumerate(m.team_ids):
        for w in range(n_weeks):
            fte = d.present_fte[i, w]
            base = round(SCALE * d.baseline_caseload[i, w] / fte)
            coefs = [
                (round(SCALE * d.period_caseload[p, w] / fte), m.on_intake[t, p])
                for p in range(m.n_periods)
                if d.period_caseload[p, w] > 0
            ]
            m.model.add(peak >= base + sum(c * x for c, x in coefs if c))
    return peak


def spread(m: RotaModel, name: str, loads: list[Any], upper: int) -> cp_model.IntVar:
    hi = m.model.new_int_var(0, upper, f"{name}_max")
    lo = m.model.new_int_var(0, upper, f"{name}_min")
    for load in loads:
        m.model.add(hi >= load)
        m.model.add(lo <= load)
    width = m.model.new_int_var(0, upper, f"{name}_spread")
    m.model.add(width == hi - lo)
    return width


def intake_fairness(m: RotaModel) -> cp_model.LinearExpr:
    """Spread across teams of expected new investigations per FTE (x SCALE)."""
    d = m.demand
    loads = []
    for i, t in enumerate(m.team_ids):
        coefs = [round(SCALE * d.period_new[p] / d.team_fte[i]) for p in range(m.n_periods)]
        loads.append(sum(c * m.on_intake[t, p] for p, c in enumerate(coefs)))
    upper = int(SCALE * d.period_new.sum() / d.team_fte.min()) + 1
    return spread(m, "intake_per_fte", loads, upper)


def holiday_fairness(m: RotaModel) -> cp_model.LinearExpr:
    """Spread across teams of intake workdays in holiday weeks."""
    days = [m.coverage.grid.holiday_workdays(p) for p in range(m.n_periods)]
    loads = [sum(days[p] * m.on_intake[t, p] for p in range(m.n_periods)) for t in m.team_ids]
    return spread(m, "holiday_days", loads, sum(days) + 1)


def acting_days(m: RotaModel) -> cp_model.LinearExpr:
    """Workdays on intake when a deputy has to stand in for the team's manager."""
    return sum(  # type: ignore[return-value]
        len(cell.manager_away) * m.on_intake[t, p] for (t, p), cell in m.coverage.cells.items()
    )


def tie_break(m: RotaModel) -> cp_model.LinearExpr:
    """Stay close to the familiar strict cycle, and take deputies in order of preference."""
    cycle = strict_cycle(m.coverage.grid)
    off_cycle = [m.on_intake[t, p] for t in m.team_ids for p in range(m.n_periods) if t not in cycle[p]]
    rank = []
    for (t, _, q), var in m.acting.items():
        rank.append(m.unit.team(t).deputies.index(q) * var)
    return 100 * sum(off_cycle) + sum(rank)  # type: ignore[return-value]
