"""Publish a plan as a site of calendar feeds, print personal links, rotate tokens.

The site folder (what a web server serves)::

    index.html          the rota at a glance, shared feed links, how to subscribe
    unit.ics            every team's intake periods
    team-<id>.ics       one per team
    p/<sha256>.ics      one per person, under the SHA-256 of the person's token
    robots.txt          "Disallow: /"

The private folder beside it (``<site>.private/``, mode 0700; never inside the site) holds
``tokens.json`` (the plaintext tokens and the name each was issued to, mode 0600) and
``state.json`` (the unit the site publishes, and what was published, so the next publish can
keep UIDs, raise SEQUENCE exactly for changed events and leave unchanged ones byte-identical).

A site publishes one unit: a publish of another unit into it is refused before anything is
written. An address belongs to one person: when staff.csv gives an id to someone with another
name, the old address is withdrawn (its file leaves the site, so it answers 404) and a new
one is issued, unless the publish is told it is the same person (``same_person``).

A plan speaks for its own horizon only: a feed keeps what the site published before the
plan's first day (next year's plan keeps last year's events and the old plan's remaining
weeks, for :data:`~.state.HISTORY`) and after its last day (this year's re-plan keeps next
year's events), and a person who moves team keeps the old team's intake periods for the
time they were in it: the past stays as subscribers saw it. An address issued anew to
someone else starts a feed without the previous holder's history. A plan the site has since
replaced by a later version of the same rota is refused.

A publish renders everything in memory, writes the changed files beside the site, and only
then moves each one into place with an atomic rename: a client (or ``rotation serve``) reads
either the old or the new file, never half of one. A file whose bytes did not change is not
touched, so its Last-Modified and ETag stay. Each publish is stamped at least a second after
the one before, so a changed file's Last-Modified always rises (If-Modified-Since counts whole
seconds) even for two publishes in one second or a clock set back.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ..errors import InputError
from ..read import load_unit
from ..unit import Unit
from .events import all_feeds, person_key, slug
from .ics import render
from .page import render_index
from .plan import Plan, read_plan
from .state import (
    HISTORY,
    Change,
    SiteState,
    advance,
    history,
    load_state,
    memberships,
    save_state,
    team_on,
    uid_units,
)
from .tokens import Keys, load_keys, new_token, same_name, save_keys, token_hash

MARKER = ".rotation-site"
UNIT_FILE = "unit.ics"
PERSONAL_DIR = "p"
TOKENS_FILE = "tokens.json"
STATE_FILE = "state.json"
ROBOTS = b"User-agent: *\nDisallow: /\n"


@dataclass(frozen=True)
class PublishResult:
    site: Path
    private: Path
    shared_feeds: int
    personal_feeds: int
    change: Change
    files_written: int
    base_url: str | None
    # (id, name) of ids that now name someone else: the old address withdrawn, a new one issued
    reissued: tuple[tuple[str, str], ...] = ()
    # (id, name) of ids that kept their address under a new name (``same_person``)
    renamed: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PersonalLink:
    person: str
    name: str
    url: str


def private_folder(site: Path, private: Path | None = None) -> Path:
    """The private folder of ``site``: ``--private`` or ``<site>.private`` beside it."""
    folder = Path(private) if private else site.parent / f"{site.name}.private"
    resolved_site = site.resolve()
    resolved = folder.resolve()
    if resolved == resolved_site or resolved.is_relative_to(resolved_site):
        raise InputError(str(folder), "the private folder must not be inside the site folder")
    return folder


def check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise InputError("--base-url", f"'{url}' is not an address like https://example.org/rota")
    return url.rstrip("/")


def publish(
    unit_dir: str | Path,
    plan_dir: str | Path,
    site_dir: str | Path,
    *,
    base_url: str | None = None,
    private_dir: str | Path | None = None,
    now: datetime | None = None,
    same_person: Collection[str] = (),
) -> PublishResult:
    """Render the plan of ``unit_dir`` into ``site_dir``; raise :class:`InputError` on bad input
    before anything is written.

    ``same_person``: ids whose new name in staff.csv is a name change of the person the address
    was issued to (marriage, a corrected spelling); they keep their address."""
    site = Path(site_dir)
    private = private_folder(site, Path(private_dir) if private_dir else None)
    base = check_base_url(base_url) if base_url else None
    unit = load_unit(unit_dir)
    plan = read_plan(plan_dir, unit)
    _check_site(site)
    state = load_state(private / STATE_FILE)
    _check_unit(site, state, unit)
    _check_not_superseded(Path(plan_dir), plan, state)
    unknown = sorted(set(same_person) - {p.id for p in unit.people})
    if unknown:
        raise InputError("--same-person", f"unknown person '{unknown[0]}'; staff.csv has no such id")
    keys = load_keys(private / TOKENS_FILE)
    base = base or state.base_url

    keys, reissued, renamed = _issue(keys, state, unit, [p.id for p in unit.people], set(same_person))
    tokens = keys.tokens
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if state.published is not None and moment <= state.published:
        moment = state.published + timedelta(seconds=1)
    # An address issued to someone else starts afresh: nothing of the previous holder's feed.
    fresh = {pid for pid, _ in reissued}
    state = replace(
        state,
        feeds={k: v for k, v in state.feeds.items() if k not in {person_key(pid) for pid in fresh}},
        teams={pid: h for pid, h in state.teams.items() if pid not in fresh},
    )
    teams = memberships(
        state.teams, {p.id: p.team for p in unit.people}, _moved_on(unit, plan, moment), plan.horizon_start
    )
    unit_feed, team_feeds, person_feeds = all_feeds(
        unit, plan, {pid: partial(team_on, known) for pid, known in teams.items()}
    )
    names = [f"{f.key}.ics" for f in team_feeds]
    if len(set(names)) != len(names):
        raise InputError("unit.toml", "two team ids give the same feed name; use letters, digits, - and _")
    keep = partial(history, state, first_day=plan.horizon_start, last_day=plan.horizon_end)
    unit_feed = keep(unit_feed)
    team_feeds = [keep(f) for f in team_feeds]
    person_feeds = {pid: keep(f) for pid, f in person_feeds.items()}
    new_state, change = advance(
        state,
        [unit_feed, *team_feeds, *person_feeds.values()],
        moment,
        forget_before=plan.horizon_start - HISTORY,
    )
    new_state.unit = unit.name
    new_state.base_url = base
    new_state.people = {p.id: p.name for p in unit.people}
    new_state.teams = teams
    new_state.plans = {**state.plans, plan.fingerprint: (plan.version, plan.horizon_start)}
    if plan.parent is not None:
        new_state.plans.setdefault(plan.parent[0], (plan.parent[1], plan.horizon_start))
    new_state.plan = plan.fingerprint

    files: dict[str, bytes] = {UNIT_FILE: render(unit_feed, new_state.feeds[unit_feed.key])}
    for feed in team_feeds:
        files[f"{feed.key}.ics"] = render(feed, new_state.feeds[feed.key])
    for pid, feed in person_feeds.items():
        files[f"{PERSONAL_DIR}/{token_hash(tokens[pid])}.ics"] = render(feed, new_state.feeds[feed.key])
    shared = [(unit_feed.name, UNIT_FILE)] + [(f.name, f"{f.key}.ics") for f in team_feeds]
    files["index.html"] = render_index(unit, plan, shared, base, moment)
    files["robots.txt"] = ROBOTS
    files[MARKER] = b"A calendar feed site published by rotation.\n"

    written = _install(site, private, files, moment, lambda: save_keys(private / TOKENS_FILE, keys))
    save_state(private / STATE_FILE, new_state)
    return PublishResult(
        site, private, len(shared), len(person_feeds), change, written, base, reissued, renamed
    )


def _check_not_superseded(folder: Path, plan: Plan, state: SiteState) -> None:
    """Refuse a plan this site published (or re-planned from) before and has since replaced by
    a later version of the same rota (the same first day): publishing it would take back every
    change made since, in every subscriber's calendar (an easy slip: ``--plan out/plan`` where
    ``out/plan.v3`` was meant). A later version whose content happens to equal an earlier one
    (a change undone) has a higher version and is published."""
    if plan.fingerprint == state.plan:
        return
    same_rota = [v for v, first in state.plans.values() if first == plan.horizon_start]
    latest = max(same_rota, default=0)
    if plan.fingerprint not in state.plans:
        # New here. A re-plan or swap made from an older version than the newest published
        # (two made from the same plan: PLAN.v2 and PLAN.v3 both version 2) would take back the
        # other's changes as well.
        if plan.parent is not None and plan.version <= latest:
            raise InputError(
                str(folder),
                f"is version {plan.version} of the rota, made from version {plan.parent[1]}, and "
                f"this site has since published version {latest} (another re-plan or swap); "
                "publishing it would take back that version's changes — re-plan or swap from "
                "the version published",
            )
        return
    if plan.version < latest:
        raise InputError(
            str(folder),
            f"is version {plan.version} of the rota, and this site has since published version "
            f"{latest}; publishing it would take back the changes made since — publish the newest "
            "version (or re-plan from it)",
        )


def _moved_on(unit: Unit, plan: Plan, moment: datetime) -> date:
    """From which day a person now in another team than at the last publish counts in it: the
    re-plan's or swap's today, else the day of this publish in the unit's time zone."""
    return plan.today or moment.astimezone(ZoneInfo(unit.timezone)).date()


def _check_unit(site: Path, state: SiteState, unit: Unit) -> None:
    """Refuse to publish ``unit`` into a site that publishes another unit. The unit is told by
    unit.toml's ``[unit] name``; a state written before the name was kept is told by the unit
    part of its UIDs (and adopts the name on this publish)."""
    if state.unit is not None:
        if state.unit != unit.name:
            raise InputError(
                str(site),
                f"was published for unit '{state.unit}'; this is unit '{unit.name}' "
                "(unit.toml, [unit] name) — use a new --site folder",
            )
        return
    published = uid_units(state)
    if published and slug(unit.name) not in published:
        raise InputError(
            str(site),
            f"was published for unit '{sorted(published)[0]}' (as its calendar events name it); "
            f"this is unit '{unit.name}' (unit.toml, [unit] name) — use a new --site folder",
        )


def _issue(
    keys: Keys, state: SiteState, unit: Unit, people: list[str], same_person: set[str]
) -> tuple[Keys, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """The tokens for ``people`` after this publish: kept while an id names the person it was
    issued to, new for a new id or when the id now names someone else (then also listed in the
    first tuple; ids in ``same_person`` keep theirs under the new name and are listed in the
    second). A key file without issued names (written before they were kept) is judged by the
    names of the last publish, and where there are none adopts the current name silently."""
    tokens: dict[str, str] = {}
    issued: dict[str, str] = {}
    reissued: list[tuple[str, str]] = []
    renamed: list[tuple[str, str]] = []
    for pid in people:
        name = unit.person(pid).name
        token = keys.tokens.get(pid)
        before = keys.issued_to.get(pid) or state.people.get(pid)
        if token and before is not None and not same_name(before, name):
            if pid in same_person:
                renamed.append((pid, name))
            else:
                token = None
                reissued.append((pid, name))
        tokens[pid] = token or new_token()
        issued[pid] = name
    return Keys(tokens, issued), tuple(reissued), tuple(renamed)


def _check_site(site: Path) -> None:
    if site.exists() and not site.is_dir():
        raise InputError(str(site), "exists and is not a folder")
    if site.is_dir() and any(site.iterdir()) and not (site / MARKER).exists():
        raise InputError(str(site), "exists and is not a published feed site; choose another --site")


def _install(
    site: Path, private: Path, files: dict[str, bytes], moment: datetime, before_swap: Callable[[], None]
) -> int:
    """Stage the changed files beside ``site``, then rename each into place; drop stale feeds."""
    site.parent.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    private.chmod(0o700)
    staging = Path(tempfile.mkdtemp(prefix=f".{site.name}.publish-", dir=site.parent))
    try:
        moves = []
        for i, (name, content) in enumerate(sorted(files.items())):
            target = site / name
            if target.is_file() and target.read_bytes() == content:
                continue
            staged = staging / str(i)
            staged.write_bytes(content)
            staged.chmod(0o644)
            os.utime(staged, (moment.timestamp(), moment.timestamp()))
            moves.append((staged, target))
        before_swap()
        site.mkdir(exist_ok=True)
        site.chmod(0o755)
        (site / PERSONAL_DIR).mkdir(exist_ok=True)
        (site / PERSONAL_DIR).chmod(0o755)
        for staged, target in moves:
            os.replace(staged, target)
        for path in [*site.glob("team-*.ics"), *(site / PERSONAL_DIR).glob("*")]:
            if path.relative_to(site).as_posix() not in files and path.is_file():
                path.unlink()
        return len(moves)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def personal_links(
    site_dir: str | Path,
    *,
    base_url: str | None = None,
    private_dir: str | Path | None = None,
    static: bool = False,
) -> list[PersonalLink]:
    """Each person's personal feed address, for the team leader to send.

    ``static``: the address on a plain static web server, which cannot hash a token — the file
    name itself (the token's hash) is then the secret part of the address."""
    site = Path(site_dir)
    private = private_folder(site, Path(private_dir) if private_dir else None)
    if not (site / MARKER).exists():
        raise InputError(str(site), "is not a published feed site; run 'rotation publish' first")
    state = load_state(private / STATE_FILE)
    tokens = load_keys(private / TOKENS_FILE).tokens
    base = check_base_url(base_url) if base_url else state.base_url
    if not base:
        raise InputError("--base-url", "no base address known; pass --base-url or publish with --base-url")
    links = []
    for pid, token in tokens.items():
        secret = token_hash(token) if static else token
        links.append(PersonalLink(pid, state.people.get(pid, pid), f"{base}/{PERSONAL_DIR}/{secret}.ics"))
    return links


def rotate_token(site_dir: str | Path, person: str, *, private_dir: str | Path | None = None) -> None:
    """Give ``person`` a new token; their old address answers 404 from now on."""
    site = Path(site_dir)
    private = private_folder(site, Path(private_dir) if private_dir else None)
    if not (site / MARKER).exists():
        raise InputError(str(site), "is not a published feed site; run 'rotation publish' first")
    keys = load_keys(private / TOKENS_FILE)
    tokens = keys.tokens
    if person not in tokens:
        raise InputError("--rotate", f"unknown person '{person}'; 'rotation links' lists the people")
    old = site / PERSONAL_DIR / f"{token_hash(tokens[person])}.ics"
    tokens[person] = new_token()  # the same person: issued_to stays
    new = site / PERSONAL_DIR / f"{token_hash(tokens[person])}.ics"
    if old.exists():
        staged = new.with_name(f".{new.name}.tmp")
        shutil.copy2(old, staged)
        os.replace(staged, new)
    save_keys(private / TOKENS_FILE, keys)
    old.unlink(missing_ok=True)
