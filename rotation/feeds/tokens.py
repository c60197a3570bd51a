"""Unguessable personal addresses.

A token is ``secrets.token_urlsafe(32)`` (256 bits). Its plaintext lives only in the private
key file (mode 0600, beside the site, never inside it); the served tree holds each personal
feed under the token's SHA-256, so a copy of the site folder does not give anyone a working
address for ``rotation serve``. The server hashes the token in the request and compares it
with the stored hashes in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable
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


def load_tokens(path: Path) -> dict[str, str]:
    """Person id -> token, from the private key file (empty when there is none yet)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        tokens = {str(k): str(v) for k, v in data["tokens"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise InputError(str(path), f"the key file cannot be read ({e})") from None
    bad = [k for k, v in tokens.items() if not TOKEN_RE.fullmatch(v)]
    if bad:
        raise InputError(str(path), f"malformed token for {bad[0]}")
    return tokens


def save_tokens(path: Path, tokens: dict[str, str]) -> None:
    note = "Personal feed tokens. Secret: anyone with a token can read that person's feed."
    content = json.dumps({"note": note, "tokens": dict(sorted(tokens.items()))}, indent=1)
    write_private(path, content.encode() + b"\n")
