"""What the command line prints never carries a password given by mistake, and a hostile file
name cannot fake lines of output."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args, cwd):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("extra", [["HunterPW12345"], ["--pass=HunterPW12345"], ["--passw", "HunterPW12345"]])
def test_a_stray_password_argument_to_users_is_refused_without_being_echoed(tmp_path, extra):
    out = _cli("users", "add", "--project", str(tmp_path / "p.sqlite"), "--name", "Ivan", "--role", "coder",
               *extra, cwd=tmp_path)
    assert out.returncode == 2
    assert "HunterPW12345" not in out.stderr + out.stdout
    assert "not shown: they may hold a password" in out.stderr


def test_a_file_name_with_a_line_break_is_shown_escaped_on_one_line(tmp_path):
    assert _cli("new", "--project", str(tmp_path / "p.sqlite"), cwd=tmp_path).returncode == 0
    evil = tmp_path / "evil\nimported ok.txt"
    evil.write_text("跨城通办", encoding="utf-8")
    out = _cli("import", "--project", str(tmp_path / "p.sqlite"), str(evil), cwd=tmp_path)
    assert out.returncode == 1
    lines = out.stderr.splitlines()
    assert lines[0] == ("refused evil\\nimported ok.txt: The document name 'evilimported ok' holds a line break; "
                        "type it on one line without it.")
    assert lines[1] == "error: 1 of 1 file(s) refused (evil\\nimported ok.txt), 0 imported."
    assert out.stdout == ""
