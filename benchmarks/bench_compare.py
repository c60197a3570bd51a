"""Benchmark: municipality C, teams 2–5 × periods 1–3 weeks × 200 simulated years each.

Run: python benchmarks/bench_compare.py [--years 200] [--time-limit 2]
Prints one line per scenario and the wall time (target: under 60 s on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from rotation.read import load_unit
from rotation.whatif.cli import format_table
from rotation.whatif.compare import CompareOptions, compare, stderr_progress
from rotation.whatif.scenarios import scenario_list

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "municipality-c"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=200)
    parser.add_argument("--time-limit", type=float, default=2.0)
    args = parser.parse_args()
    unit = load_unit(EXAMPLE)
    scenarios = scenario_list([2, 3, 4, 5], [1, 2, 3], False, [0])
    started = time.monotonic()
    result = compare(
        unit,
        scenarios,
        CompareOptions(years=args.years, seed=0, time_limit=args.time_limit),
        progress=stderr_progress,
    )
    wall = time.monotonic() - started
    print(format_table(result))
    print(
        f"\n{len(scenarios)} scenarios x {args.years} simulated years on {os.cpu_count()} cores: "
        f"{wall:.1f} s wall; per scenario (solve + simulate, one process each): "
        f"{min(o.seconds for o in result.outcomes):.1f}–{max(o.seconds for o in result.outcomes):.1f} s"
    )


if __name__ == "__main__":
    main()
