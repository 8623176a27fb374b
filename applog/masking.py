"""Secrets out of every text Tandem shows or logs: ``mask_secrets``.

One function for the log formatter (``applog``), the messages of the store (``store.mask_secrets``
re-exports it) and the pages, so that what the log masks the page masks too.
"""
from __future__ import annotations

import re

__all__ = ["mask_secrets"]

# scheme://user:password@host — the password may hold anything but whitespace, quotes and '@'
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s'\"]*:)(?P<pw>[^\s'\"]*)(?P<at>@)")
# password=..., PGPASSWORD=..., TANDEM_LLM_API_KEY=..., ACCESS_TOKEN=..., client_secret=... (URL query
# strings, libpq connection strings, environment dumps)
_KEY_VALUE = re.compile(
    r"(?P<head>\b(?:[A-Za-z0-9_]*(?:PASSWORD|PASSWD|API_KEY|APIKEY|TOKEN|SECRET)|password|passwd|api_key|apikey|"
    r"token|secret|client_secret|access_token)\s*=\s*)(?!\*\*\*)(?P<pw>'[^']*'|\"[^\"]*\"|[^&\s'\"]+)",
    re.IGNORECASE)
# an HTTP Authorization header's credentials
_BEARER = re.compile(r"(?P<head>\b(?:Bearer|Basic)\s+)(?!\*\*\*)(?P<pw>[A-Za-z0-9._~+/=\-]{8,})")


def mask_secrets(text: object) -> str:
    """``text`` with every password, key or token in it replaced by ``***``.

    Covers ``scheme://user:password@host`` anywhere, ``NAME=value`` where the name is a password,
    API key, token or secret (``password=``, ``PGPASSWORD=``, ``TANDEM_LLM_API_KEY=``…; quoted
    values too), and ``Bearer``/``Basic`` credentials. Used on every message and log line that may
    quote a URL, an environment or a request (SQLAlchemy and psycopg errors sometimes do).
    """
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}***{m['at']}", str(text))
    text = _KEY_VALUE.sub(lambda m: f"{m['head']}***", text)
    return _BEARER.sub(lambda m: f"{m['head']}***", text)
