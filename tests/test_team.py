"""team/: password hashing, users, logins with rate limiting, roles, the session guard, team mode,
project paths, and ``python cli.py users``.

Expected values are worked out by hand from the rules in each module's docstring (5 failures
per name and 20 per source in a 15-minute window; RFC 9106's low-memory argon2id profile).
Rate limiting is tested with explicit timestamps (``now=``), never by sleeping.
"""
from __future__ import annotations

import io
import subprocess
import sys
import unicodedata
from argparse import Namespace
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy import select, text

import coding
import store
import team
import team.passwords as passwords
from corpus.names import BadNameError
from team.cli import read_password, run
from team.guard import statement_action
from team.login import MAX_FAILURES_PER_NAME, MAX_FAILURES_PER_SOURCE, WINDOW, WRONG

ROOT = Path(__file__).resolve().parent.parent
OWNER_PW = "owner-pass-123"
CODER_PW = "coder-pass-456"


@pytest.fixture
def cheap_hashing(monkeypatch):
    """Cheaper argon2 parameters for tests about logic, not hashing (the same code path)."""
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    passwords._dummy_hash.cache_clear()
    yield
    passwords._dummy_hash.cache_clear()


def _raw_hash(session, name: str) -> str:
    return session.execute(text("SELECT password_hash FROM users WHERE name = :n"), {"n": name}).scalar_one()


def _attempts(session) -> list[tuple[str, int, str]]:
    rows = session.execute(select(store.LoginAttempt.name, store.LoginAttempt.ok, store.LoginAttempt.source)
                           .order_by(store.LoginAttempt.id))
    return [tuple(r) for r in rows]


# --- passwords -------------------------------------------------------------------------------

def test_stored_hash_is_argon2id_verifies_with_argon2_and_is_never_the_password(engine):
    with store.session_scope(engine) as s:
        team.add_user(s, "Olga", OWNER_PW, "owner")
        team.add_user(s, "Bo", OWNER_PW, "coder")  # the same password
    with store.session_scope(engine) as s:
        olga, bo = _raw_hash(s, "Olga"), _raw_hash(s, "Bo")
    for stored in (olga, bo):
        assert OWNER_PW not in stored
        # RFC 9106 "low memory" profile, argon2-cffi's default: 64 MiB, 3 passes, 4 lanes
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert PasswordHasher().verify(stored, OWNER_PW) is True  # argon2 directly, not our wrapper
        with pytest.raises(VerifyMismatchError):
            PasswordHasher().verify(stored, OWNER_PW + "x")
    assert olga != bo  # a random salt per hash


def test_functions_never_return_a_hash_or_password(engine, cheap_hashing):
    with store.session_scope(engine) as s:
        made = team.add_user(s, "Olga", OWNER_PW, "owner")
        listed = team.list_users(s)
        changed = team.set_password(s, "Olga", "another-pass-789")
    for row in [made, changed, *listed]:
        assert set(row) == {"name", "role", "created"}
        assert not any("argon2" in str(v) or "pass" in str(v) for v in row.values())


@pytest.mark.parametrize("password, user, message", [
    ("123456789", None, "9 characters long; use at least 10"),
    ("x" * 1025, None, "1025 characters long; at most 1024"),
    ("good-pass\nword", None, "control character"),
    ("Olga-Olga-Olga", "olga-olga-olga", "is the user name"),
    (12345678901, None, "must be text"),
])
def test_password_rules_refuse_with_one_sentence(password, user, message):
    with pytest.raises(team.TeamError) as err:
        passwords.check_password(password, user)
    assert message in str(err.value)
    assert str(password) not in str(err.value)  # the password is never echoed
    assert str(err.value).count(". ") == 0 and str(err.value).endswith(".")


def test_password_of_exactly_ten_characters_and_nfc_forms_verify(cheap_hashing):
    assert passwords.check_password("0123456789") == "0123456789"
    composed = "café-passwort"  # é as one code point
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    stored = passwords.hash_password(composed)
    assert passwords.verify(stored, decomposed) and passwords.verify(stored, composed)
    assert not passwords.verify(stored, "cafe-passwort")
    assert not passwords.verify("not a hash", composed) and not passwords.verify(stored, None)


# --- users -----------------------------------------------------------------------------------

def test_names_are_cleaned_and_lookalikes_cannot_sit_beside_each_other(engine, cheap_hashing):
    with store.session_scope(engine) as s:
        assert team.add_user(s, "Ｍａｒｋ", OWNER_PW, "owner")["name"] == "Mark"  # full-width -> ASCII
        for twin in ("Mark\u200b", "mark", " MARK ", "Ｍark"):
            with pytest.raises(team.TeamError, match="A user named 'Mark' already exists"):
                team.add_user(s, twin, CODER_PW, "coder")
        with pytest.raises(BadNameError, match="right-to-left override"):
            team.add_user(s, "Ma\u202erk", CODER_PW, "coder")
        with pytest.raises(BadNameError, match="line break"):
            team.add_user(s, "Ma\nrk", CODER_PW, "coder")
        with pytest.raises(team.TeamError, match="Role 'admin' is unknown"):
            team.add_user(s, "Ann", CODER_PW, "admin")
        assert team.get_user(s, "MARK")["name"] == "Mark"
        assert [u["name"] for u in team.list_users(s)] == ["Mark"]


def test_the_last_owner_cannot_be_removed_or_demoted(engine, cheap_hashing):
    with store.session_scope(engine) as s:
        team.add_user(s, "Olga", OWNER_PW, "owner")
        team.add_user(s, "Bo", CODER_PW, "coder")
    with store.session_scope(engine) as s:
        with pytest.raises(team.TeamError, match="'Olga' is the last owner and cannot be removed"):
            team.remove_user(s, "olga")
        with pytest.raises(team.TeamError, match="'Olga' is the last owner and must stay an owner"):
            team.set_role(s, "Olga", "coder")
        assert team.set_role(s, "Bo", "owner")["role"] == "owner"
        gone = team.remove_user(s, "Olga")
        assert (gone["name"], gone["role"]) == ("Olga", "owner")
    with store.session_scope(engine) as s:
        assert [(u["name"], u["role"]) for u in team.list_users(s)] == [("Bo", "owner")]
        with pytest.raises(team.TeamError, match="last owner"):
            team.remove_user(s, "Bo")
        with pytest.raises(team.TeamError, match="There is no user named 'Nobody'"):
            team.remove_user(s, "Nobody")


# --- logins and rate limiting ----------------------------------------------------------------

@pytest.fixture
def users(engine, cheap_hashing):
    with store.session_scope(engine) as s:
        team.add_user(s, "Mark", OWNER_PW, "owner")
        team.add_user(s, "Bo", CODER_PW, "coder")
    return engine


def _login(engine, name, password, at, source=""):
    with store.session_scope(engine) as s:
        r = team.attempt_login(s, name, password, source, now=at)
        return (r.ok, r.name, r.role, r.message)


def test_login_ok_wrong_password_and_unknown_name_get_the_same_sentence(users):
    t0 = store.utcnow()
    assert _login(users, "mark", OWNER_PW, t0) == (True, "Mark", "owner", "")  # case-blind name
    assert _login(users, "Mark", CODER_PW, t0) == (False, None, None, WRONG)
    assert _login(users, "Nobody", OWNER_PW, t0) == (False, None, None, WRONG)
    assert _login(users, "Ma\u202erk", OWNER_PW, t0) == (False, None, None, WRONG)
    with store.session_scope(users) as s:
        assert _attempts(s) == [("Mark", 1, ""), ("Mark", 0, ""), ("nobody", 0, ""), ("mark", 0, "")]


def test_unknown_names_cost_one_argon2_verification_like_wrong_passwords(users, monkeypatch):
    calls = []

    class Counting(PasswordHasher):
        def verify(self, hash, password):
            calls.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "_HASHER", Counting(time_cost=1, memory_cost=1024, parallelism=1))
    passwords._dummy_hash.cache_clear()
    dummy = passwords._dummy_hash()
    t0 = store.utcnow()
    _login(users, "Nobody", "whatever-123", t0)
    _login(users, "Bo", "whatever-123", t0)
    assert len(calls) == 2
    assert calls[0] == dummy and calls[1] != dummy


def test_five_failures_lock_the_name_until_the_oldest_leaves_the_window(users):
    t0 = store.utcnow() - timedelta(hours=1)
    for i in range(MAX_FAILURES_PER_NAME):  # failures at t0, t0+1min, ..., t0+4min
        assert _login(users, "MARK" if i % 2 else "Mark", "wrong-password", t0 + timedelta(minutes=i))[0] is False
    # at t0+5min, even the right password is refused: the lock ends at t0 + 15 min, in 10 minutes
    assert _login(users, "Mark", OWNER_PW, t0 + timedelta(minutes=5)) == (
        False, None, None, "Too many failed logins; try again in 10 minutes.")
    # refused attempts do not extend the lock: at t0+14min59s one minute (rounded up) is left
    assert _login(users, "mark", OWNER_PW, t0 + timedelta(minutes=14, seconds=59))[3] == \
        "Too many failed logins; try again in 1 minute."
    # the other user is not locked
    assert _login(users, "Bo", CODER_PW, t0 + timedelta(minutes=6))[0] is True
    # at t0+15min+1s the first failure has left the window: 4 remain, below 5
    assert _login(users, "Mark", OWNER_PW, t0 + WINDOW + timedelta(seconds=1))[:3] == (True, "Mark", "owner")
    with store.session_scope(users) as s:
        oks = [ok for name, ok, _ in _attempts(s) if name == "Mark"]
    assert oks == [0, 0, 0, 0, 0, -1, -1, 1]  # every attempt logged; -1 = refused unchecked


def test_unknown_names_are_locked_alike_so_a_lock_tells_nothing(users):
    t0 = store.utcnow() - timedelta(hours=1)
    for i in range(MAX_FAILURES_PER_NAME):
        _login(users, "Ghost", "wrong-password", t0 + timedelta(seconds=i))
    assert _login(users, "ghost", "wrong-password", t0 + timedelta(minutes=1))[3].startswith("Too many failed logins")


def test_a_success_resets_the_count(users):
    t0 = store.utcnow() - timedelta(hours=1)
    for i in range(MAX_FAILURES_PER_NAME - 1):
        _login(users, "Bo", "wrong-password", t0 + timedelta(seconds=i))
    assert _login(users, "Bo", CODER_PW, t0 + timedelta(seconds=10))[0] is True
    assert _login(users, "Bo", "wrong-password", t0 + timedelta(seconds=11))[3] == WRONG  # 1 since the success
    assert _login(users, "Bo", CODER_PW, t0 + timedelta(seconds=12))[0] is True


def test_twenty_failures_from_one_address_lock_that_address_only(users):
    t0 = store.utcnow() - timedelta(hours=1)
    for i in range(MAX_FAILURES_PER_SOURCE):  # 20 names, one failure each: no name is locked
        _login(users, f"guess{i}", "wrong-password", t0 + timedelta(seconds=i), source="10.9.8.7")
    assert _login(users, "Bo", CODER_PW, t0 + timedelta(minutes=1), source="10.9.8.7")[3] == \
        "Too many failed logins; try again in 14 minutes."  # the first failure leaves at t0 + 15 min
    assert _login(users, "Bo", CODER_PW, t0 + timedelta(minutes=1), source="10.9.8.8")[0] is True
    assert _login(users, "Bo", CODER_PW, t0 + timedelta(minutes=1), source="")[0] is True


# --- roles and the guard ---------------------------------------------------------------------

EXPECTED = {  # the table, by hand
    "owner": {"manage_users", "codebook", "project", "unblind", "undo_others", "code", "memo", "link", "fit",
              "read", "export"},
    "coder": {"code", "memo", "link", "fit", "read", "export"},
    "viewer": {"read", "export"},
}


@pytest.mark.parametrize("role", team.ROLES)
@pytest.mark.parametrize("action", sorted(team.ACTIONS))
def test_roles_match_the_table(role, action):
    assert team.allowed(role, action) is (action in EXPECTED[role])
    if action in EXPECTED[role]:
        team.require(role, action)
    else:
        with pytest.raises(team.AccessDenied) as err:
            team.require(role, action)
        assert isinstance(err.value, ValueError)
        assert str(err.value).startswith(f"A {role} may not ") and str(err.value).endswith("; ask an owner.")


def test_unknown_actions_and_roles_open_nothing():
    with pytest.raises(team.TeamError, match="Action 'delete_everything' is unknown"):
        team.allowed("owner", "delete_everything")
    assert team.allowed("admin", "read") is False
    with pytest.raises(team.AccessDenied, match="Log in first"):
        team.require(None, "read")


@pytest.mark.parametrize("sql, action", [
    ("SELECT id FROM codes", "read"),
    ("  with recursive t(id) as (select 1) select * from t", "read"),
    ('INSERT INTO codings (document_id) VALUES (?)', "code"),
    ('INSERT INTO "codes" (name) VALUES (?)', "codebook"),
    ("UPDATE events SET undone=? WHERE events.id = ?", "code"),
    ("DELETE FROM users WHERE users.id = ?", "manage_users"),
    ("INSERT OR REPLACE INTO project_info (key, value) VALUES (?, ?)", "project"),
    ("DROP TABLE codings", "project"),
    ("ALTER TABLE codes ADD COLUMN x", "project"),
    ("INSERT INTO some_new_table (x) VALUES (1)", "project"),
])
def test_statement_actions(sql, action):
    assert statement_action(sql) == action


@pytest.fixture
def coded_project(engine, cheap_hashing):
    """tests/coding_state.py's small real project (cities, a document, codes, codings, links, memos),
    made by the owner; returns (engine, ids)."""
    from coding_state import TEXT, base_project

    with store.session_scope(engine) as s:
        ids = base_project(s, coder="Mark")
    ids["start"] = TEXT.index("跨城通办")
    return engine, ids


def _count(engine, model) -> int:
    with store.session_scope(engine) as s:
        return len(s.scalars(select(model.id)).all())


def test_a_coder_session_codes_links_and_memos_but_cannot_change_the_codebook_or_users(coded_project):
    engine, ids = coded_project
    doc_id, code_id, start = ids["doc"], ids["trust"], ids["start"]
    with store.session_scope(engine) as s:
        team.protect(s, "coder")
        (cid,) = coding.add_coding(s, doc_id, start, start + 4, [code_id], coder="Bo")
        coding.add_memo(s, "coding", cid, "why", author="Bo")
        coding.link_city(s, cid, "320500", coder="Bo")
        coding.link_dyad(s, cid, "310000", "330100", coder="Bo")  # makes the dyad too
        coding.undo(s, "Bo")  # the dyad link, undone
    with store.session_scope(engine) as s:
        assert s.execute(select(store.Coding.coder).where(store.Coding.id == cid)).scalar_one() == "Bo"
    codes, events = _count(engine, store.Code), _count(engine, store.Event)
    for call in (lambda s: coding.add_code(s, "New code", coder="Bo"),
                 lambda s: coding.delete_code(s, code_id, force=True),
                 lambda s: team.add_user(s, "Eve", "eve-pass-1234", "owner"),
                 lambda s: s.execute(text("DELETE FROM codes")),
                 lambda s: s.execute(text("UPDATE users SET role = 'owner'"))):
        with pytest.raises(team.AccessDenied, match="^A coder may not "):
            with store.session_scope(engine) as s:
                team.protect(s, "coder")
                call(s)
    assert (_count(engine, store.Code), _count(engine, store.Event)) == (codes, events)  # nothing written
    with store.session_scope(engine) as s:  # an unguarded session afterwards is unaffected
        assert coding.add_code(s, "Owner's code", coder="Mark") > 0


def test_a_viewer_session_reads_but_writes_nothing(coded_project):
    engine, ids = coded_project
    codings = _count(engine, store.Coding)
    with store.session_scope(engine) as s:
        team.protect(s, "viewer")
        assert coding.documents(s)["name"].tolist() == ["访谈1"]
        assert "Trust" in set(coding.codebook(s)["name"])
    for call, what in ((lambda s: coding.add_coding(s, ids["doc"], ids["start"], ids["start"] + 4, [ids["trust"]],
                                                    coder="Vic"), "code"),
                       (lambda s: coding.add_memo(s, "code", ids["trust"], "mine", author="Vic"), "write memos"),
                       (lambda s: coding.undo(s, "Mark"), "write memos")):  # Mark's last change: a memo
        with pytest.raises(team.AccessDenied, match=f"^A viewer may not {what}; ask an owner.$"):
            with store.session_scope(engine) as s:
                team.protect(s, "viewer")
                call(s)
    assert _count(engine, store.Coding) == codings


def test_an_owner_may_undo_a_coders_change_and_the_log_says_who(coded_project):
    engine, ids = coded_project
    start = ids["start"]
    n = _count(engine, store.Coding)
    with store.session_scope(engine) as s:
        coding.add_coding(s, ids["doc"], start, start + 4, [ids["trust"]], coder="Bo")
    with store.session_scope(engine) as s:
        done = coding.undo(s, "Bo", by="Mark")
    assert done["coder"] == "Bo" and done["summary"].startswith(f"coded [{start}, {start + 4})")
    with store.session_scope(engine) as s:
        log = s.execute(select(store.Event.type, store.Event.coder).order_by(store.Event.id)).all()
        assert log[-1] == ("undo", "Mark")
        assert _count(engine, store.Coding) == n
        assert coding.redo(s, "Bo", by="Mark")["coder"] == "Bo"
    assert _count(engine, store.Coding) == n + 1


# --- team mode -------------------------------------------------------------------------------

@pytest.mark.parametrize("value, on", [("1", True), ("true", True), ("ON", True), ("0", False), ("", False),
                                       ("off", False)])
def test_env_team_mode(value, on):
    assert team.env_team_mode({"TANDEM_TEAM": value}) is on
    assert team.env_team_mode({}) is False


def test_a_typo_in_tandem_team_fails_closed():
    with pytest.raises(team.TeamError, match="TANDEM_TEAM='ture' is not understood"):
        team.env_team_mode({"TANDEM_TEAM": "ture"})


def test_the_project_setting_needs_an_owner_and_the_environment_cannot_undo_it(engine, cheap_hashing):
    with store.session_scope(engine) as s:
        assert team.is_team(s, {}) is False
        with pytest.raises(team.TeamError, match="no owner yet"):
            team.set_team_mode(s, True)
    with store.session_scope(engine) as s:
        team.add_user(s, "Olga", OWNER_PW, "owner")
        team.set_team_mode(s, True)
    with store.session_scope(engine) as s:
        assert team.project_team_mode(s) is True
        assert team.is_team(s, {"TANDEM_TEAM": "0"}) is True
        team.set_team_mode(s, False)
        assert team.is_team(s, {}) is False and team.is_team(s, {"TANDEM_TEAM": "1"}) is True


# --- project paths (single-user Project page) ------------------------------------------------

def test_project_targets_accepted(tmp_path, monkeypatch):
    assert team.project_target(str(tmp_path / "a.sqlite")) == str((tmp_path / "a.sqlite").resolve())
    assert team.project_target(f"  {tmp_path}/b.TANDEM ") == str(tmp_path / "b.TANDEM")
    assert team.project_target(f"sqlite:///{tmp_path}/c.sqlite") == str(tmp_path / "c.sqlite")
    url = "postgresql+psycopg://me:secret@db.example:5432/study"
    assert team.project_target(url) == url
    monkeypatch.setenv("HOME", str(tmp_path))
    assert team.project_target("~/d.sqlite") == str(tmp_path / "d.sqlite")


@pytest.mark.parametrize("typed, message", [
    ("{t}/notes.txt", "'notes.txt' is not a project file name; it must end in .sqlite or .tandem."),
    ("{t}/study", "'study' is not a project file name"),
    ("{t}/new/deeper/x.sqlite", "The folder {t}/new/deeper does not exist; create it first"),
    ("{t}/adir.sqlite", "{t}/adir.sqlite exists and is not a file."),
    ("{t}/a\x00b.sqlite", "control character"),
    ("{t}/a\nb.sqlite", "control character"),
    ("mysql://root:pw@host/db", "Database URLs of the kind 'mysql' are not supported"),
    ("sqlite://", "must name a project file"),
    ("sqlite:///:memory:", "must name a project file"),
    ("   ", "Give a project file"),
])
def test_project_targets_refused_and_no_folder_is_made(tmp_path, typed, message):
    (tmp_path / "adir.sqlite").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(team.TeamError) as err:
        team.project_target(typed.format(t=tmp_path))
    assert message.format(t=tmp_path) in str(err.value)
    assert "pw" not in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# --- python cli.py users ---------------------------------------------------------------------

def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "users", *args], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "team.sqlite"
    made = subprocess.run([sys.executable, str(ROOT / "cli.py"), "new", "--project", str(path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert made.returncode == 0, made.stderr
    return path


@pytest.mark.slow  # a CLI round trip, each command in its own process (~3 s of start-up each): CI runs it
def test_cli_users_end_to_end(project):
    p = str(project)
    assert _cli("list", "--project", p).stdout.startswith("No users yet")
    added = _cli("add", "--project", p, "--name", "Ｏｌｇａ", "--role", "owner", "--password-stdin",
                 stdin=OWNER_PW + "\n")
    assert (added.returncode, added.stdout.strip(), added.stderr) == (0, "Added Olga (owner).", "")
    assert _cli("add", "--project", p, "--name", "Bo", "--role", "coder", "--password-stdin",
                stdin=CODER_PW + "\r\n").returncode == 0
    listed = _cli("list", "--project", p).stdout.splitlines()
    assert [line.split()[:2] for line in listed] == [["Olga", "owner"], ["Bo", "coder"]]
    engine = store.connect(project)
    try:
        with store.session_scope(engine) as s:
            assert PasswordHasher().verify(_raw_hash(s, "Bo"), CODER_PW)  # "\r\n" is not part of it
            bo_hash = _raw_hash(s, "Bo")
        changed = _cli("passwd", "--project", p, "--name", "bo", "--password-stdin", stdin="brand-new-pass-1\n")
        assert changed.stdout.strip() == "Changed the password of Bo."
        with store.session_scope(engine) as s:
            assert _raw_hash(s, "Bo") != bo_hash and PasswordHasher().verify(_raw_hash(s, "Bo"), "brand-new-pass-1")
        last = _cli("remove", "--project", p, "--name", "Olga")
        assert (last.returncode, last.stderr.strip()) == (
            1, "error: 'Olga' is the last owner and cannot be removed; make another user an owner first.")
        assert _cli("role", "--project", p, "--name", "Bo", "--role", "viewer").stdout.strip() == "Bo is now viewer."
        assert _cli("mode", "on", "--project", p).returncode == 0
        with store.session_scope(engine) as s:
            assert team.project_team_mode(s) is True
        gone = _cli("remove", "--project", p, "--name", "Bo")
        assert gone.stdout.startswith("Removed Bo (viewer)")
    finally:
        engine.dispose()


@pytest.mark.slow  # a CLI round trip, each command in its own process (~3 s of start-up each): CI runs it
def test_cli_users_never_takes_or_prints_a_password(project):
    p = str(project)
    on_argv = _cli("add", "--project", p, "--name", "Olga", "--role", "owner", "--password", OWNER_PW)
    assert (on_argv.returncode, on_argv.stderr.strip()) == (
        1, "error: Passwords are never taken from the command line, where others can read them; "
           "type it when asked, or pipe it with --password-stdin.")
    assert _cli("add", "--project", p, "--name", "Olga", "--role", "owner", f"--password={OWNER_PW}").returncode == 1
    no_tty = _cli("add", "--project", p, "--name", "Olga", "--role", "owner", stdin="")
    assert (no_tty.returncode, no_tty.stderr.strip()) == (
        1, "error: No terminal to type the password in; pipe it with --password-stdin.")
    short = _cli("add", "--project", p, "--name", "Olga", "--role", "owner", "--password-stdin", stdin="short-pw\n")
    assert short.stderr.strip() == "error: The password is 8 characters long; use at least 10."
    ok = _cli("add", "--project", p, "--name", "Olga", "--role", "owner", "--password-stdin", stdin=OWNER_PW + "\n")
    outputs = [on_argv, no_tty, short, ok, _cli("list", "--project", p)]
    for out in outputs:
        assert OWNER_PW not in out.stdout + out.stderr and "$argon2" not in out.stdout + out.stderr
        assert "Traceback" not in out.stderr
    missing = _cli("add", "--project", p, "--name", "Bo", "--password-stdin", stdin=CODER_PW + "\n")
    assert missing.stderr.strip() == "error: `users add` needs --role."
    assert _cli("passwd", "--project", p, "--name", "Nobody", "--password-stdin",
                stdin="x" * 12 + "\n").stderr.strip() == "error: There is no user named 'Nobody'."


def test_read_password_from_a_terminal_asks_twice():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    answers = iter(["first-pass-123", "first-pass-123"])
    assert read_password("Bo", False, stdin=Tty(), prompt=lambda _: next(answers)) == "first-pass-123"
    answers = iter(["first-pass-123", "other-pass-123"])
    with pytest.raises(team.TeamError, match="The two passwords differ"):
        read_password("Bo", False, stdin=Tty(), prompt=lambda _: next(answers))
    with pytest.raises(team.TeamError, match="Standard input is empty"):
        read_password("Bo", True, stdin=io.StringIO(""))


def test_cli_run_in_process_refuses_a_value_on_other_actions(engine):
    with store.session_scope(engine) as s:
        with pytest.raises(team.TeamError, match="`users list` takes no 'on'"):
            run(s, Namespace(action="list", value="on", name=None, role=None, password_stdin=False))
        with pytest.raises(team.TeamError, match="`users mode` needs on or off"):
            run(s, Namespace(action="mode", value=None, name=None, role=None, password_stdin=False))


def test_session_stamp_changes_with_the_password_and_the_role_only(engine, cheap_hashing):
    import hashlib

    with store.session_scope(engine) as s:
        team.add_user(s, "Olga", OWNER_PW, "owner")
        team.add_user(s, "Bo", CODER_PW, "coder")
    with store.session_scope(engine) as s:
        first = team.session_stamp(s, "bo")
        stored = _raw_hash(s, "Bo")
        assert first == hashlib.sha256(f"Bo\x1fcoder\x1f{stored}".encode()).hexdigest()  # by hand
        assert stored not in first and CODER_PW not in first
        team.list_users(s)
        team.attempt_login(s, "Bo", CODER_PW)
        assert team.session_stamp(s, "Bo") == first  # reading and logging in change nothing
        team.set_role(s, "Bo", "viewer")
        second = team.session_stamp(s, "Bo")
        team.set_password(s, "Bo", "bo-new-pass-1234")
        third = team.session_stamp(s, "Bo")
        assert len({first, second, third}) == 3
        assert team.session_stamp(s, "Nobody") is None


def test_hostile_login_inputs_get_the_same_sentence_and_are_logged_safely(users):
    t0 = store.utcnow()
    for name, password in [("x" * 10_000, OWNER_PW), ("Mark", "p" * 1_000_000), ("Mark\n", OWNER_PW),
                           ("Mark", None), (None, OWNER_PW), ("'; DROP TABLE users; --", OWNER_PW)]:
        assert _login(users, name, password, t0) == (False, None, None, WRONG), repr(name)[:40]
    with store.session_scope(users) as s:
        logged = _attempts(s)
        assert len(logged) == 6 and all(len(n) <= 100 and "\n" not in n for n, _, _ in logged)
        assert [u["name"] for u in team.list_users(s)] == ["Mark", "Bo"]  # the users table is still there
