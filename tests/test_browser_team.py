"""Team mode in a real browser (Debian Chromium through Playwright), as a new team would use it.

The server side is prepared with the command line only: ``cli.py new``, ``cli.py import`` of one
Chinese transcript, and ``cli.py users add`` of the owner (password piped with
``--password-stdin``). ``streamlit run workbench.py`` then serves it with ``TANDEM_TEAM=1``.
In the browser: before a login, no URL shows a document name, a code name or a digit; the
owner logs in and creates two coders and a viewer on the Users page; the viewer gets no Code
page and no code buttons; a coder gets no Users page; each coder codes a phrase and the
codings carry their logged-in names (read from the SQLite file). Screenshots of the login and
Users pages go to ``screenshots/browser_team_*.png`` (gitignored) for a person to look at.

Each ``page.goto`` starts a new Streamlit session (a login lasts as long as the tab's session),
so after logging in the tests move between pages with the sidebar's links, as a person would.
"""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from browser_support import (
    ROOT, app_env, fail_on_exception, launched_chromium, new_page, require_browser, select_js, streamlit_app,
)
from browser_support import db as _db
from browser_support import idle as _idle

pytestmark = pytest.mark.browser

SHOTS = ROOT / "screenshots"
MAIN = "[data-testid='stMain']"
SIDEBAR = "[data-testid='stSidebar']"
NAV = "[data-testid='stSidebarNav']"
DOC_NAME = "访谈_跨城通办"
PHRASE = "受理地和收件地跨城通办"
OTHER = "群众不用来回跑"
TRANSCRIPT = f"访谈记录：政务服务跨城通办\n\n受访者：{PHRASE}，{OTHER}。2023年起试点。\n\n访谈者：谢谢。\n"
CODE = "Social needs"
OWNER, OWNER_PW = "Olga", "owner-pass-123"
PEOPLE = {"Bo": ("coder", "bo-coder-pass-1"), "Cy": ("coder", "cy-coder-pass-2"), "Vic": ("viewer", "vic-viewer-3")}
PATHS = ["", "project", "documents", "code", "codebook", "retrieve", "search", "memos", "cities", "models",
         "joint", "cases", "report", "users"]


def _cli(*args: str, stdin: str | None = None) -> None:
    done = subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, input=stdin, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    require_browser()
    folder = tmp_path_factory.mktemp("team")
    project, home = folder / "team.sqlite", folder / "home"
    home.mkdir()
    source = folder / f"{DOC_NAME}.txt"
    source.write_text(TRANSCRIPT, encoding="utf-8")
    _cli("new", "--project", str(project))
    _cli("import", "--project", str(project), str(source))
    _cli("users", "add", "--project", str(project), "--name", OWNER, "--role", "owner", "--password-stdin",
         stdin=OWNER_PW + "\n")
    env = app_env(project, TANDEM_HOME=str(home), TANDEM_TEAM="1")
    env.pop("TANDEM_CODER", None)
    with streamlit_app("workbench.py", folder, project, env) as served:
        yield served


@pytest.fixture(scope="module")
def chromium(app):
    with launched_chromium() as browser:
        yield browser


@pytest.fixture
def tab(chromium):
    page = new_page(chromium, 1280, 900)
    page.set_default_timeout(60_000)  # generous: the machine is shared and spaCy loads on first use
    yield page
    page.close()


def _no_exception(app, page, where: str) -> None:
    fail_on_exception(app, page, where)


def _private(app) -> tuple[list[str], list[str]]:
    docs = [n for (n,) in _db(app, "SELECT name FROM documents")]
    codes = [n for (n,) in _db(app, "SELECT name FROM codes")]
    assert docs == [DOC_NAME] and CODE in codes
    return docs, codes


def _login_form(app, page, path: str = "") -> None:
    page.goto(f"{app.url}/{path}")
    page.get_by_role("button", name="Log in").wait_for()
    _idle(page)
    _no_exception(app, page, f"/{path}")


def _log_in(app, page, name: str, password: str) -> None:
    _login_form(app, page)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.locator(SIDEBAR).get_by_text(f"{name} (", exact=False).wait_for()
    _idle(page)
    _no_exception(app, page, f"the first page after {name}'s login")


def _nav_links(page) -> list[str]:
    """The sidebar's page titles (each link's last line; the icon's ligature name comes first)."""
    return [t.strip().splitlines()[-1].strip() for t in page.locator(f"{NAV} a").all_inner_texts()]


def _go(app, page, title: str, ready: str) -> None:
    page.locator(NAV).get_by_role("link", name=title, exact=True).click()
    page.wait_for_selector(f"{ready}, [data-testid='stException']")
    _idle(page)
    _no_exception(app, page, title)


def test_without_login_no_page_shows_a_document_a_code_or_a_number(app, tab):
    docs, codes = _private(app)
    for path in PATHS:
        _login_form(app, tab, path)
        visible = tab.locator("body").inner_text()
        hidden_too = tab.evaluate("document.getElementById('root').textContent")  # text not shown, too
        assert not re.search(r"\d", visible + hidden_too), (path, visible)
        for secret in docs + codes + [PHRASE, OTHER]:
            assert secret not in visible and secret not in hidden_too, (path, secret)
        assert tab.locator(NAV).count() == 0 and tab.locator(f"{SIDEBAR} button").count() == 0, path
        assert tab.locator("[data-testid='stMetric'], [data-testid='stDataFrame'], .tdm-sc-code").count() == 0
        if path == "":
            SHOTS.mkdir(exist_ok=True)
            tab.screenshot(path=str(SHOTS / "browser_team_login.png"), full_page=True)
        if path == "documents":  # Streamlit says the page is not found and runs the login page
            tab.screenshot(path=str(SHOTS / "browser_team_documents_before_login.png"), full_page=True)
    # a wrong password: one sentence, still nothing of the project, and the attempt is logged
    _login_form(app, tab, "")
    tab.get_by_label("Name", exact=True).fill(OWNER)
    tab.get_by_label("Password", exact=True).fill("not-the-password")
    tab.get_by_role("button", name="Log in").click()
    tab.get_by_text("The name or the password is wrong.").wait_for()
    assert not re.search(r"\d", tab.locator("body").inner_text())
    assert (OWNER, 0) in _db(app, "SELECT name, ok FROM login_attempts")
    assert tab.errors == []


def test_owner_creates_two_coders_and_a_viewer(app, tab):
    _log_in(app, tab, OWNER, OWNER_PW)
    assert "Users" in _nav_links(tab)
    _go(app, tab, "Users", f"{MAIN} [data-testid='stDataFrame']")
    main = tab.locator(MAIN)
    for name, (role, password) in PEOPLE.items():
        adder = main.locator("[data-testid='stExpander']").filter(has_text="Add a user")
        if not adder.locator("[data-testid='stForm']").is_visible():
            adder.locator("summary").click()
        form = adder.locator("[data-testid='stForm']")
        form.get_by_label("Name", exact=True).fill(name)
        form.get_by_label("Password", exact=True).fill(password)
        form.get_by_label("Repeat the password").fill(password)
        box = form.get_by_role("combobox", name="Role")
        if box.input_value() != role:
            box.click()
            tab.get_by_role("option", name=role, exact=True).click()
        form.get_by_role("button", name="Add user").click()
        main.get_by_text(f"Added {name} ({role}).").wait_for()
        _idle(tab)
        _no_exception(app, tab, "Users")
    rows = _db(app, "SELECT name, role, password_hash FROM users ORDER BY id")
    assert [(n, r) for n, r, _ in rows] == [(OWNER, "owner"), ("Bo", "coder"), ("Cy", "coder"), ("Vic", "viewer")]
    for (name, _, stored), password in zip(rows, [OWNER_PW] + [p for _, p in PEOPLE.values()]):
        assert stored.startswith("$argon2id$") and password not in stored
    assert "argon2" not in main.inner_text() and "argon2" not in tab.content()  # the table is a canvas: see the shot
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / "browser_team_users.png"), full_page=True)
    assert tab.errors == []


def test_a_viewer_cannot_code(app, tab):
    if len(_db(app, "SELECT id FROM users")) < 4:
        pytest.skip("needs the users made by test_owner_creates_two_coders_and_a_viewer")
    before = _db(app, "SELECT count(*) FROM codings")
    _log_in(app, tab, "Vic", PEOPLE["Vic"][1])
    links = _nav_links(tab)
    assert "Documents" in links and not {"Code", "Suggestions", "Users"} & set(links)
    assert tab.locator(SIDEBAR).get_by_role("button", name="Undo").count() == 0
    _go(app, tab, "Documents", f"{MAIN} [data-testid='stText']")
    assert PHRASE in tab.locator(MAIN).inner_text()  # reading is allowed
    assert tab.locator(".tdm-sc-code").count() == 0
    assert _db(app, "SELECT count(*) FROM codings") == before
    assert tab.errors == []


def test_a_coder_cannot_manage_users(app, tab):
    if len(_db(app, "SELECT id FROM users")) < 4:
        pytest.skip("needs the users made by test_owner_creates_two_coders_and_a_viewer")
    _log_in(app, tab, "Bo", PEOPLE["Bo"][1])
    links = _nav_links(tab)
    assert "Code" in links and "Users" not in links
    assert tab.get_by_role("button", name="Add user").count() == 0
    assert tab.locator(SIDEBAR).get_by_label("Coder").count() == 0  # no free-text coder box
    assert tab.errors == []


@pytest.mark.parametrize("name, phrase", [("Bo", PHRASE), ("Cy", OTHER)])
def test_a_coder_codes_under_the_logged_in_name(app, tab, name, phrase):
    if len(_db(app, "SELECT id FROM users")) < 4:
        pytest.skip("needs the users made by test_owner_creates_two_coders_and_a_viewer")
    _log_in(app, tab, name, PEOPLE[name][1])
    _go(app, tab, "Code", ".tdm-sc-text .tdm-sc-piece")
    (text,) = _db(app, "SELECT text FROM documents")[0]
    before = {row[0] for row in _db(app, "SELECT id FROM codings")}
    assert tab.evaluate(select_js("sel.toString()"), phrase) == phrase
    tab.locator(".tdm-sc-code", has_text=CODE).click()
    deadline_rows = None
    for _ in range(300):
        rows = _db(app, 'SELECT id, coder, start, "end" FROM codings')
        deadline_rows = [r for r in rows if r[0] not in before]
        if deadline_rows:
            break
        tab.wait_for_timeout(100)
    assert deadline_rows, f"no coding stored\n{app.log.read_text(errors='replace')}"
    ((_, coder, start, end),) = deadline_rows
    assert coder == name and text[start:end] == phrase
    (who,) = _db(app, "SELECT coder FROM events WHERE type = 'coding_add' ORDER BY id DESC LIMIT 1")[0]
    assert who == name
    _idle(tab)
    _no_exception(app, tab, "Code")
    assert tab.errors == []
