"""The second planning level: who of the intake team takes the new cases each day.

One function per duty rule and per duty objective term, on the same :class:`RotaModel` as the
team level, so the two levels can be solved together or one after the other.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise

from ortools.sat.python import cp_model

from .cpsat import new_solver
from .improve import MAX, MIN, PAIRS, SPREAD, DutyGrid, Rows, Term
from .model import SCALE, RotaModel, RuleGroup, spread
from .schedules import Kind, PersonLoads, Row

EXACT_PREFIXES = 3  # prefix windows that get exact counts in the caseload bound


def add_duty(m: RotaModel, fixed_intake: dict[tuple[str, int], bool] | None = None) -> None:
    """Variables and hard rules of the duty grid, in a fixed order."""
    add_duty_variables(m, fixed_intake)
    add_duty_staffing(m)
    add_duty_mentor(m)
    add_duty_in_row(m)
    add_duty_not_acting(m)
    m.terms["person_caseload"] = person_caseload_peak(m)
    m.terms["person_intake_max"], m.terms["person_intake_min"] = person_intake_fairness(m)
    m.terms["duty_bunching"] = duty_bunching(m)
    m.terms["holiday_adjacent_fairness"] = holiday_adjacent_fairness(m)


def _cells(m: RotaModel):  # type: ignore[no-untyped-def]
    """The team-period cells whose duty grid this model plans."""
    return [(key, m.coverage.cells[key]) for key in m.duty_cells]


def _teams(m: RotaModel) -> list:  # type: ignore[type-arg]
    return [t for t in m.unit.teams if t.id in m.duty_teams]


def _workers(m: RotaModel) -> list:  # type: ignore[type-arg]
    return [p for p in m.unit.people if p.is_social_worker and p.team in m.duty_teams]


def add_duty_variables(m: RotaModel, fixed_intake: dict[tuple[str, int], bool] | None) -> None:
    m.intake_fixed = fixed_intake is not None
    for (t, p), cell in m.coverage.cells.items():
        if t not in m.duty_teams or (fixed_intake is not None and not fixed_intake[t, p]):
            continue
        m.duty_cells.append((t, p))
        for d, officers in cell.officers.items():
            for q in officers:
                var = m.model.new_bool_var(f"duty[{q},{d}]")
                m.model.add_implication(var, m.on_intake[t, p])
                m.duty[q, d] = var


def duty_by_person(m: RotaModel) -> dict[str, list[tuple[date, cp_model.IntVar]]]:
    by_person: dict[str, list[tuple[date, cp_model.IntVar]]] = {}
    for (q, day), var in m.duty.items():
        by_person.setdefault(q, []).append((day, var))
    return by_person


def _day_duty(m: RotaModel, officers: list[str], d: date) -> list[cp_model.IntVar]:
    return [m.duty[q, d] for q in officers]


def add_duty_staffing(m: RotaModel) -> None:
    """Exactly ``duty_per_day`` officers from the intake team on each of its duty workdays."""
    unit = m.unit
    missing = []
    for (t, p), cell in _cells(m):
        lit = m.duty_groups[t, p] = m.group(RuleGroup("duty", team=t, period=p))
        for d, officers in cell.officers.items():
            k = unit.duty_per_day_on(d)
            total = sum(_day_duty(m, officers, d))
            m.model.add(total <= k * m.on_intake[t, p])
            m.model.add(total == k * m.on_intake[t, p]).only_enforce_if(lit)
            missing.append(k * m.on_intake[t, p] - total)
    # Officers missing on intake days: 0 unless a relaxed plan breaks a team-period's duty group;
    # then it fills every day it can, not none (see solve.plan).
    m.terms["missing_officers"] = sum(missing) if missing else cp_model.LinearExpr.constant(0)  # type: ignore[assignment]


def add_duty_mentor(m: RotaModel) -> None:
    """No new hire in introduction on duty without an experienced colleague the same day."""
    unit = m.unit
    weeks = unit.rules.introduction_weeks
    for (t, p), cell in _cells(m):
        for d, officers in cell.officers.items():
            people = [unit.person(q) for q in officers]
            for new in (q for q in people if q.in_introduction(d, weeks)):
                beside = [m.duty[q.id, d] for q in people if q != new and q.experienced_on(d, weeks)]
                m.model.add(m.duty[new.id, d] <= sum(beside)).only_enforce_if(m.duty_groups[t, p])


def add_duty_in_row(m: RotaModel) -> None:
    """At most ``max_duty_days_in_row`` consecutive duty workdays per person; in a re-plan the
    published duty days before today count as taken (a run may cross today)."""
    limit = m.unit.rules.max_duty_days_in_row
    workdays = m.coverage.grid.workdays
    runs = runs_before(m)
    for team in _teams(m):
        lit = m.group(RuleGroup("duty_in_row", team=team.id))
        for person in m.unit.social_workers(team.id):
            past = set(m.history.get(person.id, []))
            days = [m.duty.get((person.id, d)) for d in workdays]
            for i in range(len(days) - limit):
                window = [v for v in days[i : i + limit + 1] if v is not None]
                taken = sum(1 for d in workdays[i : i + limit + 1] if d in past)
                if window and len(window) + taken > limit:
                    m.model.add(sum(window) <= limit - taken).only_enforce_if(lit)
        carried = {q: r for q, r in runs.items() if m.unit.person(q).team == team.id}
        if carried:  # runs from the previous plan's last workdays go on at the start
            before = m.group(RuleGroup("duty_in_row_before", team=team.id))
            for run, window in carried.values():
                m.model.add(sum(window) <= limit - run).only_enforce_if(before)


def runs_before(m: RotaModel) -> dict[str, tuple[int, list[cp_model.IntVar]]]:
    """With ``--after``: each person's duty workdays in a row right before the start (at most
    the limit: a longer run is the previous plan's) and their duty days at the start it would
    go on into, where they can have enough of them to break the limit."""
    grid = m.coverage.grid
    if grid.before is None:
        return {}
    limit = m.unit.rules.max_duty_days_in_row
    runs = {}
    for person in _workers(m):
        run = min(grid.before.runs.get(person.id, 0), limit)
        window = [m.duty[person.id, d] for d in grid.workdays[: limit - run + 1] if (person.id, d) in m.duty]
        if run and len(window) > limit - run:
            runs[person.id] = (run, window)
    return runs


def add_duty_not_acting(m: RotaModel) -> None:
    """Nobody on duty on a day they act as manager."""
    for (_, d, q), acting in m.acting.items():
        if (q, d) in m.duty:
            m.model.add(m.duty[q, d] + acting <= 1)


def caseload_rows(m: RotaModel) -> Rows:
    """Each person's expected open investigations per FTE (x SCALE) in each week their peak can
    lie in, as a constant plus a weight per duty day.

    A duty day brings the day's expected new investigations shared among its officers; they
    stay open as the duration distribution says.
    """
    d = m.demand
    grid = m.coverage.grid
    unit = m.unit
    s = d.survival
    by_person = duty_by_person(m)
    rows: Rows = {}
    for person in _workers(m):
        base = d.person_baseline[person.id].copy()
        for day in m.history.get(person.id, []):  # a re-plan's past duty: fixed load
            k = grid.week_of(day)
            base[k:] += d.day_new[day] / max(unit.duty_per_day_on(day), 1) * s[: len(base) - k]
        duties = by_person.get(person.id, [])
        # A person's load only decays outside their intake weeks, so its peak lies in week 0
        # (not in a re-plan: the past is fixed) or in a week they may take duty.
        weeks = sorted(({0} if not m.history else set()) | {grid.week_of(day) for day, _ in duties})
        for w in weeks:
            coefs: dict[date, int] = {}
            for day, _ in duties:
                k = grid.week_of(day)
                if k <= w:
                    share = d.day_new[day] / max(unit.duty_per_day_on(day), 1)
                    coefs[day] = round(SCALE * share * s[w - k] / person.fte)
            rows.setdefault(person.id, []).append((round(SCALE * base[w] / person.fte), coefs))
    return rows


def person_caseload_peak(m: RotaModel) -> cp_model.LinearExpr:
    """Peak over people and weeks of expected open investigations per FTE (x SCALE)."""
    rows = caseload_rows(m)
    worst = max((const + sum(coefs.values()) for r in rows.values() for const, coefs in r), default=0)
    peak = m.model.new_int_var(0, int(worst) + 1, "person_caseload_peak")
    for q, person_rows in rows.items():
        for const, coefs in person_rows:
            m.model.add(peak >= const + sum(c * m.duty[q, day] for day, c in coefs.items() if c))
    m.loads["person_caseload"] = {"": rows}
    if m.intake_fixed:
        # Only with the teams fixed and every duty rule hard (the duty grid after the team
        # level): a relaxed plan may leave slots empty.
        m.person_loads["person_caseload"] = person_loads(m, rows)
    return peak


def person_loads(m: RotaModel, rows: Rows) -> PersonLoads:
    """A person-level term as :mod:`.schedules` counts it: days grouped into kinds (one week,
    the same officers present, the same number needed), and windows to count over -- the
    first one to three intake periods, each period, each two in a row and each week."""
    grid = m.coverage.grid
    kind: dict[date, tuple[int, int, tuple[str, ...]]] = {}
    slots: dict[Kind, int] = {}
    available: dict[str, dict[Kind, int]] = {}
    periods: list[frozenset[Kind]] = []
    weeks: dict[int, set[Kind]] = {}
    for _, cell in sorted(_cells(m), key=lambda kv: kv[0][1]):
        for day, officers in cell.officers.items():
            k = kind[day] = (grid.week_of(day), m.unit.duty_per_day_on(day), tuple(sorted(officers)))
            slots[k] = slots.get(k, 0) + k[1]
            weeks.setdefault(k[0], set()).add(k)
            for q in officers:
                available.setdefault(q, {})
                available[q][k] = available[q].get(k, 0) + 1
        periods.append(frozenset(kind[day] for day in cell.officers))
    # Days of a kind weigh the same in every row; should rounding differ, the lightest weight
    # is kept (that keeps the count valid).
    by_kind: dict[str, list[Row]] = {}
    for q, person_rows in rows.items():
        for const, coefs in person_rows:
            weights: dict[Kind, int] = {}
            for day, c in coefs.items():
                if day in kind:
                    weights[kind[day]] = min(weights.get(kind[day], c), c)
            by_kind.setdefault(q, []).append((const, weights))
    # Exact counts (CP-SAT) over the first periods: there every row of a person is wholly in
    # the window and the count is strongest (measured: the first three decide the bound on
    # municipality C; longer ones cost more than they prove). Shorter windows: row by row.
    exact = min(len(periods), EXACT_PREFIXES)
    windows = [frozenset().union(*periods[: i + 1]) for i in range(exact)]
    windows += periods + [a | b for a, b in pairwise(periods)] + [frozenset(w) for w in weeks.values()]
    return PersonLoads(slots, available, by_kind, list(dict.fromkeys(windows)), exact)


def team_rows(m: RotaModel, weight) -> dict[str, Rows]:  # type: ignore[no-untyped-def]
    """Per team, each social worker's one row: their past duty days plus their duty days here,
    each day weighing ``weight(person, day)`` (0: the day does not count)."""
    duties = duty_by_person(m)
    rows: dict[str, Rows] = {}
    for team in _teams(m):
        for person in m.unit.social_workers(team.id):
            if not duties.get(person.id) and not m.history.get(person.id):
                continue  # (no day they could take: a leaver, or away all the team's intake)
            coefs = {day: weight(person, day) for day, _ in duties.get(person.id, [])}
            past = sum(weight(person, day) for day in m.history.get(person.id, []))
            rows.setdefault(team.id, {})[person.id] = [(past, {d: c for d, c in coefs.items() if c})]
    return rows


def _row_expr(m: RotaModel, q: str, row: tuple[int, dict[date, int]]) -> cp_model.LinearExpr:
    const, coefs = row
    return const + sum(c * m.duty[q, day] for day, c in coefs.items())  # type: ignore[return-value]


def person_intake_fairness(m: RotaModel) -> tuple[cp_model.LinearExpr, cp_model.LinearExpr]:
    """Balance new investigations per present FTE within each team: the highest load (summed
    over teams), then the lowest (maximised). Each has the team mean as a tight LP bound, which
    a max-minus-min spread lacks; together they bound the spread.

    A person's load: the expected new investigations of their duty days (x SCALE), per present
    FTE (their FTE times the share of the horizon's workdays they are there)."""
    d = m.demand
    unit = m.unit

    def weight(person, day: date) -> int:  # type: ignore[no-untyped-def]
        share = d.day_new[day] / max(unit.duty_per_day_on(day), 1)
        return round(SCALE * share / d.person_capacity[person.id])

    rows = team_rows(m, weight)
    m.loads["person_intake_max"] = m.loads["person_intake_min"] = rows
    upper = int(SCALE * sum(d.day_new.values()) / min(d.person_capacity.values())) + 1
    highs, lows = [], []
    for team, people in rows.items():
        hi = m.model.new_int_var(0, upper, f"person_intake_max[{team}]")
        lo = m.model.new_int_var(0, upper, f"person_intake_min[{team}]")
        for q, (row,) in people.items():
            m.model.add(hi >= _row_expr(m, q, row))
            m.model.add(lo <= _row_expr(m, q, row))
        highs.append(hi)
        lows.append(lo)
    return sum(highs), -sum(lows)  # type: ignore[return-value]


def duty_bunching(m: RotaModel) -> cp_model.LinearExpr:
    """Pairs of back-to-back duty workdays of one person: spread duty through the period."""
    workdays = m.coverage.grid.workdays
    pairs = []
    by_day: dict[date, list[cp_model.IntVar]] = {}
    for person in _workers(m):
        for a, b in pairwise(workdays):
            va, vb = m.duty.get((person.id, a)), m.duty.get((person.id, b))
            if va is not None and vb is not None:
                both = m.model.new_bool_var(f"back_to_back[{person.id},{a}]")
                m.model.add(both >= va + vb - 1)
                pairs.append(both)
                by_day.setdefault(a, []).append(both)
    # Pigeonhole cuts: in L consecutive duty days of a team, a person takes at most ceil(L/2)
    # days without two in a row, so L*k slots among A people force L*k - ceil(L/2)*A pairs.
    for _, cell in _cells(m):
        days = list(cell.officers)
        for length in (2, 3, 4):
            for i in range(len(days) - length + 1):
                window = days[i : i + length]
                if any(workdays.index(b) - workdays.index(a) != 1 for a, b in pairwise(window)):
                    continue
                people = set().union(*(cell.officers[x] for x in window))
                slots = sum(m.unit.duty_per_day_on(x) for x in window)
                forced = slots - (length + 1) // 2 * len(people)
                inside = [z for x in window[:-1] for z in by_day.get(x, [])]
                if forced > 0 and inside:
                    on = m.on_intake[cell.team, cell.period]
                    lit = m.duty_groups[cell.team, cell.period]
                    m.model.add(sum(inside) >= forced * on).only_enforce_if(lit)
    return sum(pairs) if pairs else cp_model.LinearExpr.constant(0)  # type: ignore[return-value]


def holiday_adjacent_fairness(m: RotaModel) -> cp_model.LinearExpr:
    """Within each team, spread of duty days before public holidays and on summer Fridays."""
    grid = m.coverage.grid
    rows = team_rows(m, lambda person, day: int(grid.is_holiday_adjacent(day)))
    m.loads["holiday_adjacent_fairness"] = rows
    spreads = []
    for team, people in rows.items():
        loads = [_row_expr(m, q, row) for q, (row,) in people.items()]
        if len(loads) > 1:
            spreads.append(spread(m, f"holiday_adjacent[{team}]", loads, len(grid.workdays)))
    return sum(spreads) if spreads else cp_model.LinearExpr.constant(0)  # type: ignore[return-value]


TERM_KINDS = {
    "person_caseload": MAX,
    "person_intake_max": MAX,
    "person_intake_min": MIN,
    "duty_bunching": PAIRS,
    "holiday_adjacent_fairness": SPREAD,
}


def term_value(m: RotaModel, term: str, values: dict[int, int]) -> int:
    """A duty-grid term (one of TERM_KINDS) of a solution (``values``: variable index -> value),
    from the rows the model's constraints are made of: its value with every duty day fixed."""
    on = {key for key, var in m.duty.items() if values.get(var.index)}
    kind = TERM_KINDS[term]
    if kind == PAIRS:
        pairs = list(pairwise(m.coverage.grid.workdays))
        return sum((q, a) in on and (q, b) in on for q in {q for q, _ in m.duty} for a, b in pairs)
    total = 0
    for people in m.loads[term].values():
        loads = [
            [const + sum(c for day, c in coefs.items() if (q, day) in on) for const, coefs in rows]
            for q, rows in people.items()
            if rows
        ]
        if not loads:
            continue
        highest, lowest = max(max(r) for r in loads), min(min(r) for r in loads)
        if kind == MAX:
            total += max(highest, 0)
        elif kind == MIN:
            total -= max(lowest, 0)
        elif len(loads) > 1:
            total += highest - lowest
    return total


def duty_grid(m: RotaModel, values: dict[int, int]) -> DutyGrid | None:
    """The duty grid's rules and terms as the local search needs them, with the acting managers
    of a solution (``values``: variable index -> value) kept; None where the model plans more
    than one team's grid, or in a re-plan."""
    if len(m.duty_teams) != 1 or m.history or runs_before(m):
        # (nor in a re-plan, nor after a previous plan's run of duty days: the local search
        # does not know days in a row before the start)
        return None
    unit = m.unit
    weeks = unit.rules.introduction_weeks
    workday = {d: i for i, d in enumerate(m.coverage.grid.workdays)}
    cells = sorted(_cells(m), key=lambda kv: kv[0][1])
    days = [d for _, cell in cells for d in cell.officers]
    index = {d: i for i, d in enumerate(days)}
    present, new_hires, experienced = [], [], []
    for _, cell in cells:
        for d, officers in cell.officers.items():
            people = [unit.person(q) for q in sorted(officers)]
            present.append([p.id for p in people])
            new_hires.append({p.id for p in people if p.in_introduction(d, weeks)})
            experienced.append({p.id for p in people if p.experienced_on(d, weeks)})
    acting = {
        (q, index[d])
        for (_, d, q), var in m.acting.items()
        if d in index and (q, d) in m.duty and values.get(var.index)
    }
    terms = {name: Term(kind, m.loads.get(name, {})) for name, kind in TERM_KINDS.items()}
    return DutyGrid(
        days,
        present,
        [workday[d] for d in days],
        new_hires,
        experienced,
        acting,
        unit.rules.max_duty_days_in_row,
        terms,
    )


def greedy_duty(m: RotaModel) -> dict[tuple[str, date], int]:
    """A quick fair duty grid to start the search from (a hint, not a result).

    Day by day, take the present officers with the fewest expected new investigations per
    present FTE so far, preferring those not on duty the day before, keeping the day-in-row
    limit and putting an experienced colleague beside a new hire where the day allows it.
    """
    unit = m.unit
    d = m.demand
    weeks = unit.rules.introduction_weeks
    limit = unit.rules.max_duty_days_in_row
    workdays = m.coverage.grid.workdays
    previous = {day: workdays[i - 1] for i, day in enumerate(workdays) if i}
    acting = {(q, day) for (_, day, q), var in m.acting.items() if m.solution_values.get(var.index)}
    load: dict[str, float] = {
        q: sum(d.day_new[day] / max(unit.duty_per_day_on(day), 1) for day in days)
        for q, days in m.history.items()
    }
    index = {day: i for i, day in enumerate(workdays)}
    taken = {(q, index[day]) for q, days in m.history.items() for day in days if day in index}
    taken |= {(q, -k) for q, (n, _) in runs_before(m).items() for k in range(1, n + 1)}

    def run(q: str, day: date) -> int:
        """Duty workdays in a row that ``q`` has just before ``day``."""
        i = index[day]
        while (q, i - 1) in taken:
            i -= 1
        return index[day] - i

    chosen: dict[tuple[str, date], int] = {}
    for (_, _), cell in sorted(_cells(m), key=lambda kv: kv[0][1]):
        for day, officers in cell.officers.items():
            k = unit.duty_per_day_on(day)
            free = [q for q in officers if (q, day) not in acting and run(q, day) < limit]

            def rank(q: str, day: date = day) -> tuple[bool, float, str]:
                yesterday = chosen.get((q, previous.get(day, day)), 0) == 1
                return (yesterday, load.get(q, 0.0) / d.person_capacity[q], q)

            picked = sorted(free, key=rank)[:k]
            people = {q: unit.person(q) for q in picked}
            if any(p.in_introduction(day, weeks) for p in people.values()) and not any(
                p.experienced_on(day, weeks) and not p.in_introduction(day, weeks) for p in people.values()
            ):
                spare = [
                    q
                    for q in sorted(free, key=rank)
                    if q not in picked and unit.person(q).experienced_on(day, weeks)
                ]
                if spare and picked:
                    picked[-1] = spare[0]
            for q in officers:
                on = int(q in picked)
                chosen[q, day] = on
                if on:
                    taken.add((q, index[day]))
                    load[q] = load.get(q, 0.0) + d.day_new[day] / max(k, 1)
    return chosen


def add_duty_possible(m: RotaModel) -> None:
    """For a team-level model without the duty grid: a team can only take a period whose duty
    grid exists. Checked per team and period (one small model each, only where a day is tight),
    so the second level never finds the chosen teams impossible to staff."""
    for (t, p), cell in m.coverage.cells.items():
        if cell.duty_gaps or not duty_grid_exists(m, t, p):
            lit = m.group(RuleGroup("duty", team=t, period=p))
            m.model.add(m.on_intake[t, p] == 0).only_enforce_if(lit)


def duty_grid_exists(m: RotaModel, team: str, period: int) -> bool:
    """Whether team ``team`` could staff every duty day of ``period`` on its own: officers
    present, a mentor beside each new hire, the days-in-row limit, and a deputy from the team
    acting on days the manager is away. Cached on the coverage, as it depends on no decision."""
    cache: dict[tuple[str, int], bool] = m.coverage.__dict__.setdefault("_duty_exists", {})
    if (team, period) in cache:
        return cache[team, period]
    unit = m.unit
    cell = m.coverage.cell(team, period)
    weeks = unit.rules.introduction_weeks
    days = list(cell.officers)
    tight = any(
        len(cell.officers[d]) <= unit.duty_per_day_on(d) + 1
        or any(unit.person(q).in_introduction(d, weeks) for q in cell.officers[d])
        for d in days
    )
    if not tight or not unit.plans_duty:
        cache[team, period] = True
        return True
    model = cp_model.CpModel()
    y = {(q, d): model.new_bool_var(f"y[{q},{d}]") for d in days for q in cell.officers[d]}
    for d in days:
        model.add(sum(y[q, d] for q in cell.officers[d]) == unit.duty_per_day_on(d))
        people = [unit.person(q) for q in cell.officers[d]]
        for new in (q for q in people if q.in_introduction(d, weeks)):
            beside = [y[q.id, d] for q in people if q != new and q.experienced_on(d, weeks)]
            model.add(y[new.id, d] <= sum(beside))
        if d in cell.deputies_present:
            present = cell.deputies_present[d]
            outside = [q for q in present if q not in cell.officers[d]]
            if not outside and present:
                # Only the team's own social workers can act: one of them is busy managing.
                acts = {q: model.new_bool_var(f"act[{q},{d}]") for q in present}
                model.add_exactly_one(acts.values())
                for q, a in acts.items():
                    model.add(y[q, d] + a <= 1)
    limit = unit.rules.max_duty_days_in_row
    for q in {q for d in days for q in cell.officers[d]}:
        row = [y.get((q, d)) for d in days]
        for i in range(len(row) - limit):
            window = [v for v in row[i : i + limit + 1] if v is not None]
            if len(window) > limit:
                model.add(sum(window) <= limit)
    solver = new_solver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5.0
    status = solver.solve(model)
    cache[team, period] = status != cp_model.INFEASIBLE
    return cache[team, period]
