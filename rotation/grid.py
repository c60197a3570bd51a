"""The time grid: periods, weeks, workdays, public holidays, and who is present when.

Everything the solver and the metrics need about time is computed here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import holidays

from .previous import Before
from .unit import Unit

SUMMER_WEEKS = range(27, 33)  # ISO weeks 27–32: the Swedish summer holiday weeks


@dataclass(frozen=True)
class Period:
    index: int
    start: date  # a Monday
    end: date  # the Sunday it ends on

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}–{self.end.isoformat()}"


@dataclass
class TimeGrid:
    unit: Unit
    before: Before | None = None  # the previous horizon's plan (``--after``): rest, load, runs
    periods: list[Period] = field(init=False)
    weeks: list[date] = field(init=False)  # Mondays
    public_holidays: dict[date, str] = field(init=False)

    def __post_init__(self) -> None:
        r = self.unit.rules
        self.periods = [
            Period(
                p,
                r.start + timedelta(weeks=p * r.period_weeks),
                r.start + timedelta(weeks=(p + 1) * r.period_weeks, days=-1),
            )
            for p in range(r.periods)
        ]
        self.weeks = [r.start + timedelta(weeks=w) for w in range(r.weeks)]
        years = range(r.start.year, self.weeks[-1].year + 2)
        self.public_holidays = dict(
            holidays.country_holidays(self.unit.country, years=years, categories=("public", "de_facto"))
        )

    @cached_property
    def workdays(self) -> list[date]:
        return [d for w in self.weeks for d in _week_days(w) if self.is_workday(d)]

    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.public_holidays

    def period_of(self, day: date) -> int:
        return (day - self.unit.rules.start).days // (7 * self.unit.rules.period_weeks)

    def week_of(self, day: date) -> int:
        return (day - self.unit.rules.start).days // 7

    def period_weeks(self, p: int) -> range:
        pw = self.unit.rules.period_weeks
        return range(p * pw, (p + 1) * pw)

    def period_workdays(self, p: int) -> list[date]:
        period = self.periods[p]
        return [d for d in self.workdays if period.start <= d <= period.end]

    def week_workdays(self, w: int) -> list[date]:
        return [d for d in _week_days(self.weeks[w]) if self.is_workday(d)]

    @cached_property
    def absent_days(self) -> dict[str, set[date]]:
        days: dict[str, set[date]] = {p.id: set() for p in self.unit.people}
        for a in self.unit.absences:
            d = a.start
            while d <= a.end:
                days[a.person].add(d)
                d += timedelta(days=1)
        return days

    def scheduled(self, person_id: str, day: date) -> bool:
        """Employed and on one of their own weekdays (a part-timer's day off is not a duty day)."""
        person = self.unit.person(person_id)
        return person.employed_on(day) and day.weekday() in person.weekdays

    def present(self, person_id: str, day: date) -> bool:
        return self.scheduled(person_id, day) and day not in self.absent_days[person_id]

    def counted_present(self, team_id: str, day: date) -> list[str]:
        """Social workers of the team present on the day who count toward min_present."""
        weeks = self.unit.rules.introduction_weeks
        return [
            p.id
            for p in self.unit.social_workers(team_id)
            if self.present(p.id, day) and not p.in_introduction(day, weeks)
        ]

    def holiday_workdays(self, p: int) -> int:
        """Workdays of period ``p`` that fall in holiday weeks."""
        return sum(1 for d in self.period_workdays(p) if self.is_holiday_week(self.week_of(d)))

    def is_holiday_adjacent(self, day: date) -> bool:
        """A workday everyone would like off: the day before a public holiday, or a summer Friday."""
        if not self.is_workday(day):
            return False
        if day + timedelta(days=1) in self.public_holidays:
            return True
        return day.weekday() == 4 and day.isocalendar().week in SUMMER_WEEKS

    def is_holiday_week(self, w: int) -> bool:
        """A week with a public holiday on a weekday, Christmas–New Year, or ISO weeks 27–32."""
        days = _week_days(self.weeks[w])
        if any(d.weekday() < 5 and d in self.public_holidays for d in days):
            return True
        if any((d.month == 12 and d.day >= 24) or (d.month == 1 and d.day == 1) for d in days):
            return True
        return self.weeks[w].isocalendar().week in SUMMER_WEEKS


def _week_days(monday: date) -> list[date]:
    return [monday + timedelta(days=i) for i in range(7)]
