"""Talking to the configured LLM endpoint: which URLs are allowed, and one bounded POST.

- An endpoint is an OpenAI-compatible *base* URL, ``http://127.0.0.1:11434/v1`` for Ollama;
  ``http`` or ``https`` only, no user name or password in it (an API key comes from the
  environment variable ``TANDEM_LLM_API_KEY`` only), no query or fragment.
- A host is **local** when it is exactly ``localhost`` or a literal IP address that is loopback or
  private (RFC 1918, RFC 4193). A host *name* is never resolved, so any other name counts as
  remote: the text would leave the machine. ``*.localhost`` and ``localhost.`` are not local (a
  resolver may send them to DNS), nor are link-local addresses (169.254.0.0/16, fe80::/10: the
  cloud metadata service lives at 169.254.169.254).
- :func:`post` uses no proxy (``http_proxy`` and friends are ignored, so text goes only where the
  researcher said), follows no redirect (a redirect could carry the key and the text elsewhere),
  stops after ``timeout`` seconds in all (connect + answer + reading, checked between reads) and
  reads at most :data:`MAX_RESPONSE_BYTES`.
"""
from __future__ import annotations

import ipaddress
import json
import os
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from assist.errors import AssistError
from i18n import _

__all__ = ["API_KEY_ENV", "MAX_RESPONSE_BYTES", "Reply", "TransportError", "api_key", "check_endpoint", "host_of",
           "is_local", "post"]

API_KEY_ENV = "TANDEM_LLM_API_KEY"
#: Most bytes of a response body read (256 KB); a longer body is refused.
MAX_RESPONSE_BYTES = 256 * 1024
_CHUNK = 16 * 1024


class TransportError(Exception):
    """No usable HTTP answer (unreachable, timed out, HTTP error, too large); ``str()`` is one
    sentence; ``body`` holds what was read of the answer, if any; ``status`` is ``error`` or
    ``refused`` (an answer came but is too large)."""

    def __init__(self, message: str, body: str = "", status: str = "error"):
        super().__init__(message)
        self.body, self.status = body, status


@dataclass(frozen=True)
class Reply:
    """An HTTP 200 answer: its body (UTF-8, undecodable bytes replaced) and seconds taken."""

    body: str
    seconds: float


def api_key() -> str | None:
    """The API key from ``TANDEM_LLM_API_KEY`` (None when unset or blank). Never stored or shown."""
    key = os.environ.get(API_KEY_ENV, "").strip()
    return key or None


def is_local(host: str) -> bool:
    """True for ``localhost`` and loopback or private IP literals (see the module docstring)."""
    host = (host or "").strip("[]").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return (address.is_loopback or address.is_private) and not address.is_link_local


def host_of(endpoint: str) -> str:
    """``host:port`` of an endpoint as shown on suggestions (``127.0.0.1:11434``)."""
    parts = urlsplit(endpoint)
    return parts.netloc.rpartition("@")[2]


def check_endpoint(endpoint: str, *, allow_remote: bool = False) -> tuple[str, str | None]:
    """The endpoint cleaned (no trailing slash) and a warning sentence when it is remote.

    Raises
    ------
    AssistError
        Not an http(s) URL with a host, a user name or password, a query or fragment in it, or a
        remote host without ``allow_remote``.
    """
    text = (endpoint or "").strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise AssistError(_("{url} is not a valid URL; write e.g. http://127.0.0.1:11434/v1.").format(
            url=repr(text[:200]))) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AssistError(_("The LLM endpoint must be an http:// or https:// URL with a host, e.g. "
                            "http://127.0.0.1:11434/v1 for Ollama."))
    if parts.username is not None or parts.password is not None:
        raise AssistError(_("The LLM endpoint must not hold a user name or password; put an API key in the "
                            "environment variable {env} instead.").format(env=API_KEY_ENV))
    if parts.query or parts.fragment:
        raise AssistError(_("The LLM endpoint is a base URL such as http://127.0.0.1:11434/v1, without ? or #."))
    clean = text.split("#")[0].split("?")[0].rstrip("/")
    if is_local(parts.hostname):
        return clean, None
    warning = _("The endpoint {host} is not on this machine or its private network: every passage sent to it "
                "leaves the machine.").format(host=parts.hostname)
    if not allow_remote:
        raise AssistError(_("{warning} Pass allow_remote (--allow-remote) if that is intended.").format(
            warning=warning))
    return clean, warning


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 - refuse every redirect
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _read(stream, deadline: float) -> bytes:
    """The body, read as it arrives (``read1``: one receive at a time, so a slow trickle meets the
    deadline); ``socket.timeout`` past ``deadline``, ``OverflowError(first bytes)`` past the limit."""
    data = bytearray()
    read = getattr(stream, "read1", None) or stream.read
    while True:
        if time.monotonic() > deadline:
            raise socket.timeout()
        chunk = read(_CHUNK)
        if not chunk:
            return bytes(data)
        data += chunk
        if len(data) > MAX_RESPONSE_BYTES:
            raise OverflowError(bytes(data[:MAX_RESPONSE_BYTES]))


def post(endpoint: str, payload: dict, *, timeout: float) -> Reply:
    """POST ``payload`` as JSON to ``{endpoint}/chat/completions`` and return the 200 answer.

    Sends ``Authorization: Bearer <key>`` when :func:`api_key` gives one.

    Raises
    ------
    TransportError
        Unreachable, no answer within ``timeout`` seconds, an HTTP status other than 200 (a
        redirect included), or a body larger than :data:`MAX_RESPONSE_BYTES`.
    """
    url = endpoint.rstrip("/") + "/chat/completions"
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    key = api_key()
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    began = time.monotonic()
    deadline = began + timeout
    host = host_of(endpoint)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            body = _read(response, deadline)
    except urllib.error.HTTPError as exc:
        try:
            text = _read(exc, deadline).decode("utf-8", "replace")
        except (OSError, OverflowError, socket.timeout):
            text = ""
        finally:
            exc.close()
        if 300 <= exc.code < 400:
            raise TransportError(_("The endpoint {host} answered with a redirect (HTTP {code}); Tandem follows "
                                   "none: give the final URL.").format(host=host, code=exc.code), text) from None
        raise TransportError(_("The endpoint {host} answered HTTP {code} {reason}.").format(
            host=host, code=exc.code, reason=exc.reason or ""), text) from None
    except OverflowError as exc:
        raise TransportError(_("The endpoint {host} sent more than {kb} KB; the answer was not used.").format(
            host=host, kb=MAX_RESPONSE_BYTES // 1024), exc.args[0].decode("utf-8", "replace"), "refused") from None
    except (socket.timeout, TimeoutError):
        raise TransportError(_("The endpoint {host} did not answer within {s} s.").format(
            host=host, s=f"{timeout:g}")) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise TransportError(_("The endpoint {host} did not answer within {s} s.").format(
                host=host, s=f"{timeout:g}")) from None
        raise TransportError(_("Could not reach the endpoint {host} ({reason}); is the LLM server running?").format(
            host=host, reason=str(reason)[:200])) from None
    except (OSError, ValueError) as exc:  # connection reset, bad status line, ...
        raise TransportError(_("The exchange with the endpoint {host} failed ({reason}).").format(
            host=host, reason=str(exc)[:200] or type(exc).__name__)) from None
    return Reply(body.decode("utf-8", "replace"), time.monotonic() - began)
