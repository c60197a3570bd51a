"""Benchmark both planning levels (team rota + daily duty grid), sequential versus joint.

Prints, per case and mode: status, the largest gap among the stages that carry the issue's
targets (team terms, person caseload and intake balance), then the largest gap of the caseload
peak stages and of the intake balance stages (one per team each), the duty-comfort terms, the final
figures (from rotation.metrics) and the time. Every gap is measured on the rota written (after all
stages). Targets on 2 cores: municipality C's year within
1 % in under 10 s; 200 staff x 5 years within 2 % in under 120 s.

    python benchmarks/bench_duty.py              # municipality C, 10 s and 30 s, both modes
    python benchmarks/bench_duty.py --large      # also 200 staff x 5 years, 120 s
    python benchmarks/bench_duty.py --stages     # also each case's worst stages (value, bound, gap)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from rotation.metrics import rota_metrics
from rotation.read import load_unit
from rotation.solve import COMFORT_TERMS, plan, prepare
from rotation.synthetic import write_unit

ROOT = Path(__file__).resolve().parent.parent


def run(name: str, folder: Path, time_limit: float, mode: str, stages: bool = False) -> None:
    planning = prepare(load_unit(folder))
    t0 = time.monotonic()
    result = plan(planning, time_limit=time_limit, duty_mode=mode)
    seconds = time.monotonic() - t0
    if result.rota is None:
        print(f"{name:<22} {mode:<10} {time_limit:>5.0f} {result.status:<10} no rota  {seconds:7.1f}")
        return
    caseload = [s.gap for s in result.stages if s.name.startswith("person_caseload") and s.gap == s.gap]
    intake = [s.gap for s in result.stages if s.name.startswith("person_intake") and s.gap == s.gap]
    terms = rota_metrics(planning, result.rota).objective_terms()
    print(
        f"{name:<22} {mode:<10} {time_limit:>5.0f} {result.status:<10} {result.balance_gap:>7.2%} "
        f"{max(caseload, default=0):>7.2%} {max(intake, default=0):>7.2%} "
        f"{terms['person_caseload']:>8.2f} {terms['person_intake_spread']:>7.2f} "
        f"{terms['duty_bunching']:>6} {terms['holiday_adjacent_spread']:>5} {seconds:7.1f}",
        flush=True,
    )
    if stages:  # the stages that carry the targets, worst first
        carried = [s for s in result.stages if s.name.split(" ")[0] not in COMFORT_TERMS and s.gap == s.gap]
        for s in sorted(carried, key=lambda s: -s.gap)[:8]:
            print(f"    {s.name:<28} {s.status:<9} {s.value:>11.4f} {s.bound:>11.4f} {s.gap:>7.2%}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--large", action="store_true", help="also 200 staff x 5 years")
    parser.add_argument("--stages", action="store_true", help="also each case's worst stages")
    args = parser.parse_args()
    print(
        f"{'case':<22} {'mode':<10} {'limit':>5} {'status':<10} {'gap':>7} {'g.peak':>7} {'g.intake':>7} "
        f"{'peak/FTE':>8} "
        f"{'spread':>7} {'b2b':>6} {'hol':>5} {'seconds':>7}"
    )
    for limit in (10.0, 30.0):
        for mode in ("sequential", "joint"):
            run("municipality-c", ROOT / "examples" / "municipality-c", limit, mode, args.stages)
    if args.large:
        with tempfile.TemporaryDirectory() as tmp:
            folder = write_unit(Path(tmp) / "large", teams=8, years=5, staff=200)
            for mode in ("sequential", "joint"):
                run("generated 8x5y 200", folder, 120.0, mode, args.stages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
