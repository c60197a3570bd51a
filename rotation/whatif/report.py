"""Self-contained HTML reports: the comparison table and its plots (matplotlib, embedded as
base64 PNG), or the same kind of report for a single plan. Written to a temporary file first
and renamed into place, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ..labels import week_number
from ..metrics import RotaMetrics, open_caseload
from ..solve import Planning, PlanResult
from .compare import COLUMNS, Comparison
from .labels import label
from .simulate import FlowModel, flow_setup, simulate

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 80em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: right; vertical-align: top; }
th { background: #f0f0f0; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; } .note { color: #555; max-width: 60em; }
"""


def write_html(comparison: Comparison, path: str | Path) -> Path:
    """The comparison report: how to read it, the table, and the plots."""
    lang = comparison.language
    rows = comparison.rows()
    note = label("how_to_read", lang).format(years=comparison.years, seed=comparison.seed)
    parts = [
        f"<h1>{_e(label('title_compare', lang))}: {_e(comparison.unit_name)}</h1>",
        f"<p class='note'>{_e(note)}</p>",
        _table(rows, COLUMNS, lang),
        f"<h2>{_e(label('plot_share', lang))}</h2>",
        _img(_plot_share(comparison), "share"),
        f"<h2>{_e(label('plot_protected', lang))}</h2>",
        _img(_plot_protected(comparison), "protected"),
        f"<h2>{_e(label('plot_caseload', lang))}</h2>",
        _img(_plot_curves(comparison), "caseload"),
    ]
    return _write(path, label("title_compare", lang), parts, lang)


def write_plan_report(
    planning: Planning,
    result: PlanResult,
    metrics: RotaMetrics,
    path: str | Path,
    years: int = 50,
    seed: int = 0,
    model: FlowModel | None = None,
) -> Path:
    """The same kind of report for one plan: its teams, its rota, the expected caseload per team
    (from :mod:`rotation.metrics`) and ``years`` simulated years of the case flow."""
    unit = planning.unit
    lang = unit.language
    rota = result.rota
    parts = [f"<h1>{_e(label('title_plan', lang))}: {_e(unit.name)}</h1>"]
    parts.append(f"<p>{_e(label('status', lang))}: <b>{_e(result.status)}</b></p>")
    if result.broken:  # a relaxed plan: say so before anything else
        parts.append(f"<p><b>{_e(label('not_valid', lang))}</b></p>")
        parts.append("<ul>" + "".join(f"<li>{_e(b)}</li>" for b in result.broken) + "</ul>")
    team_rows = [{k: ("" if v is None else v) for k, v in row.items()} for row in metrics.as_rows()]
    if team_rows:
        parts.append(_table(team_rows, list(team_rows[0]), lang))
    if rota is not None:
        names = {t.id: t.name for t in unit.teams}
        rota_rows = [
            {
                "period": p.index + 1,
                "week": week_number(p.start, lang),
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "team": ", ".join(names[t] for t in rota.teams_in(p.index)),
            }
            for p in planning.grid.periods
        ]
        load = open_caseload(planning, rota) / planning.demand.present_fte
        curves = {unit.teams[i].name: [float(x) for x in load[i]] for i in range(len(unit.teams))}
        parts += [f"<h2>{_e(label('per_fte', lang))}</h2>", _img(_plot_lines(curves, lang), "expected")]
        setup = flow_setup(planning, rota, model)
        sim = simulate(setup, years, seed)
        parts += [
            f"<h2>{_e(label('plot_share', lang))}</h2>",
            _table(
                [
                    {
                        "share_in_time": _pct(float(np.median(sim.share_in_time))),
                        "share_in_time_low": _pct(float(np.percentile(sim.share_in_time, 5))),
                        "share_in_time_high": _pct(float(np.percentile(sim.share_in_time, 95))),
                        "caseload_mean": round(float(np.median(sim.caseload_mean)), 1),
                        "caseload_p90": round(float(np.median(sim.caseload_p90)), 1),
                        "burst_mean": round(float(np.median(sim.burst_mean)), 1),
                        "overtime_hours": round(float(np.median(sim.overtime_per_person))),
                    }
                ],
                None,
                lang,
            ),
            f"<h2>{_e(label('plot_caseload', lang))}</h2>",
            _img(_plot_lines({names.get(k, k): v for k, v in sim.team_curves.items()}, lang), "caseload"),
            f"<h2>{_e(label('sheet_rota', lang))}</h2>",
            _table(rota_rows, list(rota_rows[0]), lang),
        ]
    return _write(path, label("title_plan", lang), parts, lang)


# --- pieces --------------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text))


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _cell(key: str, value: Any, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return label("yes" if value else "no", lang)
    if key.startswith("share_in_time") and isinstance(value, float):
        return _pct(value)
    return str(value)


def _table(rows: list[dict[str, Any]], columns: Iterable[str] | None, lang: str) -> str:
    cols = list(columns) if columns is not None else list(rows[0])
    head = "".join(f"<th>{_e(label(c, lang))}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(_cell(c, r.get(c), lang))}</td>" for c in cols) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f"<img alt='{_e(alt)}' class='plot' src='data:image/png;base64,{data}'>"


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _plot_share(comparison: Comparison) -> bytes:
    names = [o.row["scenario"] for o in comparison.outcomes]
    data = [np.asarray(o.share_by_year) * 100 for o in comparison.outcomes]
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(names) + 1.2))
    ax.boxplot(data, orientation="horizontal", whis=(5, 95), showfliers=False)
    ax.set_yticks(range(1, len(names) + 1), names)
    ax.invert_yaxis()
    ax.set_xlabel("%")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def _plot_protected(comparison: Comparison) -> bytes:
    lang = comparison.language
    names = [o.row["scenario"] for o in comparison.outcomes]
    weeks = [o.row["uninterrupted_weeks"] for o in comparison.outcomes]
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(names) + 1.2))
    bars = ax.barh(range(len(names)), weeks, color="#4c78a8")
    for bar, o in zip(bars, comparison.outcomes, strict=True):
        p, c = o.row["protected_weeks"], o.row["cycle_weeks"]
        text = f"{p:g} / {c:g}" if p is not None and c is not None else ""
        ax.text(bar.get_width() + 0.3, bar.get_y() + bar.get_height() / 2, text, va="center", fontsize=8)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel(label("uninterrupted_weeks", lang) + "  (" + label("protected_weeks", lang) + ")")
    return _png(fig)


def _plot_curves(comparison: Comparison) -> bytes:
    lang = comparison.language
    n = len(comparison.outcomes)
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), sharey=True, squeeze=False)
    for ax, o in zip(axes.ravel(), comparison.outcomes, strict=False):
        for team, curve in o.team_curves.items():
            ax.plot(range(1, len(curve) + 1), curve, label=team, linewidth=1)
        ax.set_title(o.row["scenario"], fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, loc="upper right")
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    fig.supxlabel(label("week", lang), fontsize=8)
    fig.supylabel(label("per_fte", lang), fontsize=8)
    fig.tight_layout()
    return _png(fig)


def _plot_lines(curves: dict[str, list[float]], lang: str) -> bytes:
    fig, ax = plt.subplots(figsize=(9, 3))
    for name, curve in curves.items():
        ax.plot(range(1, len(curve) + 1), curve, label=name)
    ax.set_xlabel(label("week", lang))
    ax.set_ylabel(label("per_fte", lang))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)


def _write(path: str | Path, title: str, parts: list[str], lang: str) -> Path:
    path = Path(path)
    text = (
        f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
