"""How far a plan's caseload peaks really are from the optimum: each team's peak in the rota
written, against the bound the plan proved and against the bound prices prove
(:func:`rotation.solver.schedules.priced_bound`: column generation over each person's choices
of duty days, the whole year at once), given minutes rather than the plan's seconds.

    python benchmarks/bench_bound.py                 # municipality C, a 10 s plan
    python benchmarks/bench_bound.py --limit 30      # a 30 s plan
    python benchmarks/bench_bound.py --work 60       # deterministic seconds per team for prices

The priced bound is a lower bound on what any duty grid reaches under the team level the plan
chose (the rules that tie people together -- mentor, acting manager -- and days in a row left
out, which keeps it valid), so "gap, priced" is an upper bound on how far the rota's peak is from
the best one for those teams.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rotation.read import load_unit
from rotation.solve import plan, prepare
from rotation.solver.build import build_model
from rotation.solver.model import SCALE
from rotation.solver.schedules import priced_bound

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--unit", default=str(ROOT / "examples" / "municipality-c"))
    parser.add_argument("--limit", type=float, default=10.0, help="the plan's time limit, seconds")
    parser.add_argument("--work", type=float, default=40.0, help="prices' deterministic seconds per team")
    args = parser.parse_args()
    planning = prepare(load_unit(args.unit))
    result = plan(planning, time_limit=args.limit)
    if result.rota is None:
        print(f"no rota: {result.status}")
        return 1
    teams = [t.id for t in planning.unit.teams]
    fixed = {(t, p): t in on for p, on in enumerate(result.rota.on_intake) for t in teams}
    print(f"plan: {args.limit:.0f} s limit, {result.seconds:.1f} s, status {result.status}")
    print(
        f"{'team':<5} {'peak':>8} {'plan bound':>10} {'gap':>6} {'priced':>8} {'gap, priced':>11} "
        f"{'tests':>5} {'work s':>6} {'seconds':>7}"
    )
    for team in teams:
        stage = next((s for s in result.stages if s.name == f"person_caseload {team}"), None)
        if stage is None:
            continue
        grid = build_model(
            planning.coverage, planning.demand, duty=True, duty_teams={team}, fixed_intake=fixed
        )
        loads = grid.person_loads["person_caseload"]
        t0 = time.monotonic()
        # (tolerance 1 %: halving stops once the interval is 0.2 % of the peak wide)
        bound = priced_bound(loads, round(stage.value * SCALE), round(stage.bound * SCALE), 0.01, args.work)
        priced = bound.value / SCALE
        print(
            f"{team:<5} {stage.value:>8.4f} {stage.bound:>10.4f} {stage.gap:>6.2%} {priced:>8.4f} "
            f"{(stage.value - priced) / stage.value:>11.2%} {bound.tests:>5} {bound.work:>6.1f} "
            f"{time.monotonic() - t0:>7.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
