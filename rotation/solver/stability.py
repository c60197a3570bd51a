"""Re-planning against a published rota: frozen periods and as few changes as possible."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ortools.sat.python import cp_model

from .model import RotaModel, RuleGroup


@dataclass(frozen=True)
class Baseline:
    """The published plan a re-plan must respect."""

    on_intake: tuple[tuple[str, ...], ...]  # per period
    officers: frozenset[tuple[str, date]] = frozenset()  # (person, day) on duty
    frozen_periods: frozenset[int] = frozenset()  # started or within the frozen window
    started: frozenset[int] = frozenset()  # begun before today: never change, whatever is allowed
    allow_frozen_changes: bool = False
    balance_slack: float = 0.0  # relative: accept this much worse balance for fewer changes
    rebalance_duty: bool = False  # person level: balance before keeping unfrozen duty days
    pins: dict[int, tuple[str, ...]] = field(default_factory=dict)  # period -> teams (a swap)
    acting: frozenset[tuple[str, date, str]] = frozenset()  # (team, day, person) acting manager


def add_frozen(m: RotaModel, baseline: Baseline) -> None:
    """Frozen periods keep their teams: one rule group per period, to explain or to relax. A
    period begun before today ("started") has history days the re-plan keeps as published, so
    it keeps its team even where frozen ones may change. In a swap every other period keeps its
    team ("kept"), the two periods take each other's ("swap")."""
    for p in sorted(baseline.frozen_periods | set(baseline.pins)):
        teams = baseline.pins.get(p, baseline.on_intake[p])
        if p in baseline.pins:
            rule = "swap"
        elif p in baseline.started:
            rule = "started"
        else:
            rule = "kept" if baseline.pins else "frozen"
        lit = m.group(RuleGroup(rule, team=",".join(teams), period=p, penalty=1))
        for t in m.team_ids:
            m.model.add(m.on_intake[t, p] == int(t in teams)).only_enforce_if(lit)


def changed_periods(m: RotaModel, baseline: Baseline) -> cp_model.LinearExpr:
    """Periods whose teams differ from the published plan."""
    changed = []
    for p, teams in enumerate(baseline.on_intake):
        if p in baseline.pins:
            continue
        flag = m.model.new_bool_var(f"changed[{p}]")
        for t in m.team_ids:
            m.model.add(flag >= (1 - m.on_intake[t, p]) if t in teams else flag >= m.on_intake[t, p])
        changed.append(flag)
    return sum(changed) if changed else cp_model.LinearExpr.constant(0)  # type: ignore[return-value]


def changed_duty_days(m: RotaModel, baseline: Baseline, frozen: bool) -> cp_model.LinearExpr:
    """Published duty person-days (in frozen periods, or in the others) no longer on duty."""
    grid = m.coverage.grid
    lost = [
        1 - var
        for (q, d), var in m.duty.items()
        if (q, d) in baseline.officers and (grid.period_of(d) in baseline.frozen_periods) == frozen
    ]
    return sum(lost) if lost else cp_model.LinearExpr.constant(0)  # type: ignore[return-value]


def changed_acting_days(m: RotaModel, baseline: Baseline) -> cp_model.LinearExpr:
    """Published acting-manager days (team, day, deputy) whose deputy no longer acts. A deputy
    plans around the days they stand in for a manager, as an officer around duty days."""
    lost = [1 - var for key, var in m.acting.items() if key in baseline.acting]
    return sum(lost) if lost else cp_model.LinearExpr.constant(0)  # type: ignore[return-value]
