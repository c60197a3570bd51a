"""Benchmark `rotation plan`: the municipality C example and generated units.

Prints one row per case: size, solver status, gap, model-build and solve time. Targets on a
2-core machine: municipality C proven optimal in under 2 s of solving; 8 teams x 5 years within
1 % of optimal in under 60 s.

    python benchmarks/bench_plan.py            # all cases
    python benchmarks/bench_plan.py --quick    # the small ones
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from rotation.outputs import duty_rows, rota_rows
from rotation.read import load_unit
from rotation.solve import plan, prepare
from rotation.synthetic import write_unit
from rotation.validate import validate_rows

ROOT = Path(__file__).resolve().parent.parent
CASES = [  # (teams, years, staff)
    (3, 1, 24),
    (4, 2, 40),
    (5, 3, 80),
    (6, 4, 120),
    (8, 5, 200),
]


def run(name: str, folder: Path, time_limit: float) -> None:
    t0 = time.monotonic()
    unit = load_unit(folder)
    planning = prepare(unit)
    prep = time.monotonic() - t0
    result = plan(planning, time_limit=time_limit)
    valid = "-"
    if result.rota is not None:
        violations = validate_rows(unit, rota_rows(planning, result.rota), duty_rows(result.rota))
        valid = "yes" if not violations else f"NO ({len(violations)})"
    worst = max(result.stages, key=lambda s: s.gap if s.gap == s.gap else 0)
    print(
        f"{name:<28} {len(unit.teams):>5} {unit.rules.weeks // 52:>5} {len(unit.people):>6} "
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
        f"{'case':<28} {'teams':>5} {'years':>5} {'people':>6} {'status':<10} {'gap':>7} "
        f"{'worst stage':<17} {'prep s':>7} {'solve s':>8} {'valid':>6}"
    )
    run("municipality-c", ROOT / "examples" / "municipality-c", args.time_limit)
    cases = CASES[:2] if args.quick else CASES
    with tempfile.TemporaryDirectory() as tmp:
        for teams, years, staff in cases:
            folder = write_unit(Path(tmp) / f"u{teams}-{years}", teams=teams, years=years, staff=staff)
            run(f"generated {teams}x{years}y {staff} staff", folder, args.time_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
