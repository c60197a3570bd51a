"""Proven bounds for the person-level balance terms, from whole duty days.

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

Everything here is deterministic: the same input gives the same bound.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

Kind = Hashable
Row = tuple[int, dict[Kind, int]]  # constant + sum of coefficient * days of a kind (scaled integers)

EXACT_WORK = 0.05  # deterministic seconds one person's exact count may take at most
CALL_WORK = 0.003  # deterministic seconds counted for setting up one exact count (measured)
COUNT_WORK = 1e-4  # deterministic seconds counted for one person's count row by row (measured)


@dataclass(frozen=True)
class PersonLoads:
    """A person-level term in the form the bound needs: the term is the highest of all people's
    ``rows``; ``caps`` are rows that earlier stages fixed (row <= cap), which a grid keeps too."""

    slots: dict[Kind, int]  # officers needed over all days of a kind
    available: dict[str, dict[Kind, int]]  # person -> kind -> days of that kind they are there
    rows: dict[str, list[Row]]
    windows: list[frozenset[Kind]]  # windows to count over, in the order tried
    exact_windows: int = 0  # the first this many windows also get exact counts (CP-SAT)
    caps: dict[str, list[tuple[Row, int]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Bound:
    value: int  # proven: the term's optimum is at least this
    work: float  # deterministic seconds counted (CP-SAT's, and a fixed cost per count)
    tests: int  # values of P tested


class _Counts:
    """Each person's most days of a window under a value, with what does not depend on the
    value (the rows' weights of the window's days, lightest first) worked out once."""

    def __init__(self, loads: PersonLoads) -> None:
        self.loads = loads
        self.rows: dict[tuple[str, int], tuple[int, list[tuple[int, bool, list[tuple[int, int]]]]]] = {}
        self.work = 0.0

    def _rows(self, person: str, i: int) -> tuple[int, list[tuple[int, bool, list[tuple[int, int]]]]]:
        """(days there, [(constant, is a cap, window weights lightest first)]) of a person."""
        if (person, i) not in self.rows:
            window = self.loads.windows[i]
            own = {k: a for k, a in self.loads.available.get(person, {}).items() if k in window}
            rows = [(const, False, coefs) for const, coefs in self.loads.rows.get(person, [])]
            rows += [(const - cap, True, coefs) for (const, coefs), cap in self.loads.caps.get(person, [])]
            weighed = [
                (c, cap, sorted((coefs.get(k, 0), a) for k, a in own.items())) for c, cap, coefs in rows
            ]
            self.rows[person, i] = (sum(own.values()), weighed)
        return self.rows[person, i]

    def most(self, person: str, i: int, value: int, exact: bool) -> int:
        """An upper bound on the days of window ``i`` the person can take keeping every row at
        ``value`` (and every cap): the fewest any single row allows (lightest days first) or,
        with ``exact`` and two rows or more that bind, CP-SAT's count. -1: no days at all."""
        there, rows = self._rows(person, i)
        best, binding = there, 0
        for const, cap, weights in rows:
            room = -const if cap else value - const
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
        self.work += COUNT_WORK
        if binding < 2 or not exact:
            return best
        window = self.loads.windows[i]
        model = cp_model.CpModel()
        n = {k: model.new_int_var(0, a, "") for k, a in self.loads.available[person].items() if k in window}
        limits = [(value - const, coefs) for const, coefs in self.loads.rows.get(person, [])]
        limits += [(cap - const, coefs) for (const, coefs), cap in self.loads.caps.get(person, [])]
        for room, coefs in limits:
            terms = [(coefs[k], x) for k, x in n.items() if coefs.get(k, 0)]
            if terms:
                model.add(sum(c * x for c, x in terms) <= room)
        model.maximize(sum(n.values()))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = 0
        solver.parameters.max_deterministic_time = EXACT_WORK
        code = solver.solve(model)
        self.work += solver.deterministic_time + CALL_WORK
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            best = min(best, int(solver.best_objective_bound + 1e-6))
        return best


def proves_beyond(counts: _Counts, value: int, first: int = 0) -> int | None:
    """Whether no duty grid has every row at or under ``value``: the window that proves it, or
    None. Window ``first`` is tried first (the one that proved the last value tested)."""
    loads = counts.loads
    people = sorted(loads.available)
    order = [first, *(i for i in range(len(loads.windows)) if i != first)] if loads.windows else []
    for i in order:
        slots = sum(k for c, k in loads.slots.items() if c in loads.windows[i])
        room = -slots
        for q in people:
            most = counts.most(q, i, value, exact=i < loads.exact_windows)
            if most < 0:
                return i
            room += most
        if room < 0:
            return i
    return None


def window_bound(loads: PersonLoads, found: int, proven: int, tolerance: float, work: float) -> Bound:
    """The best bound the counting argument proves between ``proven`` (a bound already known)
    and ``found`` (the value of a grid), with about ``work`` deterministic seconds of exact
    counts: the interval is halved until it is a fifth of ``tolerance`` wide or the work is
    spent."""
    # "No grid has all rows <= P" proves the bound P + 1.
    low, high = proven - 1, found - 1  # proved (or known) / the largest P to try
    window = 0
    tests = 0
    counts = _Counts(loads)
    close = max(1, int(tolerance / 5 * found))  # a fifth of the gap the stage allows
    while counts.work <= work and high - low >= close:
        candidate = (low + high + 1) // 2
        tests += 1
        proof = proves_beyond(counts, candidate, window)
        if proof is not None:
            window = proof
            low = candidate
        else:
            high = candidate - 1
    return Bound(low + 1, counts.work, tests)
