"""One entry point: plan a unit's rota with CP-SAT, in priority order, and say how good it is.

The objective terms are optimised lexicographically (each stage fixes the value it reached and
hints its solution to the next), unless ``[weights]`` in unit.toml asks for one weighted sum.
A final single-worker tie-break stage makes the same input give the same rota.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from ortools.sat.python import cp_model

from .coverage import Coverage
from .explain import describe_groups
from .planning import Planning, prepare
from .rota import Rota, assign_managers, with_officers
from .solver.build import build_model
from .solver.cpsat import new_solver
from .solver.duty import TERM_KINDS, duty_grid, greedy_duty, term_value
from .solver.improve import DutyGrid, improve
from .solver.model import SCALE, RotaModel, RuleGroup, add_periodic_cycle
from .solver.schedules import PersonLoads, pattern_proof, window_bound
from .solver.stability import Baseline, add_frozen, changed_acting_days, changed_duty_days, changed_periods
from .unit import OBJECTIVE_TERMS, Unit

Progress = Callable[[str, float, float, float], None]  # stage, objective, bound, seconds

STATUS = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
    cp_model.UNKNOWN: "UNKNOWN",
}


@dataclass(frozen=True)
class Stage:
    """One lexicographic stage: the term(s) it optimised and how far it got."""

    name: str
    status: str
    value: float  # in the delivered rota, in the term's own unit (weeks, cases per FTE, days)
    bound: float
    gap: float  # relative: (value - bound) / value, 0 when proven optimal
    seconds: float
    work: float = 0.0  # CP-SAT deterministic time used (machine-independent)
    # What the stage itself reached. A stage that keeps some slack for the later ones (the
    # person-level balance terms) may end above it in the rota: ``value`` is that one.
    found: float = math.nan


@dataclass
class PlanResult:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE or UNKNOWN
    rota: Rota | None
    stages: list[Stage] = field(default_factory=list)
    seconds: float = 0.0
    broken: list[str] = field(default_factory=list)  # relaxed plans: the rules given up
    conflicts: list[str] = field(default_factory=list)  # infeasible: why, in the user's words
    # Teams whose duty grid got less work than planned, because the clock fell behind (a slow or
    # busy machine): team -> the share of its planned work the clock left. Only then does the
    # grid depend on the machine.
    clock_cut: dict[str, float] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """The largest relative gap of any stage (1.0 where a stage has no bound at all)."""
        return max((1.0 if math.isnan(s.gap) else s.gap for s in self.stages), default=0.0)

    @property
    def balance_gap(self) -> float:
        """The largest relative gap of the stages whose bounds mean something: the team terms
        and the person-level balance (caseload peak, highest and lowest intake load), not the
        comfort stages (back-to-back days, holiday-adjacent days), whose LP bound is 0."""
        gaps = [s.gap for s in self.stages if s.name.split(" ")[0] not in COMFORT_TERMS and s.gap == s.gap]
        return max(gaps, default=0.0)


PERSON_TERMS = (
    "person_caseload",
    "person_intake_max",
    "person_intake_min",
    "duty_bunching",
    "holiday_adjacent_fairness",
)
COMFORT_TERMS = ("duty_bunching", "holiday_adjacent_fairness")  # person terms with LP bound 0
DUTY_SHARE = 0.8  # of the time limit, for the duty grid (sequential mode)
WRITE_SECONDS = 0.3  # kept at the end of the time limit for reading the grid out
DEADLINE_FACTOR = 1.5  # duty-grid searches stop on the clock past this many time limits
STAGE_WEIGHT = {  # how the duty grid's time is shared between its stages
    "person_caseload": 4.0,
    "person_intake_max": 2.5,
    "person_intake_min": 2.0,
    "duty_bunching": 1.0,
    "holiday_adjacent_fairness": 0.5,
    "tie_break": 0.3,
}
# The bound from counting whole days: this share of a caseload stage's work, at least COUNT_MIN
# deterministic seconds, at most half. It stops earlier where a test fails (municipality C: the
# same bounds at 0.3 and 0.5); on 8 x 5 years, team F: 7.125 at 0.3, 7.147 at 0.5.
COUNT_SHARE = 0.5
COUNT_MIN = 0.4
# At the end of a caseload stage, whether its grid is optimal: patterns of whole days, people
# together (see schedules.pattern_proof), with this share of the stage's work. Measured on 8 x 5
# years: every team's peak proven optimal with 0.004-0.05 deterministic seconds (the LP's bound
# left team F at 7.4 %); on municipality C no window proves it and the test stops at its share.
PROOF_SHARE = 0.05
# The local search (the duty grid's terms): this share of the search without LP's work, as moves
# at a rate under the one measured on CI's kind of machine (see moves_per_second); the check of
# the grid it finds is one CP-SAT search with every duty and acting variable fixed. Measured on
# municipality C and three generated 30-person units at 10 s: mean gap of the balance stages
# 2.21 % with none, 2.20 % at 0.3, 2.02 % at 0.5, 2.06 % at 0.7.
LOCAL_SHARE = 0.5
# Back-to-back days are the local search's term (it moves a day of a pair away, where CP-SAT
# without LP searches blindly): almost all of the stage's search. Municipality C, pairs left at
# 10 s / 30 s: 50 / 18 before the pair-focused moves, 32 / 19 with them, 23 / 16 with them and
# this share; three generated 30-person units at 10 s: 18, 25, 18 -> 11, 10, 11.
LOCAL_SHARES = {"duty_bunching": 0.95}
MOVES_PER_SECOND = 14_000
CHECK_WORK = 0.05
PERSON_TOLERANCE = 0.01  # relative gap at which a person-level balance stage stops
# The room a person-level balance stage leaves the later ones (relative to its value). The
# rota's figures are measured after all stages, so room spent there is gap: on municipality C and
# six generated 30-person units at 10 s, mean gap of the balance stages in the rota written
# 2.22 % at 1 %, 1.91 % at 0.5 %, 1.80 % at 0.25 %, 1.66 % at 0.1 %, 1.72 % at none; back-to-back
# days rise as it shrinks (municipality C: 44 at 1 %, 52 at 0.1 %).
PERSON_SLACK = 0.001
PROMISES = ("started", "frozen", "kept", "swap")  # a re-plan's rule groups --relax keeps
_TOLERANT = ("person_caseload", "person_intake_max", "person_intake_min")
_SCALED = ("rest", "caseload", "intake_fairness", "person_caseload", "person_intake_max", "person_intake_min")
StageSpec = tuple[str, Any, float, float]  # name, expression, scale to the term's unit, slack


def deterministic_per_second(duty_days: int) -> float:
    """CP-SAT deterministic seconds per wall second per search, two searches side by side on
    two cores, for a team's duty grid of ``duty_days`` person-days, with the light presolve of
    :func:`_single_search` and :func:`stage_seconds` charged beside it. Fitted over a plan's
    stages on CI's kind of machine: 0.39-0.45 at about 500 (municipality C's teams), 0.43 at
    about 700, 0.50 at about 3,400, about 15 % apart from one run to the next. Under what was
    measured, so the time limit holds (at 0.40 for municipality C's size, 10 s plans took
    9.6-10.6 s in a slow hour; at 0.38, 8.5-10.3 s); a faster machine finishes sooner, with the
    same grid. It depends only on the input, so the grid does too."""
    return min(0.38, max(0.32, 0.38 - 0.01 * math.log2(max(duty_days, 1) / 500)))


def stage_seconds(duty_days: int) -> float:
    """Wall seconds a duty-grid stage takes beyond its deterministic work (CP-SAT's presolve of
    each search, copying the model, the local search's check, reading the solution), for a
    team's grid of ``duty_days`` person-days: fitted over a plan's stages on CI's kind of
    machine, with the light presolve (:func:`_single_search`), 0.06-0.09 at about 500
    (municipality C's teams), 0.10 at about 700, 0.23 at about 3,400 (0.18, 0.24 and 0.48 with
    CP-SAT's full presolve). Charged to the duty grid's budget, so the time limit holds with
    the 18-48 stages a plan has (before, 10 s plans took 11-15 s)."""
    return 0.1 * math.sqrt(max(duty_days, 1) / 500)


def moves_per_second(duty_days: int) -> float:
    """Local-search moves per wall second for a team's duty grid of ``duty_days`` person-days:
    measured on CI's kind of machine 18,000-26,000 at about 500 (municipality C's teams) and
    10,000-12,000 at about 3,400 (25 people over 5 years); rows are longer and people more."""
    return MOVES_PER_SECOND * min(1.0, (500 / max(duty_days, 1)) ** 0.44)


def plan(
    unit: Unit | Planning,
    time_limit: float = 60.0,
    relax: bool = False,
    workers: int = 2,
    progress: Progress | None = None,
    duty_mode: str = "sequential",
    baseline: Baseline | None = None,
) -> PlanResult:
    """Plan the rota (and, when any day needs intake officers, the daily duty grid).

    ``duty_mode`` "sequential" solves the team level first and the duty grid for the chosen
    teams after it (falling back to "joint" if that grid cannot exist); "joint" solves both
    levels in one model. With a ``baseline`` (a published plan) frozen periods keep their teams
    and, after the quality terms, as few periods and duty days as possible change.
    "No rota exists" is a status with an explanation, not an exception.
    """
    planning = unit if isinstance(unit, Planning) else prepare(unit)
    run = _Run(planning, time.monotonic(), time_limit, workers, progress)
    with_duty = planning.unit.plans_duty
    joint = with_duty and (duty_mode == "joint" or relax)
    history = _history(planning, baseline)
    m = build_model(planning.coverage, planning.demand, duty=joint, history=history)
    slack = baseline.balance_slack if baseline else 0.0
    if baseline is not None:
        add_frozen(m, baseline)
    allow_frozen = baseline is not None and baseline.allow_frozen_changes
    # A relaxed re-plan still keeps what it promised: started periods, and frozen ones unless
    # changes are allowed (a swap's periods too).
    soft = [
        (lit, g)
        for lit, g in _groups(m)
        if (relax and g.rule not in PROMISES) or (g.rule == "frozen" and allow_frozen)
    ]
    soft_ids = {lit.index for lit, _ in soft}
    for lit in m.group_literals:
        if lit.index not in soft_ids:
            m.model.add(lit == 1)
    if soft:
        name = "broken rules" if relax else "changed frozen periods"
        fill = [("missing officers", m.terms["missing_officers"], 1, 0.0)] if relax and joint else []
        # With both, any broken rule costs more than changing every frozen period: a valid rota
        # that changes frozen periods beats a relaxed one that keeps them.
        frozen = [lit for lit, g in soft if g.rule == "frozen"]
        weight = len(frozen) + 1 if relax and frozen else 1
        broken = sum((1 if g.rule == "frozen" else weight * g.penalty) * lit.Not() for lit, g in soft)
        if not run.stages(m, [(name, broken, 1, 0.0), *fill], later=6):
            if run.log and run.log[-1].status == "INFEASIBLE":  # a clash no frozen period causes
                return run.result(None, conflicts=explain(planning, baseline=baseline))
            return run.result(None)

    team = [(n, e, sc, slack) for n, e, sc, _ in _objective_stages(m, planning.unit)]
    if baseline is not None:
        team.append(("changed_periods", changed_periods(m, baseline), 1, 0.0))
        if not joint:  # (joint: among the person-level stages)
            team.append(("changed acting days", changed_acting_days(m, baseline), 1, 0.0))
    tie = [("tie_break", m.terms["tie_break"], 1.0, 0.0)]
    person = _person_stages(m, baseline) if joint else []
    first = team + person + tie
    if not run.stages(m, first, later=0 if joint or not with_duty else len(PERSON_TERMS) + 1):
        if run.log and run.log[-1].status == "INFEASIBLE" and len(run.log) == 1:
            return run.result(None, conflicts=explain(planning, baseline=baseline))
        return run.result(None)
    if with_duty and not joint:
        # With the teams fixed, each team's duty grid is independent of the others' (people
        # belong to one team): plan them one team at a time, each to its own optimum.
        rota = _read_rota(m, planning.coverage)
        on_duty: dict[tuple[str, date], bool] = {}
        acting: dict[tuple[str, date], str] = {}
        teams = [t.id for t in planning.unit.teams]
        for i, team_id in enumerate(teams):
            grid_model = _team_grid_model(planning, m, m.solution_values, team_id, history)
            stages = [
                *_person_stages(grid_model, _for_team(grid_model, baseline, planning.since)),
                ("tie_break", grid_model.terms["tie_break"], 1.0, 0.0),
            ]
            later = (len(teams) - i - 1) * len(stages)
            greedy = _duty_hint(grid_model, baseline)
            _hint(grid_model, {**m.solution_values, **greedy})
            # A share of the time limit, in deterministic time, per team: same input, same grid.
            # What earlier teams left unused (stages proven optimal early) goes to later ones.
            # Only where the clock has fallen further behind than the limit's other share (a
            # machine slower or busier than the rates assume) does the time left on it set the
            # budget; then, and only then, the grid depends on the machine.
            planned = (DUTY_SHARE * time_limit - run.duty_spent) / (len(teams) - i)
            budget = min(planned, (run.left() - WRITE_SECONDS) / (len(teams) - i))
            if budget < planned:
                run.clock_cut[team_id] = round(max(budget, 0.0) / planned, 3) if planned > 0 else 0.0
            if not run.stages(
                grid_model, stages, later=later, label=f" {team_id}", fallback=greedy, budget=budget
            ):
                if run.log[-1].status == "INFEASIBLE":
                    # The teams chosen leave no valid duty grid: solve both levels together.
                    # (Rare: each team-period's grid was checked alone; a grid can still fail
                    # across periods.) The user's time limit is spent again here, once.
                    return plan(
                        planning, max(run.left(), time_limit / 2), relax, workers, progress, "joint", baseline
                    )
                return run.result(None)
            on_duty.update(
                {key: grid_model.solution_values[var.index] for key, var in grid_model.duty.items()}
            )
            acting.update(
                {
                    (t, d): q
                    for (t, d, q), var in grid_model.acting.items()
                    if t == team_id and grid_model.solution_values[var.index]
                }
            )
        rota = assign_managers(planning.coverage, list(rota.on_intake), acting)
        return run.result(with_officers(rota, planning.coverage, on_duty))
    rota = _read_rota(m, planning.coverage)
    # (A frozen period changed under --allow-frozen-changes is a change, listed as one, not a
    # broken rule.)
    broken_groups = [
        g for lit, g in _groups(m) if not m.solution_values.get(lit.index, True) and g.rule != "frozen"
    ]
    return run.result(rota, broken=describe_groups(broken_groups, planning.coverage))


def _team_grid_model(
    planning: Planning,
    team_level: RotaModel,
    solution: dict[int, bool],
    team_id: str,
    history: dict[str, list[date]],
) -> RotaModel:
    """One team's duty-grid model, with the team level's decisions (``solution``) fixed: the
    teams on intake, and who acts as manager for the other teams (this team's acting deputy is
    chosen again, so a deputy from outside the team can free an officer)."""
    fixed = {key: solution[var.index] for key, var in team_level.on_intake.items()}
    grid = build_model(
        planning.coverage,
        planning.demand,
        duty=True,
        duty_teams={team_id},
        fixed_intake=fixed,
        history=history,
    )
    for lit in grid.group_literals:
        grid.model.add(lit == 1)
    for key, var in team_level.on_intake.items():
        grid.model.add(grid.on_intake[key] == solution[var.index])
    for act, var in team_level.acting.items():
        if act[0] != team_id:
            grid.model.add(grid.acting[act] == solution[var.index])
    grid.solution_values = dict(solution)
    return grid


def _history(planning: Planning, baseline: Baseline | None) -> dict[str, list[date]]:
    """Published duty days before a re-plan's today: fixed, but they count in each person's
    balance (whoever already took many days should not get the replacement days too)."""
    if baseline is None or planning.since is None:
        return {}
    history: dict[str, list[date]] = {}
    for person, day in sorted(baseline.officers):
        if day < planning.since:
            history.setdefault(person, []).append(day)
    return history


@dataclass
class _Run:
    """The stages of one plan: time budget, progress, and the log of what each reached."""

    planning: Planning
    started: float
    time_limit: float
    workers: int
    progress: Progress | None
    log: list[Stage] = field(default_factory=list)
    duty_spent: float = 0.0  # budgeted (deterministic) stages: wall-second equivalents used
    clock_cut: dict[str, float] = field(default_factory=dict)  # see PlanResult.clock_cut
    # A re-plan's team stages with room (--max-worse): each is first solved with the earlier ones
    # held at their values (assumed literals), then given its room once a stage without room
    # (the changes) comes: the room is measured from the values a fresh plan reaches.
    held: list[cp_model.IntVar] = field(default_factory=list)

    def left(self) -> float:
        return self.time_limit - (time.monotonic() - self.started)

    def stages(
        self,
        m: RotaModel,
        specs: list[StageSpec],
        later: int,
        label: str = "",
        fallback: dict[int, int] | None = None,
        budget: float | None = None,
    ) -> bool:
        """Solve ``specs`` in order, each fixing its value for the next; ``later`` more stages
        follow after these. False when the first stage found no solution; a later stage that finds
        none in its time leaves the previous solution in place. ``fallback`` is a
        known assignment (the greedy duty grid) to fall back on if the first stage finds none
        in its time. With ``budget`` the stages share that much deterministic time (by
        STAGE_WEIGHT; see :func:`_deterministic_stage`): the result then does not depend on the
        machine's load; what a stage leaves unused (proven early) goes to the stages after it."""
        spent_before = self.duty_spent
        per_second = deterministic_per_second(len(m.duty))
        overhead = stage_seconds(len(m.duty))
        previous: dict[int, int] | None = None  # the last stage's solution
        first_logged = len(self.log)
        for i, (name, expr, unit_scale, slack) in enumerate(specs):
            if self.held and not (slack and name in OBJECTIVE_TERMS):
                m.model.clear_assumptions()  # the team terms get their room now
                self.held = []
            if budget is not None:
                # Deterministic: this stage's share (by STAGE_WEIGHT) of what is left once every
                # stage still to come has its fixed cost.
                weights = [STAGE_WEIGHT.get(n, 1.0) for n, *_ in specs]
                left = max(budget - (self.duty_spent - spent_before) - overhead * (len(specs) - i), 0.0)
                # (A floor for the balance stages where the limit cannot even cover the fixed
                # costs: without it the what-if comparison's 2 s plans got worse grids, 2 teams x
                # 3 weeks 71 % of cases in time instead of 79-82 %.)
                floor = 0.1 if name in _TOLERANT else 0.02
                limit = max(left * weights[i] / sum(weights[i:]), floor)
                # The work is fixed, not the wall time: on a machine far busier than usual
                # searches stop on the clock at DEADLINE_FACTOR x the limit (then, and only
                # then, the grid depends on the machine's load).
                deadline = self.started + DEADLINE_FACTOR * self.time_limit + 2.0
                stage, values = _deterministic_stage(
                    m,
                    name + label,
                    expr,
                    unit_scale,
                    limit * per_second,
                    self.progress,
                    self.started,
                    deadline,
                    parallel=self.workers > 1,
                    per_second=per_second,
                    previous=previous,
                )
                self.duty_spent += min(stage.work / per_second, limit) + overhead
            else:
                # A stage may use twice its fair share of the time left, and a tenth of the
                # limit stays for the tie-break, so later stages get some time too.
                remaining = self.left()
                reserve = 0.0 if name == "tie_break" else min(0.1 * self.time_limit, 10.0)
                share = remaining * 2 / (len(specs) - i + later)
                if i == 0:
                    # A first stage must find a solution at all: without one nothing follows.
                    share = max(share, remaining * len(specs) / (len(specs) + later) / 2)
                limit = max(min(remaining - reserve, share), 0.5 if i == 0 else 0.1)
                stage, values = _solve_stage(
                    m, name + label, expr, unit_scale, limit, self.workers, self.progress, self.started
                )
            if values is None and i == 0 and fallback is not None and stage.status == "UNKNOWN":
                stage, values = _check_assignment(m, name + label, expr, unit_scale, fallback, stage)
            self.log.append(stage)
            if values is None:
                if i == 0:
                    return False
                continue  # no better solution in time: keep the last one, go on
            # A stage keeps its value for the next ones, with ``slack`` (relative) of room: the
            # person-level balance terms keep PERSON_SLACK (exact fixing to the ten-thousandth of
            # a case leaves less room to spread duty days), a re-plan the balance it may trade for
            # stability. The stage's figures are then measured on the final solution.
            m.caps[name] = round((stage.value + slack * abs(stage.value)) * unit_scale)
            m.model.add(expr <= m.caps[name])
            if slack and name in OBJECTIVE_TERMS:
                # Held exactly while the later team terms are solved: otherwise a later one spends
                # this room (acting days 20 -> 0), is then held at its own better value, and the
                # changes the room was for cannot use it (measured: 4 periods changed, not 2).
                held = m.model.new_bool_var(f"held[{name}]")
                m.model.add(expr <= round(stage.value * unit_scale)).only_enforce_if(held)
                self.held.append(held)
                m.model.add_assumptions([held])
            _hint(m, values)
            previous = values
            if name == "rest" and stage.value == 0 and not any(s.name == "broken rules" for s in self.log):
                add_periodic_cycle(m)
        if previous is not None:
            for k, spec in enumerate(specs[: len(self.log) - first_logged]):
                self.log[first_logged + k] = _delivered(m, self.log[first_logged + k], spec, previous)
        return True

    def result(
        self, rota: Rota | None, broken: list[str] | None = None, conflicts: list[str] | None = None
    ) -> PlanResult:
        if rota is None:
            status = self.log[-1].status if self.log else "UNKNOWN"
        else:
            status = "OPTIMAL" if all(s.status == "OPTIMAL" for s in self.log) else "FEASIBLE"
        seconds = time.monotonic() - self.started
        return PlanResult(status, rota, self.log, seconds, broken or [], conflicts or [], self.clock_cut)


def _delivered(m: RotaModel, stage: Stage, spec: StageSpec, values: dict[int, int]) -> Stage:
    """``stage`` with its term's value in the final solution (``values``), and the gap and
    status that value has against the stage's bound. A stage fixes its value for the later ones
    only up to its slack, so they may leave the term above what the stage itself reached."""
    name, expr, unit_scale, slack = spec
    if stage.value != stage.value:  # (no solution: nothing to compare)
        return stage
    if name in TERM_KINDS:
        final = term_value(m, name, values)
    elif slack:
        final = _evaluate(m, expr, values)
    else:  # fixed exactly: later stages could only lower it, and the stage's figure stays
        return stage
    value = final / unit_scale
    if stage.bound != stage.bound:  # (a known grid checked: no bound)
        return replace(stage, value=value)
    gap = max((final - stage.bound * unit_scale) / max(abs(final), 1e-9), 0.0)
    optimal = final - stage.bound * unit_scale <= 0.5
    status = stage.status if optimal or stage.status not in ("OPTIMAL", "FEASIBLE") else "FEASIBLE"
    return replace(stage, value=value, gap=0.0 if optimal else gap, status=status)


def _evaluate(m: RotaModel, expr: cp_model.LinearExpr, values: dict[int, int]) -> int:
    """A term's value with every decision fixed as in ``values``."""
    fixed = m.model.clone()
    for var in _decisions(m):
        if var.index in values:
            fixed.add(fixed.get_bool_var_from_proto_index(var.index) == values[var.index])
    fixed.clear_hints()
    fixed.minimize(expr)
    solver = new_solver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10.0
    code = solver.solve(fixed)
    if code != cp_model.OPTIMAL:
        raise RuntimeError(f"the final solution breaks the model ({solver.status_name(code)})")
    return round(solver.objective_value)


def _groups(m: RotaModel) -> list[tuple[cp_model.IntVar, RuleGroup]]:
    return [(lit, m.groups[lit.index]) for lit in m.group_literals]


def _objective_stages(m: RotaModel, unit: Unit) -> list[StageSpec]:
    """The team-level stages: the priority order, or one weighted sum from ``[weights]``."""
    if unit.weights is None:
        return [(term, m.terms[term], SCALE if term in _SCALED else 1, 0.0) for term in OBJECTIVE_TERMS]
    weighted = sum(round(w * 100) * m.terms[term] for term, w in unit.weights.items() if w > 0)
    return [("weighted", weighted, 1, 0.0)] if any(unit.weights.values()) else []  # type: ignore[list-item]


def _for_team(m: RotaModel, baseline: Baseline | None, today: date | None) -> Baseline | None:
    """``--rebalance-duty`` re-balances a team's duty grid only where someone of it could take
    duty from today on and the published plan gives them none (someone new, or back): the
    other teams keep their published days, and nobody there is told of changes for nothing."""
    if baseline is None or not baseline.rebalance_duty or today is None:
        return baseline
    could = {q for q, d in m.duty if d >= today}
    published = {q for q, d in baseline.officers if d >= today}
    return baseline if could - published else replace(baseline, rebalance_duty=False)


def _person_stages(m: RotaModel, baseline: Baseline | None = None) -> list[StageSpec]:
    """Person-level stages. A re-plan first keeps the published duty days (frozen ones first),
    then the published acting-manager days: people plan their weeks around them, so within the
    teams the re-plan chose, such a day moves only when it must; the balance terms then use
    what freedom is left. With ``rebalance_duty`` the caseload and intake balance come before the
    unfrozen duty days (each with ``balance_slack`` of room, at least PERSON_SLACK), so someone
    new or back gets their share; then as many published days as that balance allows are kept,
    and then duty is spread and holiday-adjacent days shared."""
    balance: list[StageSpec] = []
    for term in PERSON_TERMS:
        slack = PERSON_SLACK if term in _TOLERANT else 0.0
        balance.append((term, m.terms[term], SCALE if term in _SCALED else 1, slack))
    if baseline is None:
        return balance
    keep_frozen = ("changed frozen duty days", changed_duty_days(m, baseline, frozen=True), 1, 0.0)
    keep_duty = ("changed duty days", changed_duty_days(m, baseline, frozen=False), 1, 0.0)
    keep_acting = ("changed acting days", changed_acting_days(m, baseline), 1, 0.0)
    if not baseline.rebalance_duty:
        return [keep_frozen, keep_duty, keep_acting, *balance]
    room = max(PERSON_SLACK, baseline.balance_slack)
    fair = [(name, expr, scale, room) for name, expr, scale, _ in balance if name in _TOLERANT]
    spread_out = [spec for spec in balance if spec[0] not in _TOLERANT]
    return [keep_frozen, keep_acting, *fair, keep_duty, *spread_out]


def _solve_stage(
    m: RotaModel,
    name: str,
    expr: cp_model.LinearExpr,
    unit_scale: float,
    time_limit: float,
    workers: int,
    progress: Progress | None,
    started: float,
) -> tuple[Stage, dict[int, int] | None]:
    m.model.minimize(expr)
    solver = new_solver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.random_seed = 0
    # The tie-break runs on one worker: deterministic, so the same input gives the same rota.
    solver.parameters.num_workers = 1 if name.startswith("tie_break") else workers
    if name.split(" ")[0] in _TOLERANT:
        solver.parameters.relative_gap_limit = PERSON_TOLERANCE
    # Person-level stages have weak bounds (a spread's LP bound is 0): stop one when it has
    # not improved for a while instead of burning its whole time share.
    stall = max(1.0, 0.25 * time_limit) if name.split(" ")[0] in PERSON_TERMS else None
    callback = _Progress(name, unit_scale, progress, started)
    t0 = time.monotonic()
    watchdog = _Watchdog(solver, callback, stall) if stall else None
    code = solver.solve(m.model, callback)
    if watchdog:
        watchdog.cancel()
    return _stage_result(
        m, name, unit_scale, progress, started, [_Search(code, solver)], time.monotonic() - t0
    )


@dataclass
class _Search:
    """What one CP-SAT search reached."""

    code: Any  # a CpSolverStatus
    solver: cp_model.CpSolver
    proves: bool = True  # its bound holds for the stage (not for a check of one grid)

    @property
    def found(self) -> bool:
        return self.code in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def _stage_result(
    m: RotaModel,
    name: str,
    unit_scale: float,
    progress: Progress | None,
    started: float,
    searches: list[_Search],
    seconds: float,
    work: float | None = None,
    known: float = -math.inf,
) -> tuple[Stage, dict[int, int] | None]:
    """The best solution of ``searches`` (the first on ties) and the best bound of all
    (``known``: one proven beside them)."""
    work = sum(s.solver.deterministic_time for s in searches) if work is None else work
    found = [s for s in searches if s.found]
    if not found:  # any search that proved infeasibility has the last word
        proved = [s.code for s in searches if s.code == cp_model.INFEASIBLE]
        status = STATUS.get(proved[0] if proved else searches[-1].code, "UNKNOWN")
        nan = float("nan")
        return Stage(name, status, nan, nan, nan, seconds, work), None
    best = min(found, key=lambda s: s.solver.objective_value)
    value = best.solver.objective_value
    bound = min(_proven(searches, known, default=value), value)
    gap = (value - bound) / max(abs(value), 1e-9)
    status = "OPTIMAL" if value - bound <= 0.5 else "FEASIBLE"
    values = {var.index: int(best.solver.value(var)) for var in _decisions(m)}
    m.solution_values = {k: bool(v) for k, v in values.items()}
    if progress:
        progress(name, value / unit_scale, bound / unit_scale, time.monotonic() - started)
    reached = value / unit_scale
    stage = Stage(name, status, reached, bound / unit_scale, max(gap, 0.0), seconds, work, reached)
    return stage, values


def _proven(searches: list[_Search], known: float, default: float = -math.inf) -> float:
    """The best bound of ``searches`` and ``known`` (one proven beside them): every search's
    bound is proven, with or without a solution of its own."""
    bounds = [
        s.solver.best_objective_bound for s in searches if s.proves and s.code != cp_model.MODEL_INVALID
    ]
    return max((b for b in (*bounds, known) if math.isfinite(b)), default=default)


def _deterministic_stage(
    m: RotaModel,
    name: str,
    expr: cp_model.LinearExpr,
    unit_scale: float,
    budget: float,
    progress: Progress | None,
    started: float,
    deadline: float,
    parallel: bool = True,
    per_second: float = 1.0,
    previous: dict[int, int] | None = None,
) -> tuple[Stage, dict[int, int] | None]:
    """A stage whose result does not depend on the machine's speed or load.

    Two single-worker CP-SAT searches, each limited in deterministic time, run side by side
    (one per core) and neither stops the other, so the same input gives the same grid:

    - an LP-based search, which proves bounds (first alone, briefly, to learn the bound);
    - a search without LP and with quick restarts, which finds balanced grids far faster
      (measured on a 25-person team: 1.2 % above the bound where the LP search stayed at 18 %),
      and is told the LP's bound so it can stop at the relative gap the stage allows; on the
      duty grid's terms it hands its best grid to a local search (:mod:`.solver.improve`) for
      the last LOCAL_SHARE of its work, whose grid counts once CP-SAT has checked it.

    ``budget`` is in deterministic seconds; the stage uses the probe plus the longer of the two.
    Without ``parallel`` (one worker asked for) the search without LP runs alone after the probe.
    """
    term = name.split(" ")[0]
    tolerance = PERSON_TOLERANCE if term in _TOLERANT else 0.0
    t0 = time.monotonic()
    m.model.minimize(expr)
    probe = _single_search(m.model, 0.2 * budget, tolerance, lp=True, deadline=deadline)
    if probe.code in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
        return _stage_result(m, name, unit_scale, progress, started, [probe], time.monotonic() - t0)
    known, counted, late = -math.inf, 0.0, 0.0
    by_rows: tuple[int, ...] = ()
    counting = min(max(COUNT_SHARE * budget, COUNT_MIN), 0.5 * budget) if term in m.person_loads else 0.0
    if probe.found:
        _hint(m, {var.index: int(probe.solver.value(var)) for var in _decisions(m)})
        known = math.ceil(probe.solver.best_objective_bound - 1e-6)
        if counting:
            # Whole days prove more than the LP: a valid cut for both searches.
            value = round(probe.solver.objective_value)
            bound = window_bound(m.person_loads[term], value, known, tolerance, counting, patterns=False)
            known, counted, by_rows = max(known, bound.value), bound.work, bound.by_rows
            m.model.add(expr >= known)
    else:
        late = counting  # no grid to count up to yet: the stage's grid, at its end
    # (The local search only where every earlier stage's term is one it knows: not in a re-plan.)
    polish = term in TERM_KINDS and all(n in TERM_KINDS for n in m.caps)
    proof = PROOF_SHARE * budget if term in m.person_loads else 0.0
    rest = max(0.8 * budget - counted - late - proof, 0.3 * budget)
    local = LOCAL_SHARES.get(term, LOCAL_SHARE) * rest if polish else 0.0
    primal = m.model.clone()
    if probe.found:
        # Proven by the probe: lets the search without LP see its gap and stop at the tolerance.
        primal.add(expr >= known)

    def side() -> list[_Search]:
        """The search without LP, then the local search from the best grid so far: balance
        over whole days, which moving days between colleagues finds fast (CP-SAT checks the
        grid it finds against the whole model)."""
        found = [_single_search(primal, rest - local, tolerance, lp=False, deadline=deadline)]
        if polish:
            best = min(
                (s for s in (*found, probe) if s.found), key=lambda s: s.solver.objective_value, default=None
            )
            start = {v.index: int(best.solver.value(v)) for v in _decisions(m)} if best else previous
            grid = duty_grid(m, start) if start is not None else None
            if start is not None and grid is not None:
                rate = moves_per_second(len(m.duty))
                moves = round(local / per_second * rate)
                checked, made = _local_search(m, grid, term, start, known, tolerance, moves, deadline)
                found += [checked] if checked else []
                used.append(made / rate * per_second)
        return found

    used: list[float] = []  # the local search's work

    if not parallel:  # one core: the search without LP alone
        searches = side()
        longest = sum(s.solver.deterministic_time for s in searches if s.proves) + sum(used)
    else:
        found: list[_Search] = []
        failed: list[BaseException] = []

        def run_side() -> None:
            try:
                found.extend(side())
            except BaseException as error:  # raised again in this thread, below
                failed.append(error)

        thread = threading.Thread(target=run_side)
        thread.start()
        main = _single_search(m.model, rest, tolerance, lp=True, deadline=deadline)
        thread.join()
        if failed:
            raise failed[0]
        searches = [*found, main]  # on equal values the search without LP wins
        longest = max(found[0].solver.deterministic_time + sum(used), main.solver.deterministic_time)
    work = probe.solver.deterministic_time + counted + longest
    searches.append(probe)
    grid_value = min((round(s.solver.objective_value) for s in searches if s.found), default=None)
    if grid_value is not None and (late or proof):
        loads, searched = m.person_loads[term], _proven(searches, known)
        known, spent = _bound_at_end(loads, grid_value, known, searched, tolerance, late, proof, by_rows)
        work += spent
    return _stage_result(m, name, unit_scale, progress, started, searches, time.monotonic() - t0, work, known)


def _bound_at_end(
    loads: PersonLoads,
    grid_value: int,
    known: float,
    searched: float,
    tolerance: float,
    late: float,
    proof: float,
    by_rows: tuple[int, ...],
) -> tuple[float, float]:
    """A caseload stage's bound from whole days once its grid (of ``grid_value``) is known,
    above ``known`` (``searched``: with the searches' bounds too), and the work used: with
    ``late`` work the counting bound that could not run at the stage's start; with ``proof``
    work, patterns just below the grid."""
    spent = 0.0
    if late:
        known = math.ceil(max(searched, 0.0) - 1e-6)  # (a peak >= 0)
        bound = window_bound(loads, grid_value, known, tolerance, late)
        known, by_rows, spent = max(known, bound.value), bound.by_rows, bound.work
    if proof:
        # The grid found may be optimal, or near it, where the LP cannot tell: test just below
        # it, first within a fifth of the tolerance (a grid a hair above the optimum), then one
        # below it (optimal), while the work lasts.
        close = max(1, int(tolerance / 5 * abs(grid_value)))
        used, window = 0.0, None
        for value in sorted({grid_value - close, grid_value - 1}):
            if value < known:
                continue
            window, cost = pattern_proof(loads, value, proof - used, by_rows, window)
            used += cost
            if window is None:
                break  # (no higher value is proven either)
            known = value + 1
            if used >= proof:
                break
        spent += used
    return known, spent


def _local_search(
    m: RotaModel,
    grid: DutyGrid,
    term: str,
    start: dict[int, int],
    known: float,
    tolerance: float,
    moves: int,
    deadline: float,
) -> tuple[_Search | None, int]:
    """The local search's grid from ``start``, checked by CP-SAT against the whole model (every
    duty variable and acting manager fixed; None when it is no better than the start or the
    check fails), and the moves it made. The check proves nothing about the stage's bound."""
    on = {key: start[var.index] for key, var in m.duty.items()}
    result = improve(grid, on, term, m.caps, known, moves, tolerance=tolerance)
    if not result.improved:
        return None, result.moves
    fixed = m.model.clone()
    for key, var in m.duty.items():
        fixed.add(fixed.get_bool_var_from_proto_index(var.index) == result.on[key])
    for var in m.acting.values():
        fixed.add(fixed.get_bool_var_from_proto_index(var.index) == start[var.index])
    fixed.clear_hints()
    check = _single_search(fixed, CHECK_WORK, 0.0, lp=False, deadline=deadline)
    if not check.found or round(check.solver.objective_value) > result.value:
        return None, result.moves
    return _Search(check.code, check.solver, proves=False), result.moves


def _single_search(
    model: cp_model.CpModel, work: float, tolerance: float, lp: bool, deadline: float
) -> _Search:
    solver = new_solver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = max(work, 0.01)
    # The time limit still holds on a machine so busy that the work would overrun it: then
    # (only then) the result depends on the machine's load.
    solver.parameters.max_time_in_seconds = max(deadline - time.monotonic(), 0.2)
    solver.parameters.relative_gap_limit = tolerance
    # A light presolve: each stage solves the same grid model three or four times, and a full
    # presolve took 40 % of those searches' wall time (municipality C at 10 s: 3.75 s of 9.4 s
    # over 63 searches). Measured at the same work: a stage's fixed cost 0.18 -> 0.09 s, the mean
    # gap of the balance stages on municipality C and six generated units alike (2.01 / 2.02 %).
    solver.parameters.max_presolve_iterations = 1
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.symmetry_level = 0
    if not lp:
        solver.parameters.linearization_level = 0
        solver.parameters.search_branching = cp_model.PORTFOLIO_WITH_QUICK_RESTART_SEARCH
    return _Search(solver.solve(model), solver)


def _check_assignment(
    m: RotaModel,
    name: str,
    expr: cp_model.LinearExpr,
    unit_scale: float,
    assignment: dict[int, int],
    failed: Stage,
) -> tuple[Stage, dict[int, int] | None]:
    """Evaluate a known assignment when the search found nothing in time: if it obeys every
    rule it is this stage's solution (FEASIBLE, no bound: the search did not get that far)."""
    fixed = m.model.clone()
    for var in m.duty.values():
        if var.index in assignment:
            fixed.add(fixed.get_bool_var_from_proto_index(var.index) == assignment[var.index])
    fixed.minimize(expr)
    solver = new_solver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5.0
    code = solver.solve(fixed)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return failed, None
    values = {var.index: int(solver.value(var)) for var in _decisions(m)}
    m.solution_values = {k: bool(v) for k, v in values.items()}
    value = solver.objective_value / unit_scale
    nan = float("nan")
    seconds = failed.seconds + solver.wall_time
    return Stage(name, "FEASIBLE", value, nan, nan, seconds, failed.work, value), values


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, name: str, scale: float, report: Progress | None, started: float) -> None:
        super().__init__()
        self.name, self.scale, self.report, self.started = name, scale, report, started
        self.last_improvement = time.monotonic()

    def on_solution_callback(self) -> None:
        self.last_improvement = time.monotonic()
        if self.report:
            self.report(
                self.name,
                self.objective_value / self.scale,
                self.best_objective_bound / self.scale,
                time.monotonic() - self.started,
            )


class _Watchdog:
    """Stops a solve when no better solution has come for ``stall`` seconds."""

    def __init__(self, solver: cp_model.CpSolver, progress: _Progress, stall: float) -> None:
        self.solver, self.progress, self.stall = solver, progress, stall
        self.timer: threading.Timer | None = None
        self._arm(stall)

    def _arm(self, seconds: float) -> None:
        self.timer = threading.Timer(seconds, self._check)
        self.timer.daemon = True
        self.timer.start()

    def _check(self) -> None:
        idle = time.monotonic() - self.progress.last_improvement
        if idle >= self.stall:
            self.solver.stop_search()
        else:
            self._arm(self.stall - idle)

    def cancel(self) -> None:
        if self.timer:
            self.timer.cancel()


def _decisions(m: RotaModel) -> list[cp_model.IntVar]:
    return [*m.on_intake.values(), *m.acting.values(), *m.duty.values(), *m.group_literals]


def _duty_hint(m: RotaModel, baseline: Baseline | None = None) -> dict[int, int]:
    """The published duty grid where it still fits, else a greedy one, as the first hint."""
    greedy = greedy_duty(m)
    if baseline is not None:
        return {var.index: int(key in baseline.officers) for key, var in m.duty.items()}
    return {var.index: greedy.get(key, 0) for key, var in m.duty.items()}


def _hint(m: RotaModel, values: dict[int, int | bool]) -> None:
    m.model.clear_hints()
    for var in _decisions(m):
        if var.index not in values:
            continue
        m.model.add_hint(var, values[var.index])


def _read_rota(m: RotaModel, coverage: Coverage) -> Rota:
    sol = m.solution_values
    on_intake = [tuple(t for t in m.team_ids if sol[m.on_intake[t, p].index]) for p in range(m.n_periods)]
    acting: dict[tuple[str, date], str] = {(t, d): q for (t, d, q), var in m.acting.items() if sol[var.index]}
    rota = assign_managers(coverage, on_intake, acting)
    if not m.duty:
        return rota
    return with_officers(rota, coverage, {key: sol[var.index] for key, var in m.duty.items()})


def rota_exists(planning: Planning, time_limit: float = 30.0, workers: int = 2) -> bool | None:
    """Whether a rota obeying every hard rule exists (None: undecided within the time limit).

    The same route as :func:`plan` without the objectives: the team level first, then each
    team's duty grid, then (only if that fails) both levels together."""
    started = time.monotonic()

    def feasible(m: RotaModel, hint: dict[int, int] | None = None) -> tuple[bool | None, dict[int, int]]:
        m.model.clear_objective()
        if hint:
            _hint(m, hint)
        solver = new_solver()
        solver.parameters.num_workers = workers
        solver.parameters.max_time_in_seconds = max(time_limit - (time.monotonic() - started), 0.5)
        code = solver.solve(m.model)
        if code == cp_model.INFEASIBLE:
            return False, {}
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, {}
        return True, {var.index: int(solver.value(var)) for var in _decisions(m)}

    m = build_model(planning.coverage, planning.demand)
    for lit in m.group_literals:
        m.model.add(lit == 1)
    found, values = feasible(m)
    if not found or not planning.unit.plans_duty:
        return found
    solution = {k: bool(v) for k, v in values.items()}
    for team in planning.unit.teams:
        grid_model = _team_grid_model(planning, m, solution, team.id, {})
        ok, _ = feasible(grid_model, {**values, **_duty_hint(grid_model)})
        if ok is None:
            return None
        if not ok:
            joint = build_model(planning.coverage, planning.demand, duty=True)
            for lit in joint.group_literals:
                joint.model.add(lit == 1)
            return feasible(joint)[0]
    return True


def explain(planning: Planning, time_limit: float = 30.0, baseline: Baseline | None = None) -> list[str]:
    """Why no rota exists: a small set of rule groups that clash, in the user's words.

    An empty list means a rota exists.

    CP-SAT finds a sufficient set of assumptions; deletion then removes every group that is not
    needed, so each group in the answer matters.
    """
    m = build_model(planning.coverage, planning.demand, duty=planning.unit.plans_duty)
    if baseline is not None:
        add_frozen(m, baseline)
    core = _core(m, list(m.group_literals), time_limit)
    if core is None:
        return []
    if not core:
        return ["the solver could not decide within the time limit whether a rota exists"]
    deadline = time.monotonic() + time_limit
    i = 0
    while i < len(core) and time.monotonic() < deadline:
        trial = core[:i] + core[i + 1 :]
        if _core(m, trial, max(deadline - time.monotonic(), 0.1), need_core=False) is not None:
            core = trial
        else:
            i += 1
    return describe_groups([m.groups[lit.index] for lit in core], planning.coverage, conflict=True)


def _core(
    m: RotaModel, assumptions: list[cp_model.IntVar], time_limit: float, need_core: bool = True
) -> list[cp_model.IntVar] | None:
    """The assumptions that make the model infeasible, None when it is feasible, [] if undecided."""
    m.model.clear_objective()
    m.model.clear_assumptions()
    m.model.add_assumptions(assumptions)
    solver = new_solver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = time_limit
    code = solver.solve(m.model)
    m.model.clear_assumptions()
    if code == cp_model.UNKNOWN and need_core:
        return []
    if code != cp_model.INFEASIBLE:
        return None
    if not need_core:
        return assumptions
    found = set(solver.sufficient_assumptions_for_infeasibility())
    return [lit for lit in assumptions if lit.index in found]
