"""Unguessable personal addresses.

A token is ``secrets.token_urlsafe(32)`` (256 bits). Its plaintext lives only in the private
key file (mode 0600, beside the site, never inside it); the served tree holds each personal
feed under the token's SHA-256, so a copy of the site folder does not give anyone a working
address for ``rotation serve``. The server hashes the token in the request and compares it
with the stored hashes in constant time.

A token belongs to a person, not to an id: the key file also remembers the name each token
was issued to (``issued_to``), so a publish can tell when an id now names someone else and
withdraw the old address instead of handing that person's schedule to the newcomer. Names
are compared with :func:`same_name` (only invisible differences are ignored).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from .state import write_private

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")  # the length of token_urlsafe(32)
HASH_RE = re.compile(r"[0-9a-f]{64}")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def match(candidate_hash: str, stored_hashes: Iterable[str]) -> str | None:
    """The stored hash equal to ``candidate_hash``; every comparison runs in constant time and
    every stored hash is compared, so the answer's timing says nothing about near misses."""
    found = None
    for stored in stored_hashes:
        if hmac.compare_digest(stored.encode(), candidate_hash.encode()):
            found = stored
    return found


def same_name(a: str, b: str) -> bool:
    """Whether two spellings are the same name: Unicode form (NFC) and runs of spaces are
    ignored, nothing else (a change of case or letters counts as another name)."""
    return _plain(a) == _plain(b)


def _plain(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split())


@dataclass
class Keys:
    """The private key file: person id -> token, and person id -> the name it was issued to.
    A key file written before names were kept has no ``issued_to``; the publish fills it in."""

    tokens: dict[str, str] = field(default_factory=dict)
    issued_to: dict[str, str] = field(default_factory=dict)


def load_keys(path: Path) -> Keys:
    """The private key file (empty when there is none yet)."""
    if not path.exists():
        return Keys()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        tokens = {str(k): str(v) for k, v in data["tokens"].items()}
        issued = {str(k): str(v) for k, v in data.get("issued_to", {}).items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise InputError(str(path), f"the key file cannot be read ({e})") from None
    bad = [k for k, v in tokens.items() if not TOKEN_RE.fullmatch(v)]
    if bad:
        raise InputError(str(path), f"malformed token for {bad[0]}")
    return Keys(tokens, {k: v for k, v in issued.items() if k in tokens})


def save_keys(path: Path, keys: Keys) -> None:
    note = (
        "Personal feed tokens and the name each was issued to. "
        "Secret: anyone with a token can read that person's feed."
    )
    content = json.dumps(
        {
            "note": note,
            "tokens": dict(sorted(keys.tokens.items())),
            "issued_to": {k: v for k, v in sorted(keys.issued_to.items()) if k in keys.tokens},
        },
        indent=1,
        ensure_ascii=False,
    )
    write_private(path, content.encode() + b"\n")
