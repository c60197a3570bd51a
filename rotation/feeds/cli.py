"""The ``publish``, ``links`` and ``serve`` commands (registered in :mod:`rotation.cli`).

Bad input — a missing or invalid plan, an unknown person — prints one ``error: …`` line and
exits with code 2; nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from ..errors import InputError
from .site import personal_links, rotate_token
from .site import publish as publish_site

PRIVATE_HELP = "Private folder for tokens and publish state (default: SITE_DIR.private beside the site)."
SAME_PERSON_HELP = (
    "PERSON's new name in staff.csv is a name change of the same person (e.g. after marriage): "
    "keep their address. Repeat for several people."
)


def _fail(error: Exception) -> NoReturn:
    click.echo(f"error: {error}", err=True)
    sys.exit(2)


@click.command("publish")
@click.argument("unit_dir", type=click.Path(path_type=Path))
@click.option("--plan", "plan_dir", required=True, type=click.Path(path_type=Path), help="The plan folder.")
@click.option("--site", "site_dir", required=True, type=click.Path(path_type=Path), help="The site folder.")
@click.option("--base-url", help="Public address of the site, e.g. https://rota.example.org (remembered).")
@click.option("--private", "private_dir", type=click.Path(path_type=Path), help=PRIVATE_HELP)
@click.option("--same-person", "same_person", multiple=True, metavar="PERSON", help=SAME_PERSON_HELP)
def publish_command(
    unit_dir: Path,
    plan_dir: Path,
    site_dir: Path,
    base_url: str | None,
    private_dir: Path | None,
    same_person: tuple[str, ...],
) -> None:
    """Publish the plan in --plan as calendar feeds and index.html in --site."""
    try:
        result = publish_site(
            unit_dir, plan_dir, site_dir, base_url=base_url, private_dir=private_dir, same_person=same_person
        )
    except InputError as e:
        _fail(e)
    c = result.change
    click.echo(
        f"Published {result.shared_feeds} shared feeds and {result.personal_feeds} personal feeds "
        f"to {result.site}/ ({result.files_written} files changed; events: {c.added} new, "
        f"{c.changed} changed, {c.withdrawn} withdrawn, {c.unchanged} unchanged)."
    )
    if result.base_url is None:
        click.echo(
            "No --base-url given: index.html shows relative links and 'rotation links' needs --base-url."
        )
    elif result.base_url.startswith("http://"):
        click.echo("Note: Google Calendar subscribes to https:// addresses only.")
    click.echo(
        f"Tokens and publish state: {result.private}/ (keep private). "
        f"Personal links: rotation links {site_dir}"
    )
    for pid, name in result.reissued:
        click.echo(
            f"warning: {pid}: staff.csv now names {name}, not the person the address was issued to; "
            "a new address was issued and the old one withdrawn (it answers 404 now). Send the new "
            f"one: rotation links {site_dir}. (For a name change of the same person, e.g. after "
            f"marriage, give --same-person {pid} to the publish that brings the new name: the "
            "address is kept.)",
            err=True,
        )
    for pid, name in result.renamed:
        click.echo(f"{pid} keeps the address under the new name {name} (--same-person).")


@click.command("links")
@click.argument("site_dir", type=click.Path(path_type=Path))
@click.option("--rotate", "person", help="Give PERSON a new address; the old one stops working.")
@click.option("--base-url", help="Public address of the site (default: the one given to publish).")
@click.option(
    "--static",
    is_flag=True,
    help="Addresses for a plain static web server (the hashed file names) instead of 'rotation serve'.",
)
@click.option("--private", "private_dir", type=click.Path(path_type=Path), help=PRIVATE_HELP)
def links_command(
    site_dir: Path, person: str | None, base_url: str | None, static: bool, private_dir: Path | None
) -> None:
    """Print each person's personal feed address (tab-separated: id, name, address)."""
    try:
        if person is not None:
            rotate_token(site_dir, person, private_dir=private_dir)
        links = personal_links(site_dir, base_url=base_url, private_dir=private_dir, static=static)
    except InputError as e:
        _fail(e)
    for link in links:
        if person is None or link.person == person:
            click.echo(f"{link.person}\t{link.name}\t{link.url}")


@click.command("serve")
@click.argument("site_dir", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
def serve_command(site_dir: Path, host: str, port: int, threads: int) -> None:
    """Serve SITE_DIR for calendar subscriptions (put HTTPS in front of it)."""
    from .server import make_app
    from .server import serve as run_server

    try:
        make_app(site_dir)
    except ValueError as e:
        _fail(e)
    run_server(site_dir, host=host, port=port, threads=threads)


# The names rotation/cli.py registers.
publish = publish_command
links = links_command
serve = serve_command
