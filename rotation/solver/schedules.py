"""A proven bound for the caseload peak (a person-level min-max term), from whole duty days.

CP-SAT proves its bounds with an LP that shares every duty day out fractionally, and a min-max
balance over whole days is where that relaxation is weakest: one duty day is about a tenth of a
person's caseload per FTE, and fractional days balance perfectly. A counting argument does
better. Take a value P and a *window* of duty days (the first intake periods of a team, say):
if everyone took as many days of the window as they can while keeping every one of their rows
(their caseload in each week) at or under P, and that still left slots of the window empty, no
duty grid has all rows at or under P -- the term's optimum is above P.

A person's most days are counted on *kinds* of days: days of one week with the same officers
present and the same number needed are interchangeable for every row (a day's load depends only
on its week and how many share it). Days outside the window are counted as not taken: loads
only grow with days, so that keeps the argument valid. The rules that tie people together
(mentor, acting manager) and days in a row are left out, which keeps it valid too, only weaker.

Counting per person cannot see which days a person can *combine* (two summer days and a spring
day, say). :func:`pattern_proof` can: it enumerates each person's largest choices of days in a
window under P and asks CP-SAT whether one choice per person covers the window's slots.

Windows cannot see across the year either: a person who takes many spring days has no room in
summer. :func:`priced_bound` can: it prices each kind of day (column generation over each
person's choices of days over the whole horizon, a Dantzig-Wolfe LP) and proves far more, at a
cost of tens of seconds on a team's year, so the planner does not run it; the benchmark
``benchmarks/bench_bound.py`` does, to measure how far a plan's peaks are from the optimum.

Everything here is deterministic: the same input gives the same bound.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from .cpsat import new_solver

Kind = Hashable
Row = tuple[int, dict[Kind, int]]  # constant + sum of coefficient * days of a kind (scaled integers)

EXACT_WORK = 0.05  # deterministic seconds one person's exact count may take at most
CALL_WORK = 0.002  # deterministic seconds counted for setting up one exact count (measured)
COUNT_WORK = 1e-5  # deterministic seconds counted per row of a count row by row (measured)


@dataclass(frozen=True)
class PersonLoads:
    """A person-level term in the form the bound needs: the term is the highest of all people's
    ``rows``."""

    slots: dict[Kind, int]  # officers needed over all days of a kind
    available: dict[str, dict[Kind, int]]  # person -> kind -> days of that kind they are there
    rows: dict[str, list[Row]]
    windows: list[frozenset[Kind]]  # windows to count over, in the order tried
    exact_windows: int = 0  # the first this many are also counted exactly (CP-SAT), value by value


@dataclass(frozen=True)
class Bound:
    value: int  # proven: the term's optimum is at least this
    work: float  # deterministic seconds counted (CP-SAT's, and a fixed cost per count)
    tests: int  # values of P tested
    by_rows: tuple[int, ...] = ()  # each window's bound from counting row by row


class _Counts:
    """Each person's most days of a window under a value, with what does not depend on the
    value (the rows' weights of the window's days, lightest first) worked out once."""

    def __init__(self, loads: PersonLoads) -> None:
        self.loads = loads
        self.rows: dict[tuple[str, int], tuple[int, list[tuple[int, list[tuple[int, int]]]]]] = {}
        # Each person's highest row constant: their load with no days of any window.
        self.fixed = {q: max((c for c, _ in rows), default=0) for q, rows in loads.rows.items()}
        self.work = 0.0

    def _rows(self, person: str, i: int) -> tuple[int, list[tuple[int, list[tuple[int, int]]]]]:
        """(days there, [(row constant, window weights lightest first)]) of a person: the rows
        the window's days weigh in (rows without them are checked alone, in :meth:`most`)."""
        if (person, i) not in self.rows:
            window = self.loads.windows[i]
            own = {k: a for k, a in self.loads.available.get(person, {}).items() if k in window}
            weighed = [
                (const, sorted((coefs.get(k, 0), a) for k, a in own.items()))
                for const, coefs in self.loads.rows.get(person, [])
                if any(coefs.get(k, 0) for k in own)
            ]
            self.rows[person, i] = (sum(own.values()), weighed)
        return self.rows[person, i]

    def row_bound(self, i: int) -> int:
        """The smallest value at which window ``i``'s slots can be counted full, row by row:
        the person's n-th day needs every row to hold its n lightest days, so each (person, n)
        has a threshold; the slots-th smallest of them all is where the counts first reach
        the slots. Below it no grid exists (the whole-day argument, worked out in one pass)."""
        slots = sum(k for c, k in self.loads.slots.items() if c in self.loads.windows[i])
        thresholds: list[int] = []
        for person in sorted(self.loads.available):
            there, rows = self._rows(person, i)
            self.work += COUNT_WORK * len(rows)
            need = [
                self.fixed.get(person, 0)
            ] * there  # need[n - 1]: the value at which the person can take n days
            for const, weights in rows:
                days = [w for w, count in weights for _ in range(count)]
                load = const
                for n, w in enumerate(days):
                    load += w
                    need[n] = max(need[n], load)
            thresholds += need
        if len(thresholds) < slots or slots == 0:
            return 0  # no grid at all (the staffing rule says so) or nothing to fill
        return sorted(thresholds)[slots - 1]

    def most(self, person: str, i: int, value: int) -> int:
        """An upper bound on the days of window ``i`` the person can take keeping every row at
        ``value``: the fewest any single row allows (lightest days first) or, where two rows
        or more bind, CP-SAT's exact count. -1: not even with no days."""
        if self.fixed.get(person, 0) > value:
            return -1
        there, rows = self._rows(person, i)
        best, binding = there, 0
        self.work += COUNT_WORK * len(rows)
        for const, weights in rows:
            room = value - const
            if room < 0:
                return -1
            taken = 0
            for weight, count in weights:
                if weight * count > room:
                    taken += room // weight
                    break
                room -= weight * count
                taken += count
            binding += taken < there
            best = min(best, taken)
        if binding < 2:
            return best
        window = self.loads.windows[i]
        model = cp_model.CpModel()
        n = {k: model.new_int_var(0, a, "") for k, a in self.loads.available[person].items() if k in window}
        for const, coefs in self.loads.rows.get(person, []):
            terms = [(coefs[k], x) for k, x in n.items() if coefs.get(k, 0)]
            if terms:
                model.add(sum(c * x for c, x in terms) <= value - const)
        model.maximize(sum(n.values()))
        solver = new_solver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = 0
        solver.parameters.max_deterministic_time = EXACT_WORK
        code = solver.solve(model)
        self.work += solver.deterministic_time + CALL_WORK
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            best = min(best, int(solver.best_objective_bound + 1e-6))
        return best


def proves_beyond(counts: _Counts, value: int, first: int = 0, exact: list[int] | None = None) -> int | None:
    """Whether counting exactly (over the windows ``exact``; by default the first
    ``exact_windows``) proves that no duty grid has every row at or under ``value``: the window
    that proves it, or None. Window ``first`` is tried first (the one that proved the last
    value tested)."""
    loads = counts.loads
    people = sorted(loads.available)
    if exact is None:
        exact = list(range(min(loads.exact_windows, len(loads.windows))))
    for i in [first, *(i for i in exact if i != first)] if exact else []:
        slots = sum(k for c, k in loads.slots.items() if c in loads.windows[i])
        room = -slots
        for q in people:
            most = counts.most(q, i, value)
            if most < 0:
                return i
            room += most
        if room < 0:
            return i
    return None


def window_bound(
    loads: PersonLoads, found: int, proven: int, tolerance: float, work: float, patterns: bool = True
) -> Bound:
    """The best bound the counting argument proves between ``proven`` (a bound already known)
    and ``found`` (the value of a grid), with about ``work`` deterministic seconds: every
    window counted row by row (one pass each), then each value tested with exact counts over
    the first windows and, where they fail, with ``patterns`` (:func:`pattern_proof`): first
    just above what is proven (where that fails, nothing is proved here and the work is better
    spent searching), then galloping up and halving the last step until the interval is a fifth
    of ``tolerance`` wide or the work is spent."""
    counts = _Counts(loads)
    by_rows = [counts.row_bound(i) for i in range(len(loads.windows))]
    proven = max([proven, *by_rows])
    # Exact counts: the first windows, the one where counting row by row proved the most (a
    # summer period, say: there whole days weigh most) and the windows that contain it (it with
    # the period before or after: days a person took in the one still weigh in the other's rows).
    exact = list(range(min(loads.exact_windows, len(loads.windows))))
    strongest = sorted(range(len(by_rows)), key=lambda i: (-by_rows[i], i))
    if strongest:
        best = loads.windows[strongest[0]]
        around = [i for i, w in enumerate(loads.windows) if best <= w]
        exact += [i for i in around if i not in exact]
    # "No grid has all rows <= P" proves the bound P + 1.
    low, high = proven - 1, found - 1  # proved (or known) / the largest P to try
    window = strongest[0] if strongest else 0
    tests = 0
    close = max(1, int(tolerance / 5 * found))  # a fifth of the gap the stage allows
    # Galloping up from what is known (a value proved is cheap: its window proves it at once;
    # one that is not costs every window), then halving the last step.
    step = close
    candidate = min(low + step, high)  # just above what is known: if that fails, stop
    galloping = True
    hint: frozenset[Kind] | None = None  # the window whose patterns proved the last value
    while counts.work <= work and low < high:
        tests += 1
        proof = proves_beyond(counts, candidate, window, exact)
        if proof is None and patterns:
            hint, used = pattern_proof(loads, candidate, work - counts.work, by_rows, hint)
            counts.work += used
            proof = None if hint is None else loads.windows.index(hint)
        if proof is None:
            if tests == 1:
                break
            high, galloping = candidate - 1, False
        else:
            window = proof
            low = candidate
            step *= 2
        if high - low < close:
            break
        candidate = min(low + step, high) if galloping else (low + high + 1) // 2
    return Bound(low + 1, counts.work, tests, tuple(by_rows))


# --- Patterns: each person's whole choice of days in a window, all people together ------------

# Measured on 8 x 5 years (every team's caseload peak proven optimal): the window that proves
# it takes 400-2,500 steps and 90-500 patterns, CP-SAT 0.003-0.02 deterministic seconds.
PATTERN_LIMIT = 1_000  # patterns over all people of a window; more and the window is skipped
NODE_LIMIT = 5_000  # steps of a window's enumeration; more and the window is skipped
PATTERN_WORK = 0.05  # deterministic seconds one window's CP-SAT test may take at most
NODE_WORK = 4e-6  # deterministic seconds counted per step (7-8 us measured, at CP-SAT's rate)


class _Enumeration:
    """A person's *patterns* in a window: how many days of each kind they take, every row at or
    under the value, and no day more fits (a subset of a pattern is one too, so covering the
    slots with the largest ones is all a grid needs)."""

    def __init__(self, loads: PersonLoads, window: frozenset[Kind], value: int, steps: int) -> None:
        self.loads, self.window, self.value = loads, window, value
        self.steps = steps  # left, over all people of the window
        self.limit = steps

    @property
    def work(self) -> float:
        """Deterministic seconds counted for the steps taken."""
        return NODE_WORK * (self.limit - max(self.steps, 0))

    def patterns(self, person: str) -> list[dict[Kind, int]] | None:
        """The person's patterns ([] when even no day keeps a row at the value), or None when
        the enumeration ran out of steps."""
        own = {k: a for k, a in self.loads.available.get(person, {}).items() if k in self.window and a}
        rows = self.loads.rows.get(person, [])
        if any(const > self.value for const, _ in rows):
            return []
        weighed = [(self.value - const, coefs) for const, coefs in rows if any(coefs.get(k) for k in own)]
        free = {k: a for k, a in own.items() if not any(coefs.get(k) for _, coefs in weighed)}
        # Heaviest kinds first: they leave the least room, so the tree stays narrow.
        kinds = sorted((k for k in own if k not in free), key=lambda k: -max(c.get(k, 0) for _, c in weighed))
        weights = [[coefs.get(k, 0) for _, coefs in weighed] for k in kinds]
        room = [r for r, _ in weighed]
        taken = [0] * len(kinds)
        found: list[dict[Kind, int]] = []

        def fits(i: int, n: int) -> bool:
            return all(n * w <= r for w, r in zip(weights[i], room, strict=True))

        def walk(i: int) -> bool:
            self.steps -= 1
            if self.steps < 0:
                return False
            if i == len(kinds):
                if all(taken[j] == own[k] or not fits(j, 1) for j, k in enumerate(kinds)):
                    found.append({**free, **{k: n for k, n in zip(kinds, taken, strict=True) if n}})
                return True
            most = 0
            while most < own[kinds[i]] and fits(i, most + 1):
                most += 1
            for n in range(most, -1, -1):
                taken[i] = n
                for j, w in enumerate(weights[i]):
                    room[j] -= n * w
                going = walk(i + 1)
                for j, w in enumerate(weights[i]):
                    room[j] += n * w
                if not going:
                    return False
            taken[i] = 0
            return True

        return found if walk(0) else None


def _window_pattern_test(
    loads: PersonLoads, window: frozenset[Kind], value: int
) -> tuple[bool | None, float]:
    """Whether the window proves that no duty grid has every row at or under ``value``: every
    person picks one of their patterns and together they cover the window's slots (CP-SAT;
    its LP over whole patterns is far tighter than over days). None: not decided (too many
    patterns, or out of work). Also the work counted."""
    enumeration = _Enumeration(loads, window, value, NODE_LIMIT)
    model = cp_model.CpModel()
    cover: dict[Kind, list[tuple[int, cp_model.IntVar]]] = {k: [] for k in window}
    count = 0
    for person in sorted(loads.available):
        patterns = enumeration.patterns(person)
        count += len(patterns or [])
        if patterns is None or count > PATTERN_LIMIT:
            return None, enumeration.work
        if not patterns:
            return True, enumeration.work
        chosen = [model.new_bool_var("") for _ in patterns]
        model.add_exactly_one(chosen)
        for pattern, var in zip(patterns, chosen, strict=True):
            for k, n in pattern.items():
                cover[k].append((n, var))
    for k, picks in cover.items():
        model.add(sum(n * var for n, var in picks) >= loads.slots[k])
    solver = new_solver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = PATTERN_WORK
    code = solver.solve(model)
    work = enumeration.work + solver.deterministic_time + CALL_WORK
    if code == cp_model.INFEASIBLE:
        return True, work
    return (False if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None), work


def pattern_proof(
    loads: PersonLoads,
    value: int,
    work: float,
    by_rows: Sequence[int] = (),
    hint: frozenset[Kind] | None = None,
) -> tuple[frozenset[Kind] | None, float]:
    """The window that proves that no duty grid has every row at or under ``value`` (so a grid
    at ``value`` + 1 is optimal), or None, with about ``work`` deterministic seconds (at least
    one window is tried); and the work used. ``hint`` is tried first (the window that proved a
    lower value).

    The most promising windows first: those holding the window that counting row by row finds
    strongest (a window holding another proves at least as much), the larger first; ``by_rows``
    (those counts, from :func:`window_bound`) saves counting again. A window inside one a grid
    was found for is skipped (the larger one's patterns, cut down to it, cover it too)."""
    counts = _Counts(loads)
    if not by_rows:
        by_rows = [counts.row_bound(i) for i in range(len(loads.windows))]
    index: dict[frozenset[Kind], int] = {}  # each window once, at its first place
    for i, w in enumerate(loads.windows):
        index.setdefault(w, i)
    windows = list(index)
    strength = [max(by_rows[index[w]] for w in windows if w <= outer) for outer in windows]
    order = sorted(range(len(windows)), key=lambda i: (hint != windows[i], -strength[i], -len(windows[i]), i))
    used = counts.work
    covered: list[frozenset[Kind]] = []
    for i in order:
        if any(windows[i] <= done for done in covered):
            continue
        proved, spent = _window_pattern_test(loads, windows[i], value)
        used += spent
        if proved:
            return windows[i], used
        if proved is False:
            covered.append(windows[i])
        if used >= work:
            break
    return None, used


# --- Prices: the whole horizon at once (column generation) ------------------------------------

PRICE_WORK = 0.05  # deterministic seconds one person's pricing may take at most
HARD_PRICE_WORK = 0.5  # ... where that found no column and proved nothing
PRICE_SCALE = 10_000  # prices are whole numbers of 1/PRICE_SCALE for CP-SAT's objective
LP_WORK = 2e-6  # deterministic seconds counted per column and row of a master LP solve


def _priced_columns(
    loads: PersonLoads, value: int, columns: dict[str, list[dict[Kind, int]]]
) -> dict[str, list[dict[Kind, int]]] | None:
    """The columns (a person's days of each kind) that keep every row at or under ``value``,
    with the empty one; None when some person is over it with no days at all."""
    kept: dict[str, list[dict[Kind, int]]] = {}
    for person in sorted(loads.available):
        rows = loads.rows.get(person, [])
        if any(const > value for const, _ in rows):
            return None
        kept[person] = [{}] + [
            col
            for col in columns.get(person, [])
            if col and all(c + sum(w * col.get(k, 0) for k, w in ws.items()) <= value for c, ws in rows)
        ]
    return kept


def _price(
    loads: PersonLoads, person: str, prices: dict[Kind, int], value: int, work: float = PRICE_WORK
) -> tuple[dict[Kind, int], int, int, float]:
    """The person's most valuable days (sum of ``prices``) keeping every row at or under
    ``value``: the days, their value, a proven upper bound on it (the value itself once CP-SAT
    proves it optimal), and CP-SAT's work, at most about ``work``."""
    model = cp_model.CpModel()
    own = {k: a for k, a in loads.available.get(person, {}).items() if a and prices.get(k, 0) > 0}
    n = {k: model.new_int_var(0, a, "") for k, a in own.items()}
    for const, coefs in loads.rows.get(person, []):
        terms = [(coefs[k], x) for k, x in n.items() if coefs.get(k, 0)]
        if terms:
            model.add(sum(c * x for c, x in terms) <= value - const)
    model.maximize(sum(prices[k] * x for k, x in n.items()))
    solver = new_solver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.linearization_level = 2  # (measured: 2.4x faster than 0, and proves more)
    solver.parameters.max_deterministic_time = work
    code = solver.solve(model)
    work = solver.deterministic_time + CALL_WORK
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {}, 0, sum(prices[k] * a for k, a in own.items()), work
    days = {k: int(solver.value(x)) for k, x in n.items() if solver.value(x)}
    return days, round(solver.objective_value), math.ceil(solver.best_objective_bound - 1e-9), work


def priced_proof(
    loads: PersonLoads, value: int, work: float, columns: dict[str, list[dict[Kind, int]]] | None = None
) -> tuple[bool | None, float, dict[str, list[dict[Kind, int]]]]:
    """Whether no duty grid has every row at or under ``value``, over the whole horizon at once:
    True (proven), False (this argument cannot prove it) or None (out of ``work``); the work
    used, and the columns generated (to start the next value's test from).

    Each person's *columns* are their choices of days (how many of each kind) with every row at
    or under the value. If no weighting of the columns, one per person fractionally, covers the
    slots (an LP over the columns, the Dantzig-Wolfe master), no grid does. Columns are
    generated as the LP's prices ask for them (the most valuable days a person can take under
    the value, CP-SAT). The proof is Lagrangian: prices ``pi`` for which the slots are worth
    more than all people together can take at most (``pi . slots > sum of each person's
    proven best``), which holds for any prices, so the argument stays valid when the LP is not
    solved to the end. Unlike the windows above, the columns see that a person with many
    spring days has no room in summer, and the LP over whole choices of days is far tighter than
    CP-SAT's over fractional days (municipality C's team A: 11.91 against 11.80)."""
    kept = _priced_columns(loads, value, columns or {})
    if kept is None:
        return True, 0.0, columns or {}
    people = sorted(kept)
    kinds = sorted(loads.slots, key=repr)
    lp = pywraplp.Solver.CreateSolver("GLOP")
    cover = {k: lp.Constraint(float(loads.slots[k]), lp.infinity()) for k in kinds}
    one = {q: lp.Constraint(0.0, 1.0) for q in people}
    for k in kinds:  # a slot left empty costs 1: the LP always has a solution
        empty = lp.NumVar(0.0, lp.infinity(), "")
        cover[k].SetCoefficient(empty, 1.0)
        lp.Objective().SetCoefficient(empty, 1.0)
    lp.Objective().SetMinimization()

    def add(person: str, col: dict[Kind, int]) -> None:
        var = lp.NumVar(0.0, lp.infinity(), "")
        one[person].SetCoefficient(var, 1.0)
        for k, n in col.items():
            if k in cover:
                cover[k].SetCoefficient(var, float(n))

    for q in people:
        for col in kept[q][1:]:
            add(q, col)
    used, size = 0.0, sum(len(c) for c in kept.values())
    while True:
        lp.Solve()
        used += LP_WORK * size * (len(kinds) + len(people))
        if lp.Objective().Value() < 1e-9:
            return False, used, kept  # the columns cover the slots: no proof here
        prices = {k: max(int(cover[k].dual_value() * PRICE_SCALE), 0) for k in kinds}
        # (a column worth more than the person's price in the LP lowers the LP's value)
        price_of = {q: -one[q].dual_value() * PRICE_SCALE for q in people}
        worth = sum(prices[k] * loads.slots[k] for k in kinds)
        best = {}
        found = []
        for q in people:
            days, got, best[q], spent = _price(loads, q, prices, value)
            used += spent
            if days and got > price_of[q] + 1:
                found.append((q, days))
            elif best[q] > got:  # not proven optimal, and no column: try harder
                days, got, best[q], spent = _price(loads, q, prices, value, HARD_PRICE_WORK)
                used += spent
                if days and got > price_of[q] + 1:
                    found.append((q, days))
        for q, days in found:
            kept[q].append(days)
            add(q, days)
        size += len(found)
        if worth > sum(best.values()):
            return True, used, kept
        if not found:
            return False, used, kept  # (the LP's prices prove nothing, or pricing is too hard)
        if used >= work:
            return None, used, kept


def priced_bound(loads: PersonLoads, found: int, proven: int, tolerance: float, work: float) -> Bound:
    """The best bound :func:`priced_proof` proves between ``proven`` and ``found`` (a grid's
    value) with about ``work`` deterministic seconds: halving the interval (each value's test
    starts from the columns of the last), until it is a fifth of ``tolerance`` wide."""
    low, high = proven - 1, found - 1
    close = max(1, int(tolerance / 5 * found))
    columns: dict[str, list[dict[Kind, int]]] = {}
    used, tests = 0.0, 0
    while high - low >= close and used < work:
        candidate = (low + high + 1) // 2
        proved, spent, columns = priced_proof(loads, candidate, work - used, columns)
        used += spent
        tests += 1
        if proved:
            low = candidate
        elif proved is False:
            high = candidate - 1
        else:
            break
    return Bound(low + 1, used, tests)
