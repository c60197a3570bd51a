"""Rule groups in the user's words: dates, teams and people, never absence reasons."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from .coverage import Coverage, duty_day_problem

if TYPE_CHECKING:
    from .solver.model import RuleGroup


# Rule groups that keep a period's teams in a re-plan or swap, and how a clash names them.
FROZEN_WINDOW = "(within the frozen window)"
FIXED = {
    "started": "{label} has started with team {team} on intake (its days before today are history)",
    "frozen": "{label} is frozen with team {team} on intake " + FROZEN_WINDOW,
    "kept": "{label} keeps team {team} on intake (a swap changes only the two periods)",
    "swap": "{label}: the swap puts team {team} on intake",
}


def _more(n: int) -> str:
    return f" (and {n} more day{'s' if n > 1 else ''})" if n else ""


def team_reason(group: RuleGroup, coverage: Coverage) -> str:
    """Why team ``group.team`` cannot (or could not) take intake in ``group.period``."""
    unit = coverage.grid.unit
    assert group.team is not None and group.period is not None
    cell = coverage.cell(group.team, group.period)
    team = unit.team(group.team)
    if group.rule == "staffing":
        gap = cell.staffing_gaps[0]
        return (
            f"team {team.id} has {gap.present} social worker{'s' if gap.present != 1 else ''} "
            f"present on {gap.day}, needs {gap.needed}{_more(len(cell.staffing_gaps) - 1)}"
        )
    if group.rule == "manager":
        deputies = ", ".join(team.deputies)
        if cell.uncovered:
            day = cell.uncovered[0]
            more = _more(len(cell.uncovered) - 1)
            if not deputies:
                return (
                    f"team {team.id}'s manager {team.manager} is away on {day}{more} "
                    "and the team has no deputies"
                )
            return f"team {team.id}'s manager {team.manager} and deputies {deputies} are away on {day}{more}"
        day = cell.manager_away[0]
        return (
            f"team {team.id}'s manager {team.manager} is away on {day} and its deputies "
            f"({deputies}) are managing other intake teams"
        )
    if group.rule == "duty":
        if cell.duty_gaps:
            gap = cell.duty_gaps[0]
            n = "one social worker" if gap.present == 1 else f"{gap.present} social workers"
            return (
                f"team {team.id} has {n} present on {gap.day}, duty needs {gap.needed}"
                f"{_more(len(cell.duty_gaps) - 1)}"
            )
        for day in cell.officers:
            problem = duty_day_problem(coverage, team.id, group.period, day)
            if problem:
                return problem
        return (
            f"team {team.id} cannot staff daily intake duty on every day of the period without "
            f"someone taking more than {unit.rules.max_duty_days_in_row} duty days in a row"
        )
    if group.rule == "pin":
        return f"team {team.id} is pinned to {coverage.grid.periods[group.period].label}"
    return f"team {team.id}: {group.rule} in period {group.period}"


def describe_groups(groups: list[RuleGroup], coverage: Coverage, conflict: bool = False) -> list[str]:
    """One sentence per clash (``conflict``) or per broken rule (a relaxed rota)."""
    grid = coverage.grid
    unit = grid.unit
    rules = unit.rules
    by_period: dict[int, list[RuleGroup]] = defaultdict(list)
    lines: list[str] = []
    for g in groups:
        if g.period is not None and g.rule in (
            "staffing",
            "manager",
            "teams_on_duty",
            "duty",
            *FIXED,
        ):
            by_period[g.period].append(g)
    for p in sorted(by_period):
        label = grid.periods[p].label
        need = [g for g in by_period[p] if g.rule == "teams_on_duty"]
        kept = [g for g in by_period[p] if g.rule in FIXED]
        texts = [
            (g, team_reason(g, coverage)) for g in by_period[p] if g.rule not in ("teams_on_duty", *FIXED)
        ]
        # A duty clash caused by an acting deputy already says why the manager cover fails.
        acting_clash = {g.team for g, text in texts if g.rule == "duty" and "must act" in text}
        reasons = "; ".join(text for g, text in texts if not (g.rule == "manager" and g.team in acting_clash))
        if kept:
            g = kept[0]
            head = FIXED[g.rule].format(label=label, team=g.team)
            lines.append(f"{head}, but {reasons}" if reasons else head)
            continue
        if need and conflict:
            k = rules.teams_on_duty
            head = "no team can take intake" if k == 1 else f"{k} teams cannot take intake"
            lines.append(f"{label}: {head}: {reasons}" if reasons else f"{label}: {head}")
        elif need:
            lines.append(f"{label}: fewer than {rules.teams_on_duty} team(s) on intake")
        elif conflict:
            lines.append(f"{label}: {reasons}")
        else:
            lines.append(f"{label}: intake despite the rules: {reasons}")
    for g in groups:
        if g.rule == "min_rest":
            verb = "needs" if conflict else "gets less than the"
            lines.append(
                f"team {g.team} {verb} at least {rules.min_rest_weeks} weeks off intake "
                "between two duty periods"
            )
        elif g.rule == "min_rest_before" and coverage.grid.before is not None:
            ends = [end for _, end in coverage.grid.before.intake.get(g.team or "", [])]
            lines.append(
                f"team {g.team} was on intake to {max(ends)} in the previous plan "
                f"({coverage.grid.before.folder}) and needs at least {rules.min_rest_weeks} weeks off "
                "intake after it"
            )
        elif g.rule == "duty_in_row_before":
            lines.append(
                f"team {g.team}'s social workers on duty on the previous plan's last workdays would "
                f"need more than {rules.max_duty_days_in_row} intake duty days in a row"
            )
        elif g.rule == "duty_in_row":
            lines.append(
                f"team {g.team}'s social workers would need more than "
                f"{rules.max_duty_days_in_row} intake duty days in a row"
            )
        elif g.rule == "pin":
            text = team_reason(g, coverage)
            lines.append(text if conflict else f"{text}, but does not take intake then")
    return lines
