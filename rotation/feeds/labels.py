"""Words in feeds and on the index page, in the unit's language (``sv`` or ``en``)."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "intake": {"sv": "Mottagning: {team}", "en": "Intake: {team}"},
    "investigation": {"sv": "Utredningstid: {team}", "en": "Investigation time: {team}"},
    "investigation_note": {
        "sv": "Skyddad tid för utredningar – {team} har ingen mottagning.",
        "en": "Protected time for investigations – {team} is not on intake.",
    },
    "acting_team": {"sv": "Tf. chef: {person}", "en": "Acting manager: {person}"},
    "acting_team_note": {
        "sv": "{person} är tf. chef för {team} denna dag.",
        "en": "{person} is acting manager of {team} on this day.",
    },
    "acting_person": {"sv": "Tf. chef för {team}", "en": "Acting manager of {team}"},
    "duty_officer": {"sv": "Mottagningspass: {team}", "en": "Intake duty: {team}"},
    "duty_mentor": {"sv": "Mottagningspass (mentor): {team}", "en": "Intake duty (mentor): {team}"},
    "cal_unit": {"sv": "Mottagning – {unit}", "en": "Intake – {unit}"},
    "cal_team": {"sv": "{team} – {unit}", "en": "{team} – {unit}"},
    "cal_person": {"sv": "Min mottagning – {person}", "en": "My intake – {person}"},
    # index.html
    "page_title": {"sv": "Mottagningsschema", "en": "Intake rota"},
    "published": {"sv": "Publicerad", "en": "Published"},
    "rota": {"sv": "Schemat", "en": "The rota"},
    "rota_note": {
        "sv": "Markerade perioder: teamet har mottagning. Övriga veckor är skyddad utredningstid.",
        "en": "Marked periods: the team is on intake. The other weeks are protected investigation time.",
    },
    "team": {"sv": "Team", "en": "Team"},
    "week": {"sv": "v.", "en": "wk"},
    "on_intake": {"sv": "Mottagning", "en": "Intake"},
    "feeds": {"sv": "Prenumerera på kalendern", "en": "Subscribe to the calendar"},
    "feed": {"sv": "Kalender", "en": "Calendar"},
    "address": {"sv": "Adress (https)", "en": "Address (https)"},
    "webcal": {"sv": "Öppna i kalenderprogram (webcal)", "en": "Open in calendar app (webcal)"},
    "whole_unit": {"sv": "Hela enheten", "en": "The whole unit"},
    "no_base_url": {
        "sv": "Adresserna är relativa: publicera med --base-url för fullständiga adresser.",
        "en": "The addresses are relative: publish with --base-url for full addresses.",
    },
    "personal": {
        "sv": "Din personliga kalender (dina mottagningspass och dagar som tf. chef) har en egen "
        "hemlig adress som du får av din chef. Dela den inte.",
        "en": "Your personal calendar (your intake duties and days as acting manager) has its own "
        "secret address, which you get from your manager. Do not share it.",
    },
    "howto": {"sv": "Så prenumererar du", "en": "How to subscribe"},
    "howto_outlook": {
        "sv": "<b>Outlook på webben / Microsoft 365:</b> Kalender → Lägg till kalender → "
        "Prenumerera från webben → klistra in https-adressen. Skrivbords-Outlook: Lägg till "
        "kalender → Från Internet. Om Outlook säger att kalendern inte kunde importeras: använd "
        "https:// i stället för webcal://.",
        "en": "<b>Outlook on the web / Microsoft 365:</b> Calendar → Add calendar → Subscribe from "
        "web → paste the https address. Outlook desktop: Add calendar → From Internet. If Outlook "
        "says it couldn't import the calendar, use https:// instead of webcal://.",
    },
    "howto_google": {
        "sv": "<b>Google Kalender:</b> Andra kalendrar → + → Från webbadress → klistra in "
        "https-adressen (Google tar bara https).",
        "en": "<b>Google Calendar:</b> Other calendars → + → From URL → paste the https address "
        "(Google accepts https only).",
    },
    "howto_apple": {
        "sv": "<b>Apple:</b> på Mac, Kalender → Arkiv → Ny kalenderprenumeration; på iPhone/iPad, "
        "Inställningar → Kalender → Konton → Lägg till konto → Annat → Lägg till prenumererad "
        "kalender. Klistra in adressen (eller klicka på webcal-länken).",
        "en": "<b>Apple:</b> on a Mac, Calendar → File → New Calendar Subscription; on iPhone/iPad, "
        "Settings → Calendar → Accounts → Add Account → Other → Add Subscribed Calendar. Paste the "
        "address (or click the webcal link).",
    },
    "refresh": {
        "sv": "Kalenderprogrammen hämtar ändringar själva, men det kan ta upp till ett dygn "
        "(Google och Outlook på webben är långsammast). Schemat på den här sidan gäller.",
        "en": "Calendar apps fetch changes by themselves, but it can take up to a day (Google and "
        "Outlook on the web are slowest). The rota on this page is what counts.",
    },
}


def text(key: str, language: str, **values: str) -> str:
    """The text for ``key`` in ``language`` (English when missing), with ``values`` filled in."""
    entry = TEXT[key]
    return entry.get(language, entry["en"]).format(**values)
