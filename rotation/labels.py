"""Labels for outputs people read, in the unit's language (``sv`` or ``en``)."""

from __future__ import annotations

from datetime import date

LABELS: dict[str, dict[str, str]] = {
    "period": {"sv": "Period", "en": "Period"},
    "start": {"sv": "Från", "en": "From"},
    "end": {"sv": "Till", "en": "To"},
    "team": {"sv": "Team", "en": "Team"},
    "week": {"sv": "Vecka", "en": "Week"},
    "date": {"sv": "Datum", "en": "Date"},
    "manager": {"sv": "Chef", "en": "Manager"},
    "acting": {"sv": "Tf. chef", "en": "Acting manager"},
    "present": {"sv": "Närvarande socialsekreterare", "en": "Social workers present"},
    "name": {"sv": "Namn", "en": "Name"},
    "duty_periods": {"sv": "Mottagningsperioder", "en": "Intake periods"},
    "min_rest_weeks": {"sv": "Minsta vila (veckor)", "en": "Shortest rest (weeks)"},
    "mean_rest_weeks": {"sv": "Medelvila (veckor)", "en": "Mean rest (weeks)"},
    "new_investigations": {
        "sv": "Nya utredningar (förväntat)",
        "en": "New investigations (expected)",
    },
    "new_per_fte": {"sv": "Nya utredningar per heltid", "en": "New investigations per FTE"},
    "peak_open_per_fte": {
        "sv": "Högsta öppna utredningar per närvarande heltid",
        "en": "Peak open investigations per present FTE",
    },
    "holiday_intake_days": {
        "sv": "Mottagningsdagar i helgveckor",
        "en": "Intake days in holiday weeks",
    },
    "acting_manager_days": {"sv": "Dagar med tf. chef", "en": "Acting-manager days"},
    "sheet_rota": {"sv": "Mottagningsschema", "en": "Rota"},
    "sheet_teams": {"sv": "Team", "en": "Teams"},
    "sheet_days": {"sv": "Dagar", "en": "Days"},
    "sheet_summary": {"sv": "Sammanfattning", "en": "Summary"},
    "figure": {"sv": "Mått", "en": "Figure"},
    "plan": {"sv": "Planen", "en": "This plan"},
    "cycle": {"sv": "Strikt cykel", "en": "Strict cycle"},
    "rest": {"sv": "Vila under mål (veckor)", "en": "Rest below target (weeks)"},
    "caseload": {
        "sv": "Högsta öppna utredningar per närvarande heltid",
        "en": "Peak open investigations per present FTE",
    },
    "intake_fairness": {
        "sv": "Skillnad nya utredningar per heltid",
        "en": "Spread of new investigations per FTE",
    },
    "holiday_fairness": {
        "sv": "Skillnad helgmottagningsdagar",
        "en": "Spread of holiday intake days",
    },
    "acting_days": {"sv": "Dagar med tf. chef", "en": "Acting-manager days"},
    "broken_rules": {"sv": "Brutna regler", "en": "Broken rules"},
    "status": {"sv": "Lösarstatus", "en": "Solver status"},
    "sheet_duty": {"sv": "Mottagningsdagar", "en": "Intake duty"},
    "sheet_people": {"sv": "Medarbetare", "en": "People"},
    "officers": {"sv": "Mottagare", "en": "Intake officers"},
    "mentor": {"sv": "handledare", "en": "mentor"},
    "weekday": {"sv": "Dag", "en": "Day"},
    "mon": {"sv": "mån", "en": "Mon"},
    "tue": {"sv": "tis", "en": "Tue"},
    "wed": {"sv": "ons", "en": "Wed"},
    "thu": {"sv": "tor", "en": "Thu"},
    "fri": {"sv": "fre", "en": "Fri"},
    "person": {"sv": "Id", "en": "Id"},
    "fte": {"sv": "Tjänstgöringsgrad", "en": "FTE"},
    "duty_days": {"sv": "Mottagningsdagar", "en": "Duty days"},
    "mentor_days": {"sv": "Dagar som handledare", "en": "Mentor days"},
    "expected_new_investigations": {
        "sv": "Nya utredningar (förväntat)",
        "en": "New investigations (expected)",
    },
    "new_per_present_fte": {
        "sv": "Nya utredningar per närvarande heltid",
        "en": "New investigations per present FTE",
    },
    "holiday_adjacent_days": {
        "sv": "Dagar före helg / sommarfredagar",
        "en": "Days before holidays / summer Fridays",
    },
    "back_to_back_days": {"sv": "Dagar i följd", "en": "Back-to-back days"},
    "person_caseload": {
        "sv": "Högsta öppna utredningar per heltid (person)",
        "en": "Peak open investigations per FTE (person)",
    },
    "person_intake_spread": {
        "sv": "Skillnad nya utredningar per heltid inom team",
        "en": "Spread of new investigations per FTE within a team",
    },
    "duty_bunching": {"sv": "Mottagningsdagar i följd", "en": "Back-to-back duty days"},
    "holiday_adjacent_spread": {
        "sv": "Skillnad dagar före helg inom team",
        "en": "Spread of days before holidays within a team",
    },
    "person_peak_open_per_fte": {
        "sv": "Högsta öppna utredningar per heltid",
        "en": "Peak open investigations per FTE",
    },
    "changes_title": {"sv": "Ändringar i mottagningsschemat", "en": "Changes to the intake rota"},
    "changes_version": {"sv": "Version", "en": "Version"},
    "frozen": {"sv": "Låsta perioder", "en": "Frozen periods"},
    "valid_rota": {"sv": "Giltigt schema (alla regler följs)", "en": "Valid rota (every rule obeyed)"},
    "frozen_changed": {"sv": "låst period, ändrad", "en": "frozen period, changed"},
    "changed_periods": {"sv": "Ändrade perioder", "en": "Changed periods"},
    "changed_duty": {"sv": "Ändrade mottagningsdagar", "en": "Changed duty days"},
    "changed_acting": {"sv": "Ändrade dagar med tf. chef", "en": "Changed acting-manager days"},
    "no_changes": {"sv": "Inga ändringar.", "en": "No changes."},
    "what": {"sv": "Vad", "en": "What"},
    "when": {"sv": "När", "en": "When"},
    "before": {"sv": "Före", "en": "Before"},
    "after": {"sv": "Efter", "en": "After"},
    "change_period": {"sv": "Mottagningsperiod", "en": "Intake period"},
    "change_duty": {"sv": "Mottagningsdag", "en": "Duty day"},
    "change_acting": {"sv": "Tf. chef", "en": "Acting manager"},
    "now_on_intake": {"sv": "teamet har nu mottagningen", "en": "your team now takes intake"},
    "no_longer_on_intake": {
        "sv": "teamet har inte längre mottagningen",
        "en": "your team no longer takes intake",
    },
    "now_on_duty": {"sv": "nu på mottagning", "en": "now on duty"},
    "no_longer_on_duty": {"sv": "inte längre på mottagning", "en": "no longer on duty"},
    "now_acting": {"sv": "nu tf. chef", "en": "now acting manager"},
    "no_longer_acting": {"sv": "inte längre tf. chef", "en": "no longer acting manager"},
    "affected": {"sv": "Berörda", "en": "People affected"},
    "yes": {"sv": "ja", "en": "yes"},
    "no": {"sv": "nej", "en": "no"},
    "horizon": {"sv": "{weeks} veckor från {start}", "en": "{weeks} weeks from {start}"},
    "stages_open": {
        "sv": "Steg som inte bevisats optimala (vart och ett optimerar ett mått, i prioritetsordning):",
        "en": "Stages not proven optimal (each optimises one term, in priority order):",
    },
    "stage": {"sv": "Steg", "en": "Stage"},
    "stage_status": {"sv": "Status", "en": "Status"},
    "value": {"sv": "Värde", "en": "Value"},
    "bound": {"sv": "Gräns", "en": "Bound"},
    "gap": {"sv": "Gap", "en": "Gap"},
}


def label(key: str, language: str) -> str:
    return LABELS.get(key, {}).get(language, key)


# Short column heads for the terminal's people table (the long ones, in a legend below it).
SHORT = {
    "fte": {"sv": "Tjg", "en": "FTE"},
    "duty_days": {"sv": "Mott.dagar", "en": "Duty days"},
    "mentor_days": {"sv": "Handl.dagar", "en": "Mentor days"},
    "new_per_present_fte": {"sv": "Nya/närv.heltid", "en": "New/present FTE"},
    "peak_open_per_fte": {"sv": "Topp öppna/heltid", "en": "Peak open/FTE"},
    "holiday_adjacent_days": {"sv": "Före helg", "en": "Pre-holiday"},
}


def week_number(day: date, language: str) -> str:
    """The ISO week of ``day`` as people write it: "v9" in Swedish, "W9" in English."""
    return f"{'v' if language == 'sv' else 'W'}{day.isocalendar().week}"


def short_label(key: str, language: str) -> str:
    """A column head short enough for a terminal table (the full label where none is set)."""
    return SHORT[key].get(language, key) if key in SHORT else person_label(key, language)


def person_label(key: str, language: str) -> str:
    """Columns of the per-person tables, where a few figures mean something else than per team."""
    return label(f"person_{key}" if f"person_{key}" in LABELS else key, language)
