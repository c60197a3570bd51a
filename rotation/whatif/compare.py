"""Compare organisations: regroup, plan with the real solver, simulate, and collect one table.

Scenarios run in parallel processes (the solver on one worker inside each); every scenario
draws its random years from a seed made of ``--seed`` and the scenario's own name, so the
numbers do not depend on which other scenarios run beside it or in what order.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..coverage import group_staffing_gaps
from ..metrics import rota_metrics
from ..rota import Rota, assign_managers, strict_cycle
from ..solve import Planning, plan, prepare
from ..unit import Unit
from .scenarios import Organisation, Scenario, regroup
from .simulate import FlowModel, SimResult, flow_setup, simulate

#: The comparison table's columns, in order (labels in :mod:`rotation.whatif.labels`).
COLUMNS = [
    "scenario",
    "teams",
    "period_weeks",
    "dedicated_intake",
    "extra_staff",
    "solver_status",
    "protected_weeks",
    "cycle_weeks",
    "uninterrupted_weeks",
    "burst_mean",
    "burst_p90",
    "managers_needed",
    "managers_had",
    "span_of_control",
    "caseload_mean",
    "caseload_p90",
    "caseload_peak",
    "share_in_time",
    "share_in_time_low",
    "share_in_time_high",
    "days_late",
    "overtime_hours",
]


@dataclass(frozen=True)
class CompareOptions:
    years: int = 200
    seed: int = 0
    time_limit: float = 10.0  # seconds for the solver, per scenario
    model: FlowModel = field(default_factory=FlowModel)
    referrals_sd: tuple[float, ...] | None = None  # weekly spread from a forecast's band
    referrals_common_sd: tuple[float, ...] | None = None  # its part common to a year (log sd)


@dataclass
class ScenarioOutcome:
    """One row of the table plus what the report plots."""

    scenario: Scenario
    row: dict[str, Any]
    share_by_year: list[float]
    team_curves: dict[str, list[float]]
    seconds: float


@dataclass
class Comparison:
    unit_name: str
    language: str
    start: str
    outcomes: list[ScenarioOutcome]
    years: int
    seed: int

    def rows(self) -> list[dict[str, Any]]:
        return [o.row for o in self.outcomes]

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit_name,
            "language": self.language,
            "start": self.start,
            "years": self.years,
            "seed": self.seed,
            "columns": COLUMNS,
            "scenarios": [
                {
                    "key": o.scenario.key,
                    "teams": o.scenario.teams,
                    "period_weeks": o.scenario.period_weeks,
                    "dedicated_intake": o.scenario.dedicated_intake,
                    "extra_staff": o.scenario.extra_staff,
                    "row": o.row,
                    "share_by_year": o.share_by_year,
                    "team_curves": o.team_curves,
                    "seconds": o.seconds,
                }
                for o in self.outcomes
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Comparison:
        outcomes = [
            ScenarioOutcome(
                Scenario(s["teams"], s["period_weeks"], s["dedicated_intake"], s["extra_staff"]),
                s["row"],
                s["share_by_year"],
                s["team_curves"],
                s["seconds"],
            )
            for s in data["scenarios"]
        ]
        return cls(data["unit"], data["language"], data["start"], outcomes, data["years"], data["seed"])


def scenario_seed(seed: int, horizon_weeks: int) -> np.random.SeedSequence:
    """The same random years for every organisation (common random numbers): the same reports
    arrive on the same days with the same lengths, so two columns differ by the organisation,
    not by luck; and a scenario's numbers still do not depend on what it is compared with. Only
    the horizon's length (whole periods: 51 weeks for three-week ones) changes the draws."""
    return np.random.SeedSequence([seed, horizon_weeks])


def plan_organisation(org: Organisation, time_limit: float) -> tuple[Planning, Rota | None, str]:
    """Plan the regrouped unit with the real solver and the real absences.

    A dedicated intake group has no rotation to plan, but it is on intake every workday: the
    status says on how many workdays it has fewer social workers present than ``min_present``.
    When no rota obeys every rule, the least-bad one (``relax``) is simulated; when the solver
    finds none in time, the strict cycle.
    """
    planning = prepare(org.unit)
    if org.scenario.dedicated_intake:
        group = planning.unit.person(org.intake_group[0]).team
        gaps = group_staffing_gaps(planning.grid, group)
        if gaps:
            short = f"group short-staffed on {len(gaps)} workdays from {gaps[0].day}"
            return planning, None, f"NO_ROTATION ({short})"
        return planning, None, "NO_ROTATION"
    result = plan(planning, time_limit=time_limit, workers=1)
    if result.rota is not None:
        return planning, result.rota, result.status
    if result.status == "INFEASIBLE":
        relaxed = plan(planning, time_limit=time_limit, relax=True, workers=1)
        if relaxed.rota is not None:
            return planning, relaxed.rota, f"INFEASIBLE (relaxed: {len(relaxed.broken)} rules broken)"
    cycle = assign_managers(planning.coverage, strict_cycle(planning.grid))
    return planning, cycle, f"{result.status} (strict cycle simulated)"


def run_scenario(unit: Unit, scenario: Scenario, options: CompareOptions) -> ScenarioOutcome:
    """Regroup, plan and simulate one scenario: one row of the comparison."""
    started = time.monotonic()
    org = regroup(unit, scenario)
    planning, rota, status = plan_organisation(org, options.time_limit)
    sd = common = None
    if options.referrals_sd is not None:
        sd = np.asarray(options.referrals_sd[: org.unit.rules.weeks], dtype=float)
    if options.referrals_common_sd is not None:
        common = np.asarray(options.referrals_common_sd[: org.unit.rules.weeks], dtype=float)
    setup = flow_setup(planning, rota, options.model, org.intake_group, sd, common)
    sim = simulate(setup, options.years, scenario_seed(options.seed, org.unit.rules.weeks))
    protected, cycle = _protected_per_cycle(planning, rota)
    row = {
        "scenario": scenario.title(unit.language),
        "teams": scenario.teams,
        "period_weeks": scenario.period_weeks if not scenario.dedicated_intake else None,
        "dedicated_intake": scenario.dedicated_intake,
        "extra_staff": scenario.extra_staff,
        "solver_status": status,
        "protected_weeks": protected,
        "cycle_weeks": cycle,
        **_sim_columns(sim),
        "managers_needed": org.managers_needed,
        "managers_had": org.managers_had,
        "span_of_control": org.span_of_control,
    }
    row = {c: row[c] for c in COLUMNS}
    return ScenarioOutcome(
        scenario,
        row,
        [round(float(x), 4) for x in sim.share_in_time],
        sim.team_curves,
        round(time.monotonic() - started, 2),
    )


def _protected_per_cycle(planning: Planning, rota: Rota | None) -> tuple[float | None, float | None]:
    """Protected weeks between two intake periods (median over teams of the mean rest, from
    :func:`rotation.metrics.rota_metrics`) and the cycle they belong to."""
    if rota is None:
        return None, None
    metrics = rota_metrics(planning, rota)
    rests = [t.mean_rest_weeks for t in metrics.teams if t.mean_rest_weeks is not None]
    if not rests:
        return None, None
    protected = round(float(np.median(rests)), 1)
    return protected, round(protected + planning.unit.rules.period_weeks, 1)


def _sim_columns(sim: SimResult) -> dict[str, Any]:
    def med(x: np.ndarray, digits: int = 1) -> float:
        return round(float(np.median(x)), digits)

    return {
        "uninterrupted_weeks": round(sim.protected_weeks_per_person, 1),
        "burst_mean": med(sim.burst_mean),
        "burst_p90": med(sim.burst_p90),
        "caseload_mean": med(sim.caseload_mean),
        "caseload_p90": med(sim.caseload_p90),
        "caseload_peak": med(sim.caseload_peak),
        "share_in_time": med(sim.share_in_time, 3),
        "share_in_time_low": round(float(np.percentile(sim.share_in_time, 5)), 3),
        "share_in_time_high": round(float(np.percentile(sim.share_in_time, 95)), 3),
        "days_late": med(sim.days_late_mean),
        "overtime_hours": med(sim.overtime_per_person, 0),
    }


def compare(
    unit: Unit,
    scenarios: list[Scenario],
    options: CompareOptions,
    jobs: int | None = None,
    progress: Callable[[int, int, ScenarioOutcome], None] | None = None,
) -> Comparison:
    """Run every scenario, in parallel on ``jobs`` processes (default: the machine's cores)."""
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(scenarios)))
    done: dict[int, ScenarioOutcome] = {}
    if jobs == 1:
        for i, s in enumerate(scenarios):
            done[i] = run_scenario(unit, s, options)
            if progress:
                progress(len(done), len(scenarios), done[i])
    else:
        # spawn, not fork: the parent may have run OR-Tools' threads already.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {pool.submit(run_scenario, unit, s, options): i for i, s in enumerate(scenarios)}
            for future in as_completed(futures):
                i = futures[future]
                done[i] = future.result()
                if progress:
                    progress(len(done), len(scenarios), done[i])
    return Comparison(
        unit.name,
        unit.language,
        unit.rules.start.isoformat(),
        [done[i] for i in range(len(scenarios))],
        options.years,
        options.seed,
    )


def stderr_progress(done: int, total: int, outcome: ScenarioOutcome) -> None:
    """A plain progress line per finished scenario on stderr."""
    width = 20
    filled = round(width * done / total)
    row = outcome.row
    print(
        f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {row['scenario']:<28} "
        f"{row['solver_status']:<10} in time {row['share_in_time']:.0%}  ({outcome.seconds:.1f} s)",
        file=sys.stderr,
        flush=True,
    )


HALF_HOURS = tuple(float(x) / 2 for x in range(20, 81))  # 10 to 40 hours


def calibrate_work_hours(
    unit: Unit,
    target: float = 0.86,
    years: int = 100,
    seed: int = 0,
    time_limit: float = 10.0,
    candidates: tuple[float, ...] = HALF_HOURS,
) -> float:
    """The largest work time per investigation (in half hours) at which ``unit``'s own rota
    finishes at least ``target`` of its investigations within four months in the median year.

    Used once to set :data:`rotation.whatif.simulate.WORK_HOURS` for municipality C (see README).
    """
    planning = prepare(unit)
    result = plan(planning, time_limit=time_limit, workers=1)
    rota = result.rota or assign_managers(planning.coverage, strict_cycle(planning.grid))
    best = candidates[0]
    for hours in candidates:
        setup = flow_setup(planning, rota, replace(FlowModel(), work_hours=hours))
        share = float(np.median(simulate(setup, years, seed).share_in_time))
        if share < target:
            break
        best = hours
    return best
