"""Password rules and hashing (argon2id through argon2-cffi).

Hashes are PHC strings (``$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>``) made with
argon2-cffi's defaults, the RFC 9106 "low memory" profile (time cost 3, 64 MiB, 4 lanes,
16-byte random salt, 32-byte tag). The clear password is never stored, returned or logged;
only :func:`hash_password` sees it, and only the hash leaves this module.

Rules (:func:`check_password`): at least :data:`MIN_LENGTH` and at most :data:`MAX_LENGTH`
code points after Unicode NFC (so the same password typed on two systems is the same
string; RFC 8265's OpaqueString profile normalises the same way), no control characters
(a pasted line break is a mistake, not a secret), and not the user name itself.
"""
from __future__ import annotations

import secrets
import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from i18n import _
from team.errors import TeamError

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "check_password", "hash_password", "needs_rehash", "verify", "verify_dummy"]

MIN_LENGTH = 10
MAX_LENGTH = 1024

_HASHER = PasswordHasher()


def check_password(password: object, user: str | None = None) -> str:
    """The password in the form that is hashed (NFC), or one sentence saying why it is refused.

    Parameters
    ----------
    password : str
        As typed; never echoed in any message.
    user : str, optional
        The user's name; a password equal to it (ignoring case) is refused.

    Returns
    -------
    str : the NFC form of ``password``.

    Raises
    ------
    TeamError
        Not text, shorter than :data:`MIN_LENGTH` or longer than :data:`MAX_LENGTH` code
        points, holding a control character, or equal to the user name.
    """
    if not isinstance(password, str):
        raise TeamError(_("A password must be text, not {type}.").format(type=type(password).__name__))
    text = unicodedata.normalize("NFC", password)
    if len(text) < MIN_LENGTH:
        raise TeamError(_("The password is {n} characters long; use at least {min_length}.")
                        .format(n=len(text), min_length=MIN_LENGTH))
    if len(text) > MAX_LENGTH:
        raise TeamError(_("The password is {n} characters long; at most {max_length} are allowed.")
                        .format(n=len(text), max_length=MAX_LENGTH))
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise TeamError(_("The password holds a control character (a line break or tab); type it on one line."))
    if user is not None and text.casefold() == unicodedata.normalize("NFC", user).casefold():
        raise TeamError(_("The password is the user name; choose something else."))
    return text


def hash_password(password: str, user: str | None = None) -> str:
    """An argon2id PHC string for a password that passes :func:`check_password`.

    Raises
    ------
    TeamError
        The password breaks a rule (see :func:`check_password`).
    """
    return _HASHER.hash(check_password(password, user))


def verify(stored_hash: str, password: object) -> bool:
    """Whether ``password`` matches ``stored_hash`` (False for a wrong password, a non-string,
    or a stored value that is not an argon2 hash; never raises for those)."""
    if not isinstance(password, str) or not isinstance(stored_hash, str):
        return False
    try:
        return _HASHER.verify(stored_hash, unicodedata.normalize("NFC", password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether a hash was made with other parameters than today's (rehash after a good login)."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(24))


def verify_dummy(password: object) -> bool:
    """Spend the time of one verification for a name that has no user (always False), so a
    wrong name and a wrong password take about as long."""
    verify(_dummy_hash(), password if isinstance(password, str) else "")
    return False
