"""One entry point: plan a unit's rota with CP-SAT, in priority order, and say how good it is.

The objective terms are optimised lexicographically (each stage fixes the value it reached and
hints its solution to the next), unless ``[weights]`` in unit.toml asks for one weighted sum.
A final single-worker tie-break stage makes the same input give the same rota.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ortools.sat.python import cp_model

from .coverage import Coverage, build_coverage
from .demand import Demand, build_demand
from .explain import describe_groups
from .grid import TimeGrid
from .rota import Rota, assign_managers
from .solver.model import SCALE, RotaModel, RuleGroup, add_periodic_cycle, build_model
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
    value: float  # in the term's own unit (weeks, cases per FTE, days)
    bound: float
    gap: float  # relative: (value - bound) / value, 0 when proven optimal
    seconds: float


@dataclass
class Planning:
    """Everything computed from a unit before solving: reused by metrics and reports."""

    unit: Unit
    grid: TimeGrid
    coverage: Coverage
    demand: Demand


@dataclass
class PlanResult:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE or UNKNOWN
    rota: Rota | None
    stages: list[Stage] = field(default_factory=list)
    seconds: float = 0.0
    broken: list[str] = field(default_factory=list)  # relaxed plans: the rules given up
    conflicts: list[str] = field(default_factory=list)  # infeasible: why, in the user's words

    @property
    def gap(self) -> float:
        return max((s.gap for s in self.stages), default=0.0)


def prepare(unit: Unit) -> Planning:
    grid = TimeGrid(unit)
    return Planning(unit, grid, build_coverage(grid), build_demand(unit, grid))


def plan(
    unit: Unit | Planning,
    time_limit: float = 60.0,
    relax: bool = False,
    workers: int = 2,
    progress: Progress | None = None,
) -> PlanResult:
    """Plan the rota. "No rota exists" is a status with an explanation, not an exception."""
    planning = unit if isinstance(unit, Planning) else prepare(unit)
    started = time.monotonic()
    m = build_model(planning.coverage, planning.demand)
    stages: list[Stage] = []
    if relax:
        broken = sum(g.penalty * lit.Not() for lit, g in _groups(m))
        solved = _solve_stage(m, "broken rules", broken, 1, time_limit, workers, progress, started)
        stages.append(solved[0])
        if solved[1] is None:
            return PlanResult(solved[0].status, None, stages, time.monotonic() - started)
        _fix(m, broken, solved[0].value)
    else:
        for lit in m.group_literals:
            m.model.add(lit == 1)

    objective = _objective_stages(m, planning.unit)
    for i, (name, expr, unit_scale) in enumerate(objective):
        # A stage may use twice its fair share of the time left, and a tenth of the limit stays
        # for the tie-break, so later stages get some time too.
        remaining = time_limit - (time.monotonic() - started)
        reserve = 0.0 if name == "tie_break" else min(0.1 * time_limit, 10.0)
        share = remaining * 2 / (len(objective) - i)
        stage_limit = max(min(remaining - reserve, share), 0.5)
        stage, values = _solve_stage(m, name, expr, unit_scale, stage_limit, workers, progress, started)
        stages.append(stage)
        if values is None:
            if stage.status == "INFEASIBLE" and not stages[:-1]:
                conflicts = explain(planning)
                return PlanResult("INFEASIBLE", None, stages, time.monotonic() - started, [], conflicts)
            if not stages[:-1]:
                return PlanResult(stage.status, None, stages, time.monotonic() - started)
            break
        _fix(m, expr, stage.value * unit_scale)
        _hint(m, values)
        if name == "rest" and stage.value == 0 and not relax:
            add_periodic_cycle(m)

    rota = _read_rota(m, planning.coverage)
    broken_groups = [g for lit, g in _groups(m) if not m.solution_values.get(lit.index, True)]
    status = "OPTIMAL" if all(s.status == "OPTIMAL" for s in stages) else "FEASIBLE"
    return PlanResult(
        status,
        rota,
        stages,
        time.monotonic() - started,
        broken=describe_groups(broken_groups, planning.coverage),
    )


def _groups(m: RotaModel) -> list[tuple[cp_model.IntVar, RuleGroup]]:
    return [(lit, m.groups[lit.index]) for lit in m.group_literals]


def _objective_stages(m: RotaModel, unit: Unit) -> list[tuple[str, cp_model.LinearExpr, float]]:
    """(name, expression, scale) per stage; scale turns the expression into the term's unit."""
    if unit.weights is None:
        stages = [(term, m.terms[term], SCALE if term in _SCALED else 1) for term in OBJECTIVE_TERMS]
    else:
        weighted = sum(round(w * 100) * m.terms[term] for term, w in unit.weights.items() if w > 0)
        stages = [("weighted", weighted, 1)] if unit.weights and any(unit.weights.values()) else []
    stages.append(("tie_break", m.terms["tie_break"], 1))
    return stages  # type: ignore[return-value]


_SCALED = ("rest", "caseload", "intake_fairness")


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
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.random_seed = 0
    # The tie-break runs on one worker: deterministic, so the same input gives the same rota.
    solver.parameters.num_workers = 1 if name == "tie_break" else workers
    callback = _Progress(name, unit_scale, progress, started) if progress else None
    t0 = time.monotonic()
    code = solver.solve(m.model, callback)
    seconds = time.monotonic() - t0
    status = STATUS.get(code, "UNKNOWN")
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Stage(name, status, float("nan"), float("nan"), float("nan"), seconds), None
    value = solver.objective_value
    bound = solver.best_objective_bound if code == cp_model.FEASIBLE else value
    gap = 0.0 if code == cp_model.OPTIMAL else (value - bound) / max(abs(value), 1e-9)
    values = {
        var.index: int(solver.value(var))
        for var in (*m.on_intake.values(), *m.acting.values(), *m.group_literals)
    }
    m.solution_values = {k: bool(v) for k, v in values.items()}
    if progress:
        progress(name, value / unit_scale, bound / unit_scale, time.monotonic() - started)
    return Stage(name, status, value / unit_scale, bound / unit_scale, max(gap, 0.0), seconds), values


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, name: str, scale: float, report: Progress | None, started: float) -> None:
        super().__init__()
        self.name, self.scale, self.report, self.started = name, scale, report, started

    def on_solution_callback(self) -> None:
        if self.report:
            self.report(
                self.name,
                self.objective_value / self.scale,
                self.best_objective_bound / self.scale,
                time.monotonic() - self.started,
            )


def _fix(m: RotaModel, expr: cp_model.LinearExpr, value: float) -> None:
    m.model.add(expr <= round(value))


def _hint(m: RotaModel, values: dict[int, int]) -> None:
    m.model.clear_hints()
    for var in (*m.on_intake.values(), *m.acting.values(), *m.group_literals):
        m.model.add_hint(var, values[var.index])


def _read_rota(m: RotaModel, coverage: Coverage) -> Rota:
    sol = m.solution_values
    on_intake = [tuple(t for t in m.team_ids if sol[m.on_intake[t, p].index]) for p in range(m.n_periods)]
    acting: dict[tuple[str, date], str] = {(t, d): q for (t, d, q), var in m.acting.items() if sol[var.index]}
    return assign_managers(coverage, on_intake, acting)


def explain(planning: Planning, time_limit: float = 30.0) -> list[str]:
    """Why no rota exists: a small set of rule groups that clash, in the user's words.

    An empty list means a rota exists.

    CP-SAT finds a sufficient set of assumptions; deletion then removes every group that is not
    needed, so each group in the answer matters.
    """
    m = build_model(planning.coverage, planning.demand)
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
    solver = cp_model.CpSolver()
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
