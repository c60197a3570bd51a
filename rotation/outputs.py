"""Write a plan folder: CSV files, summary.json and rota.xlsx, all or nothing.

Files are written to a hidden temporary folder beside the target, validated, and only then
moved into place, so a failed run never leaves a half-written plan. Absence kinds never appear
in any of these files.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputError
from .labels import label, person_label, week_number
from .metrics import RotaMetrics
from .rota import Rota
from .solve import Planning

ROTA_COLUMNS = ["period", "start", "end", "team"]
DUTY_COLUMNS = ["date", "period", "team", "manager", "acting", "present"]
OFFICER_COLUMNS = ["date", "period", "team", "person", "role"]
PEOPLE_COLUMNS = [
    "person",
    "name",
    "team",
    "fte",
    "duty_days",
    "mentor_days",
    "expected_new_investigations",
    "new_per_present_fte",
    "peak_open_per_fte",
    "holiday_adjacent_days",
    "back_to_back_days",
]
TEAM_COLUMNS = [
    "team",
    "name",
    "duty_periods",
    "min_rest_weeks",
    "mean_rest_weeks",
    "new_investigations",
    "new_per_fte",
    "peak_open_per_fte",
    "holiday_intake_days",
    "acting_manager_days",
]


def rota_rows(planning: Planning, rota: Rota) -> list[dict[str, str]]:
    rows = []
    for period in planning.grid.periods:
        for team in rota.teams_in(period.index):
            rows.append(
                {
                    "period": str(period.index),
                    "start": period.start.isoformat(),
                    "end": period.end.isoformat(),
                    "team": team,
                }
            )
    return rows


def duty_rows(rota: Rota) -> list[dict[str, str]]:
    return [
        {
            "date": d.date.isoformat(),
            "period": str(d.period),
            "team": d.team,
            "manager": d.manager or "",
            "acting": "true" if d.acting else "false",
            "present": str(d.present),
        }
        for d in rota.duty_days
    ]


def officer_rows(rota: Rota) -> list[dict[str, str]]:
    return [
        {
            "date": o.date.isoformat(),
            "period": str(o.period),
            "team": o.team,
            "person": o.person,
            "role": o.role,
        }
        for o in rota.officers
    ]


def team_rows(metrics: RotaMetrics) -> list[dict[str, Any]]:
    return [{k: ("" if v is None else v) for k, v in row.items()} for row in metrics.as_rows()]


def check_plan_target(target: Path) -> None:
    """A plan may go to a new folder, an empty one or an earlier plan's (see the callers for
    which plans may be replaced), never into a folder of other files."""
    if target.exists() and not target.is_dir():
        raise InputError(str(target), "exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / "summary.json").exists():
        raise InputError(
            str(target), "exists and is not a plan folder (no summary.json); choose another --out"
        )


@contextmanager
def atomic_folder(target: Path, replace: bool = True) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``target`` only if the block succeeds.

    Without ``replace`` the target must not exist: a published plan is never overwritten."""
    target = Path(target)
    if target.exists() and not replace:
        raise InputError(str(target), "exists; a new plan version goes to a new folder")
    check_plan_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        tmp.chmod(0o755)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.rename(target, old / "plan")
            os.rename(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_tables(folder: Path, planning: Planning, rota: Rota, metrics: RotaMetrics) -> None:
    write_csv(folder / "rota.csv", ROTA_COLUMNS, rota_rows(planning, rota))
    write_csv(folder / "duty_days.csv", DUTY_COLUMNS, duty_rows(rota))
    write_csv(folder / "teams.csv", TEAM_COLUMNS, team_rows(metrics))
    if rota.officers:
        write_csv(folder / "duty.csv", OFFICER_COLUMNS, officer_rows(rota))
        write_csv(folder / "people.csv", PEOPLE_COLUMNS, metrics.people_rows())


def write_version(folder: Path, version: dict[str, Any]) -> None:
    """version.json: the plan's version, its parent plan and the command that made it."""
    text = json.dumps(version, indent=2, ensure_ascii=False, default=str)
    (folder / "version.json").write_text(text + "\n", encoding="utf-8")


def write_summary(folder: Path, summary: dict[str, Any]) -> None:
    text = json.dumps(summary, indent=2, ensure_ascii=False, default=str)
    (folder / "summary.json").write_text(text + "\n", encoding="utf-8")


def write_workbook(
    folder: Path,
    planning: Planning,
    rota: Rota,
    metrics: RotaMetrics,
    comparison: list[dict[str, Any]],
) -> None:
    """rota.xlsx: the rota, the teams, the days and the comparison, with the unit's labels."""
    lang = planning.unit.language
    names = {t.id: t.name for t in planning.unit.teams}
    people = {p.id: p.name for p in planning.unit.people}
    rota_frame = pd.DataFrame(
        [
            {
                label("period", lang): int(r["period"]) + 1,
                label("week", lang): week_number(pd.Timestamp(r["start"]).date(), lang),
                label("start", lang): pd.Timestamp(r["start"]).date(),
                label("end", lang): pd.Timestamp(r["end"]).date(),
                label("team", lang): names[r["team"]],
            }
            for r in rota_rows(planning, rota)
        ]
    )
    teams_frame = pd.DataFrame(team_rows(metrics)).rename(columns=lambda c: label(c, lang))
    days_frame = pd.DataFrame(
        [
            {
                label("date", lang): d.date,
                label("team", lang): names[d.team],
                label("manager", lang): people.get(d.manager, d.manager) if d.manager else "",
                label("acting", lang): label("yes" if d.acting else "no", lang),
                label("present", lang): d.present,
            }
            for d in rota.duty_days
        ]
    )
    compare_frame = pd.DataFrame(comparison)
    sheets = [
        (label("sheet_rota", lang), rota_frame),
        (label("sheet_teams", lang), teams_frame),
        (label("sheet_days", lang), days_frame),
    ]
    if rota.officers:
        sheets += [
            (label("sheet_duty", lang), duty_grid(planning, rota)),
            (
                label("sheet_people", lang),
                pd.DataFrame(metrics.people_rows()).rename(columns=lambda c: person_label(c, lang)),
            ),
        ]
    sheets.append((label("sheet_summary", lang), compare_frame))
    path = folder / "rota.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, frame in sheets:
            frame.to_excel(xl, sheet_name=name, index=False)
            sheet = xl.sheets[name]
            sheet.freeze_panes = "A2"
            for column in sheet.columns:
                width = max(len(str(c.value or "")) for c in column)
                sheet.column_dimensions[column[0].column_letter].width = min(width + 2, 50)


def duty_grid(planning: Planning, rota: Rota) -> pd.DataFrame:
    """Day by day, per intake team: the manager and the intake officers (mentors marked)."""
    lang = planning.unit.language
    names = {p.id: p.name for p in planning.unit.people}
    teams = {t.id: t.name for t in planning.unit.teams}
    officers: dict[tuple[object, str], list[str]] = {}
    for o in rota.officers:
        mark = f" ({label('mentor', lang)})" if o.role == "mentor" else ""
        officers.setdefault((o.date, o.team), []).append(names[o.person] + mark)
    return pd.DataFrame(
        [
            {
                label("date", lang): d.date,
                label("weekday", lang): label(d.date.strftime("%a").lower(), lang),
                label("team", lang): teams[d.team],
                label("manager", lang): names.get(d.manager or "", ""),
                label("officers", lang): ", ".join(officers.get((d.date, d.team), [])),
            }
            for d in rota.duty_days
        ]
    )
