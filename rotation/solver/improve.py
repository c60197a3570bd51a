"""A local search over one team's duty grid: balanced grids fast, where CP-SAT's search is slow.

The person-level balance terms (the caseload peak, the highest and lowest intake load) are
min-max sums of whole duty days, each about a tenth of a person's load: picking the days that
balance to within 1 % is close to number partitioning, where a tree search with an LP spends
its time on fractional days. Moving days between colleagues finds such grids quickly.

A move gives one officer's duty day to a present colleague, or swaps two days between two
colleagues. Every move keeps every hard rule of the duty grid (present on their own weekdays,
not acting as manager that day, days in a row, a mentor beside each new hire; the number on
duty each day never changes) and keeps the terms of earlier stages within the values those
stages fixed. A move is accepted by late acceptance (Burke & Bykov, 2017): when the grid is no
worse than the current one or than the current one some moves ago. The score is the stage's
term, then, on ties, how far rows stand above a target (so a move that lowers one of two equal
peaks counts). For back-to-back days most moves start from a day next to another of the same
person's.

Everything is deterministic: a seeded generator and a fixed number of moves. The grid found is
only a candidate: :mod:`rotation.solve` has CP-SAT check it against the whole model.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date

import numpy as np

MAX, MIN, SPREAD, PAIRS = "max", "min", "spread", "pairs"
HISTORY = 20  # late acceptance: compare with the score this many moves ago
FOCUS = 0.5  # share of moves that start from a person whose load sets the term
# Back-to-back days: share of moves that start from a day next to another of the same person's.
# Measured on municipality C's three teams, pairs left (mean of four seeds, the moves of a 10 s
# plan): 50 from random days, 36 at 0.5, 32 at 0.9, 29 at 1.0; alike at 0.9 and 1.0 with four
# times the moves. Some moves from anywhere keep it from circling one pair.
PAIRS_FOCUS = 0.9
SWAPS = 0.8  # share of moves that swap two days (the rest give one day away)

Rows = dict[str, list[tuple[int, dict[date, int]]]]  # person -> [(constant, {day: weight})]


@dataclass(frozen=True)
class Term:
    """An objective term over the grid: per group of people (a team), the highest row
    (``MAX``), minus the lowest (``MIN``: the term is maximised), or the highest minus the
    lowest person (``SPREAD``); ``PAIRS`` counts back-to-back duty days. Summed over groups."""

    kind: str
    groups: dict[str, Rows] = field(default_factory=dict)


@dataclass(frozen=True)
class DutyGrid:
    """What a move must respect: the duty days of one grid and the rules between them."""

    days: list[date]  # duty days in order
    present: list[list[str]]  # per day: who may be on duty (present, on their weekdays)
    workday: list[int]  # per day: its index among all workdays (for days in a row)
    new_hires: list[set[str]]  # per day: who is in introduction
    experienced: list[set[str]]  # per day: who may stand beside a new hire
    acting: set[tuple[str, int]]  # (person, day index) acting as manager: not on duty
    limit: int  # most duty days in a row
    terms: dict[str, Term]


@dataclass
class _TermState:
    """A term's rows for the current grid, with each person's highest and lowest row."""

    term: Term
    groups: list[list[int]]  # person indices per group
    values: list[np.ndarray]  # per person: current row values
    weights: list[dict[int, np.ndarray]]  # per person: day index -> weight in each row
    high: list[int]
    low: list[int]

    target: int | None = None  # rows are scored beyond it (the term being improved only)
    beyond: list[int] = field(default_factory=list)  # per person: their excess

    def toggle(self, q: int, day: int, sign: int) -> None:
        w = self.weights[q].get(day)
        if w is None:
            return
        v = self.values[q]
        if len(v) == 1:  # one row (intake, holiday-adjacent days): plain integers are faster
            self.high[q] = self.low[q] = x = self.high[q] + sign * int(w[0])
            v[0] = x
        else:
            v += sign * w
            if self.term.kind != MIN:
                self.high[q] = int(v.max())
            if self.term.kind != MAX:
                self.low[q] = int(v.min())
        if self.target is not None:
            self.beyond[q] = self._beyond(v)

    def aim(self, target: int) -> None:
        self.target = target
        self.beyond = [self._beyond(v) for v in self.values]

    def _beyond(self, v: np.ndarray) -> int:
        """How far a person's rows stand beyond the target, squared and summed."""
        assert self.target is not None
        kind = self.term.kind
        if len(v) == 1:
            x = int(v[0])
            return (
                max(x - self.target, 0) ** 2
                if kind == MAX
                else max(-self.target - x, 0) ** 2
                if kind == MIN
                else x * x
            )
        if kind == MAX:
            return int((np.maximum(v - self.target, 0) ** 2).sum())
        if kind == MIN:  # the term is minus the lowest load
            return int((np.maximum(-self.target - v, 0) ** 2).sum())
        if kind == SPREAD:
            return int((v**2).sum())
        return 0

    def value(self, pairs: int) -> int:
        kind = self.term.kind
        if kind == PAIRS:
            return pairs
        total = 0
        for g in self.groups:
            if kind == MAX:
                total += max(0, max(self.high[q] for q in g))
            elif kind == MIN:
                total -= min(self.low[q] for q in g)
            elif len(g) > 1:
                total += max(self.high[q] for q in g) - min(self.low[q] for q in g)
        return total

    def mean(self) -> float:
        """The term at the mean person (of each group): the target where no bound is known."""
        kind = self.term.kind
        total = 0.0
        for g in self.groups:
            if g and kind in (MAX, SPREAD):
                total += sum(self.high[q] for q in g) / len(g)
            elif g and kind == MIN:
                total -= sum(self.low[q] for q in g) / len(g)
        return total

    def excess(self) -> int:
        """How far rows stand beyond the target: the tie-break of the score."""
        return sum(self.beyond)


class _Search:
    def __init__(self, grid: DutyGrid, on: dict[tuple[str, date], int], term: str, caps: dict[str, int]):
        self.grid = grid
        people = sorted({q for p in grid.present for q in p})
        self.people = people
        self.index = {q: i for i, q in enumerate(people)}
        day_index = {d: i for i, d in enumerate(grid.days)}
        self.present = [{self.index[q] for q in p} for p in grid.present]
        n_work = max(grid.workday, default=0) + 2
        self.on_work = [bytearray(n_work + 1) for _ in people]  # by workday index (+1: padding)
        self.on_day: list[set[int]] = [set() for _ in grid.days]
        self.days_of: list[list[int]] = [[] for _ in people]
        for i, d in enumerate(grid.days):
            for q in grid.present[i]:
                if on.get((q, d), 0):
                    self._set(self.index[q], i, 1)
        # Back-to-back pairs: each duty day with its previous workday (index w + 1 is workday w).
        self.pairs = sum(row[w] & row[w + 1] for row in self.on_work for w in grid.workday)
        self.states: dict[str, _TermState] = {}
        for name, t in grid.terms.items():
            if name != term and name not in caps:
                continue
            values, weights = [], []
            for q in people:
                rows = next((g[q] for g in t.groups.values() if q in g), [])
                consts = np.array([c for c, _ in rows] or [0], dtype=np.int64)
                by_day: dict[int, np.ndarray] = {}
                for r, (_, coefs) in enumerate(rows):
                    for d, c in coefs.items():
                        if d in day_index and c:
                            by_day.setdefault(day_index[d], np.zeros(len(consts), np.int64))[r] = c
                v = consts.copy()
                for i in self.days_of[self.index[q]]:
                    if i in by_day:
                        v += by_day[i]
                values.append(v)
                weights.append(by_day)
            # People of a group without duty days here: their rows are constants.
            extra = [q for g in t.groups.values() for q in g if q not in self.index]
            groups = [[self.index[q] for q in g if q in self.index] for g in t.groups.values()]
            state = _TermState(t, groups, values, weights, [], [])
            for q in extra:  # constant rows join as people with no days
                rows = next(g[q] for g in t.groups.values() if q in g)
                state.values.append(np.array([c for c, _ in rows] or [0], dtype=np.int64))
                state.weights.append({})
                gi = next(i for i, g in enumerate(t.groups.values()) if q in g)
                state.groups[gi].append(len(state.values) - 1)
            state.high = [int(v.max()) for v in state.values]
            state.low = [int(v.min()) for v in state.values]
            self.states[name] = state
        self.term = term
        self.caps = caps

    def _set(self, q: int, i: int, on: int) -> None:
        w = self.grid.workday[i] + 1
        self.on_work[q][w] = on
        if on:
            self.on_day[i].add(q)
            self.days_of[q].append(i)
        else:
            self.on_day[i].discard(q)
            self.days_of[q].remove(i)

    def allowed(self, q: int, i: int) -> bool:
        """Whether person ``q`` may take day ``i`` on top of the grid (someone else leaves it)."""
        if q not in self.present[i] or q in self.on_day[i] or (self.people[q], i) in self.grid.acting:
            return False
        row = self.on_work[q]
        w = self.grid.workday[i] + 1
        run = 1
        k = w - 1
        while row[k]:
            run, k = run + 1, k - 1
        k = w + 1
        while row[k]:
            run, k = run + 1, k + 1
        return run <= self.grid.limit

    def mentored(self, i: int) -> bool:
        on = {self.people[q] for q in self.on_day[i]}
        return all(
            any(e in on and e != n for e in self.grid.experienced[i]) for n in self.grid.new_hires[i] & on
        )

    def replace(self, q: int, r: int, i: int) -> None:
        """Person ``r`` takes day ``i`` from ``q``."""
        w = self.grid.workday[i] + 1
        self.pairs -= self.on_work[q][w - 1] + self.on_work[q][w + 1]
        self._set(q, i, 0)
        self.pairs += self.on_work[r][w - 1] + self.on_work[r][w + 1]
        self._set(r, i, 1)
        for s in self.states.values():
            s.toggle(q, i, -1)
            s.toggle(r, i, 1)

    def score(self) -> tuple[int, int] | None:
        """(term, excess) of the current grid; None when an earlier stage's cap is broken."""
        for name, cap in self.caps.items():
            if name in self.states and self.states[name].value(self.pairs) > cap:
                return None
        s = self.states[self.term]
        return s.value(self.pairs), s.excess()


@dataclass(frozen=True)
class Improved:
    on: dict[tuple[str, date], int]  # person, day -> 1 on duty
    value: int  # the term's value (as the CP-SAT model computes it)
    start: int  # the term's value at the start
    moves: int  # moves made (fewer than asked when it got within the tolerance)

    @property
    def improved(self) -> bool:
        return self.value < self.start


def improve(
    grid: DutyGrid,
    on: dict[tuple[str, date], int],
    term: str,
    caps: dict[str, int],
    target: float,
    moves: int,
    seed: int = 0,
    tolerance: float = 0.0,
) -> Improved:
    """The best grid a late-acceptance search finds in ``moves`` moves from the grid ``on``,
    for the term ``term``, with the terms in ``caps`` kept at or under their values there
    and rows scored against ``target`` (the stage's proven bound; when there is none, the
    mean person). It stops early once within ``tolerance`` (relative) of a finite ``target``."""
    caps = {name: cap for name, cap in caps.items() if name != term}
    bound = target
    search = _Search(grid, on, term, caps)
    rng = random.Random(seed)
    if not math.isfinite(target):
        target = search.states[term].mean()
    search.states[term].aim(round(target))
    current = search.score()
    if current is None:  # the start breaks a cap: nothing to improve from
        return Improved(dict(on), 0, 0, 0)
    best, best_on = current, _grid(search)
    start_value = current[0]
    history = [current] * HISTORY
    n_days = len(grid.days)
    state = search.states[term]
    made = 0
    focus = PAIRS_FOCUS if state.term.kind == PAIRS else FOCUS
    for step in range(moves):
        if best[0] - bound <= tolerance * abs(best[0]):
            break
        made += 1
        if rng.random() < focus:
            if state.term.kind == PAIRS:
                paired = _paired_day(search, rng)
                if paired is None:
                    continue
                q, i = paired
            else:
                q = _setter(search, state)
                if not search.days_of[q]:
                    continue
                i = rng.choice(search.days_of[q])
        else:
            i = rng.randrange(n_days)
            if not search.on_day[i]:
                continue
            q = rng.choice(sorted(search.on_day[i]))
        others = [search.index[p] for p in grid.present[i]]
        r = others[rng.randrange(len(others))]
        if not search.allowed(r, i):
            continue
        search.replace(q, r, i)
        undo = [(r, q, i)]
        if rng.random() < SWAPS and search.days_of[r]:
            j = rng.choice(search.days_of[r])
            if j != i and search.allowed(q, j):
                search.replace(r, q, j)
                undo.append((q, r, j))
        candidate = search.score() if all(search.mentored(k) for _, _, k in undo) else None
        slot = step % HISTORY
        if candidate is not None and (candidate <= current or candidate <= history[slot]):
            current = candidate
            if current < best:
                best, best_on = current, _grid(search)
        else:
            for a, b, k in reversed(undo):
                search.replace(a, b, k)
        if current < history[slot]:
            history[slot] = current
    return Improved(best_on, best[0], start_value, made)


def _setter(search: _Search, state: _TermState) -> int:
    """A person whose rows set the term (the highest for MAX and SPREAD, the lowest for MIN)."""
    n = len(search.people)
    if state.term.kind == MIN:
        return min(range(n), key=lambda q: (state.low[q], q))
    return max(range(n), key=lambda q: (state.high[q], -q))


def _paired_day(search: _Search, rng: random.Random, tries: int = 4) -> tuple[int, int] | None:
    """A person and one of their duty days next to another of theirs (a back-to-back pair),
    from the first of a few people drawn at random who has one; None if none of them has."""
    workday = search.grid.workday
    for _ in range(tries):
        q = rng.randrange(len(search.people))
        row = search.on_work[q]
        days = [i for i in search.days_of[q] if row[workday[i]] or row[workday[i] + 2]]
        if days:
            return q, days[rng.randrange(len(days))]
    return None


def _grid(search: _Search) -> dict[tuple[str, date], int]:
    return {
        (search.people[q], d): int(q in search.on_day[i])
        for i, d in enumerate(search.grid.days)
        for q in (search.index[p] for p in search.grid.present[i])
    }
