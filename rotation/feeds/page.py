"""``index.html``: the whole rota at a glance, the shared feed links and how to subscribe.

Personal links are never on this page (``rotation links`` prints them for the team leader).
The page is static, self-contained and loads nothing from elsewhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from ..unit import Unit
from .labels import text
from .plan import Plan

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; max-width: 80rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
.published { color: #555; margin-top: 0; }
.scroll { overflow-x: auto; }
table.rota { border-collapse: collapse; font-size: .8rem; }
table.rota th, table.rota td { border: 1px solid #ccc; padding: .25rem .3rem; text-align: center; }
table.rota th.team { text-align: left; white-space: nowrap; }
table.rota td.on { background: #1f6f8b; color: #fff; }
table.feeds { border-collapse: collapse; }
table.feeds th, table.feeds td { border-bottom: 1px solid #ddd; padding: .35rem .6rem; text-align: left; }
code { word-break: break-all; }
"""


def render_index(
    unit: Unit,
    plan: Plan,
    feeds: list[tuple[str, str]],
    base_url: str | None,
    published: datetime,
) -> bytes:
    """``feeds``: (calendar name, file name) of the shared feeds, the unit feed first."""
    lang = unit.language
    zone = ZoneInfo(unit.timezone)
    when = published.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    title = f"{text('page_title', lang)} – {unit.name}"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="robots" content="noindex, nofollow">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="published">{text("published", lang)}: '
        f'<time datetime="{published.isoformat()}">{when}</time> ({escape(unit.timezone)})</p>',
        f"<h2>{text('rota', lang)}</h2>",
        f"<p>{text('rota_note', lang)}</p>",
        _rota_table(unit, plan),
        f"<h2>{text('feeds', lang)}</h2>",
        _feed_table(unit, feeds, base_url),
        f"<p>{text('personal', lang)}</p>",
        f"<h2>{text('howto', lang)}</h2>",
        "<ul>",
        *(f"<li>{text(k, lang)}</li>" for k in ("howto_outlook", "howto_google", "howto_apple")),
        "</ul>",
        f"<p>{text('refresh', lang)}</p>",
        "</body>",
        "</html>",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")


def _rota_table(unit: Unit, plan: Plan) -> str:
    lang = unit.language
    r = unit.rules
    starts = [r.start + timedelta(weeks=k * r.period_weeks) for k in range(r.periods)]
    on = {(p.team, p.start) for p in plan.intake}
    head = [f'<th scope="col">{text("team", lang)}</th>']
    for s in starts:
        end = s + timedelta(weeks=r.period_weeks, days=-1)
        head.append(
            f'<th scope="col" title="{s.isoformat()}–{end.isoformat()}">'
            f"{text('week', lang)}&nbsp;{s.isocalendar().week}<br>{s.day}/{s.month}</th>"
        )
    rows = [f"<tr>{''.join(head)}</tr>"]
    for team in unit.teams:
        cells = [f'<th scope="row" class="team">{escape(team.name)}</th>']
        for s in starts:
            if (team.id, s) in on:
                label = escape(text("intake", lang, team=team.name))
                cells.append(f'<td class="on" data-start="{s.isoformat()}" title="{label}">●</td>')
            else:
                cells.append("<td></td>")
        rows.append(f'<tr data-team="{escape(team.id)}">{"".join(cells)}</tr>')
    return f'<div class="scroll"><table class="rota" id="rota">{"".join(rows)}</table></div>'


def _feed_table(unit: Unit, feeds: list[tuple[str, str]], base_url: str | None) -> str:
    lang = unit.language
    rows = [f"<tr><th>{text('feed', lang)}</th><th>{text('address', lang)}</th><th>webcal</th></tr>"]
    for name, file in feeds:
        href = f"{base_url}/{file}" if base_url else file
        cells = [
            f"<td>{escape(name)}</td>",
            f'<td><a class="https" href="{escape(href)}">{escape(href)}</a></td>',
        ]
        if base_url:
            webcal = "webcal://" + href.split("://", 1)[1]
            cells.append(f'<td><a class="webcal" href="{escape(webcal)}">{text("webcal", lang)}</a></td>')
        else:
            cells.append("<td></td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    note = "" if base_url else f"<p>{text('no_base_url', lang)}</p>"
    return f'<table class="feeds" id="feeds">{"".join(rows)}</table>{note}'
