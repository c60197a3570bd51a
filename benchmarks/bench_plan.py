"""Benchmark the team level of `rotation plan`: the municipality C example and generated units.

The daily duty grid is switched off here (duty_per_day = 0); benchmarks/bench_duty.py measures
both levels. Prints one row per case: size, solver status, gap, model-build and solve time.
Targets on a 2-core machine: municipality C proven optimal in under 2 s of solving; 8 teams x 5
years within 1 % of optimal in under 60 s. The "summer-stressed" case raises min_present so that
summer vacations knock teams out and the rota cannot stay a clean cycle.

    python benchmarks/bench_plan.py            # all cases
    python benchmarks/bench_plan.py --quick    # the small ones
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from rotation.outputs import duty_rows, rota_rows
from rotation.read import load_unit
from rotation.solve import plan, prepare
from rotation.synthetic import write_unit
from rotation.validate import validate_rows

ROOT = Path(__file__).resolve().parent.parent
CASES = [  # (teams, years, staff, min_present)
    (3, 1, 24, 3),
    (4, 2, 40, 3),
    (5, 3, 80, 3),
    (6, 4, 120, 3),
    (8, 5, 200, 3),
    (8, 5, 200, 8),
]


def run(name: str, folder: Path, time_limit: float) -> None:
    t0 = time.monotonic()
    unit = load_unit(folder)
    unit = replace(unit, rules=replace(unit.rules, duty_per_day=0))
    planning = prepare(unit)
    prep = time.monotonic() - t0
    result = plan(planning, time_limit=time_limit)
    valid = "-"
    if result.rota is not None:
        violations = validate_rows(unit, rota_rows(planning, result.rota), duty_rows(result.rota))
        valid = "yes" if not violations else f"NO ({len(violations)})"
    worst = max(result.stages, key=lambda s: s.gap if s.gap == s.gap else 0)
    print(
        f"{name:<32} {len(unit.teams):>5} {unit.rules.weeks // 52:>5} {len(unit.people):>6} "
        f"{result.status:<10} {result.gap:>7.2%} {worst.name:<17} {prep:>7.2f} {result.seconds:>8.2f} "
        f"{valid:>6}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="only the small cases")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    print(
        f"{'case':<32} {'teams':>5} {'years':>5} {'people':>6} {'status':<10} {'gap':>7} "
        f"{'worst stage':<17} {'prep s':>7} {'solve s':>8} {'valid':>6}"
    )
    run("municipality-c", ROOT / "examples" / "municipality-c", args.time_limit)
    cases = CASES[:2] if args.quick else CASES
    with tempfile.TemporaryDirectory() as tmp:
        for teams, years, staff, present in cases:
            folder = write_unit(
                Path(tmp) / f"u{teams}-{years}-{present}",
                teams=teams,
                years=years,
                staff=staff,
                min_present=present,
            )
            stressed = " summer-stressed" if present > 3 else ""
            run(f"{teams}x{years}y {staff} staff{stressed}", folder, args.time_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
