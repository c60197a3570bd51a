"""index.html rendered by a real browser (headless Chromium): the rota table, one row per team,
the shared feed links (https and webcal), how to subscribe — and no personal link."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from feeds_support import TINY, moment, plan_tiny, read_csv
from PIL import Image

from rotation.feeds.site import publish

__all__ = ["plan_tiny"]  # fixture

INTAKE_COLOUR = (0x1F, 0x6F, 0x8B)


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Debian's chromium is a test dependency (.ci/run installs it)"
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
    ]  # fmt: skip
    return subprocess.run([browser, *flags, *args], capture_output=True, text=True, timeout=90)


class Dom(HTMLParser):
    """The parts of the rendered DOM the test looks at."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[str | None] = []
        self.on_cells: list[tuple[str | None, str | None]] = []
        self.links: list[tuple[str | None, str | None]] = []
        self.in_rota = False
        self.team: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id") == "rota":
            self.in_rota = True
        elif tag == "tr" and self.in_rota:
            self.team = a.get("data-team")
            self.rows.append(self.team)
        elif tag == "td" and self.in_rota and a.get("class") == "on":
            self.on_cells.append((self.team, a.get("data-start")))
        elif tag == "a":
            self.links.append((a.get("class"), a.get("href")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_rota = False


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, plan_tiny: Path) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("page")
    publish(TINY, plan_tiny, root / "site", base_url="https://rota.example.org/unit", now=moment(1))
    return root / "site" / "index.html", plan_tiny


def test_chromium_renders_the_rota_table_and_the_feed_links(page: tuple[Path, Path], tmp_path: Path) -> None:
    index, plan = page
    result = chromium("--dump-dom", index.as_uri(), profile=tmp_path / "profile")
    assert result.returncode == 0, result.stderr
    dom = Dom()
    dom.feed(result.stdout)
    assert dom.rows == [None, "A", "B", "C"], "a header row and one row per team"
    rota = read_csv(plan / "rota.csv")
    assert sorted(dom.on_cells) == sorted((r["team"], r["start"]) for r in rota)
    https = {href for cls, href in dom.links if cls == "https"}
    webcal = {href for cls, href in dom.links if cls == "webcal"}
    base = "rota.example.org/unit"
    feeds = {"unit.ics", "team-A.ics", "team-B.ics", "team-C.ics"}
    assert https == {f"https://{base}/{f}" for f in feeds}
    assert webcal == {f"webcal://{base}/{f}" for f in feeds}
    assert all("/p/" not in (href or "") for _, href in dom.links)
    for words in ("Outlook", "Google", "Apple", "Published", "up to a day"):
        assert words in result.stdout


def test_chromium_screenshot_shows_the_rota(page: tuple[Path, Path], tmp_path: Path) -> None:
    index, plan = page
    shot = tmp_path / "index.png"
    result = chromium(f"--screenshot={shot}", "--window-size=1280,900", "--hide-scrollbars", index.as_uri(),
                      profile=tmp_path / "profile")  # fmt: skip
    assert result.returncode == 0 and shot.exists(), result.stderr
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 900)
    colours = image.getcolors(maxcolors=1 << 20) or []
    intake_pixels = sum(n for n, c in colours if c == INTAKE_COLOUR)
    periods = len(read_csv(plan / "rota.csv"))
    assert intake_pixels > periods * 200, "every intake cell is painted in the intake colour"
    assert len(colours) > 20, "text and table are drawn, not a blank page"
