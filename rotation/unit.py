"""The unit's data: teams, people, absences and the rules the rota must follow.

One frozen dataclass per concept, in the words a team leader uses. Reading and checking the
files happens in :mod:`rotation.read`; these classes only hold what was read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

ROLES = ("manager", "social_worker", "senior")
ABSENCE_KINDS = ("vacation", "leave", "sick", "training", "other")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OBJECTIVE_TERMS = ("rest", "caseload", "intake_fairness", "holiday_fairness", "acting_days")


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str
    team: str
    role: str
    fte: float
    start: date | None = None
    end: date | None = None
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # date.weekday() numbers
    open_cases: float | None = None

    @property
    def is_social_worker(self) -> bool:
        """Social workers and seniors investigate; managers lead."""
        return self.role in ("social_worker", "senior")

    def employed_on(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def in_introduction(self, day: date, introduction_weeks: int) -> bool:
        """New hires do not count toward staffing during their first weeks."""
        return self.start is not None and day < self.start + timedelta(weeks=introduction_weeks)

    def experienced_on(self, day: date, introduction_weeks: int) -> bool:
        """Who may stand beside a new hire on intake duty: a senior, or a social worker past
        introduction for at least a year (people without a start date count as long-serving)."""
        if self.role == "senior":
            return True
        return self.start is None or day >= self.start + timedelta(weeks=introduction_weeks + 52)


@dataclass(frozen=True)
class Absence:
    person: str
    start: date
    end: date  # inclusive
    kind: str  # private: never written to a shared output


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    manager: str
    deputies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Season:
    """A date range with other rules, such as the summer organisation."""

    name: str
    start: date
    end: date  # inclusive
    min_present: int | None = None
    duty_per_day: int | None = None


@dataclass(frozen=True)
class Pin:
    start: date
    team: str


@dataclass(frozen=True)
class RotationRules:
    start: date
    weeks: int
    period_weeks: int
    teams_on_duty: int
    min_rest_weeks: int
    target_rest_weeks: float
    min_present: int
    introduction_weeks: int
    duty_per_day: int = 2  # intake officers per workday; 0 switches personal duty off
    max_duty_days_in_row: int = 3

    @property
    def periods(self) -> int:
        return self.weeks // self.period_weeks


@dataclass(frozen=True)
class DemandSpec:
    """How many new reports arrive and how many become investigations of what length."""

    referrals_per_week: float | None
    weekly_referrals: dict[date, float] | None  # from a demand file, by week start
    seasonal: str
    investigation_share: float
    duration_days: dict[int, float]  # upper bound in days -> share


@dataclass(frozen=True)
class Unit:
    name: str
    timezone: str
    country: str
    language: str
    rules: RotationRules
    demand: DemandSpec
    teams: tuple[Team, ...]
    people: tuple[Person, ...]
    absences: tuple[Absence, ...] = ()
    seasons: tuple[Season, ...] = ()
    pins: tuple[Pin, ...] = ()
    weights: dict[str, float] | None = None  # None: strict priority order
    source: str = ""  # the folder it was read from
    _people_by_id: dict[str, Person] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Not an init field: dataclasses.replace() must not hand a copy the old unit's index.
        object.__setattr__(self, "_people_by_id", {p.id: p for p in self.people})

    def person(self, person_id: str) -> Person:
        return self._people_by_id[person_id]

    def team(self, team_id: str) -> Team:
        return next(t for t in self.teams if t.id == team_id)

    def members(self, team_id: str) -> list[Person]:
        return [p for p in self.people if p.team == team_id]

    def social_workers(self, team_id: str) -> list[Person]:
        return [p for p in self.people if p.team == team_id and p.is_social_worker]

    def min_present_on(self, day: date) -> int:
        for season in self.seasons:
            if season.start <= day <= season.end and season.min_present is not None:
                return season.min_present
        return self.rules.min_present

    @property
    def plans_duty(self) -> bool:
        """Whether any day needs intake officers (the unit's setting, or a season's)."""
        return self.rules.duty_per_day > 0 or any(s.duty_per_day for s in self.seasons)

    def duty_per_day_on(self, day: date) -> int:
        for season in self.seasons:
            if season.start <= day <= season.end and season.duty_per_day is not None:
                return season.duty_per_day
        return self.rules.duty_per_day
