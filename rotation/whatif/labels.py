"""Labels for what-if outputs people read, in the unit's language (``sv`` or ``en``)."""

from __future__ import annotations

from ..labels import label as core_label

LABELS: dict[str, dict[str, str]] = {
    "scenario": {"sv": "Organisation", "en": "Organisation"},
    "teams": {"sv": "Team", "en": "Teams"},
    "period_weeks": {"sv": "Periodlängd (veckor)", "en": "Period (weeks)"},
    "dedicated_intake": {"sv": "Mottagningsgrupp", "en": "Intake group"},
    "extra_staff": {"sv": "Extra socialsekreterare", "en": "Extra social workers"},
    "solver_status": {"sv": "Lösarstatus", "en": "Solver status"},
    "protected_weeks": {"sv": "Skyddade veckor per cykel", "en": "Protected weeks per cycle"},
    "cycle_weeks": {"sv": "Cykel (veckor)", "en": "Cycle (weeks)"},
    "uninterrupted_weeks": {
        "sv": "Ostörda veckor per person och år",
        "en": "Uninterrupted weeks per person a year",
    },
    "burst_mean": {
        "sv": "Nya utredningar per person och mottagningsperiod (medel)",
        "en": "New investigations per person per intake period (mean)",
    },
    "burst_p90": {
        "sv": "Nya utredningar per person och mottagningsperiod (90:e percentil)",
        "en": "New investigations per person per intake period (90th percentile)",
    },
    "managers_needed": {"sv": "Chefer som behövs", "en": "Managers needed"},
    "managers_had": {"sv": "Chefer som finns", "en": "Managers today"},
    "span_of_control": {"sv": "Största grupp per chef", "en": "Largest group per manager"},
    "caseload_mean": {
        "sv": "Öppna utredningar per person (medel)",
        "en": "Open investigations per person (mean)",
    },
    "caseload_p90": {
        "sv": "Öppna utredningar per person (90:e percentil)",
        "en": "Open investigations per person (90th percentile)",
    },
    "caseload_peak": {
        "sv": "Öppna utredningar per person (topp)",
        "en": "Open investigations per person (peak)",
    },
    "share_in_time": {"sv": "Klara inom fyra månader", "en": "Finished within four months"},
    "share_in_time_low": {"sv": "– sämre år (5 %)", "en": "– bad year (5 %)"},
    "share_in_time_high": {"sv": "– bättre år (95 %)", "en": "– good year (95 %)"},
    "days_late": {"sv": "Dagar över tidsgränsen (försenade)", "en": "Days past the deadline (late ones)"},
    "overtime_hours": {
        "sv": "Övertid för att hålla tidsgränsen (timmar per person och år)",
        "en": "Overtime to keep deadlines (hours per person a year)",
    },
    "title_compare": {"sv": "Jämförelse av organisationer", "en": "Comparing organisations"},
    "title_plan": {"sv": "Mottagningsschema", "en": "Intake rota"},
    "not_valid": {
        "sv": "Schemat är inte giltigt: inget schema kan följa alla regler, och detta bryter dessa:",
        "en": "This rota is not valid: no rota can obey every rule, and this one breaks these:",
    },
    "plot_caseload": {
        "sv": "Öppna utredningar per heltid under året, per team (medel över simulerade år)",
        "en": "Open investigations per FTE over the year, per team (mean over simulated years)",
    },
    "plot_protected": {"sv": "Skyddad tid", "en": "Protected time"},
    "plot_share": {
        "sv": "Andel klara inom fyra månader (simulerade år; låda 25–75 %, streck 5–95 %)",
        "en": "Share finished within four months (simulated years; box 25–75 %, whiskers 5–95 %)",
    },
    "per_fte": {"sv": "Öppna utredningar per heltid", "en": "Open investigations per FTE"},
    "how_to_read": {
        "sv": (
            "Varje rad är en organisation av enhetens egen personal, planerad med samma regler och "
            "frånvaro och simulerad över {years} slumpmässiga år (frö {seed}). Siffrorna är "
            "medianen över åren; andelen klara inom fyra månader visas med ett dåligt och ett bra år "
            "(5:e och 95:e percentilen)."
        ),
        "en": (
            "Each row is one organisation of the unit's own staff, planned with the same rules and "
            "absences and simulated over {years} random years (seed {seed}). Figures are the median "
            "over the years; the share finished within four months shows a bad and a good year "
            "(5th and 95th percentile)."
        ),
    },
}


def label(key: str, language: str) -> str:
    if key in LABELS:
        return LABELS[key].get(language, key)
    return core_label(key, language)
