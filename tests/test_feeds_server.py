"""The server: headers from feeds.md, conditional requests, HEAD, 404 for everything else
(traversal included), rotated tokens, redacted logs, another WSGI server, and publishes
while threads fetch (never a partial or mixed file)."""

from __future__ import annotations

import hashlib
import http.client
import logging
import shutil
import threading
import time
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from feeds_support import (
    MUNICIPALITY_C,
    TINY,
    copy_plan,
    live_server,
    moment,
    plan_c,
    plan_tiny,
    read_csv,
    write_csv,
)

from rotation.feeds import server as server_module
from rotation.feeds.server import RedactTokens, make_app
from rotation.feeds.site import personal_links, publish, rotate_token
from rotation.feeds.tokens import token_hash

__all__ = ["plan_c", "plan_tiny"]  # fixtures


@pytest.fixture
def site(tmp_path: Path, plan_tiny: Path) -> Path:
    publish(TINY, plan_tiny, tmp_path / "site", base_url="https://rota.example.org", now=moment(1))
    return tmp_path / "site"


def get(base: str, path: str, method: str = "GET", **headers: str) -> tuple[int, dict[str, str], bytes]:
    """One request with the path sent exactly as given (no client-side normalisation)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k.replace("_", "-"), v)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def token_path(site: Path, person: str = "p05") -> str:
    url = next(link.url for link in personal_links(site) if link.person == person)
    return urlsplit(url).path


def test_feed_headers_are_what_calendar_clients_need(site: Path) -> None:
    with live_server(site) as base:
        for path in ("/unit.ics", "/team-B.ics", token_path(site)):
            status, headers, body = get(base, path)
            assert status == 200 and body.startswith(b"BEGIN:VCALENDAR\r\n")
            assert headers["content-type"] == "text/calendar; charset=utf-8"
            assert headers["content-disposition"].startswith("inline")
            assert headers["etag"] == '"' + hashlib.sha256(body).hexdigest()[:40] + '"'  # strong
            assert parsedate_to_datetime(headers["last-modified"]) == moment(1)
            assert headers["cache-control"] == "private, max-age=300"
            assert headers["x-robots-tag"].startswith("noindex")
            assert headers["referrer-policy"] == "no-referrer"
            assert headers["content-length"] == str(len(body))
            assert "token" not in headers["content-disposition"] and path not in str(headers)
        status, headers, body = get(base, "/")
        assert status == 200 and headers["content-type"] == "text/html; charset=utf-8" and b"<table" in body
        assert get(base, "/index.html")[2] == body
        assert get(base, "/robots.txt")[2] == b"User-agent: *\nDisallow: /\n"


def test_conditional_requests_answer_304(site: Path) -> None:
    with live_server(site) as base:
        _, headers, _ = get(base, "/unit.ics")
        etag, modified = headers["etag"], headers["last-modified"]
        status, h304, body = get(base, "/unit.ics", If_None_Match=etag)
        assert (status, body) == (304, b"") and h304["etag"] == etag and h304["last-modified"] == modified
        assert get(base, "/unit.ics", If_None_Match=f'"other", {etag}')[0] == 304
        assert get(base, "/unit.ics", If_None_Match='"other"')[0] == 200
        assert get(base, "/unit.ics", If_Modified_Since=modified)[0] == 304
        earlier = format_datetime(moment(1).replace(hour=11), usegmt=True)
        assert get(base, "/unit.ics", If_Modified_Since=earlier)[0] == 200
        assert get(base, "/unit.ics", If_None_Match='"other"', If_Modified_Since=modified)[0] == 200
        assert get(base, token_path(site), If_None_Match=get(base, token_path(site))[1]["etag"])[0] == 304


def test_head_has_the_headers_of_get_and_no_body(site: Path) -> None:
    with live_server(site) as base:
        _, get_headers, _ = get(base, "/team-A.ics")
        status, head_headers, head_body = get(base, "/team-A.ics", method="HEAD")
        assert status == 200 and head_body == b""
        for key in ("etag", "last-modified", "content-type", "content-length", "cache-control"):
            assert head_headers[key] == get_headers[key]


NOT_FOUND = [
    "/nothing",
    "/p/",
    "/p",
    "/team-Z.ics",
    "/team-A.ics/",
    "/unit.ics/..",
    "/index.htm",
    "/.rotation-site",
    "/../site.private/tokens.json",
    "/..%2fsite.private%2ftokens.json",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/p/../index.html",
    "/p/..%2F..%2Fetc%2Fpasswd.ics",
    "//etc/passwd",
    "/./unit.ics",
    "/team-A.ics%00",
    "/p/" + "A" * 43 + ".ics",  # a well-formed but unknown token
    "/p/" + "A" * 44 + ".ics",
]


def test_unknown_paths_and_traversal_attempts_are_404(site: Path) -> None:
    hashed = next((site / "p").glob("*.ics")).name
    with live_server(site) as base:
        for path in [*NOT_FOUND, f"/p/{hashed}", f"/p/{hashed[:-4]}"]:
            status, headers, body = get(base, path)
            assert status == 404, path
            assert b"BEGIN:VCALENDAR" not in body and b"token" not in body
            assert headers["x-robots-tag"].startswith("noindex")
        assert get(base, "/unit.ics", method="POST")[0] == 405
        assert get(base, "/p/", method="HEAD")[0] == 404


def test_a_rotated_token_answers_404_and_the_new_one_works(site: Path) -> None:
    old = token_path(site)
    with live_server(site) as base:
        status, _, body = get(base, old)
        assert status == 200
        rotate_token(site, "p05")
        new = token_path(site)
        assert new != old
        assert get(base, old)[0] == 404
        assert get(base, new)[:3:2] == (200, body)


def test_logs_never_carry_a_token(site: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = token_path(site)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    with caplog.at_level(logging.INFO), live_server(site) as base:
        get(base, path)
        get(base, path + "x")
    lines = [r.getMessage() for r in caplog.records if r.name == "rotation.access"]
    assert "GET /p/[redacted] 200" in lines and "GET /p/[redacted] 404" in lines
    assert token not in caplog.text
    # waitress itself logs request paths on errors and disconnects: the filter strips them
    record = logging.LogRecord(
        "waitress", logging.INFO, __file__, 1, "Client disconnected while serving %s", (path,), None
    )
    RedactTokens().filter(record)
    assert token not in record.getMessage() and "/p/[redacted]" in record.getMessage()


def test_logs_never_carry_a_token_in_a_mistyped_address(site: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A token is secret however the address is mangled: another case, a missing /p/, a
    prefix the proxy did not strip, a static server's hashed name."""
    path = token_path(site)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    hashed = token_hash(token)
    tries = [f"/P/{token}.ics", f"/{token}.ics", f"/rota/p/{token}.ics", f"/unit.ics/{token}"]
    tries.append(f"/{hashed}.ics")
    with caplog.at_level(logging.INFO), live_server(site) as base:
        for attempt in tries:
            assert get(base, attempt)[0] == 404, attempt
    lines = [r.getMessage() for r in caplog.records if r.name == "rotation.access"]
    assert len(lines) == len(tries) and all(line.endswith(" 404") for line in lines)
    assert token not in caplog.text and hashed not in caplog.text
    assert "GET /unit.ics/[redacted] 404" in lines, "the rest of the path stays readable"


def test_the_app_runs_under_another_wsgi_server(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deployable behind any WSGI server: here the standard library's, via ``application``."""

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    monkeypatch.setenv("ROTATION_SITE", str(site))
    monkeypatch.setattr(server_module, "_env_app", None)
    httpd = make_server("127.0.0.1", 0, server_module.application, handler_class=Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{httpd.server_port}"
        status, headers, _ = get(base, token_path(site))
        assert status == 200 and headers["content-type"] == "text/calendar; charset=utf-8"
        assert get(base, "/p/", method="GET")[0] == 404
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_make_app_refuses_a_folder_that_is_not_a_site(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a published feed site"):
        make_app(tmp_path)


def test_publishing_while_threads_fetch_never_yields_a_partial_or_mixed_file(
    tmp_path: Path, plan_c: Path
) -> None:
    """Publish two different plans in turn while eight threads fetch; every body fetched must
    be exactly one of the published versions, and its ETag and length must match it."""
    plan_a = copy_plan(plan_c, tmp_path / "a")
    plan_b = copy_plan(plan_c, tmp_path / "b")
    rota = read_csv(plan_b / "rota.csv")
    for row in rota:
        row["team"] = {"A": "B", "B": "C", "C": "A"}[row["team"]]
    write_csv(plan_b / "rota.csv", rota)
    days = read_csv(plan_b / "duty_days.csv")
    for row in days:
        row["team"] = {"A": "B", "B": "C", "C": "A"}[row["team"]]
        row["manager"], row["acting"] = {"A": "p01", "B": "p02", "C": "p03"}[row["team"]], "false"
    write_csv(plan_b / "duty_days.csv", days)
    site = tmp_path / "site"
    publish(MUNICIPALITY_C, plan_a, site, base_url="https://x.example", now=moment(1))
    paths = ["/unit.ics", "/team-A.ics", token_path(site, "p05"), "/index.html"]
    files = {"/unit.ics": "unit.ics", "/team-A.ics": "team-A.ics", "/index.html": "index.html"}
    personal_file = site / "p" / (token_hash(paths[2].rsplit("/", 1)[1].removesuffix(".ics")) + ".ics")
    versions: dict[str, set[bytes]] = {p: set() for p in paths}

    def record() -> None:
        for p in paths:
            versions[p].add((site / files[p]).read_bytes() if p in files else personal_file.read_bytes())

    record()
    fetched: list[tuple[str, dict[str, str], bytes]] = []
    errors: list[str] = []
    stop = threading.Event()

    def fetch(base: str, offset: int) -> None:
        i = offset
        while not stop.is_set():
            p = paths[i % len(paths)]
            i += 1
            status, headers, body = get(base, p)
            if status != 200:
                errors.append(f"{p}: {status}")
            fetched.append((p, headers, body))

    with live_server(site, threads=8) as base:
        threads = [threading.Thread(target=fetch, args=(base, k)) for k in range(8)]
        for t in threads:
            t.start()
        for n in range(12):
            publish(MUNICIPALITY_C, plan_b if n % 2 == 0 else plan_a, site, now=moment(2 + n))
            record()
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert len(fetched) > 200
    seen_versions = set()
    for p, headers, body in fetched:
        assert body in versions[p], f"{p}: a body that was never published (partial or mixed)"
        assert headers["content-length"] == str(len(body))
        if p != "/index.html":
            assert headers["etag"] == '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
        seen_versions.add((p, body))
    assert len({b for p, b in seen_versions if p == "/unit.ics"}) > 1, "the test must see publishes happen"
    shutil.rmtree(site)
