"""The workbench's login gate and roles in team mode, and the single-user Project page's path rules
(Streamlit AppTest on a copy of the demo project: real documents, codes and numbers to not leak)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

import coding
import store
import team
import team.passwords as passwords

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["ui/project.py", "ui/documents.py", "ui/code.py", "ui/codebook.py", "ui/cities.py", "ui/models.py",
         "ui/joint.py", "ui/cases.py", "ui/report.py", "ui/retrieve.py", "ui/search.py", "ui/suggestions.py",
         "ui/matrices.py", "ui/memos.py", "ui/agreement.py", "ui/runs.py", "ui/map.py", "ui/network.py",
         "ui/worklist.py", "ui/users.py", "ui/exchange.py", "ui/frequencies.py", "ui/attributes.py", "ui/semantic.py"]
PASSWORDS = {"Olga": "owner-pass-123", "Bo": "coder-pass-456", "Vic": "viewer-pass-789"}
ROLES = {"Olga": "owner", "Bo": "coder", "Vic": "viewer"}
KINDS = ["title", "header", "subheader", "markdown", "caption", "text", "metric", "error", "warning", "info",
         "success", "code", "json", "latex", "exception"]


@pytest.fixture(scope="module")
def demo_with_team(tmp_path_factory):
    """The demo project with an owner, a coder and a viewer."""
    from demo_runs import demo_copy

    path = tmp_path_factory.mktemp("team_ui") / "demo.sqlite"
    demo_copy(path)
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        for name, role in ROLES.items():
            team.add_user(s, name, PASSWORDS[name], role)
    engine.dispose()
    return path


@pytest.fixture
def project(demo_with_team, tmp_path):
    path = tmp_path / "demo.sqlite"
    shutil.copy(demo_with_team, path)
    return path


def read(path, func, *args, **kwargs):
    engine = store.connect(path)
    try:
        with store.session_scope(engine) as s:
            return func(s, *args, **kwargs)
    finally:
        engine.dispose()


def app(path, monkeypatch, *, team_mode: bool = True) -> AppTest:
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    if team_mode:
        monkeypatch.setenv("TANDEM_TEAM", "1")
    else:
        monkeypatch.delenv("TANDEM_TEAM", raising=False)
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest) -> str:
    """Every text the app shows, main area and sidebar, one per line."""
    out = []
    for kind in KINDS:
        for el in at.get(kind):
            out.append(str(getattr(el, "value", "")) + " " + str(getattr(el, "label", "") or ""))
    for kind in ("text_input", "selectbox", "button", "dataframe", "table", "checkbox", "expander", "tabs"):
        for el in at.get(kind):
            out.append(str(getattr(el, "label", "") or ""))
            if kind in ("dataframe", "table"):
                out.append(el.value.to_string())
            if kind == "selectbox":
                out.extend(str(o) for o in el.options)
    return "\n".join(out)


def log_in(at: AppTest, name: str, password: str | None = None) -> AppTest:
    fields = {t.label: t for t in at.text_input}
    fields["Name"].set_value(name)
    fields["Password"].set_value(PASSWORDS[name] if password is None else password)
    next(b for b in at.button if b.label == "Log in").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _private_values(path) -> tuple[set[str], set[str]]:
    docs = set(read(path, coding.documents)["name"])
    codes = set(read(path, coding.codebook)["name"])
    return docs, codes


def registered(at: AppTest) -> list[str]:
    """The pages st.navigation was given in the last run (their script paths relative to the repo)."""
    try:
        at.switch_page("ui/state.py")  # a file that is never a page
    except ValueError as err:
        known = re.search(r"Known pages: \[(.*)\]", str(err)).group(1)
        return sorted(str(Path(p.strip(" '")).relative_to(ROOT)) for p in known.split(","))
    raise AssertionError("switch_page accepted a page that does not exist")


def test_before_login_no_page_shows_a_document_a_code_or_a_number(project, monkeypatch):
    at = app(project, monkeypatch)
    docs, codes = _private_values(project)
    assert docs and codes
    assert registered(at) == ["ui/login.py"]  # st.navigation got nothing else: no page can be run
    for page in PAGES:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    text = shown(at)
    assert [t.value for t in at.title] == ["Tandem"]
    assert [t.label for t in at.text_input] == ["Name", "Password"]
    assert not re.search(r"\d", text), text
    assert not [d for d in docs if d in text] and not [c for c in codes if c in text]
    assert not at.sidebar.markdown and not at.sidebar.text and not at.sidebar.button
    assert not at.metric and not at.dataframe


def test_a_wrong_password_is_refused_with_one_sentence_and_logged(project, monkeypatch):
    at = log_in(app(project, monkeypatch), "Olga", "not-her-password")
    assert [e.value for e in at.error] == ["The name or the password is wrong."]
    assert [t.value for t in at.title] == ["Tandem"]
    rows = read(project, lambda s: s.execute(select(store.LoginAttempt.name, store.LoginAttempt.ok)).all())
    assert [tuple(r) for r in rows] == [("Olga", 0)]


def test_the_logged_in_coder_is_the_coder_and_cannot_manage_users(project, monkeypatch):
    at = log_in(app(project, monkeypatch), "bo", PASSWORDS["Bo"])  # the name is matched case-blind
    assert not at.error
    assert [t.value for t in at.title] == ["Project"]
    assert [t.value for t in at.sidebar.text] == ["Bo (coder)"]
    assert "Coder" not in [t.label for t in at.text_input]  # no free-text coder box
    assert "Log out" in [b.label for b in at.sidebar.button]
    assert "Open or create another project" not in shown(at)  # the project is the server's
    pages = registered(at)
    assert "ui/users.py" not in pages and {"ui/code.py", "ui/suggestions.py", "ui/memos.py"} <= set(pages)
    # a memo written by the coder carries the logged-in name
    at.switch_page("ui/memos.py")
    at.run()
    n = len(read(project, coding.list_memos))
    at.text_area(key="memo_new_text").set_value("Seen in the field.")
    at.button(key="memo_new_go").click()
    at.run()
    assert not at.error, [e.value for e in at.error]
    memos = read(project, coding.list_memos)
    assert len(memos) == n + 1 and memos["author"].iloc[-1] == "Bo"
    # the codebook is an owner's: the page shows no editing forms, and says why
    at.switch_page("ui/codebook.py")
    at.run()
    assert "Add code" not in [b.label for b in at.button]
    assert "Your role (coder) may read and export the codebook; changing it is for owners." in [
        c.value for c in at.caption]


def test_a_viewer_gets_no_coding_pages_no_undo_and_no_writes(project, monkeypatch):
    at = log_in(app(project, monkeypatch), "Vic")
    assert [t.value for t in at.sidebar.text] == ["Vic (viewer)"]
    assert not [b for b in at.sidebar.button if b.label in ("Undo", "Redo")]
    pages = registered(at)
    assert not {"ui/code.py", "ui/suggestions.py", "ui/users.py"} & set(pages)
    assert {"ui/documents.py", "ui/retrieve.py", "ui/memos.py", "ui/report.py"} <= set(pages)
    at.switch_page("ui/memos.py")
    at.run()
    assert "memo_new_go" not in [b.key for b in at.button]  # no memo form for a viewer, and why
    assert "Your role (viewer) may read memos; writing them is for coders and owners." in [
        c.value for c in at.caption]
    for page in ("ui/documents.py", "ui/codebook.py", "ui/cities.py"):  # no import or edit forms either
        at.switch_page(page)
        at.run()
        assert not at.error, page
        assert not {"Import", "Import new version", "Add code", "Load cities", "Load dyads", "Build dyads"} & {
            b.label for b in at.button}, page


def test_an_owner_adds_a_user_on_the_users_page_and_cannot_remove_the_last_owner(project, monkeypatch):
    at = log_in(app(project, monkeypatch), "Olga")
    assert registered(at) == sorted(PAGES)  # an owner gets every page, Users too
    at.switch_page("ui/users.py")
    at.run()
    assert [t.value for t in at.title] == ["Users"]
    listed = at.dataframe[0].value
    assert list(zip(listed["name"], listed["role"])) == [("Olga", "owner"), ("Bo", "coder"), ("Vic", "viewer")]
    assert "password" not in " ".join(listed.columns) and "argon2" not in listed.to_string()
    form = {t.label: t for t in at.text_input}
    form["Name"].set_value("Ｄａｎ")  # full-width: stored as "Dan"
    form["Password"].set_value("dan-pass-1234")
    form["Repeat the password"].set_value("dan-pass-1234")
    next(b for b in at.button if b.label == "Add user").click()
    at.run()
    assert [s.value for s in at.success] == ["Added Dan (coder)."]
    stored = read(project, lambda s: s.scalar(select(store.User.password_hash).where(store.User.name == "Dan")))
    assert PasswordHasher().verify(stored, "dan-pass-1234") and "dan-pass-1234" not in stored
    remove = next(s for s in at.selectbox if s.key == "users_remove_who")
    remove.set_value("Olga")
    next(c for c in at.checkbox if c.label.startswith("Yes, remove")).check()
    next(b for b in at.button if b.label == "Remove user").click()
    at.run()
    assert [e.value for e in at.error] == [
        "'Olga' is the last owner and cannot be removed; make another user an owner first."]
    assert read(project, team.get_user, "Olga")["role"] == "owner"


def test_logging_out_forgets_the_session_and_a_removed_user_is_logged_out(project, monkeypatch):
    at = log_in(app(project, monkeypatch), "Bo")
    at.switch_page("ui/memos.py")
    at.run()
    next(b for b in at.sidebar.button if b.label == "Log out").click()
    at.run()
    assert [t.value for t in at.title] == ["Tandem"] and "tandem_user" not in at.session_state
    log_in(at, "Bo")
    assert [t.value for t in at.sidebar.text] == ["Bo (coder)"]
    read(project, team.remove_user, "Bo")  # an owner removes Bo elsewhere
    at.run()
    assert [t.value for t in at.title] == ["Tandem"]


def test_login_is_rate_limited_in_the_page(project, monkeypatch):
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    passwords._dummy_hash.cache_clear()
    at = app(project, monkeypatch)
    for _ in range(5):
        log_in(at, "Vic", "wrong-password-0")
    log_in(at, "Vic")  # the right password, refused unchecked
    (message,) = [e.value for e in at.error]
    minutes = re.fullmatch(r"Too many failed logins; try again in (\d+) minutes?\.", message)
    assert minutes and 1 <= int(minutes.group(1)) <= 15, message
    assert [t.value for t in at.title] == ["Tandem"]
    passwords._dummy_hash.cache_clear()


def test_a_typo_in_tandem_team_shows_one_sentence_and_nothing_else(project, monkeypatch):
    monkeypatch.setenv("TANDEM_PROJECT", str(project))
    monkeypatch.setenv("TANDEM_TEAM", "yes please")
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.run()
    assert [e.value for e in at.error] == [
        "TANDEM_TEAM='yes please' is not understood; use 1 for team mode or 0 for single-user mode."]
    assert not at.title and not at.text_input


def test_the_project_setting_turns_team_mode_on_without_the_environment(project, monkeypatch):
    read(project, team.set_team_mode, True)
    at = app(project, monkeypatch, team_mode=False)
    assert [t.value for t in at.title] == ["Tandem"] and [t.label for t in at.text_input] == ["Name", "Password"]


# --- single-user Project page ------------------------------------------------------------------

def _open_typed(at: AppTest, typed: str) -> AppTest:
    next(t for t in at.text_input if t.label.startswith("Project file")).set_value(typed)
    next(b for b in at.button if b.label.startswith("Open")).click()
    at.run()
    assert not at.exception
    return at


def test_single_user_project_page_opens_only_project_files_in_existing_folders(project, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "last_project.txt").write_text(str(project), encoding="utf-8")
    monkeypatch.setenv("TANDEM_HOME", str(home))
    monkeypatch.delenv("TANDEM_PROJECT", raising=False)
    monkeypatch.delenv("TANDEM_TEAM", raising=False)
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.run()
    assert not at.exception and [t.value for t in at.title] == ["Project"]
    assert "Coder" in [t.label for t in at.text_input]  # single-user: the coder box as before

    _open_typed(at, str(tmp_path / "notes.txt"))
    assert [e.value for e in at.error] == ["'notes.txt' is not a project file name; it must end in .sqlite or .tandem."]
    _open_typed(at, str(tmp_path / "nowhere" / "x.sqlite"))
    assert [e.value for e in at.error] == [
        f"The folder {tmp_path / 'nowhere'} does not exist; create it first (Tandem never creates folders)."]
    assert not (tmp_path / "nowhere").exists()

    new = tmp_path / "fresh.tandem"
    _open_typed(at, str(new))
    assert not at.error, [e.value for e in at.error]
    assert new.is_file() and at.session_state["tandem_project"] == str(new)
    assert (home / "last_project.txt").read_text(encoding="utf-8") == str(new)
    assert len(read(new, coding.codebook)) > 0  # a new project gets the default codebook


def test_an_owner_undoes_a_coders_change_from_the_sidebar_and_the_history_says_who(project, monkeypatch):
    def bo_codes(s):
        doc_id = int(coding.documents(s)["id"].iloc[0])
        text = coding.document_text(s, doc_id)
        code_id = int(coding.codebook(s).query("codable")["id"].iloc[0])
        return coding.add_coding(s, doc_id, 0, min(4, len(text)), [code_id], coder="Bo")[0]

    cid = read(project, bo_codes)
    at = log_in(app(project, monkeypatch), "Olga")
    whose = next(s for s in at.sidebar.selectbox if s.label == "Undo and redo changes of")
    assert whose.options == ["Olga", "Bo", "Vic"] and whose.value == "Olga"
    whose.set_value("Bo")
    at.run()
    undo = next(b for b in at.sidebar.button if b.label == "Undo")
    assert not undo.disabled
    undo.click()
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert read(project, lambda s: s.get(store.Coding, cid)) is None
    last = read(project, lambda s: s.execute(select(store.Event.type, store.Event.coder)
                                             .order_by(store.Event.id.desc()).limit(1)).one())
    assert tuple(last) == ("undo", "Olga")


def test_a_coder_has_no_choice_of_whose_changes_to_undo(project, monkeypatch):
    at = log_in(app(project, monkeypatch), "Bo", PASSWORDS["Bo"])
    assert not [s for s in at.sidebar.selectbox if s.label == "Undo and redo changes of"]


def test_an_unreadable_team_project_tells_the_visitor_nothing_but_that(tmp_path, monkeypatch):
    bad = tmp_path / "secret-study.sqlite"
    bad.write_text("not a database " * 100, encoding="utf-8")
    monkeypatch.setenv("TANDEM_PROJECT", str(bad))
    monkeypatch.setenv("TANDEM_TEAM", "1")
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["The team's project cannot be opened now; the server's log says why."]
    assert "secret-study" not in shown(at) and not at.text_input


def test_a_password_reset_ends_the_users_open_session_but_not_ones_own(project, monkeypatch):
    bo = log_in(app(project, monkeypatch), "Bo", PASSWORDS["Bo"])
    olga = log_in(app(project, monkeypatch), "Olga")
    olga.switch_page("ui/users.py")
    olga.run()
    for who, new in (("Bo", "bo-new-pass-1234"), ("Olga", "olga-new-pass-1234")):
        next(s for s in olga.selectbox if s.key == "users_passwd_who").set_value(who)
        fields = {t.label: t for t in olga.text_input}
        fields["New password"].set_value(new)
        fields["Repeat the new password"].set_value(new)
        next(b for b in olga.button if b.label == "Set password").click()
        olga.run()
        assert not olga.error, [e.value for e in olga.error]
    assert [s.value for s in olga.success] == ["Changed the password of Olga."]
    assert [t.value for t in olga.sidebar.text] == ["Olga (owner)"]  # still logged in
    bo.run()
    assert [t.value for t in bo.title] == ["Tandem"]  # Bo's session ended with the reset
    log_in(bo, "Bo", "bo-new-pass-1234")
    assert [t.value for t in bo.sidebar.text] == ["Bo (coder)"]


# --- a viewer sees no editing controls on the run pages (Cases, Joint display, Models) ----------

def _with_connection_run(path) -> str:
    """Save a small connection run and one judgement of its first term; return the term."""
    from mixed.meta import set_meta_inference
    from quant.runs import saved as runs

    def go(s):
        _, result = runs.fit_and_save(s, "conn viewer", "connection", formula="connection ~ log_distance",
                                      by="Bo")
        term = "log_distance"
        set_meta_inference(s, "connection", term, "expansion", "Bo's field note 甲", author="Bo",
                           formula=result.formula)
        return term

    return read(path, go)


def _run_pages(at: AppTest) -> dict[str, AppTest]:
    out = {}
    for page in ("ui/cases.py", "ui/joint.py", "ui/models.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        out[page] = {"buttons": {b.label for b in at.button}, "captions": [c.value for c in at.caption],
                     "selects": {s.label for s in at.selectbox}, "areas": {t.label for t in at.text_area},
                     "editors": len(at.get("arrow_data_frame")), "popovers": len(at.get("popover")),
                     "markdown": [m.value for m in at.markdown], "text": [t.value for t in at.text],
                     "frames": [list(d.value.columns) for d in at.dataframe]}
    return out


def test_a_viewer_sees_run_pages_read_only_and_a_coder_sees_the_controls(project, monkeypatch):
    _with_connection_run(project)
    viewer = _run_pages(log_in(app(project, monkeypatch), "Vic"))
    coder = _run_pages(log_in(app(project, monkeypatch), "Bo"))
    # Cases: a read-only table (no tick column), no add button, one caption saying why
    cases_v, cases_c = viewer["ui/cases.py"], coder["ui/cases.py"]
    assert not [b for b in cases_v["buttons"] if b.startswith("Add ")]
    assert cases_v["frames"] and not [f for f in cases_v["frames"] if "tick" in f]
    assert [c for c in cases_v["captions"] if c.startswith("Your role (viewer) may read and export")] == [
        "Your role (viewer) may read and export cases; putting them on the worklist is for coders and owners."]
    assert "Add 0 ticked case(s) to the worklist" in cases_c["buttons"]
    assert not [c for c in cases_c["captions"] if c.startswith("Your role")]
    # Joint display: the stored judgement (badge and note) without select, note box or save button
    joint_v, joint_c = viewer["ui/joint.py"], coder["ui/joint.py"]
    assert "Meta-inference" not in joint_v["selects"] and "Note" not in joint_v["areas"]
    assert "Save judgement" not in joint_v["buttons"]
    assert "Meta-inference: :blue-badge[expansion]" in joint_v["markdown"]
    assert "Bo's field note 甲" in joint_v["text"]
    assert sum(c.startswith("Your role (viewer) may read and export") for c in joint_v["captions"]) == 1
    assert "Meta-inference" in joint_c["selects"] and "Note" in joint_c["areas"]
    assert "Save judgement" in joint_c["buttons"]
    # Models: Fit stays (it writes nothing); saving a specification, a run or a covariate does not
    models_v, models_c = viewer["ui/models.py"], coder["ui/models.py"]
    assert "Fit" in models_v["buttons"] and "Fit" in models_c["buttons"]
    assert models_v["popovers"] == 0 and models_c["popovers"] == 1  # "Save this specification"
    assert not {"Save as run", "Save", "Create variable", "Delete"} & models_v["buttons"]
    assert {"Save as run", "Create variable"} <= models_c["buttons"]
    assert [c for c in models_v["captions"] if "may not save" in c] == [
        "Your role (viewer) may fit, read and export models but may not save runs, specifications or "
        "covariates; that is for coders and owners."]
