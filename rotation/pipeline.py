"""The whole job as functions a notebook can call: read, plan, validate, compare, write."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .errors import InputError
from .labels import label
from .metrics import RotaMetrics, rota_metrics
from .outputs import (
    atomic_folder,
    check_plan_target,
    duty_rows,
    officer_rows,
    rota_rows,
    write_summary,
    write_tables,
    write_version,
    write_workbook,
)
from .previous import read_previous
from .read import load_unit
from .rota import Rota, assign_managers, strict_cycle
from .solve import Planning, PlanResult, Progress, plan, prepare
from .validate import Violation, validate_folder, validate_rows


class InvalidRotaError(RuntimeError):
    """The validator rejected a rota the solver called valid: a bug, never written out."""


@dataclass
class CycleBaseline:
    """The strict A-B-C cycle a team leader would make by hand, measured the same way."""

    rota: Rota
    metrics: RotaMetrics
    violations: list[Violation]


@dataclass
class PlanReport:
    planning: Planning
    result: PlanResult
    cycle: CycleBaseline
    metrics: RotaMetrics | None = None
    violations: list[Violation] = field(default_factory=list)
    out_dir: Path | None = None

    @property
    def valid(self) -> bool:
        return self.result.rota is not None and not self.violations

    def summary(self) -> dict[str, Any]:
        r = self.result
        stages = [
            {
                "term": s.name,
                "status": s.status,
                "value": _num(s.value),  # in the rota written
                "stage_value": _num(s.found),  # what its own stage reached
                "best_bound": _num(s.bound),
                "gap": _num(s.gap),
                "seconds": round(s.seconds, 3),
            }
            for s in r.stages
        ]
        return {
            "unit": self.planning.unit.name,
            "status": r.status,
            "valid": self.valid,
            "solve_seconds": round(r.seconds, 3),
            "gap": _num(r.gap),  # every stage's (1.0 where one has no bound)
            "balance_gap": _num(r.balance_gap),  # without the comfort stages (LP bound 0)
            "objective_order": [s.name for s in r.stages],
            "objective": self.metrics.objective_terms() if self.metrics else None,
            "best_bound": {s.name: _num(s.bound) for s in r.stages},
            "stages": stages,
            "broken_rules": r.broken,
            "validator": {
                "valid": not self.violations,
                "violations": [str(v) for v in self.violations],
            },
            "conflicts": r.conflicts,
            "clock_cut": r.clock_cut,
            "strict_cycle": {
                "valid": not self.cycle.violations,
                "objective": self.cycle.metrics.objective_terms(),
                "violations": [str(v) for v in self.cycle.violations],
                "teams": self.cycle.metrics.as_rows(),
            },
        }

    def comparison(self) -> list[dict[str, Any]]:
        """The plan's figures beside the strict cycle's, labelled in the unit's language."""
        lang = self.planning.unit.language
        mine = self.metrics.objective_terms() if self.metrics else {}
        cycle = self.cycle.metrics.objective_terms()
        rows = [
            {
                label("figure", lang): label(term, lang),
                label("plan", lang): mine.get(term, ""),
                label("cycle", lang): cycle.get(term, "–"),
            }
            for term in (mine or cycle)
        ]
        rows.append(
            {
                label("figure", lang): label("broken_rules", lang),
                label("plan", lang): len(self.violations),
                label("cycle", lang): len(self.cycle.violations),
            }
        )
        rows.append(
            {
                label("figure", lang): label("valid_rota", lang),
                label("plan", lang): label("yes" if self.valid else "no", lang),
                label("cycle", lang): label("no" if self.cycle.violations else "yes", lang),
            }
        )
        rows.append(
            {
                label("figure", lang): label("status", lang),
                label("plan", lang): self.result.status,
                label("cycle", lang): "",
            }
        )
        return rows


def _num(x: float) -> float | None:
    return None if x is None or math.isnan(x) else round(x, 4)


def baseline(planning: Planning) -> CycleBaseline:
    rota = assign_managers(planning.coverage, strict_cycle(planning.grid))
    violations = validate_rows(
        planning.unit, rota_rows(planning, rota), duty_rows(rota), before=planning.grid.before
    )
    return CycleBaseline(rota, rota_metrics(planning, rota), violations)


def plan_unit(
    unit_dir: str | Path,
    out_dir: str | Path | None,
    time_limit: float = 60.0,
    relax: bool = False,
    progress: Progress | None = None,
    workers: int = 2,
    duty_mode: str = "sequential",
    html: bool = False,
    after: str | Path | None = None,
) -> PlanReport:
    """Plan a unit folder; write the plan folder when a rota was found (and ``out_dir`` given),
    with ``html`` also a self-contained report.html. ``after``: the previous horizon's plan
    folder, whose rest, caseload and duty runs carry over the start (:mod:`rotation.previous`).

    Raises :class:`rotation.errors.InputError` for mistakes in the folder and
    :class:`InvalidRotaError` if the validator rejects a rota the solver called valid.
    """
    unit = load_unit(unit_dir)
    if out_dir is not None:
        _check_replaceable(Path(out_dir), unit.name)  # (before the solver's time, not after)
        if after is not None and Path(out_dir).resolve() == Path(after).resolve():
            raise InputError(
                str(out_dir), "is the folder given to --after: the new plan goes to a folder of its own"
            )
    planning = prepare(unit, before=read_previous(after, unit) if after is not None else None)
    result = plan(
        planning, time_limit=time_limit, relax=relax, progress=progress, workers=workers, duty_mode=duty_mode
    )
    report = PlanReport(planning, result, baseline(planning))
    if result.rota is None:
        return report
    if out_dir is None:
        report.metrics = rota_metrics(planning, result.rota)
        report.violations = validate_rows(
            unit,
            rota_rows(planning, result.rota),
            duty_rows(result.rota),
            officer_rows(result.rota) if result.rota.officers else None,
            before=planning.grid.before,
        )
        _check(report, relax)
        return report
    return write_plan(report, Path(out_dir), relax=relax, html=html)


def write_plan(
    report: PlanReport,
    out_dir: Path,
    relax: bool = False,
    html: bool = False,
    since: date | None = None,
    extra: Callable[[Path], None] | None = None,
    version: dict[str, Any] | None = None,
) -> PlanReport:
    """Write, validate and move into place a plan folder for ``report.result.rota``.

    ``since`` limits the day-by-day validation to the days a re-plan could change; ``extra``
    writes more files into the folder before it is moved into place; ``version`` is recorded
    in version.json (default: version 1 without a parent)."""
    planning, rota = report.planning, report.result.rota
    assert rota is not None
    if version is None:
        _check_replaceable(Path(out_dir), planning.unit.name)
    report.metrics = rota_metrics(planning, rota)
    with atomic_folder(out_dir, replace=version is None) as tmp:
        write_tables(tmp, planning, rota, report.metrics)
        version = version or {"version": 1, "parent": None, "command": "plan"}
        if planning.grid.before is not None:  # (the validator checks the start against it)
            # (relative to the plan folder, so the two can move together)
            after = os.path.relpath(planning.grid.before.folder.resolve(), Path(out_dir).resolve())
            version = {**version, "after": after}
        write_version(tmp, version)
        report.violations = validate_folder(planning.unit, tmp, since)
        _check(report, relax)
        write_summary(tmp, report.summary())
        write_workbook(tmp, planning, rota, report.metrics, report.comparison())
        if html:
            from .whatif.report import write_plan_report  # matplotlib: only when asked

            write_plan_report(planning, report.result, report.metrics, tmp / "report.html")
        if extra is not None:
            extra(tmp)
    report.out_dir = out_dir
    return report


def _check_replaceable(out: Path, unit_name: str) -> None:
    """A fresh plan may replace an earlier fresh plan of the same unit (running the same command
    again), but never a re-plan's or swap's version, nor another unit's plan: those are what
    staff have been sent, and their history would be lost. Nor a folder of other files."""
    check_plan_target(out)
    try:
        version = json.loads((out / "version.json").read_text(encoding="utf-8")).get("version", 1)
    except (OSError, ValueError):
        version = 1
    if version != 1:
        raise InputError(
            str(out),
            f"holds version {version} of a plan (a re-plan or swap); a fresh plan would replace it: "
            "choose another --out, or re-plan with `rotation replan`",
        )
    try:
        unit = json.loads((out / "summary.json").read_text(encoding="utf-8")).get("unit")
    except (OSError, ValueError):
        return
    if unit is not None and unit != unit_name:
        raise InputError(
            str(out), f"holds the plan of unit '{unit}', not '{unit_name}'; choose another --out"
        )


def _check(report: PlanReport, relax: bool) -> None:
    if report.violations and not relax:
        raise InvalidRotaError(
            "the validator rejected the solver's rota (a bug in rotation; nothing was written): "
            + "; ".join(str(v) for v in report.violations[:5])
        )
