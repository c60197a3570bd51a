"""Read a unit folder (``unit.toml`` plus staff and absence lists) into a checked :class:`Unit`.

Every mistake raises :class:`InputError` naming the file, the row (as the user sees it: the
line in a CSV file, the row in Excel, the line in TOML) and the field.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import tomllib
import unicodedata
import zoneinfo
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputError
from .unit import (
    ABSENCE_KINDS,
    OBJECTIVE_TERMS,
    ROLES,
    Absence,
    DemandSpec,
    Person,
    Pin,
    RotationRules,
    Season,
    Team,
    Unit,
)

STAFF_COLUMNS = ("id", "name", "email", "team", "role", "fte", "start", "end", "weekdays")
ABSENCE_COLUMNS = ("person", "start", "end", "kind")
DEMAND_COLUMNS = ("week_start", "referrals")
# A forecast's 80 % band (`rotation forecast` writes it; the what-if simulation reads it, the
# planner plans on the mean): known columns of a demand file, not required.
DEMAND_BAND_COLUMNS = ("referrals_low", "referrals_high", "common_log_sd")
SEASONAL_PROFILES = ("se-school", "none")
LANGUAGES = ("sv", "en")
# Absence kinds as a Swedish team leader writes them (the kind is private and used for nothing,
# but a typo should still be caught).
SWEDISH_KINDS = {
    "semester": "vacation",
    "sjuk": "sick",
    "sjukdom": "sick",
    "utbildning": "training",
    "kurs": "training",
    "tjänstledig": "leave",
    "tjänstledighet": "leave",
    "föräldraledig": "leave",
    "föräldraledighet": "leave",
    "ledig": "leave",
    "övrigt": "other",
    "annat": "other",
}
UNIT_KEYS = ("name", "timezone", "country", "language")
# The tables of unit.toml, as written there: [table] or [[table]] (one per team, season, pin).
TABLES = {
    "unit": "[unit]",
    "rotation": "[rotation]",
    "demand": "[demand]",
    "team": "[[team]]",
    "season": "[[season]]",
    "pin": "[[pin]]",
    "weights": "[weights]",
}
# Weekday names accepted in the weekdays column of the staff list (compared in lower case):
# English and Swedish, abbreviated and in full. The rota covers Monday to Friday only.
WEEKDAY_SPELLINGS = (
    ("mon", "monday", "mån", "måndag"),
    ("tue", "tuesday", "tis", "tisdag"),
    ("wed", "wednesday", "ons", "onsdag"),
    ("thu", "thursday", "tor", "tors", "torsdag"),
    ("fri", "friday", "fre", "fredag"),
)
WEEKDAY_NAMES = {name: day for day, names in enumerate(WEEKDAY_SPELLINGS) for name in names}
WEEKEND_NAMES = ("sat", "saturday", "sun", "sunday", "lör", "lördag", "sön", "söndag")


def load_unit(folder: str | Path) -> Unit:
    """Read and check a unit folder; raise :class:`InputError` on the first mistake."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(str(folder), "not a folder; expected a unit folder with unit.toml")
    toml_path = folder / "unit.toml"
    config = _read_toml(toml_path)
    toml = _Toml(toml_path.name, config, toml_path.read_text(encoding="utf-8"))
    _check_tables(toml)

    unit_t = toml.table("unit")
    toml.unknown_keys(unit_t, "unit", UNIT_KEYS)
    name = toml.string(unit_t, "unit", "name")
    timezone = toml.string(unit_t, "unit", "timezone", default="Europe/Stockholm")
    _check_timezone(toml, timezone)
    country = toml.string(unit_t, "unit", "country", default="SE")
    language = toml.choice(unit_t, "unit", "language", LANGUAGES, default="sv")
    _check_country(toml.name, country)

    rules = _read_rules(toml)
    demand = _read_demand(toml, folder, rules)
    teams = _read_teams(toml)
    team_ids = [t.id for t in teams]
    people = _read_staff(folder, team_ids)
    by_id = {p.id: p for p in people}
    _check_team_people(toml, teams, by_id)
    absences = _read_absences(folder, by_id, rules.start + timedelta(weeks=rules.weeks, days=-1))
    seasons = _read_seasons(toml, rules)
    pins = _read_pins(toml, rules, team_ids)
    weights = _read_weights(toml)
    return Unit(
        name=name,
        timezone=timezone,
        country=country,
        language=language,
        rules=rules,
        demand=demand,
        teams=tuple(teams),
        people=tuple(people),
        absences=tuple(absences),
        seasons=tuple(seasons),
        pins=tuple(pins),
        weights=weights,
        source=str(folder),
    )


# --- unit.toml ---------------------------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(path.name, f"missing; expected it in {path.parent}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise InputError(path.name, f"not valid TOML: {e}") from None
    except UnicodeDecodeError:
        raise InputError(path.name, "not UTF-8 text") from None


class _Toml:
    """Typed access to unit.toml with messages that name the table and key."""

    def __init__(self, name: str, config: dict[str, Any], text: str = "") -> None:
        self.name = name
        self.config = config
        self.lines = text.splitlines()

    def error(self, where: str, key: str, message: str) -> InputError:
        return InputError(
            self.name, message, row=self.line_of(where, key), field=f"{where}.{key}" if key else where
        )

    def line_of(self, where: str, key: str) -> int | None:
        """The line of ``key`` in table ``where`` ("rotation", "team[2]"), else of the table;
        ``where = ""`` looks for a key above the first table."""
        name, _, index = where.partition("[")
        wanted = int(index.rstrip("]")) if index else 1
        seen, inside, header = 0, not where, None
        for number, raw in enumerate(self.lines, start=1):
            line = raw.split("#", 1)[0].strip()
            if line.startswith("["):
                table = line.strip("[]").strip()
                inside = table == name and (seen := seen + 1) == wanted
                if inside:
                    header = number
                continue
            if inside and key and line.split("=", 1)[0].strip().strip('"') == key:
                return number
        return header

    def table(self, key: str, required: bool = True) -> dict[str, Any]:
        value = self.config.get(key)
        if value is None:
            if required:
                raise InputError(self.name, f"missing table [{key}]")
            return {}
        if not isinstance(value, dict):
            raise self.error(key, "", f"expected one [{key}] table (with single brackets)")
        return value

    def array(self, key: str) -> list[dict[str, Any]]:
        value = self.config.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(key, "", f"expected [[{key}]] tables (with double brackets)")
        return value

    def get(self, table: dict[str, Any], where: str, key: str, default: Any = ...) -> Any:
        if key not in table:
            if default is ...:
                raise self.error(where, key, "missing")
            return default
        return table[key]

    def string(self, table: dict[str, Any], where: str, key: str, default: Any = ...) -> str:
        value = self.get(table, where, key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.error(where, key, f"expected a non-empty text, got {value!r}")
        return value.strip()

    def choice(
        self, table: dict[str, Any], where: str, key: str, options: tuple[str, ...], default: Any
    ) -> str:
        value = self.get(table, where, key, default)
        if value not in options:
            raise self.error(where, key, f"expected one of {', '.join(options)}, got {value!r}")
        return str(value)

    def integer(
        self, table: dict[str, Any], where: str, key: str, default: Any = ..., minimum: int = 0
    ) -> int:
        value = self.get(table, where, key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(where, key, f"expected a whole number >= {minimum}, got {value!r}")
        return value

    def number(
        self, table: dict[str, Any], where: str, key: str, default: Any = ..., minimum: float = 0
    ) -> float:
        value = self.get(table, where, key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.error(where, key, f"expected a number >= {minimum}, got {value!r}")
        return float(value)

    def day(self, table: dict[str, Any], where: str, key: str) -> date:
        value = self.get(table, where, key)
        if isinstance(value, datetime):
            raise self.error(where, key, "expected a date like 2027-01-04, without a time")
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.error(where, key, f"expected a date like 2027-01-04, got {value!r}")

    def unknown_keys(self, table: dict[str, Any], where: str, known: tuple[str, ...]) -> None:
        for key in table:
            if key not in known:
                close = _closest(key, known)
                hint = f" (did you mean {close!r}?)" if close else ""
                raise self.error(where, key, f"unknown setting{hint}; expected one of {', '.join(known)}")


def _closest(wrong: str, known: Iterable[str]) -> str | None:
    """The known name ``wrong`` is most likely a misspelling of, if any."""
    close = difflib.get_close_matches(wrong, list(known), n=1)
    return close[0] if close else None


def _check_tables(toml: _Toml) -> None:
    """Every top-level entry of unit.toml is one of the known tables: a misspelt table
    ([[seasons]], [rotaton]) would otherwise be dropped without a word."""
    known = ", ".join(TABLES.values())
    for key, value in toml.config.items():
        if key in TABLES:
            continue
        is_table = isinstance(value, dict) or (
            isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
        )
        if is_table:
            written = f"[[{key}]]" if isinstance(value, list) else f"[{key}]"
            close = _closest(key, TABLES)
            hint = f" (did you mean {TABLES[close]}?)" if close else ""
            raise toml.error(key, "", f"unknown table {written}{hint}; expected {known}")
        raise InputError(
            toml.name,
            f"setting {key!r} is outside any table; put it in the table it belongs to ({known})",
            row=toml.line_of("", key),
            field=key,
        )


def _check_timezone(toml: _Toml, timezone: str) -> None:
    """The time zone the calendar feeds are written in; a misspelt one would only fail at publish."""
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        close = _closest(timezone, sorted(zoneinfo.available_timezones()))
        hint = f" (did you mean {close!r}?)" if close else ""
        raise toml.error(
            "unit", "timezone", f"unknown time zone {timezone!r}{hint}; expected e.g. 'Europe/Stockholm'"
        ) from None


def _check_country(file: str, country: str) -> None:
    import holidays

    if country not in holidays.list_supported_countries():
        raise InputError(file, f"unknown country code {country!r}", field="unit.country")


def _read_rules(toml: _Toml) -> RotationRules:
    r = toml.table("rotation")
    where = "rotation"
    toml.unknown_keys(
        r,
        where,
        (
            "start",
            "weeks",
            "period_weeks",
            "teams_on_duty",
            "min_rest_weeks",
            "target_rest_weeks",
            "min_present",
            "introduction_weeks",
            "duty_per_day",
            "max_duty_days_in_row",
        ),
    )
    start = toml.day(r, where, "start")
    if start.weekday() != 0:
        raise toml.error(
            where,
            "start",
            f"{start} is a {start.strftime('%A')}; the rotation must start on a Monday",
        )
    weeks = toml.integer(r, where, "weeks", minimum=1)
    period_weeks = toml.integer(r, where, "period_weeks", default=2, minimum=1)
    if weeks % period_weeks:
        raise toml.error(
            where,
            "weeks",
            f"{weeks} weeks is not a multiple of period_weeks = {period_weeks}",
        )
    teams_on_duty = toml.integer(r, where, "teams_on_duty", default=1, minimum=1)
    min_rest = toml.integer(r, where, "min_rest_weeks", default=0)
    teams = len(toml.array("team"))
    default_target = max(teams - teams_on_duty, 0) * period_weeks / teams_on_duty if teams_on_duty else 0
    target = toml.number(r, where, "target_rest_weeks", default=default_target)
    return RotationRules(
        start=start,
        weeks=weeks,
        period_weeks=period_weeks,
        teams_on_duty=teams_on_duty,
        min_rest_weeks=min_rest,
        target_rest_weeks=target,
        min_present=toml.integer(r, where, "min_present", default=3),
        introduction_weeks=toml.integer(r, where, "introduction_weeks", default=8),
        duty_per_day=toml.integer(r, where, "duty_per_day", default=2),
        max_duty_days_in_row=toml.integer(r, where, "max_duty_days_in_row", default=3, minimum=1),
    )


def _read_demand(toml: _Toml, folder: Path, rules: RotationRules) -> DemandSpec:
    d = toml.table("demand")
    where = "demand"
    toml.unknown_keys(
        d,
        where,
        ("referrals_per_week", "file", "seasonal", "investigation_share", "duration_days"),
    )
    has_rate = "referrals_per_week" in d
    has_file = "file" in d
    if has_rate == has_file:
        raise toml.error(where, "", "give exactly one of referrals_per_week or file")
    rate = toml.number(d, where, "referrals_per_week") if has_rate else None
    weekly = _read_demand_file(folder, toml.string(d, where, "file"), rules) if has_file else None
    seasonal = toml.choice(
        d, where, "seasonal", SEASONAL_PROFILES, default="se-school" if has_rate else "none"
    )
    if has_file and seasonal != "none":
        raise toml.error(
            where, "seasonal", "a demand file already holds weekly figures; use seasonal = 'none'"
        )
    share = toml.number(d, where, "investigation_share", default=0.35)
    if not 0 < share <= 1:
        raise toml.error(where, "investigation_share", f"expected a share in (0, 1], got {share}")
    raw = d.get(
        "duration_days",
        {"14": 0.08, "30": 0.08, "60": 0.18, "90": 0.26, "120": 0.28, "180": 0.10, "240": 0.02},
    )
    if not isinstance(raw, dict) or not raw:
        raise toml.error(where, "duration_days", "expected a table of days = share")
    durations: dict[int, float] = {}
    for key, value in raw.items():
        try:
            days = int(key)
        except ValueError:
            days = 0
        if days <= 0:
            raise toml.error(where, "duration_days", f"{key!r} is not a number of days > 0")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise toml.error(where, "duration_days", f"share for {key} days must be >= 0")
        durations[days] = float(value)
    total = sum(durations.values())
    if abs(total - 1) > 0.01:
        raise toml.error(where, "duration_days", f"shares add up to {total:.2f}, expected 1")
    return DemandSpec(
        referrals_per_week=rate,
        weekly_referrals=weekly,
        seasonal=seasonal,
        investigation_share=share,
        duration_days=dict(sorted(durations.items())),
    )


def _read_demand_file(folder: Path, name: str, rules: RotationRules) -> dict[date, float]:
    weekly: dict[date, float] = {}
    known = (*DEMAND_COLUMNS, *DEMAND_BAND_COLUMNS)
    for row, rec in _records(folder, Path(name).stem, known, DEMAND_COLUMNS, name):
        week = rec.date("week_start")
        if week.weekday() != 0:
            raise rec.error("week_start", f"{week} is not a Monday")
        if week in weekly:
            raise rec.error("week_start", f"week {week} appears twice")
        weekly[week] = rec.number("referrals", minimum=0)
        del row
    missing = [
        rules.start + timedelta(weeks=w)
        for w in range(rules.weeks)
        if rules.start + timedelta(weeks=w) not in weekly
    ]
    if missing:
        raise InputError(
            name,
            f"no referrals for the week starting {missing[0]}; the file must cover the horizon",
        )
    return weekly


def _read_teams(toml: _Toml) -> list[Team]:
    teams: list[Team] = []
    arr = toml.array("team")
    if not arr:
        raise InputError(toml.name, "no [[team]]; a rotation needs at least two teams")
    for i, t in enumerate(arr, start=1):
        where = f"team[{i}]"
        toml.unknown_keys(t, where, ("id", "name", "manager", "deputies"))
        team_id = toml.string(t, where, "id")
        if any(x.id == team_id for x in teams):
            raise toml.error(where, "id", f"team {team_id!r} is defined twice")
        deputies = t.get("deputies", [])
        if not isinstance(deputies, list) or not all(isinstance(x, str) for x in deputies):
            raise toml.error(where, "deputies", "expected a list of person ids")
        teams.append(
            Team(
                id=team_id,
                name=toml.string(t, where, "name", default=f"Team {team_id}"),
                manager=toml.string(t, where, "manager"),
                deputies=tuple(deputies),
            )
        )
    rules = toml.table("rotation")
    on_duty = rules.get("teams_on_duty", 1)
    if isinstance(on_duty, int) and len(teams) <= on_duty:
        raise InputError(
            toml.name,
            f"{len(teams)} team(s) but teams_on_duty = {on_duty}; a rotation needs more teams",
            field="rotation.teams_on_duty",
        )
    return teams


def _check_team_people(toml: _Toml, teams: list[Team], people: dict[str, Person]) -> None:
    for i, team in enumerate(teams, start=1):
        where = f"team[{i}]"
        manager = people.get(team.manager)
        if manager is None:
            raise toml.error(where, "manager", f"{team.manager!r} is not in the staff list")
        if manager.role != "manager":
            raise toml.error(where, "manager", f"{team.manager} has role {manager.role!r}, not 'manager'")
        for deputy in team.deputies:
            if deputy not in people:
                raise toml.error(where, "deputies", f"{deputy!r} is not in the staff list")
            if deputy == team.manager:
                raise toml.error(where, "deputies", f"{deputy} is the team's own manager")
        if len(set(team.deputies)) != len(team.deputies):
            raise toml.error(where, "deputies", "a deputy is listed twice")
    managers = [t.manager for t in teams]
    for m in managers:
        if managers.count(m) > 1:
            raise InputError(toml.name, f"{m} manages more than one team", field="team.manager")


def _read_seasons(toml: _Toml, rules: RotationRules) -> list[Season]:
    seasons: list[Season] = []
    for i, s in enumerate(toml.array("season"), start=1):
        where = f"season[{i}]"
        toml.unknown_keys(s, where, ("name", "from", "to", "min_present", "duty_per_day"))
        start, end = toml.day(s, where, "from"), toml.day(s, where, "to")
        if end < start:
            raise toml.error(where, "to", f"{end} is before from = {start}")
        for other in seasons:
            if start <= other.end and other.start <= end:
                raise toml.error(where, "from", f"overlaps season {other.name!r}")
        seasons.append(
            Season(
                name=toml.string(s, where, "name", default=f"season {i}"),
                start=start,
                end=end,
                min_present=toml.integer(s, where, "min_present") if "min_present" in s else None,
                duty_per_day=toml.integer(s, where, "duty_per_day") if "duty_per_day" in s else None,
            )
        )
    return seasons


def _read_pins(toml: _Toml, rules: RotationRules, team_ids: list[str]) -> list[Pin]:
    pins: list[Pin] = []
    end = rules.start + timedelta(weeks=rules.weeks)
    for i, p in enumerate(toml.array("pin"), start=1):
        where = f"pin[{i}]"
        toml.unknown_keys(p, where, ("start", "team"))
        start = toml.day(p, where, "start")
        if not rules.start <= start < end:
            raise toml.error(
                where,
                "start",
                f"{start} is outside the horizon {rules.start} – {end - timedelta(1)}",
            )
        offset = (start - rules.start).days
        if offset % (7 * rules.period_weeks):
            raise toml.error(
                where,
                "start",
                f"{start} is not the first day of a period (periods start every "
                f"{rules.period_weeks} weeks from {rules.start})",
            )
        team = toml.string(p, where, "team")
        if team not in team_ids:
            raise toml.error(where, "team", f"unknown team {team!r}; teams: {', '.join(team_ids)}")
        same = [q for q in pins if q.start == start]
        if any(q.team == team for q in same):
            raise toml.error(where, "start", f"team {team} is pinned to {start} twice")
        if len(same) + 1 > rules.teams_on_duty:
            raise toml.error(
                where,
                "start",
                f"overlapping pins: {len(same) + 1} teams pinned to the period of {start}, "
                f"but teams_on_duty = {rules.teams_on_duty}",
            )
        pins.append(Pin(start=start, team=team))
    return pins


def _read_weights(toml: _Toml) -> dict[str, float] | None:
    if "weights" not in toml.config:
        return None
    w = toml.table("weights")
    toml.unknown_keys(w, "weights", OBJECTIVE_TERMS)
    return {k: toml.number(w, "weights", k, default=0.0) for k in OBJECTIVE_TERMS}


# --- staff and absence lists -------------------------------------------------------------------


class _Record:
    """One row of a staff or absence list, with messages naming the file, row and field."""

    def __init__(self, file: str, row: int, values: dict[str, str]) -> None:
        self.file = file
        self.row = row
        self.values = values

    def error(self, field: str, message: str) -> InputError:
        return InputError(self.file, message, row=self.row, field=field)

    def text(self, field: str, required: bool = True) -> str:
        value = self.values.get(field, "").strip()
        if required and not value:
            raise self.error(field, "missing")
        return value

    def date(self, field: str) -> dt.date:
        value = self.text(field)
        try:
            return dt.date.fromisoformat(value[:10] if len(value) > 10 else value)
        except ValueError:
            raise self.error(field, f"expected a date like 2027-01-04, got {value!r}") from None

    def optional_date(self, field: str) -> dt.date | None:
        return self.date(field) if self.text(field, required=False) else None

    def number(self, field: str, minimum: float | None = None) -> float:
        value = self.text(field)
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            raise self.error(field, f"expected a number, got {value!r}") from None
        if minimum is not None and number < minimum:
            raise self.error(field, f"expected a number >= {minimum}, got {value}")
        return number


def read_table(path: Path, expected: str) -> pd.DataFrame:
    """A CSV (UTF-8, with or without Excel's byte order mark; commas or, as Swedish Excel saves
    it, semicolons: a header line with ';' and no ',' means semicolons, or tabs) or Excel file as text
    cells, blank lines kept so row numbers stay the lines of the file. InputError for an empty
    or unreadable file (``expected``: what it should hold, for the message)."""
    name = path.name
    empty = InputError(name, f"is empty; expected {expected}")
    try:
        if path.stat().st_size == 0:
            raise empty
        if path.suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            text = path.read_bytes().decode("utf-8-sig")
            if not text.strip():
                raise empty
            header = text.lstrip("\r\n").splitlines()[0]
            # (tabs: a table pasted from Excel into a text editor)
            sep = next((c for c in ";\t" if c in header and "," not in header), ",")
            frame = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                skip_blank_lines=False,  # so row numbers stay the lines of the file
            )
    except InputError:
        raise
    except UnicodeDecodeError:
        raise InputError(name, "not UTF-8 text; save it as CSV UTF-8") from None
    except Exception as e:  # pandas and openpyxl raise many kinds for unreadable files
        raise InputError(name, f"cannot be read as a table: {e}") from None
    if len(frame.columns) == 0:
        if path.suffix == ".xlsx":  # (the table on another sheet: only the first is read)
            sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="openpyxl")
            filled = [sheet for sheet, table in sheets.items() if len(table.columns)]
            if filled:
                raise InputError(
                    name, f"the first sheet is empty; the table is on sheet {filled[0]!r}: move it first"
                )
        raise empty
    return frame


def _records(
    folder: Path,
    stem: str,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    shown_name: str | None = None,
) -> Iterator[tuple[int, _Record]]:
    """Rows of ``stem.csv`` or ``stem.xlsx`` (whichever exists), numbered as the user sees them
    (the file read as :func:`read_table` reads it). A column not in ``columns`` is an error."""
    csv_path, xlsx_path = folder / f"{stem}.csv", folder / f"{stem}.xlsx"
    if shown_name and not shown_name.endswith((".csv", ".xlsx")):
        shown_name = None
    if shown_name:
        path = folder / shown_name
    elif csv_path.exists() and xlsx_path.exists():
        raise InputError(f"{stem}.csv", f"both {stem}.csv and {stem}.xlsx exist; keep only one of them")
    else:
        path = xlsx_path if xlsx_path.exists() else csv_path
    name = path.name
    if not path.exists():
        files = {f.stem.lower(): f.name for f in sorted(folder.iterdir()) if f.is_file()}
        near = _closest(stem.lower(), files)
        found = files[near] if near else None
        hint = f" (found {found}: rename it to {stem}{Path(found).suffix.lower()}?)" if found else ""
        raise InputError(name, f"missing; expected {stem}.csv or {stem}.xlsx in {folder}{hint}")
    frame = read_table(path, f"the header {','.join(columns)}")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    for column in frame.columns:
        # A column the tool does not know is a mistake, never ignored: a misspelt "weekdays"
        # or "end" would plan part-timers on their days off and leavers after they left. (A
        # column without a header and without values is the trailing separator Excel writes.)
        if column in columns or (column.startswith("unnamed:") and not frame[column].str.strip().any()):
            continue
        close = _closest(column, columns)
        hint = f" (did you mean {close!r}?)" if close else ""
        shown = "a column without a header" if column.startswith("unnamed:") else f"unknown column {column!r}"
        raise InputError(name, f"{shown}{hint}; expected columns {', '.join(columns)}", row=1)
    for column in required:
        if column not in frame.columns:
            raise InputError(
                name,
                f"missing column {column!r}; expected columns {', '.join(columns)}",
                row=1,
            )
    for i, values in enumerate(frame.to_dict("records")):
        clean = {k: str(v).strip() for k, v in values.items() if k in columns}
        if path.suffix == ".xlsx":
            clean = {k: (v[:10] if v.endswith(" 00:00:00") else v) for k, v in clean.items()}
        if not any(clean.values()):
            continue
        yield i + 2, _Record(name, i + 2, clean)


def _read_staff(folder: Path, team_ids: list[str]) -> list[Person]:
    people: list[Person] = []
    seen: set[str] = set()
    required = ("id", "name", "team", "role", "fte")
    columns = (*STAFF_COLUMNS, "open_cases")
    for _, rec in _records(folder, "staff", columns, required):
        pid = rec.text("id")
        if pid in seen:
            raise rec.error("id", f"{pid!r} appears twice")
        seen.add(pid)
        team = rec.text("team")
        if team not in team_ids:
            raise rec.error("team", f"unknown team {team!r}; teams in unit.toml: {', '.join(team_ids)}")
        role = rec.text("role")
        if role not in ROLES:
            raise rec.error("role", f"expected one of {', '.join(ROLES)}, got {role!r}")
        fte = rec.number("fte")
        if not 0 < fte <= 1:
            raise rec.error("fte", f"expected a share in (0, 1], got {rec.text('fte')}")
        start, end = rec.optional_date("start"), rec.optional_date("end")
        if start and end and end < start:
            raise rec.error("end", f"{end} is before start {start}")
        weekdays = _weekdays(rec)
        open_cases = rec.number("open_cases", minimum=0) if rec.text("open_cases", False) else None
        people.append(
            Person(
                id=pid,
                name=rec.text("name"),
                email=rec.text("email", required=False),
                team=team,
                role=role,
                fte=fte,
                start=start,
                end=end,
                weekdays=weekdays,
                open_cases=open_cases,
            )
        )
    if not people:
        raise InputError("staff.csv", "no people listed")
    return people


def _weekdays(rec: _Record) -> tuple[int, ...]:
    """The weekdays column: names like mon,tue,thu (or monday, mån, måndag …), any case."""
    raw = unicodedata.normalize("NFC", rec.text("weekdays", required=False)).lower()
    if not raw:
        return (0, 1, 2, 3, 4)
    days: list[int] = []
    for part in raw.replace(";", ",").replace(" ", ",").split(","):
        if not part:
            continue
        if part in WEEKEND_NAMES:
            raise rec.error("weekdays", f"{part!r} is not a workday; the rota covers Monday to Friday")
        if part not in WEEKDAY_NAMES:
            raise rec.error(
                "weekdays",
                f"unknown weekday {part!r}; use mon,tue,wed,thu,fri (or monday … friday, mån … fre)",
            )
        days.append(WEEKDAY_NAMES[part])
    if not days:
        raise rec.error("weekdays", "no weekdays given")
    return tuple(sorted(set(days)))


def _read_absences(folder: Path, people: dict[str, Person], last_day: date) -> list[Absence]:
    """The absences; one without an end (a long sick leave, end not known yet) lasts to
    ``last_day``, the rota's last day."""
    absences: list[Absence] = []  # (the file is required: a misnamed one is not "nobody away")
    for _, rec in _records(folder, "absences", ABSENCE_COLUMNS, ABSENCE_COLUMNS):
        person = rec.text("person")
        if person not in people:
            raise rec.error("person", f"{person!r} is not in the staff list")
        start, end = rec.date("start"), rec.optional_date("end") or max(last_day, rec.date("start"))
        if end < start:
            raise rec.error("end", f"{end} is before start {start}")
        written = rec.text("kind")
        kind = SWEDISH_KINDS.get(written.lower(), written.lower())
        if kind not in ABSENCE_KINDS:
            raise rec.error(
                "kind",
                f"expected one of {', '.join(ABSENCE_KINDS)} (or in Swedish: "
                f"{', '.join(sorted(SWEDISH_KINDS))}), got {written!r}",
            )
        absences.append(Absence(person=person, start=start, end=end, kind=kind))
    return absences
