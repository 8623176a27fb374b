"""Support for the browser tests (Debian Chromium through Playwright, an app under ``streamlit run``).

Helper module (not collected): tests/test_browser_span_coder.py and tests/test_browser_workbench.py
import from here. ``require_browser`` skips when Chromium or the playwright package is absent, and
fails instead under ``TANDEM_REQUIRE_SHARED=1`` (CI), which installs Debian's chromium.
"""
from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import tempfile
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

# Select the first occurrence of a phrase inside the span coder's text with a DOM Range, the
# way a mouse drag would. Offsets here are the DOM's UTF-16 units. ``select_js`` appends what
# to return, an expression over ``sel`` (the selection) and ``sn``/``en`` (its end text nodes).
_SELECT_JS_HEAD = """(phrase) => {
  const root = document.querySelector('.tdm-sc-text');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let all = '';
  for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, all.length]); all += n.data; }
  const at = all.indexOf(phrase);
  if (at < 0) return null;
  const locate = (u, isEnd) => {
    for (let i = nodes.length - 1; i >= 0; i--) {
      const [node, from] = nodes[i];
      if (from < u || (from === u && !isEnd)) return [node, u - from];
    }
    return [nodes[0][0], 0];
  };
  const [sn, so] = locate(at, false);
  const [en, eo] = locate(at + phrase.length, true);
  const range = document.createRange();
  range.setStart(sn, so);
  range.setEnd(en, eo);
  const sel = getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
"""


def select_js(result: str) -> str:
    """The DOM-Range selection script, returning the JavaScript expression ``result``."""
    return f"{_SELECT_JS_HEAD}  return {result};\n}}"


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is absent (apt-get install -y chromium fonts-noto-cjk)"
    return None


def require_browser() -> None:
    """Skip without Chromium or playwright; fail instead under ``TANDEM_REQUIRE_SHARED=1``."""
    reason = browser_missing()
    if reason:
        if os.environ.get("TANDEM_REQUIRE_SHARED") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def streamlit_app(script: str, folder: Path, project: Path, env: dict[str, str]):
    """``streamlit run script`` on a free port with ``env``; yields (url, project, log, folder) once healthy."""
    log_path = folder / "streamlit.log"
    port = free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited early:\n{log_path.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not become healthy:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.25)
        yield SimpleNamespace(url=url, project=project, log=log_path, folder=folder)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def app_env(project: Path, **extra: str) -> dict[str, str]:
    """The environment for the app: this one, plus the project, the repository on PYTHONPATH and ``extra``.
    ``TANDEM_HOME`` is a folder beside the project unless ``extra`` names one, so that what the app
    remembers (the interface language, the last project) never leaks into the user's data folder or
    into the next test."""
    return {
        **os.environ,
        "TANDEM_HOME": str((Path(project).parent if "://" not in str(project) else Path(tempfile.mkdtemp()))
                           / "tandem-home"),
        "TANDEM_PROJECT": str(project),
        **extra,
        "PYTHONPATH": str(ROOT),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }


@contextmanager
def launched_chromium():
    """Debian's Chromium, headless, through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser, width: int, height: int):
    """A page of that viewport; uncaught page errors collect in ``page.errors``."""
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    return page


def db(app, sql: str, *args):
    """Rows from the app's SQLite project, opened read-only."""
    con = sqlite3.connect(f"file:{app.project}?mode=ro", uri=True)  # never create the file
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def idle(page, timeout: float | None = None) -> None:
    """Wait until the Streamlit script is not running (``timeout`` None: the page's default)."""
    page.wait_for_selector(IDLE, timeout=timeout)


def fail_on_exception(app, page, where: str, *, errors: bool = False) -> None:
    """Fail the test, with the server log, when the page shows an exception (``errors``: or an
    error message)."""
    selector = "[data-testid='stException']" + (", [data-testid='stAlertContentError']" if errors else "")
    failure = page.locator(selector)
    if failure.count():
        pytest.fail(f"{where} shows {'an error' if errors else 'an exception'}:\n{failure.first.inner_text()}\n"
                    f"server log:\n{app.log.read_text(errors='replace')}")
