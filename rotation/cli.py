"""The ``rotation`` command: a thin shell over :mod:`rotation.pipeline`.

Exit codes: 0 a valid rota (or, with --relax, the least-bad one), 1 no rota exists,
2 a mistake in the input, 3 an internal error (a rota the validator rejected).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import InputError
from .pipeline import InvalidRotaError, PlanReport, plan_unit
from .read import load_unit
from .solve import explain, prepare
from .text import format_report


def main() -> None:
    cli(prog_name="rotation")


@click.group()
@click.version_option(package_name="rotation")
def cli() -> None:
    """Plan rotating intake teams for a social services unit."""


def _fail_input(error: InputError) -> None:
    click.echo(f"error: {error}", err=True)
    sys.exit(2)


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
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds the solver may use in all.",
)
@click.option(
    "--relax",
    is_flag=True,
    help="When no rota exists, write the least-bad one and list every broken rule.",
)
@click.option("--quiet", is_flag=True, help="No progress lines.")
def plan_command(unit_dir: Path, out_dir: Path, time_limit: float, relax: bool, quiet: bool) -> None:
    """Plan the intake rota of UNIT_DIR and write it to --out."""
    progress = None if quiet else _progress_printer()
    try:
        report = plan_unit(unit_dir, out_dir, time_limit=time_limit, relax=relax, progress=progress)
    except InputError as e:
        _fail_input(e)
    except InvalidRotaError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(3)
    if not quiet:
        click.echo("", err=True)
    click.echo(format_report(report))
    sys.exit(_exit_code(report))


def _exit_code(report: PlanReport) -> int:
    if report.result.rota is None:
        return 1
    return 0


def _progress_printer():  # type: ignore[no-untyped-def]
    last: dict[str, float] = {}

    def show(stage: str, value: float, bound: float, seconds: float) -> None:
        if last.get(stage) == value:
            return
        last[stage] = value
        click.echo(
            f"\r  solving {stage:<17} best {value:>10.2f}  bound {bound:>10.2f}  {seconds:6.1f} s",
            nl=False,
            err=True,
        )

    return show


@cli.command("check")
@click.argument("unit_dir", type=click.Path(path_type=Path))
@click.option("--time-limit", default=30.0, show_default=True, type=click.FloatRange(min=0.1))
def check_command(unit_dir: Path, time_limit: float) -> None:
    """Check the input files of UNIT_DIR and tell whether a rota exists."""
    try:
        unit = load_unit(unit_dir)
    except InputError as e:
        _fail_input(e)
    planning = prepare(unit)
    click.echo(
        f"{unit_dir}: input OK — {len(unit.teams)} teams, {len(unit.people)} people, "
        f"{len(unit.absences)} absences, {unit.rules.periods} periods of {unit.rules.period_weeks} weeks."
    )
    conflicts = explain(planning, time_limit=time_limit)
    if not conflicts:
        click.echo("A rota exists that obeys every hard rule.")
        return
    click.echo("No rota can obey every rule. These rules clash:")
    for line in conflicts:
        click.echo(f"  - {line}")
    sys.exit(1)


from .feeds.cli import links, publish, serve  # noqa: E402

cli.add_command(publish)
cli.add_command(links)
cli.add_command(serve)

from .whatif.cli import compare, forecast, report  # noqa: E402

cli.add_command(forecast)
cli.add_command(compare)
cli.add_command(report)
