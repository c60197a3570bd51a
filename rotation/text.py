"""The short summary a team leader reads on the terminal: tables, not dumps."""

from __future__ import annotations

import pandas as pd

from .labels import label
from .pipeline import PlanReport


def format_report(report: PlanReport) -> str:
    unit = report.planning.unit
    lang = unit.language
    result = report.result
    lines = [f"{unit.name}: {unit.rules.weeks} weeks from {unit.rules.start}"]
    if result.rota is None:
        lines.append(f"Solver status: {result.status} after {result.seconds:.1f} s — no rota.")
        if result.conflicts:
            lines.append("No rota can obey every rule. These rules clash:")
            lines += [f"  - {c}" for c in result.conflicts]
            lines.append("Fix one of them, or run `rotation plan --relax` for the least-bad rota.")
        return "\n".join(lines)

    names = {t.id: t.name for t in unit.teams}
    acting: dict[tuple[int, str], list[str]] = {}
    for d in result.rota.duty_days:
        if d.acting:
            acting[d.period, d.team] = [*acting.get((d.period, d.team), []), d.manager or "–"]
    rows = []
    for period in report.planning.grid.periods:
        teams = result.rota.teams_in(period.index)
        acting_text = "; ".join(
            f"{len(acting[period.index, t])} d {'/'.join(sorted(set(acting[period.index, t])))}"
            for t in teams
            if (period.index, t) in acting
        )
        rows.append(
            {
                label("period", lang): period.index + 1,
                label("week", lang): f"v{period.start.isocalendar().week}",
                label("start", lang): period.start.isoformat(),
                label("end", lang): period.end.isoformat(),
                label("team", lang): ", ".join(names[t] for t in teams),
                label("acting", lang): acting_text,
            }
        )
    lines += ["", pd.DataFrame(rows).to_string(index=False), ""]
    lines.append(pd.DataFrame(report.comparison()).to_string(index=False))
    lines.append("")
    gap = f", gap {result.gap:.2%}" if result.status != "OPTIMAL" else ""
    lines.append(f"Solver status: {result.status}{gap}, {result.seconds:.2f} s.")
    if report.cycle.violations:
        lines.append(f"The strict cycle breaks {len(report.cycle.violations)} hard rule(s), e.g.:")
        lines += [f"  - {v}" for v in report.cycle.violations[:3]]
    else:
        lines.append(
            "The strict cycle obeys every hard rule; the plan is at least as good on every term"
            if _dominates(report)
            else "The strict cycle obeys every hard rule."
        )
    if result.broken:
        lines.append("Relaxed plan: these rules are broken:")
        lines += [f"  - {b}" for b in result.broken]
    if report.violations:
        lines.append("The validator lists:")
        lines += [f"  - {v}" for v in report.violations[:20]]
    elif report.out_dir is not None:
        lines.append(
            f"Validated and written to {report.out_dir}/ (rota.csv, duty_days.csv, "
            "teams.csv, summary.json, rota.xlsx)."
        )
    return "\n".join(lines)


def _dominates(report: PlanReport) -> bool:
    """The plan is lexicographically at least as good as the cycle (the order it optimises)."""
    if report.metrics is None:
        return False
    mine = list(report.metrics.objective_terms().values())
    cycle = list(report.cycle.metrics.objective_terms().values())
    return mine <= cycle
