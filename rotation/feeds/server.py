"""The WSGI application that serves a published site for calendar subscriptions.

Deploy it with ``rotation serve SITE_DIR`` (waitress) or behind any WSGI server, e.g.
``gunicorn 'rotation.feeds.server:make_app("/srv/rota/site")'``, or with the module-level
``application`` and the environment variable ``ROTATION_SITE``.

Only these paths answer: ``/`` and ``/index.html``, ``/robots.txt``, ``/unit.ics``,
``/team-<id>.ics`` and ``/p/<token>.ics``. Every other path — directory listings, the hashed
file names themselves, traversal attempts — is 404. Request paths never reach the file system
except through those patterns. Each response reads the file whole from one open descriptor,
so an atomic replace during a publish yields the old or the new file, never a mix.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

from .site import MARKER, PERSONAL_DIR
from .tokens import HASH_RE, TOKEN_RE, match, token_hash

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

access_log = logging.getLogger("rotation.access")

SHARED = re.compile(r"/(unit|team-[A-Za-z0-9_-]+)\.ics")
PERSONAL = re.compile(r"/p/([^/]*)\.ics")
# A personal feed path in any case (/P/…, a mistyped address is a token too), and anything
# shaped like a token or a token's hash wherever it stands (a path without /p/, a query).
REDACT = re.compile(r"/p/[^\s\"'?#]*", re.IGNORECASE)
TOKENISH = re.compile(r"[A-Za-z0-9_-]{40,}")

COMMON_HEADERS = [
    ("X-Robots-Tag", "noindex, nofollow"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
]
FEED_CACHE = "private, max-age=300"


def redact(text: str) -> str:
    """Replace the token in anything that looks like a personal feed path, and anything that
    looks like a token (or the hash a static server's file name is) anywhere else."""
    return TOKENISH.sub("[redacted]", REDACT.sub("/p/[redacted]", text))


class RedactTokens(logging.Filter):
    """A logging filter that strips personal-feed tokens from every message it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class FeedApp:
    """A WSGI application serving one published site folder."""

    def __init__(self, site_dir: str | Path) -> None:
        self.site = Path(site_dir).resolve()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            status, headers, body = self.respond(environ)
        except Exception:  # never let a path with a token reach the server's error log
            access_log.error("%s %s failed", method, redact(environ.get("PATH_INFO", "")), exc_info=False)
            status, headers, body = "500 Internal Server Error", _text_headers(), b"Internal error\n"
        access_log.info("%s %s %s", method, redact(environ.get("PATH_INFO", "")), status.split()[0])
        headers = [*headers, *COMMON_HEADERS]
        start_response(status, headers)
        return [b""] if method == "HEAD" else [body]

    def respond(self, environ: Environ) -> tuple[str, list[tuple[str, str]], bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return (
                "405 Method Not Allowed",
                [*_text_headers(), ("Allow", "GET, HEAD")],
                b"Method not allowed\n",
            )
        path = _path(environ)
        found = self.resolve(path)
        if found is None:
            return _not_found()
        file, content_type, disposition = found
        try:
            fd = os.open(file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return _not_found()
        with os.fdopen(fd, "rb") as f:
            mtime = int(os.fstat(f.fileno()).st_mtime)
            body = f.read()
        etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
        modified = datetime.fromtimestamp(mtime, UTC)
        headers = [
            ("ETag", etag),
            ("Last-Modified", format_datetime(modified, usegmt=True)),
            ("Cache-Control", FEED_CACHE),
        ]
        if _not_modified(environ, etag, modified):
            return "304 Not Modified", headers, b""
        headers += [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        if disposition:
            headers.append(("Content-Disposition", disposition))
        if content_type.startswith("text/html"):
            headers.append(("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"))
        return "200 OK", headers, body

    def resolve(self, path: str) -> tuple[Path, str, str] | None:
        """The file behind a request path, its type and disposition; None for anything else."""
        if path in ("/", "/index.html"):
            return self.site / "index.html", "text/html; charset=utf-8", ""
        if path == "/robots.txt":
            return self.site / "robots.txt", "text/plain; charset=utf-8", ""
        shared = SHARED.fullmatch(path)
        if shared:
            name = f"{shared.group(1)}.ics"
            return self.site / name, "text/calendar; charset=utf-8", f'inline; filename="{name}"'
        personal = PERSONAL.fullmatch(path)
        if personal and TOKEN_RE.fullmatch(personal.group(1)):
            stored = match(token_hash(personal.group(1)), self._personal_hashes())
            if stored is not None:
                file = self.site / PERSONAL_DIR / f"{stored}.ics"
                return file, "text/calendar; charset=utf-8", 'inline; filename="rota.ics"'
        return None

    def _personal_hashes(self) -> list[str]:
        """The hashes of the published personal feeds, listed afresh on every request so a
        rotated token stops working at once."""
        try:
            names = os.listdir(self.site / PERSONAL_DIR)
        except OSError:
            return []
        return [n[:-4] for n in names if n.endswith(".ics") and HASH_RE.fullmatch(n[:-4])]


def make_app(site_dir: str | Path) -> FeedApp:
    """The WSGI application for ``site_dir`` (a folder written by ``rotation publish``)."""
    site = Path(site_dir)
    if not (site / MARKER).is_file():
        raise ValueError(f"{site}: not a published feed site; run 'rotation publish' first")
    return FeedApp(site)


_env_app: FeedApp | None = None


def application(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """A WSGI entry point for servers configured by module path; the site comes from the
    environment variable ``ROTATION_SITE``."""
    global _env_app
    if _env_app is None:
        _env_app = make_app(os.environ["ROTATION_SITE"])
    return _env_app(environ, start_response)


def configure_logging() -> None:
    """Access lines on stderr, every message stripped of tokens (waitress logs paths too)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in ("waitress", "waitress.queue", "rotation.access"):
        logging.getLogger(name).addFilter(RedactTokens())


def serve(site_dir: str | Path, host: str = "127.0.0.1", port: int = 8080, threads: int = 8) -> None:
    """Serve ``site_dir`` with waitress until interrupted."""
    import waitress

    app = make_app(site_dir)
    configure_logging()
    waitress.serve(app, host=host, port=port, threads=threads, ident="rotation")


def _path(environ: Environ) -> str:
    """PATH_INFO as the client sent it (WSGI hands it over as latin-1 decoded bytes)."""
    raw = environ.get("PATH_INFO", "") or "/"
    return raw if isinstance(raw, str) else ""


def _not_modified(environ: Environ, etag: str, modified: datetime) -> bool:
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if since:
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return modified <= when
    return False


def _text_headers() -> list[tuple[str, str]]:
    return [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")]


def _not_found() -> tuple[str, list[tuple[str, str]], bytes]:
    body = b"Not found\n"
    return "404 Not Found", [*_text_headers(), ("Content-Length", str(len(body)))], body
