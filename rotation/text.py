"""The short summary a team leader reads on the terminal: tables, not dumps."""

from __future__ import annotations

import math
import textwrap

import pandas as pd

from .labels import SHORT, label, person_label, short_label, week_number
from .pipeline import PlanReport
from .replan import ReplanReport, change_kind
from .solve import Stage

TEXT_WIDTH = 100  # the width prose on the terminal wraps at
MAXIMISED = ("person_intake_min",)  # stages that maximise a term (as its negative)
PEOPLE_SUMMARY = (
    "team",
    "person",
    "name",
    "fte",
    "duty_days",
    "mentor_days",
    "new_per_present_fte",
    "peak_open_per_fte",
    "holiday_adjacent_days",
)


def format_report(report: PlanReport) -> str:
    unit = report.planning.unit
    lang = unit.language
    result = report.result
    horizon = label("horizon", lang).format(weeks=unit.rules.weeks, start=unit.rules.start)
    lines = [f"{unit.name}: {horizon}"]
    if result.rota is None:
        lines.append(f"Solver status: {result.status} after {result.seconds:.1f} s — no rota.")
        if result.conflicts:
            lines.append("No rota can obey every rule. These rules clash:")
            lines += [f"  - {c}" for c in result.conflicts]
            lines.append("Fix one of them, or run `rotation plan --relax` for the least-bad rota.")
        return "\n".join(lines)

    names = {t.id: t.name for t in unit.teams}
    person_names = {p.id: p.name for p in unit.people}  # (as rota.xlsx and changes.md name them)
    acting: dict[tuple[int, str], list[str]] = {}
    for d in result.rota.duty_days:
        if d.acting:
            who = person_names.get(d.manager, d.manager) if d.manager else "–"
            acting[d.period, d.team] = [*acting.get((d.period, d.team), []), who]
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
                label("week", lang): week_number(period.start, lang),
                label("start", lang): period.start.isoformat(),
                label("end", lang): period.end.isoformat(),
                label("team", lang): ", ".join(names[t] for t in teams),
                label("acting", lang): acting_text,
            }
        )
    lines += ["", pd.DataFrame(rows).to_string(index=False), ""]
    if report.metrics and report.metrics.people:
        people = pd.DataFrame(report.metrics.people_rows())[list(PEOPLE_SUMMARY)]
        people = people.sort_values(["team", "person"], kind="stable")
        lines.append(people.rename(columns=lambda c: short_label(c, lang)).to_string(index=False))
        legend = [f"{short_label(k, lang)}: {person_label(k, lang)}" for k in PEOPLE_SUMMARY if k in SHORT]
        lines += [
            textwrap.fill("; ".join(legend), TEXT_WIDTH, initial_indent="  ", subsequent_indent="  "),
            "",
        ]
    lines.append(pd.DataFrame(report.comparison()).to_string(index=False))
    lines.append("")
    lines.append(f"{label('status', lang)}: {result.status}, {result.seconds:.2f} s.")
    if result.status != "OPTIMAL":

        def shown(s: Stage) -> dict[str, object]:
            # A stage that maximises (the lowest load) minimises its negative: shown as the
            # load itself, the bound then an upper one.
            sign = -1 if s.name.split(" ")[0] in MAXIMISED else 1
            return {
                label("stage", lang): s.name + (" (max)" if sign < 0 else ""),
                label("stage_status", lang): s.status,
                label("value", lang): "–" if math.isnan(s.value) else round(sign * s.value, 4),
                label("bound", lang): "–" if math.isnan(s.bound) else round(sign * s.bound, 4),
                label("gap", lang): "–" if math.isnan(s.gap) else f"{s.gap:.1%}",
            }

        stages = pd.DataFrame([shown(s) for s in result.stages if s.status != "OPTIMAL"])
        lines += [label("stages_open", lang), stages.to_string(index=False)]
    if result.clock_cut:
        cut = ", ".join(f"team {t} {share:.0%}" for t, share in result.clock_cut.items())
        lines.append(
            f"The clock cut the duty grid's work ({cut} of its share): the machine was slower or "
            "busier than usual, so another run may give a different grid; a longer --time-limit "
            "avoids it."
        )
    if report.cycle.violations:
        n = len(report.cycle.violations)
        lines.append(f"The strict cycle breaks the hard rules {n} time(s) (a day or period each), e.g.:")
        lines += [f"  - {v}" for v in report.cycle.violations[:3]]
    else:
        lines.append("The strict cycle obeys every hard rule. " + _versus_cycle(report))
    lines += _broken(report)
    if report.violations:
        if report.out_dir is not None:
            lines.append(f"Written to {report.out_dir}/ — NOT A VALID ROTA: it breaks the rules above.")
    elif report.out_dir is not None:
        files = ", ".join(sorted(p.name for p in report.out_dir.iterdir()))
        lines.append(f"Validated and written to {report.out_dir}/: {files}.")
    return "\n".join(lines)


def _broken(report: PlanReport) -> list[str]:
    """A relaxed plan's broken rules and what the validator says of it."""
    lines = []
    if report.result.broken:
        lines.append("Relaxed plan: these rules are broken:")
        lines += [f"  - {b}" for b in report.result.broken]
    if report.violations:
        lines.append("The validator lists:")
        lines += [f"  - {v}" for v in report.violations[:20]]
    return lines


def _versus_cycle(report: PlanReport) -> str:
    """Which terms the plan wins and loses against the cycle, in priority order."""
    if report.metrics is None:
        return ""
    lang = report.planning.unit.language
    cycle = report.cycle.metrics.objective_terms()
    mine = report.metrics.objective_terms()
    better = [label(k, lang) for k in cycle if mine[k] < cycle[k]]
    worse = [label(k, lang) for k in cycle if mine[k] > cycle[k]]
    if not better and not worse:
        return "The plan equals it on every term."
    text = f"The plan is better on: {', '.join(better) or 'nothing'}"
    if worse:
        text += f"; worse on: {', '.join(worse)}"
        first = next(k for k in cycle if mine[k] != cycle[k])
        if mine[first] < cycle[first]:
            text += f" (all lower in priority than {label(first, lang)})"
    return text + "."


def format_replan(replan: ReplanReport) -> str:
    """The change report on the terminal: what changed and who is affected."""
    result = replan.report.result
    unit = replan.report.planning.unit
    periods = replan.report.planning.grid.periods
    lang = unit.language
    if replan.command.startswith("swap"):
        a, b = (int(x) for x in replan.command.split()[1:])
        what = f"swap of {periods[a].label} and {periods[b].label}"
        kept = "Periods kept as published"
    else:
        what, kept = "re-plan", "Frozen periods (started or within the frozen window)"
    lines = [f"{unit.name}: {what}, from version {replan.published.version} ({replan.published.folder})"]
    lines.append(f"{kept}: {len(replan.frozen)}")
    if result.rota is None:
        lines.append(f"Solver status: {result.status} — no new version written.")
        if result.conflicts:
            lines.append("The rules clash:")
            lines += [f"  - {c}" for c in result.conflicts]
        return "\n".join(lines)
    changes = replan.changes
    counts = {k: sum(1 for c in changes if c.kind == k) for k in ("period", "duty", "acting")}
    lines.append(
        f"Changed: {counts['period']} period(s), {counts['duty']} duty day(s), "
        f"{counts['acting']} acting-manager day(s). Solver status: {result.status}."
    )
    if changes:
        names = {p.id: p.name for p in unit.people}
        frame = pd.DataFrame(
            [
                {
                    label("what", lang): change_kind(c, replan.frozen, lang),
                    label("when", lang): c.day.isoformat() if c.day else periods[c.period].label,
                    label("team", lang): c.team,
                    label("before", lang): c.old or "–",
                    label("after", lang): c.new or "–",
                    label("affected", lang): _first_names(c.affected, names),
                }
                for c in changes
            ]
        )
        lines += ["", frame.to_string(index=False), ""]
    lines += _broken(replan.report)
    idle = _without_duty(replan)
    if idle:
        people = {p.id: p.name for p in unit.people}
        notice = (
            "No duty days from today on for "
            + ", ".join(f"{people[q]} ({q})" for q in idle)
            + ", though they could take some: a re-plan keeps published duty days and moves only "
            "those it must."
        )
        lines += textwrap.wrap(notice, TEXT_WIDTH, break_on_hyphens=False)
        lines.append("To share the days after the frozen window out anew: replan with --rebalance-duty.")
    if replan.report.out_dir is not None and replan.report.violations:
        lines.append(
            f"New version written to {replan.report.out_dir}/ — NOT A VALID ROTA: it breaks the "
            "rules above (`rotation publish` refuses it). Settle how those days are covered, then "
            "re-plan the published version."
        )
    elif replan.report.out_dir is not None:
        lines.append(
            f"New version written to {replan.report.out_dir}/ with changes.csv and changes.md "
            "(send changes.md to the people affected)."
        )
    return "\n".join(lines)


def _first_names(people: tuple[str, ...], names: dict[str, str], most: int = 3) -> str:
    """The first ``most`` people by name, then how many more (changes.md lists them all)."""
    shown = ", ".join(names.get(q, q) for q in people[:most])
    return shown + (f" +{len(people) - most}" if len(people) > most else "")


def _without_duty(replan: ReplanReport) -> list[str]:
    """Social workers who could be on duty on some intake day from today on, and are on none."""
    rota, planning = replan.report.result.rota, replan.report.planning
    if rota is None or not rota.officers or planning.since is None:
        return []
    today = planning.since
    could = {
        q
        for (team, p), cell in planning.coverage.cells.items()
        if team in rota.on_intake[p]
        for day, officers in cell.officers.items()
        if day >= today
        for q in officers
    }
    on_duty = {o.person for o in rota.officers if o.date >= today}
    return sorted(could - on_duty)
