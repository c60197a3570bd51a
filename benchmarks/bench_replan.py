"""Benchmark a re-plan of municipality C after one new absence (both levels).

Plans the example once, adds one new absence (a social worker of the team on intake, sick for
two weeks in May), re-plans as of 2027-04-01 with four frozen weeks, and prints the time, the
status and what changed. Target on 2 cores: under 2 s. Then a new hire's re-plan with ``--rebalance-duty``
(the whole person level re-balanced: it uses its time limit).

    python benchmarks/bench_replan.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from rotation.pipeline import plan_unit
from rotation.replan import replan_unit

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        unit = Path(tmp) / "unit"
        shutil.copytree(ROOT / "examples" / "municipality-c", unit)
        published = Path(tmp) / "v1"
        plan_unit(unit, published, time_limit=10)
        # The first intake officer on duty after the frozen window falls sick for two weeks.
        rows = (published / "duty.csv").read_text(encoding="utf-8").splitlines()[1:]
        day, _, _, person, _ = next(r.split(",") for r in rows if r >= "2027-05-03")
        sick_from = date.fromisoformat(day)
        with (unit / "absences.csv").open("a", encoding="utf-8") as f:
            f.write(f"{person},{sick_from},{sick_from + timedelta(days=13)},sick\n")
        for slack in (0.0, 0.05):
            out = Path(tmp) / f"v2-{slack}"
            t0 = time.monotonic()
            replan = replan_unit(
                unit, published, out, freeze_weeks=4, today=date(2027, 4, 1), balance_slack=slack
            )
            seconds = time.monotonic() - t0
            kinds = {k: sum(1 for c in replan.changes if c.kind == k) for k in ("period", "duty", "acting")}
            result = replan.report.result
            print(
                f"replan municipality-c, {person} sick from {sick_from}, --max-worse {slack:.0%}: "
                f"{result.status}, {seconds:.2f} s (solver {result.seconds:.2f} s), "
                f"changed periods {kinds['period']}, duty days {kinds['duty']}, "
                f"acting days {kinds['acting']}, frozen periods {len(replan.frozen)}"
            )
        # A new hire in team B from 2027-05-01, the days shared out anew (--rebalance-duty).
        hire = Path(tmp) / "hire"
        shutil.copytree(ROOT / "examples" / "municipality-c", hire)
        with (hire / "staff.csv").open("a", encoding="utf-8") as f:
            f.write("p26,Ny Person,ny@example.se,B,social_worker,1.0,2027-05-01,,\n")
        for limit in (10.0, 30.0):
            t0 = time.monotonic()
            replan = replan_unit(
                hire, published, Path(tmp) / f"hire-{limit:g}", today=date(2027, 4, 1),
                time_limit=limit, rebalance_duty=True,
            )  # fmt: skip
            seconds = time.monotonic() - t0
            days = sum(1 for o in replan.report.result.rota.officers if o.person == "p26")  # type: ignore[union-attr]
            changed = sum(1 for c in replan.changes if c.kind == "duty")
            print(
                f"replan municipality-c, new hire p26 in team B from 2027-05-01, --rebalance-duty, "
                f"--time-limit {limit:g}: {replan.report.result.status}, {seconds:.2f} s, "
                f"p26's duty days {days}, duty days changed {changed}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
