"""Benchmark the duty grid's local search: moves per second and what an exchange costs, per team.

These figures calibrate MOVES_PER_SECOND (``rotation.solve``: a plan budgets moves at a rate
below the one measured here, so the time limit holds) and EXCHANGE_COST /
EXCHANGE_MOVES_PER_WORK (``rotation.solver.improve``: an exchange is counted as moves). For
each team, with the teams on intake as a plan chooses them: the moves per second measured (from
a feasible grid) and assumed by plans, and the mean wall time of an exchange (from the grid the
moves reached) against the time it is counted for at the assumed rate, with its CP-SAT
deterministic time (counted below measured: exchanges take more of the time limit than they
are counted for). Run it on a quiet machine.

    python benchmarks/bench_local_search.py             # municipality C
    python benchmarks/bench_local_search.py --large     # also 8 teams x 5 years, 200 staff
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from ortools.sat.python import cp_model

from rotation.read import load_unit
from rotation.solve import moves_per_second, plan, prepare
from rotation.solver.build import build_model
from rotation.solver.duty import duty_grid
from rotation.solver.improve import (
    EXCHANGE_COST,
    EXCHANGE_MOVES_PER_WORK,
    EXCHANGE_WORK,
    DutyGrid,
    _exchange,
    _Search,
    _setter,
    improve,
)
from rotation.synthetic import write_unit

ROOT = Path(__file__).resolve().parent.parent
TERM = "person_caseload"
INTAKE = "person_intake_max"
MOVES = 20_000
EXCHANGES = 40


def _solve(model: cp_model.CpModel) -> cp_model.CpSolver | None:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = 30
    return solver if solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None


def run(name: str, folder: Path, time_limit: float) -> None:
    planning = prepare(load_unit(folder))
    # The teams on intake as a plan chooses them (so each team's grid is the size it is there).
    planned = plan(planning, time_limit=time_limit)
    if planned.rota is None:
        print(f"{name}: no rota")
        return
    fixed = {
        (team.id, p): team.id in on
        for p, on in enumerate(planned.rota.on_intake)
        for team in planning.unit.teams
    }
    for team in planning.unit.teams:
        m = build_model(
            planning.coverage, planning.demand, duty=True, duty_teams={team.id}, fixed_intake=fixed
        )
        for lit in m.group_literals:
            m.model.add(lit == 1)
        for key, var in m.on_intake.items():
            m.model.add(var == int(fixed[key]))
        start = _solve(m.model)
        if start is None or not m.duty:
            print(f"{name:<16} {team.id:<4} no duty grid")
            continue
        values = {var.index: int(start.value(var)) for var in (*m.duty.values(), *m.acting.values())}
        grid = duty_grid(m, values)
        assert grid is not None
        on = {key: values[var.index] for key, var in m.duty.items()}
        t0 = time.perf_counter()
        moved = improve(grid, on, TERM, {}, float("-inf"), MOVES, exchanges=False)
        rate = moved.moves / (time.perf_counter() - t0)
        budgeted = moves_per_second(len(m.duty))  # the rate plans assume for moves
        # Exchanges alone, from the grid the moves reached (as in a plan, where exchanges come
        # among the moves): on the caseload peak, then on the highest intake load with the peak
        # capped 1 % above where it is (the larger model, as in a plan's second stage).
        peak = _Search(grid, moved.on, TERM, {}).states[TERM].value(0)
        for term, caps in ((TERM, {}), (INTAKE, {TERM: round(1.01 * peak)})):
            wall, work = _exchanges(grid, moved.on, term, caps)
            charged = (EXCHANGE_COST + EXCHANGE_MOVES_PER_WORK * work) / budgeted
            print(
                f"{name:<16} {team.id:<4} {term:<18} {len(m.duty):>6} {rate:>9.0f} {budgeted:>9.0f} "
                f"{1000 * wall:>8.1f} {1000 * charged:>8.1f} {1000 * work:>8.2f}",
                flush=True,
            )


def _exchanges(
    grid: DutyGrid, on: dict[tuple[str, date], int], term: str, caps: dict[str, int]
) -> tuple[float, float]:
    """Mean wall seconds and deterministic seconds of EXCHANGES exchanges (the setter with a
    colleague drawn at random), each kept as made."""
    search = _Search(grid, on, term, caps)
    state = search.states[term]
    state.aim(round(state.mean()))
    rng = random.Random(0)
    walls, works = [], []
    for _ in range(EXCHANGES):
        q = _setter(search, state)
        r = rng.choice([p for p in range(len(search.people)) if p != q])
        t0 = time.perf_counter()
        handed, used = _exchange(search, (q, r), EXCHANGE_WORK)
        walls.append(time.perf_counter() - t0)
        works.append(used)
        for a, b, k in handed or []:
            search.replace(a, b, k)
    return float(np.mean(walls)), float(np.mean(works))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--large", action="store_true", help="also 8 teams x 5 years, 200 staff")
    args = parser.parse_args()
    print(
        f"{'case':<16} {'team':<4} {'stage':<18} {'days':>6} {'moves/s':>9} {'assumed':>9} {'exch ms':>8} "
        f"{'charged':>8} {'work ms':>8}"
    )
    run("municipality-c", ROOT / "examples" / "municipality-c", 10.0)
    if args.large:
        with tempfile.TemporaryDirectory() as tmp:
            run("generated 8x5y", write_unit(Path(tmp) / "large", teams=8, years=5, staff=200), 120.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
