"""The ``rotation`` command: a thin shell over :mod:`rotation.pipeline`.

Exit codes: 0 a valid rota, 1 no valid rota exists (with --relax the least-bad one is written),
2 a mistake in the input, 3 an internal error (a rota the validator rejected).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click

from .errors import InputError
from .explain import FROZEN_WINDOW
from .pipeline import InvalidRotaError, PlanReport, plan_unit
from .previous import Before, read_previous
from .read import load_unit
from .replan import replan_unit, swap_periods
from .solve import explain, prepare, rota_exists
from .solver.cpsat import stop_searches_on_ctrl_c
from .text import MAXIMISED, format_replan, format_report


def main() -> None:
    cli(prog_name="rotation")


@click.group()
@click.version_option(package_name="rotation")
def cli() -> None:
    """Plan rotating intake teams for a social services unit."""
    stop_searches_on_ctrl_c()  # (every command: Ctrl-C stops a running search at once)


def _fail_input(error: InputError) -> None:
    click.echo(f"error: {error}", err=True)
    sys.exit(2)


@contextmanager
def _user_errors() -> Iterator[None]:
    """A mistake in the input: one line and exit 2; a rota the validator rejected: exit 3;
    Ctrl-C: exit 130."""
    try:
        yield
    except InputError as e:
        _fail_input(e)
    except InvalidRotaError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(3)
    except KeyboardInterrupt:
        # (Ctrl-C: the running search returns first; the output folder is written whole or not
        # at all, so nothing is left half-written)
        click.echo("\ninterrupted: nothing written", err=True)
        sys.exit(130)


def _after_option(text: str):  # type: ignore[no-untyped-def]
    return click.option("--after", "after_dir", type=click.Path(path_type=Path), default=None, help=text)


AFTER_OPTION = _after_option(
    "The previous horizon's plan folder (last year's): rest, caseload and duty days in a row "
    "carry over the start."
)
MOVED_AFTER_OPTION = _after_option(
    "Where the previous horizon's plan is now, if the plan was made --after it and it moved (or "
    "a later version of it)."
)


@cli.command("plan")
@click.argument("unit_dir", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for rota.csv, duty_days.csv, teams.csv, summary.json, rota.xlsx.",
)
@click.option(
    "--time-limit",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds the solver may use in all.",
)
@click.option(
    "--duty-mode",
    type=click.Choice(["sequential", "joint"]),
    default="sequential",
    show_default=True,
    help="Plan the daily duty grid after the team rota, or both levels together.",
)
@click.option(
    "--relax",
    is_flag=True,
    help="When no rota exists, write the least-bad one and list every broken rule.",
)
@AFTER_OPTION
@click.option("--html", is_flag=True, help="Also write report.html: tables and plots for a committee.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
def plan_command(
    unit_dir: Path,
    out_dir: Path,
    time_limit: float,
    duty_mode: str,
    relax: bool,
    after_dir: Path | None,
    html: bool,
    quiet: bool,
) -> None:
    """Plan the intake rota of UNIT_DIR and write it to --out."""
    progress = None if quiet else _progress_printer()
    with _user_errors():
        report = plan_unit(
            unit_dir,
            out_dir,
            time_limit=time_limit,
            relax=relax,
            progress=progress,
            duty_mode=duty_mode,
            html=html,
            after=after_dir,
        )
    if not quiet and sys.stderr.isatty():
        click.echo("", err=True)  # (ends the progress line)
    _warn_unknown_teams(report.planning.grid.before)
    click.echo(format_report(report))
    sys.exit(_exit_code(report))


def _warn_unknown_teams(before: Before | None) -> None:
    """A team of the previous plan that unit.toml no longer has carries nothing over."""
    for team in before.unknown_teams if before else ():
        click.echo(
            f"warning: the previous plan's team {team} is not in unit.toml: its rest and open "
            "investigations carry nothing over (renamed? keep its id and change its name)",
            err=True,
        )


def _exit_code(report: PlanReport) -> int:
    """0 only for a valid rota: a relaxed plan that breaks rules is written, but exits 1."""
    return 0 if report.result.rota is not None and report.valid else 1


def _progress_printer():  # type: ignore[no-untyped-def]
    """One line rewritten in place on a terminal; into a file or pipe, a line per stage and at
    most one more every PROGRESS_EVERY seconds, so a log stays readable."""
    last: dict[str, float] = {}
    shown: dict[str, float] = {}
    terminal = sys.stderr.isatty()

    def show(stage: str, value: float, bound: float, seconds: float) -> None:
        if last.get(stage) == value:
            return
        last[stage] = value
        if stage.startswith(MAXIMISED):  # shown as the load itself, as in the stage table
            stage, value, bound = f"{stage} (max)", -value + 0.0, -bound + 0.0  # (no "-0.00")
        text = f"  solving {stage:<17} best {value:>10.2f}  bound {bound:>10.2f}  {seconds:6.1f} s"
        if terminal:
            click.echo("\r" + text, nl=False, err=True)
        elif seconds - shown.get(stage, -math.inf) >= PROGRESS_EVERY:
            shown[stage] = seconds
            click.echo(text, err=True)

    return show


PROGRESS_EVERY = 5.0


@cli.command("check")
@click.argument("unit_dir", type=click.Path(path_type=Path))
@click.option("--time-limit", default=30.0, show_default=True, type=click.FloatRange(min=0.1))
@AFTER_OPTION
def check_command(unit_dir: Path, time_limit: float, after_dir: Path | None) -> None:
    """Check the input files of UNIT_DIR and tell whether a rota exists."""
    try:
        unit = load_unit(unit_dir)
        before = read_previous(after_dir, unit) if after_dir is not None else None
    except InputError as e:
        _fail_input(e)
    _warn_unknown_teams(before)
    planning = prepare(unit, before=before)
    click.echo(
        f"{unit_dir}: input OK — {len(unit.teams)} teams, {len(unit.people)} people, "
        f"{len(unit.absences)} absences, {unit.rules.periods} periods of {unit.rules.period_weeks} weeks."
    )
    exists = rota_exists(planning, time_limit=time_limit)
    if exists:
        click.echo("A rota exists that obeys every hard rule.")
        return
    if exists is None:
        click.echo(
            f"Undecided: the solver found neither a rota nor a proof within {time_limit:g} s; "
            "try a longer --time-limit."
        )
        sys.exit(1)
    conflicts = explain(planning, time_limit=time_limit)
    click.echo("No rota can obey every rule. These rules clash:")
    for line in conflicts:
        click.echo(f"  - {line}")
    sys.exit(1)


@cli.command("replan")
@click.argument("unit_dir", type=click.Path(path_type=Path))
@click.option(
    "--published",
    "published_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="The plan folder staff have seen (never overwritten).",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="A new folder for the new version.",
)
@click.option(
    "--freeze-weeks",
    default=4,
    show_default=True,
    type=click.IntRange(min=0),
    help="Periods starting within this many weeks keep their teams.",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Re-plan as of this date (default: today).",
)
@click.option(
    "--allow-frozen-changes",
    is_flag=True,
    help="Change frozen periods where keeping them breaks a rule (as few as possible).",
)
@click.option(
    "--max-worse",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 100),
    help="Accept up to this many percent worse balance to change fewer periods (and, with "
    "--rebalance-duty, fewer duty days).",
)
@click.option(
    "--rebalance-duty",
    is_flag=True,
    help="Share duty days after the frozen window out anew, balance first (someone new or back "
    "gets their share); published days are kept where the balance allows.",
)
@click.option(
    "--relax",
    is_flag=True,
    help="If no rota obeys every rule, write the least-bad one (started and frozen periods kept), "
    "marked not valid; exit code 1.",
)
@MOVED_AFTER_OPTION
@click.option("--time-limit", default=30.0, show_default=True, type=click.FloatRange(min=0.1))
@click.option("--quiet", is_flag=True, help="No progress lines.")
def replan_command(
    unit_dir: Path,
    published_dir: Path,
    out_dir: Path,
    freeze_weeks: int,
    today: datetime | None,
    allow_frozen_changes: bool,
    max_worse: float,
    rebalance_duty: bool,
    relax: bool,
    after_dir: Path | None,
    time_limit: float,
    quiet: bool,
) -> None:
    """Re-plan UNIT_DIR against a published plan: frozen near future, fewest changes."""
    with _user_errors():
        replan = replan_unit(
            unit_dir,
            published_dir,
            out_dir,
            freeze_weeks=freeze_weeks,
            today=today.date() if today else None,
            allow_frozen_changes=allow_frozen_changes,
            balance_slack=max_worse / 100,
            rebalance_duty=rebalance_duty,
            relax=relax,
            after=after_dir,
            time_limit=time_limit,
            progress=None if quiet else _progress_printer(),
        )
    if not quiet:
        click.echo("", err=True)
    click.echo(format_replan(replan))
    conflicts = replan.report.result.conflicts
    if (
        replan.report.result.rota is None
        and not allow_frozen_changes
        and any(FROZEN_WINDOW in c for c in conflicts)
    ):
        click.echo("Run again with --allow-frozen-changes to change as few frozen periods as repair this.")
    elif replan.report.result.rota is None and conflicts and not relax:
        click.echo("Fix one of them, or run again with --relax for the least-bad rota.")
    sys.exit(_exit_code(replan.report))


@cli.command("swap")
@click.argument("unit_dir", type=click.Path(path_type=Path))
@click.argument("period_a")
@click.argument("period_b")
@click.option(
    "--plan", "plan_dir", required=True, type=click.Path(path_type=Path), help="The published plan folder."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for the new version (default: PLAN_DIR.vN beside it, the first free N).",
)
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@MOVED_AFTER_OPTION
@click.option("--time-limit", default=30.0, show_default=True, type=click.FloatRange(min=0.1))
def swap_command(
    unit_dir: Path,
    period_a: str,
    period_b: str,
    plan_dir: Path,
    out_dir: Path | None,
    today: datetime | None,
    after_dir: Path | None,
    time_limit: float,
) -> None:
    """Let the teams of PERIOD_A and PERIOD_B trade: each a date inside the period, or its number
    as in rota.csv (the first period is 0; the terminal table and rota.xlsx count from 1)."""
    with _user_errors():
        replan = swap_periods(
            unit_dir,
            plan_dir,
            period_a,
            period_b,
            out_dir,
            today=today.date() if today else None,
            time_limit=time_limit,
            after=after_dir,
        )
    click.echo(format_replan(replan))
    sys.exit(0 if replan.report.result.rota is not None else 1)


from .feeds.cli import links, publish, serve  # noqa: E402

cli.add_command(publish)
cli.add_command(links)
cli.add_command(serve)

from .whatif.cli import compare, forecast, report  # noqa: E402

cli.add_command(forecast)
cli.add_command(compare)
cli.add_command(report)
