"""Generated units for tests and benchmarks: any number of teams, years and staff.

Absences follow the Swedish pattern (four summer weeks staggered within weeks 25–33, a few
sick days); managers and their first deputy never share a vacation week.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

DURATIONS = {"14": 0.08, "30": 0.08, "60": 0.18, "90": 0.26, "120": 0.28, "180": 0.10, "240": 0.02}


def write_unit(
    folder: str | Path,
    teams: int = 3,
    years: int = 1,
    staff: int = 24,
    seed: int = 0,
    start: date = date(2027, 1, 4),
    min_present: int = 3,
    absences: bool = True,
    language: str = "en",
) -> Path:
    """Write a unit folder (unit.toml, staff.csv, absences.csv) and return its path."""
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    team_ids = [chr(ord("A") + i) for i in range(teams)]
    workers = max(staff - teams, teams * (min_present + 1))
    people: list[dict[str, str]] = []
    for i, t in enumerate(team_ids):
        people.append(_row(f"m{i + 1:02d}", t, "manager", 1.0))
    for j in range(workers):
        t = team_ids[j % teams]
        role = "senior" if j < 2 * teams else "social_worker"
        part_time = rng.random() < 0.1
        row = _row(f"s{j + 1:03d}", t, role, 0.8 if part_time else 1.0)
        if part_time:
            row["weekdays"] = "mon,tue,wed,thu"
        people.append(row)
    senior_of = {
        t: next(p["id"] for p in people if p["team"] == t and p["role"] == "senior") for t in team_ids
    }
    rows_abs: list[dict[str, str]] = []
    if absences:
        for y in range(years):
            year = start.year + y
            week25 = date.fromisocalendar(year, 25, 1)
            for k, p in enumerate(people):
                # Managers take weeks 25–28 or 29–32 alternately; their senior deputy the other.
                if p["role"] == "manager":
                    offset = 0 if k % 2 == 0 else 4
                elif p["id"] in senior_of.values():
                    offset = 4 if team_ids.index(p["team"]) % 2 == 0 else 0
                else:
                    offset = rng.randint(0, 5)
                first = week25 + timedelta(weeks=offset)
                rows_abs.append(_absence(p["id"], first, first + timedelta(days=27), "vacation"))
                if rng.random() < 0.5:
                    d = start + timedelta(days=365 * y + rng.randint(0, 150))
                    rows_abs.append(_absence(p["id"], d, d + timedelta(days=rng.randint(0, 3)), "sick"))
    deputies = {t: [senior_of[t], f"m{(i + 1) % teams + 1:02d}"] for i, t in enumerate(team_ids)}
    _write_csv(
        folder / "staff.csv",
        ["id", "name", "email", "team", "role", "fte", "start", "end", "weekdays"],
        people,
    )
    _write_csv(folder / "absences.csv", ["person", "start", "end", "kind"], rows_abs)
    toml = [
        "[unit]",
        f'name = "Generated unit {teams}x{years}"',
        'timezone = "Europe/Stockholm"',
        'country = "SE"',
        f'language = "{language}"',
        "",
        "[rotation]",
        f"start = {start.isoformat()}",
        f"weeks = {52 * years}",
        "period_weeks = 2",
        "teams_on_duty = 1",
        "min_rest_weeks = 2",
        f"min_present = {min_present}",
        "introduction_weeks = 8",
        "",
        "[demand]",
        f"referrals_per_week = {15 * teams}",
        'seasonal = "se-school"',
        "investigation_share = 0.35",
        "duration_days = { " + ", ".join(f'"{k}" = {v}' for k, v in DURATIONS.items()) + " }",
    ]
    for t in team_ids:
        manager = f"m{team_ids.index(t) + 1:02d}"
        deps = ", ".join(f'"{d}"' for d in deputies[t])
        toml += [
            "",
            "[[team]]",
            f'id = "{t}"',
            f'name = "Team {t}"',
            f'manager = "{manager}"',
            f"deputies = [{deps}]",
        ]
    (folder / "unit.toml").write_text("\n".join(toml) + "\n", encoding="utf-8")
    return folder


def _row(pid: str, team: str, role: str, fte: float) -> dict[str, str]:
    return {
        "id": pid,
        "name": f"Person {pid}",
        "email": f"{pid}@example.se",
        "team": team,
        "role": role,
        "fte": str(fte),
        "start": "",
        "end": "",
        "weekdays": "",
    }


def _absence(person: str, start: date, end: date, kind: str) -> dict[str, str]:
    return {"person": person, "start": start.isoformat(), "end": end.isoformat(), "kind": kind}


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
