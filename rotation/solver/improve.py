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
person's. For the highest and lowest loads an *exchange* every so many moves lets two people
share the days they hold between them anew, exactly (a small CP-SAT model over their days):
the one who sets the term and a colleague, the k-th exchange the one k-th in room (counting
round the team), so the pairings go round it.

Everything is deterministic: a seeded generator and a fixed number of moves. The grid found is
only a candidate: :mod:`rotation.solve` has CP-SAT check it against the whole model.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from .cpsat import new_solver

MAX, MIN, SPREAD, PAIRS = "max", "min", "spread", "pairs"
HISTORY = 20  # late acceptance: compare with the score this many moves ago
FOCUS = 0.5  # share of moves that start from a person whose load sets the term
# Back-to-back days: share of moves that start from a day next to another of the same person's.
# Measured on municipality C's three teams, pairs left (mean of four seeds, the moves of a 10 s
# plan): 50 from random days, 36 at 0.5, 32 at 0.9, 29 at 1.0; alike at 0.9 and 1.0 with four
# times the moves. Some moves from anywhere keep it from circling one pair.
PAIRS_FOCUS = 0.9
# Every EXCHANGE_EVERY moves, two people (one who sets the term, and a colleague: the k-th
# exchange takes the one k-th in room, counting round the team) share the days they hold
# between them anew, exactly (CP-SAT, EXCHANGE_WORK deterministic seconds at most):
# what single moves and swaps cannot reach when several rows stand at the peak together. Only
# for the highest and lowest loads: on back-to-back days the moves from a pair do better, and
# on a spread (holiday-adjacent days, municipality C's team A at four times the moves) moves
# reach the optimum 2 where exchanges stay at 4. An exchange counts as EXCHANGE_COST moves and
# EXCHANGE_MOVES_PER_WORK per deterministic second of CP-SAT, at the rate plans assume for moves.
# benchmarks/bench_local_search.py compares that with the wall time: on municipality C's teams
# about right for the caseload peak (7-9 ms), 10-30 % under for the highest intake load (22-33
# ms; its model, with the caseload cap, is larger). Moves themselves run well above the rate
# assumed, and a 10 s plan kept to 8.3-10.9 s at this machine's usual speed. Counting exchanges
# at their full wall time (120 moves and 100,000 a second) made every figure worse (C at 10 s:
# 2.19 -> 2.34 %; at 30 s: 1.40 -> 2.68 %), so they stay at this. On municipality C and three
# generated 30-person units at 10 s, mean gap of the balance stages: 1.91 % without, 1.81 %
# every 20 moves at 0.01, 1.79 % at 0.005 (every 10: 2.09 %; at 200: about none). Beware: a
# model change that leaves every value the same but takes CP-SAT another way moved that mean
# by 0.2 points, so only the larger of these differences are more than noise.
EXCHANGE_EVERY = 20
EXCHANGE_WORK = 0.005
EXCHANGE_COST = 100  # moves: building the model and CP-SAT's fixed cost
EXCHANGE_MOVES_PER_WORK = 60_000
SWAPS = 0.8  # share of moves that swap two days (the rest give one day away)

Rows = dict[str, list[tuple[int, dict[date, int]]]]  # person -> [(constant, {day: weight})]
Handed = list[tuple[int, int, int]]  # days handed over: (giver, taker, day index)
Score = tuple[int, int]  # (term, excess)


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

    def score(self) -> Score | None:
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
    exchanges: bool = True,
) -> Improved:
    """The best grid a late-acceptance search finds in ``moves`` moves from the grid ``on``,
    for the term ``term``, with the terms in ``caps`` kept at or under their values there
    and rows scored against ``target`` (the stage's proven bound; when there is none, the
    mean person). It stops early once within ``tolerance`` (relative) of a finite ``target``.
    With ``exchanges`` (MAX and MIN terms), every EXCHANGE_EVERY moves two people share their
    days anew, exactly, counted in ``moves`` at a measured rate."""
    caps = {name: cap for name, cap in caps.items() if name != term}
    bound = target
    search = _Search(grid, on, term, caps)
    rng = random.Random(seed)
    if not math.isfinite(target):
        target = search.states[term].mean()
    search.states[term].aim(round(target))
    first = search.score()
    if first is None:  # the start breaks a cap: nothing to improve from
        return Improved(dict(on), 0, 0, 0)
    current: Score = first
    best, best_on = current, _grid(search)
    start_value = current[0]
    history = [current] * HISTORY
    n_days = len(grid.days)
    state = search.states[term]
    made = 0
    focus = PAIRS_FOCUS if state.term.kind == PAIRS else FOCUS
    step = -1
    exchanged = 0
    while made < moves:
        if best[0] - bound <= tolerance * abs(best[0]):
            break
        step += 1
        made += 1
        if exchanges and state.term.kind in (MAX, MIN) and step % EXCHANGE_EVERY == EXCHANGE_EVERY - 1:
            made += EXCHANGE_COST
            q = _setter(search, state)
            others = [r for r in range(len(search.people)) if r != q]
            # The k-th exchange takes the colleague k-th in room now (the lowest peak for MAX,
            # the highest low for MIN), counting round the team: as long as the loads stay, each
            # colleague in turn, the one with the most room first. Measured against a colleague
            # drawn at random, at 10 s: municipality C's team A peak 12.08 -> 11.99 (largest gap
            # 2.22 -> 1.93 %); over it and six generated 30-person units, mean gap of the
            # caseload stages 2.21 -> 2.13 %, of all balance stages 1.61 -> 1.57 %; 8 x 5 years
            # at 120 s: largest gap 1.08 -> 1.25 % (an intake stage), peak 9.11 -> 9.08.
            if state.term.kind == MIN:
                others.sort(key=lambda o: (-state.low[o], o))
            else:
                others.sort(key=lambda o: (state.high[o], o))
            r = others[exchanged % len(others)]
            exchanged += 1
            handed, work = _exchange(search, (q, r), EXCHANGE_WORK)
            made += round(work * EXCHANGE_MOVES_PER_WORK)
            if not handed:
                continue
            for a, b, k in handed:
                search.replace(a, b, k)
            kept = _judge(search, handed, lambda c: c[0] <= current[0])  # noqa: B023
            if kept is not None:
                current = kept
                if current < best:
                    best, best_on = current, _grid(search)
            continue
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
        handed = [(q, r, i)]
        if rng.random() < SWAPS and search.days_of[r]:
            j = rng.choice(search.days_of[r])
            if j != i and search.allowed(q, j):
                search.replace(r, q, j)
                handed.append((r, q, j))
        slot = step % HISTORY
        kept = _judge(search, handed, lambda c: c <= current or c <= history[slot])  # noqa: B023
        if kept is not None:
            current = kept
            if current < best:
                best, best_on = current, _grid(search)
        if current < history[slot]:
            history[slot] = current
    return Improved(best_on, best[0], start_value, made)


def _judge(search: _Search, handed: Handed, accept: Callable[[Score], bool]) -> Score | None:
    """The score of the grid with the days ``handed`` over (already done) if ``accept`` takes
    it; otherwise None, and the days are handed back."""
    score = search.score() if all(search.mentored(k) for _, _, k in handed) else None
    if score is not None and accept(score):
        return score
    for giver, taker, k in reversed(handed):
        search.replace(taker, giver, k)
    return None


def _exchange(search: _Search, pair: tuple[int, ...], work: float) -> tuple[Handed | None, float]:
    """The best way for a few people (``pair``: two in the search; three were measured as no
    better for the time) to share the duty days they hold between them, exactly (CP-SAT, at
    most ``work`` deterministic seconds): every rule, the stage's term over them and the
    earlier stages' caps, with everyone else's days fixed. The days that change hands as
    (giver, taker, day), or None when CP-SAT finds no grid in its work; and the work used."""
    grid = search.grid
    for state in search.states.values():
        if sum(any(p in g for p in pair) for g in state.groups) > 1:
            return None, 0.0  # (in different groups of a term: not an exchange made here)
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for i, on in enumerate(search.on_day):
        need = sum(p in on for p in pair)
        if not need:
            continue
        free = [p for p in pair if p in search.present[i] and (search.people[p], i) not in grid.acting]
        for p in free:
            x[p, i] = model.new_bool_var("")
        model.add(sum(x[p, i] for p in free) == need)
        # A mentor beside each new hire on duty: one of the fixed officers, or one of them.
        fixed = {search.people[p] for p in on if p not in pair}
        for n in grid.new_hires[i]:
            if any(e in fixed and e != n for e in grid.experienced[i]):
                continue
            mentors = [x[p, i] for p in free if search.people[p] in grid.experienced[i] - {n}]
            hire = search.index[n]
            if hire in pair and (hire, i) in x:
                model.add(sum(mentors) >= 1).only_enforce_if(x[hire, i])
            elif n in fixed:
                model.add(sum(mentors) >= 1)
    for p in pair:  # days in a row: among their days only (all their other days are off)
        at = {grid.workday[i]: v for (s, i), v in x.items() if s == p}
        for w in at:
            run = [at.get(w + k) for k in range(grid.limit + 1)]
            if all(v is not None for v in run):
                model.add(sum(run) <= grid.limit)  # type: ignore[arg-type]
    objective = None
    for name, state in search.states.items():
        cap = search.caps.get(name)
        expr = _exchange_term(model, search, state, pair, x, cap)
        if name == search.term:
            objective = expr
    if objective is None:
        return None, 0.0
    model.minimize(objective)
    for (p, i), v in x.items():
        model.add_hint(v, int(p in search.on_day[i]))
    solver = new_solver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = work
    solver.parameters.cp_model_presolve = False  # (a small model: presolve and LP cost more
    solver.parameters.linearization_level = 0  # than they save; measured 3x faster, as good)
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, solver.deterministic_time
    moves = []
    for i, on in enumerate(search.on_day):
        now = {p for p in pair if (p, i) in x and solver.value(x[p, i])}
        leaving = sorted(p for p in pair if p in on and p not in now)
        joining = sorted(now - on)
        moves += [(a, b, i) for a, b in zip(leaving, joining, strict=True)]
    return moves, solver.deterministic_time


def _exchange_term(
    model: Any,
    search: _Search,
    state: _TermState,
    pair: tuple[int, ...],
    x: dict[tuple[int, int], Any],
    cap: int | None,
) -> Any:
    """A term (MAX or MIN: exchanges are made for those only, and the earlier stages' terms are
    of those kinds) in the exchange's model: what the two people's days make of it, everyone
    else's part fixed, kept at or under ``cap``. Returned as the objective for the stage's term:
    the two's own highest (lowest) row, so an exchange on a plateau of equal peaks counts."""
    kind = state.term.kind
    big = 10**12
    inside = [gi for gi, g in enumerate(state.groups) if any(p in g for p in pair)]
    if not inside:
        return 0
    (gi,) = inside  # (a team's people are one group)
    group = state.groups[gi]
    rest = sum(_group_value(state, g) for k, g in enumerate(state.groups) if k != gi)
    others = [o for o in group if o not in pair]
    rows = []
    for p in pair:
        if p not in group:
            continue
        const = state.values[p].copy()
        for i in search.days_of[p]:
            if i in state.weights[p]:
                const -= state.weights[p][i]
        for k in range(len(const)):
            terms = [(int(w[k]), x[p, i]) for i, w in state.weights[p].items() if (p, i) in x and w[k]]
            rows.append(int(const[k]) + sum(c * v for c, v in terms))
    # (Both sides for either kind: the model as measured; dropping the unused side leaves every
    # value the same but takes CP-SAT another way, which moved the measured gaps.)
    high = model.new_int_var(-big, big, "")
    low = model.new_int_var(-big, big, "")
    own_high = model.new_int_var(-big, big, "")
    own_low = model.new_int_var(-big, big, "")
    for row in rows:
        model.add(own_high >= row)
        model.add(own_low <= row)
    model.add(high >= own_high)
    model.add(low <= own_low)
    if others:
        model.add(high >= max(state.high[o] for o in others))
        model.add(low <= min(state.low[o] for o in others))
    if kind == MAX:
        model.add(high >= 0)
        value, objective = rest + high, own_high
    else:
        value, objective = rest - low, -own_low
    if cap is not None:
        model.add(value <= cap)
    return objective


def _group_value(state: _TermState, group: list[int]) -> int:
    """A MAX or MIN term's part from one group."""
    if not group:
        return 0
    if state.term.kind == MAX:
        return max(0, max(state.high[q] for q in group))
    return -min(state.low[q] for q in group)


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
