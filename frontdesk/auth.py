"""Secrets at rest: API keys, console passwords and session tokens.

Only hashes are stored. API keys and session tokens are 256-bit random strings, so one
SHA-256 is enough to make a stolen database useless; passwords are chosen by people and
get scrypt. Every comparison is in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

_KEY = re.compile(r"^fd_([a-z0-9]{10})_[A-Za-z0-9_-]{20,100}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key: str  # shown once, never stored
    prefix: str
    hash: str


def new_api_key() -> NewKey:
    prefix = secrets.token_hex(5)
    key = f"fd_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(key, prefix, digest(key))


def key_prefix(presented: str) -> str | None:
    """The lookup prefix of a well-formed key, or None."""
    match = _KEY.match(presented.strip())
    return match.group(1) if match else None


def key_matches(presented: str, stored_hash: str) -> bool:
    return hmac.compare_digest(digest(presented.strip()), stored_hash)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    derived = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt${n}${r}${p}$".format(**_SCRYPT) + \
        f"{base64.b64encode(salt).decode()}${base64.b64encode(derived).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), dklen=32,
                                 n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(derived, base64.b64decode(expected))


def new_token() -> str:
    return secrets.token_urlsafe(32)
