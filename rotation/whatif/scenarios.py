"""Scenarios: the unit's own staff regrouped into another organisation.

The regrouping rule (fair, deterministic, documented in the README):

1. Groups get target sizes first: with a dedicated intake group it gets
   ``max(min_present + 1, ceil(reports per week / 11.25))`` people (municipality C screens
   45 reports a week with four); the rotating or investigation teams share the rest evenly,
   larger teams first.
2. People are dealt in this order: seniors, new hires, part-timers, everybody else (by id
   within each kind). Each goes to the group with room that has the fewest of that kind
   relative to its size, then the least FTE so far, then the first in order. So seniors,
   part-timers and new hires are spread, and FTE is balanced.
3. Every group needs its own manager (as in municipality C), and at least one manager per 25
   staff (the union Vision's recommended span). Existing managers lead the teams in their
   order; missing ones are vacancies (placeholders without absences, so the plan shows what a
   recruited manager makes possible); extra managers become first deputies.
4. Deputies: the team's first senior, then the next team's manager.
5. The horizon is trimmed to a whole number of periods (52 weeks become 51 with three-week
   periods); ``target_rest_weeks`` follows the default formula and ``min_rest_weeks`` is capped
   by it. Pins are dropped (the teams are new); seasons and absences are kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta

from ..unit import Absence, Person, Team, Unit

SPAN_LIMIT = 25  # staff per manager, Vision's recommendation
REPORTS_PER_SCREENER = 11.25  # municipality C: 45 reports a week, an intake group of four


@dataclass(frozen=True)
class Scenario:
    teams: int
    period_weeks: int
    dedicated_intake: bool = False
    extra_staff: int = 0

    @property
    def key(self) -> str:
        """A stable name: it seeds the scenario's random years, whatever else is compared."""
        kind = "dedicated" if self.dedicated_intake else "rotation"
        return f"{kind}-{self.teams}x{self.period_weeks}-extra{self.extra_staff}"

    def title(self, language: str) -> str:
        sv = language == "sv"
        if self.dedicated_intake:
            text = f"{self.teams} team + mottagningsgrupp" if sv else f"{self.teams} teams + intake group"
        else:
            weeks = self.period_weeks
            text = (
                f"{self.teams} team × {weeks} {'vecka' if weeks == 1 else 'veckor'}"
                if sv
                else f"{self.teams} teams × {weeks} {'week' if weeks == 1 else 'weeks'}"
            )
        if self.extra_staff:
            text += f" +{self.extra_staff} " + ("socialsekr." if sv else "staff")
        return text


@dataclass(frozen=True)
class Organisation:
    scenario: Scenario
    unit: Unit  # the regrouped unit: the rotating (or investigation) teams
    intake_group: tuple[str, ...]  # people of a dedicated intake group
    managers_needed: int
    managers_had: int
    vacancies: tuple[str, ...]  # placeholder managers to recruit
    span_of_control: int  # most social workers led by one manager


def scenario_list(
    teams: list[int], period_weeks: list[int], dedicated_intake: bool, extra_staff: list[int]
) -> list[Scenario]:
    """Rotations for every teams × period length × extra staff; a dedicated intake group (which
    has no periods) once per team count and extra staff."""
    out = [Scenario(n, pw, False, x) for x in extra_staff for pw in period_weeks for n in teams]
    if dedicated_intake:
        out += [Scenario(n, min(period_weeks), True, x) for x in extra_staff for n in teams]
    return out


def regroup(unit: Unit, scenario: Scenario) -> Organisation:
    """The unit's staff in ``scenario``'s organisation (see the module docstring for the rule)."""
    language = unit.language
    n = scenario.teams
    if n < 1 or (not scenario.dedicated_intake and n <= unit.rules.teams_on_duty):
        raise ValueError(f"{n} teams cannot rotate with {unit.rules.teams_on_duty} on duty")
    extra, extra_absences = _extra_staff(unit, scenario.extra_staff)
    workers = [p for p in unit.people if p.is_social_worker] + extra
    managers = [p for p in unit.people if p.role == "manager"]
    team_ids = [chr(ord("A") + i) for i in range(n)]

    sizes = _even(len(workers), n)
    group_ids = list(team_ids)
    if scenario.dedicated_intake:
        rate = unit.demand.referrals_per_week or _mean(unit.demand.weekly_referrals)
        size = max(unit.rules.min_present + 1, math.ceil(rate / REPORTS_PER_SCREENER))
        size = min(size, len(workers) - n)
        sizes = [size, *_even(len(workers) - size, n)]
        group_ids = ["I", *team_ids]
    assigned = _deal(workers, sizes, unit)
    group_of = {p.id: group_ids[g] for g, members in enumerate(assigned) for p in members}

    groups = len(group_ids)
    needed = max(groups, math.ceil((len(workers) + groups) / SPAN_LIMIT))
    lead = {gid: managers[i].id if i < len(managers) else "" for i, gid in enumerate(group_ids)}
    vacancies: list[Person] = []
    for gid in group_ids:
        if not lead[gid]:
            vid = f"vacant-{gid}"
            name = f"Vakant chef {gid}" if language == "sv" else f"Vacant manager {gid}"
            vacancies.append(Person(vid, name, "", gid, "manager", 1.0))
            lead[gid] = vid
    spare = managers[groups:]
    people: list[Person] = []
    for i, m in enumerate(managers):
        team = group_ids[i] if i < groups else group_ids[(i - groups) % groups]
        people.append(replace(m, team=team))
    people += vacancies
    people += [replace(p, team=group_of[p.id]) for p in workers]

    teams = []
    for i, tid in enumerate(team_ids):
        seniors = sorted(p.id for p in assigned[group_ids.index(tid)] if p.role == "senior")
        first = [m.id for j, m in enumerate(spare) if group_ids[j % groups] == tid]
        nxt = lead[team_ids[(i + 1) % n]] if n > 1 else None
        deputies = [*first, *seniors[:1], *([nxt] if nxt and nxt != lead[tid] else [])]
        name = f"Team {tid}"
        teams.append(Team(tid, name, lead[tid], tuple(dict.fromkeys(deputies))))

    rules = unit.rules
    pw = scenario.period_weeks
    weeks = (rules.weeks // pw) * pw
    on_duty = rules.teams_on_duty
    target = max(n - on_duty, 0) * pw / on_duty
    new_rules = replace(
        rules,
        weeks=weeks,
        period_weeks=pw,
        target_rest_weeks=target,
        min_rest_weeks=int(min(rules.min_rest_weeks, target)),
    )
    new_unit = replace(
        unit,
        rules=new_rules,
        teams=tuple(teams),
        people=tuple(people),
        absences=(*unit.absences, *extra_absences),
        pins=(),
    )
    span = max(len(members) for members in assigned)
    return Organisation(
        scenario=scenario,
        unit=new_unit,
        intake_group=tuple(p.id for p in assigned[0]) if scenario.dedicated_intake else (),
        managers_needed=needed,
        managers_had=len(managers),
        vacancies=tuple(v.id for v in vacancies),
        span_of_control=span,
    )


def _even(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _mean(weekly: dict[date, float] | None) -> float:
    return sum(weekly.values()) / len(weekly) if weekly else 0.0


def _kind(p: Person, unit: Unit) -> int:
    """0 senior, 1 new hire, 2 part-timer, 3 everybody else: the order people are dealt in."""
    if p.role == "senior":
        return 0
    if p.start is not None and p.start >= unit.rules.start - timedelta(weeks=52):
        return 1
    if p.fte < 1 or len(p.weekdays) < 5:
        return 2
    return 3


def _deal(workers: list[Person], sizes: list[int], unit: Unit) -> list[list[Person]]:
    groups: list[list[Person]] = [[] for _ in sizes]
    fte = [0.0] * len(sizes)
    for person in sorted(workers, key=lambda p: (_kind(p, unit), p.id)):
        kind = _kind(person, unit)
        open_ = [g for g in range(len(sizes)) if len(groups[g]) < sizes[g]]
        g = min(
            open_,
            key=lambda g: (sum(1 for q in groups[g] if _kind(q, unit) == kind) / sizes[g], fte[g], g),
        )
        groups[g].append(person)
        fte[g] += person.fte
    return groups


def _extra_staff(unit: Unit, count: int) -> tuple[list[Person], list[Absence]]:
    """Generic full-time social workers, each with four summer weeks off (staggered)."""
    people, absences = [], []
    year = unit.rules.start.year
    for i in range(count):
        pid = f"extra-{i + 1}"
        name = f"Ny socialsekreterare {i + 1}" if unit.language == "sv" else f"New social worker {i + 1}"
        people.append(Person(pid, name, "", "", "social_worker", 1.0))
        first = date.fromisocalendar(year, 26 + 4 * (i % 2), 1)
        absences.append(Absence(pid, first, first + timedelta(days=27), "vacation"))
    return people, absences
