"""Whose feed is it: a site publishes one unit, and a personal address belongs to the person it
was issued to, not to an id. Publishing another unit into a site is refused and writes nothing;
an id that now names someone else gets a new address and the old one answers 404; site state
written before names were kept keeps working."""

from __future__ import annotations

import http.client
import json
import subprocess
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from feeds_support import (
    MUNICIPALITY_C,
    TINY,
    copy_unit,
    live_server,
    moment,
    plan_c,
    plan_tiny,
    read_csv,
    write_csv,
)

from rotation.cli import cli
from rotation.feeds.site import personal_links, publish
from rotation.feeds.tokens import token_hash

__all__ = ["plan_c", "plan_tiny"]  # fixtures

BASE = "https://rota.example.org"
OLD_KEY_NOTE = "Personal feed tokens. Secret: anyone with a token can read that person's feed."


def run(*args: str) -> subprocess.CompletedProcess[str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def everything(*folders: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file below ``folders`` (hidden ones too): bytes, mtime and inode."""
    return {
        str(f): (f.read_bytes(), f.stat().st_mtime_ns, f.stat().st_ino)
        for folder in folders
        for f in sorted(folder.rglob("*"))
        if f.is_file()
    }


def links(site: Path) -> dict[str, tuple[str, str]]:
    """Person id -> (name, token) as `rotation links` gives them."""
    return {
        link.person: (link.name, link.url.rsplit("/", 1)[1].removesuffix(".ics"))
        for link in personal_links(site)
    }


def fetch(base: str, path: str) -> tuple[int, bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def rename(unit_dir: Path, person: str, name: str) -> None:
    rows = read_csv(unit_dir / "staff.csv")
    for row in rows:
        if row["id"] == person:
            row["name"] = name
    write_csv(unit_dir / "staff.csv", rows)


def make_legacy(private: Path, *, keep_people: bool = True) -> None:
    """Rewrite the private files as a publish before this change wrote them: tokens.json without
    issued names, state.json without the unit (and, optionally, without the people's names)."""
    tokens = json.loads((private / "tokens.json").read_text(encoding="utf-8"))["tokens"]
    legacy_keys = json.dumps({"note": OLD_KEY_NOTE, "tokens": dict(sorted(tokens.items()))}, indent=1)
    (private / "tokens.json").write_text(legacy_keys + "\n", encoding="utf-8")
    state = json.loads((private / "state.json").read_text(encoding="utf-8"))
    state.pop("unit", None)  # what a publish before this change wrote has none
    if not keep_people:
        del state["people"]
    (private / "state.json").write_text(json.dumps(state, indent=1, ensure_ascii=False) + "\n")


# --- one unit per site -------------------------------------------------------------------------


def test_publishing_another_unit_into_a_site_is_refused_and_writes_nothing(
    tmp_path: Path, plan_c: Path, plan_tiny: Path
) -> None:
    site, private = tmp_path / "site", tmp_path / "site.private"
    publish(MUNICIPALITY_C, plan_c, site, base_url=BASE, now=moment(1))
    before_links = links(site)
    karin = before_links["p01"][1]
    with live_server(site) as base:
        status, karins_feed = fetch(base, f"/p/{karin}.ics")
        assert status == 200
        before = everything(site, private)

        result = run("publish", str(TINY), "--plan", str(plan_tiny), "--site", str(site))

        assert result.returncode == 2, result.stdout
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0] == (
            f"error: {site}: was published for unit 'Barn- och ungdomsenheten, kommun C'; "
            "this is unit 'Tiny example unit' (unit.toml, [unit] name) — use a new --site folder"
        )
        assert everything(site, private) == before, "nothing written"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "site.private"], "no staging left"
        assert links(site) == before_links
        assert fetch(base, f"/p/{karin}.ics") == (200, karins_feed)
    assert "Tiny example unit" not in (site / "index.html").read_text(encoding="utf-8")


def test_a_site_from_before_the_unit_was_kept_is_told_by_its_uids_then_remembers_it(
    tmp_path: Path, plan_c: Path, plan_tiny: Path
) -> None:
    site, private = tmp_path / "site", tmp_path / "site.private"
    publish(MUNICIPALITY_C, plan_c, site, base_url=BASE, now=moment(1))
    make_legacy(private)
    before = everything(site, private)

    result = run("publish", str(TINY), "--plan", str(plan_tiny), "--site", str(site))

    assert result.returncode == 2
    assert "was published for unit 'barn-och-ungdomsenheten-kommun-c'" in result.stderr
    assert "this is unit 'Tiny example unit'" in result.stderr and "new --site folder" in result.stderr
    assert everything(site, private) == before

    # The same unit publishes as before and the state now names it.
    assert run("publish", str(MUNICIPALITY_C), "--plan", str(plan_c), "--site", str(site)).returncode == 0
    assert json.loads((private / "state.json").read_text(encoding="utf-8"))["unit"] == (
        "Barn- och ungdomsenheten, kommun C"
    )


# --- an address belongs to a person --------------------------------------------------------------


def test_an_id_reused_by_another_person_gets_a_new_address_and_the_old_one_answers_404(
    tmp_path: Path, plan_tiny: Path
) -> None:
    unit_dir = copy_unit(TINY, tmp_path / "unit")
    site = tmp_path / "site"
    publish(unit_dir, plan_tiny, site, base_url=BASE, now=moment(1))
    before = links(site)
    assert before["p01"][0] == "Anna Berg"
    anna = before["p01"][1]
    with live_server(site) as base:
        status, body = fetch(base, f"/p/{anna}.ics")
        assert status == 200 and "Anna Berg" in body.decode()

        # Anna Berg leaves; the new hire gets her id.
        rename(unit_dir, "p01", "Karin Lindqvist")
        result = run("publish", str(unit_dir), "--plan", str(plan_tiny), "--site", str(site))

        assert result.returncode == 0, result.stderr
        assert fetch(base, f"/p/{anna}.ics")[0] == 404, "the old address must not serve Karin's feed"
        assert not (site / "p" / f"{token_hash(anna)}.ics").exists(), "nor on a static server"
        after = links(site)
        karin = after["p01"][1]
        assert after["p01"][0] == "Karin Lindqvist" and karin != anna
        assert {p: v for p, v in after.items() if p != "p01"} == {
            p: v for p, v in before.items() if p != "p01"
        }, "nobody else's address changes"

        status, body = fetch(base, f"/p/{karin}.ics")
        assert status == 200 and "Karin Lindqvist" in body.decode()

    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and warnings[0].startswith(
        "warning: p01: staff.csv now names Karin Lindqvist, not the person the address was issued "
        "to; a new address was issued and the old one withdrawn"
    ), result.stderr
    assert "--same-person p01" in warnings[0] and "Anna Berg" not in result.stderr + result.stdout
    keys = json.loads((tmp_path / "site.private" / "tokens.json").read_text(encoding="utf-8"))
    assert keys["issued_to"]["p01"] == "Karin Lindqvist"
    served = b"".join(f.read_bytes() for f in site.rglob("*") if f.is_file())
    assert b"Anna Berg" not in served, "the name the address was issued to stays private"

    # Publishing again issues nothing new: the address is now Karin's.
    result = run("publish", str(unit_dir), "--plan", str(plan_tiny), "--site", str(site))
    assert result.returncode == 0 and "warning" not in result.stderr
    assert links(site) == after


def test_same_person_keeps_the_address_under_a_new_name(tmp_path: Path, plan_tiny: Path) -> None:
    unit_dir = copy_unit(TINY, tmp_path / "unit")
    site = tmp_path / "site"
    publish(unit_dir, plan_tiny, site, base_url=BASE, now=moment(1))
    before = links(site)

    rename(unit_dir, "p01", "Anna Lindqvist")  # married
    unknown = run("publish", str(unit_dir), "--plan", str(plan_tiny), "--site", str(site),
                  "--same-person", "p99")  # fmt: skip
    assert unknown.returncode == 2 and "unknown person 'p99'" in unknown.stderr
    assert links(site) == before

    result = run("publish", str(unit_dir), "--plan", str(plan_tiny), "--site", str(site),
                 "--same-person", "p01")  # fmt: skip
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr
    assert "p01 keeps the address under the new name Anna Lindqvist" in result.stdout
    after = links(site)
    assert after["p01"] == ("Anna Lindqvist", before["p01"][1])
    with live_server(site) as base:
        status, body = fetch(base, f"/p/{before['p01'][1]}.ics")
        assert status == 200 and "Anna Lindqvist" in body.decode()

    again = run("publish", str(unit_dir), "--plan", str(plan_tiny), "--site", str(site))
    assert again.returncode == 0 and "warning" not in again.stderr and links(site) == after


def test_only_invisible_differences_make_the_same_name() -> None:
    from rotation.feeds.tokens import same_name

    assert same_name("Åsa  Öberg ", unicodedata.normalize("NFD", "Åsa Öberg"))
    assert not same_name("Anna Berg", "anna berg")
    assert not same_name("Anna Berg", "Anna Lindqvist")


# --- state written before names were kept ------------------------------------------------------


def test_old_state_files_are_migrated_silently(tmp_path: Path, plan_tiny: Path) -> None:
    site, private = tmp_path / "site", tmp_path / "site.private"
    publish(TINY, plan_tiny, site, base_url=BASE, now=moment(1))
    before = links(site)
    make_legacy(private)
    assert "issued_to" not in json.loads((private / "tokens.json").read_text(encoding="utf-8"))

    result = run("publish", str(TINY), "--plan", str(plan_tiny), "--site", str(site))

    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert links(site) == before, "every address stays"
    keys = json.loads((private / "tokens.json").read_text(encoding="utf-8"))
    assert keys["issued_to"] == {pid: name for pid, (name, _) in before.items()}
    assert json.loads((private / "state.json").read_text(encoding="utf-8"))["unit"] == "Tiny example unit"


def test_old_state_files_still_catch_a_reused_id(tmp_path: Path, plan_tiny: Path) -> None:
    """The old state.json has the names of the last publish: a legacy key file is judged by them."""
    unit_dir = copy_unit(TINY, tmp_path / "unit")
    site, private = tmp_path / "site", tmp_path / "site.private"
    publish(unit_dir, plan_tiny, site, base_url=BASE, now=moment(1))
    before = links(site)
    make_legacy(private)
    rename(unit_dir, "p01", "Karin Lindqvist")

    result = run("publish", str(unit_dir), "--plan", str(plan_tiny), "--site", str(site))

    assert result.returncode == 0 and result.stderr.startswith("warning: p01: staff.csv now names")
    after = links(site)
    assert after["p01"][1] != before["p01"][1]
    assert not (site / "p" / f"{token_hash(before['p01'][1])}.ics").exists()
    assert {p: v for p, v in after.items() if p != "p01"} == {p: v for p, v in before.items() if p != "p01"}


@pytest.mark.parametrize("person", ["p01", "p15"])
def test_old_state_files_without_names_adopt_the_current_ones(
    tmp_path: Path, plan_tiny: Path, person: str
) -> None:
    """With no name on record anywhere, the first publish adopts staff.csv's names silently; from
    then on a change of name is caught."""
    unit_dir = copy_unit(TINY, tmp_path / "unit")
    site, private = tmp_path / "site", tmp_path / "site.private"
    publish(unit_dir, plan_tiny, site, base_url=BASE, now=moment(1))
    before = links(site)
    make_legacy(private, keep_people=False)

    result = run("publish", str(unit_dir), "--plan", str(plan_tiny), "--site", str(site))
    assert result.returncode == 0 and result.stderr == "" and links(site) == before

    rename(unit_dir, person, "Someone Else")
    result = run("publish", str(unit_dir), "--plan", str(plan_tiny), "--site", str(site))
    assert result.returncode == 0 and result.stderr.startswith(f"warning: {person}: ")
    assert links(site)[person][1] != before[person][1]
