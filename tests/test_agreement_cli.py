"""``python cli.py agreement`` in a subprocess: JSON keys and values, text output, one-sentence errors.

The project is NVivo's documented coding-comparison example (1,000 characters; 50 coded by both
coders, 100 by the first only, 50 by the second only), so kappa must be 0.318."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import coding
import store

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("agreement") / "p.sqlite"
    engine = store.connect(path)
    text = ("广州市与佛山市签署跨城通办协议。" * 70)[:1000]
    with store.session_scope(engine) as s:
        doc = store.Document(name="访谈：广州市–佛山市", kind="interview", language="zh", text=text,
                             text_sha256="0" * 64, n_chars=len(text))
        s.add(doc)
        s.flush()
        code = coding.add_code(s, "协议动因")
        coding.add_coding(s, doc.id, 0, 150, code, coder="甲")
        coding.add_coding(s, doc.id, 100, 200, code, coder="乙")
    engine.dispose()
    return str(path)


def test_json_character_level(project):
    r = run("agreement", "--project", project, "--coders", "甲", "乙", "--bootstrap", "50", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    keys = {"unit", "coders", "documents", "overlap", "exclusive", "coded_only", "bootstrap", "seed", "convention",
            "rows"}
    assert keys <= set(out)
    assert out["coders"] == ["甲", "乙"] and out["documents"] == ["访谈：广州市–佛山市"]
    assert out["unit"] == "character" and out["coded_only"] is False
    row = out["rows"][0]
    assert row["code"] == "协议动因"
    assert round(row["cohen_kappa"], 3) == 0.318 and row["pct_agreement"] == pytest.approx(0.85)
    assert row["cohen_kappa_low"] is None  # one document: no interval (documents are resampled), null not NaN
    assert out["rows"][-1]["code"].startswith("(all codes")


def test_json_segment_level_lists_unmatched(project):
    r = run("agreement", "--project", project, "--coders", "甲", "乙", "--unit", "segment", "--overlap", "0.3",
            "--bootstrap", "0", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    # overlap share 50 / 200 = 0.25 < 0.3: both segments unmatched
    assert out["overlap"] == 0.3 and out["rows"][0]["matched"] == 0 and out["rows"][0]["unmatched"] == 2
    assert {(u["coder"], u["start"], u["end"]) for u in out["unmatched"]} == {("甲", 0, 150), ("乙", 100, 200)}
    r = run("agreement", "--project", project, "--coders", "甲", "乙", "--unit", "segment", "--overlap", "0.25",
            "--bootstrap", "0", "--json")
    assert json.loads(r.stdout)["rows"][0]["matched"] == 2


def test_text_output(project):
    r = run("agreement", "--project", project, "--coders", "甲", "乙", "--bootstrap", "0")
    assert r.returncode == 0, r.stderr
    assert "0.318" in r.stdout and "85.0%" in r.stdout and "协议动因" in r.stdout and "NVivo" in r.stdout


def test_unknown_coder_is_one_sentence(project):
    r = run("agreement", "--project", project, "--coders", "甲", "丙")
    assert r.returncode == 1
    assert "Coder '丙' has no codings; coders with codings: 乙, 甲." in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_bad_unit_for_exclusive(project):
    r = run("agreement", "--project", project, "--coders", "甲", "乙", "--exclusive")
    assert r.returncode == 1 and "not on the character unit" in r.stderr


def test_parser_choices_agree_with_the_library():
    import commands.agreement as cmd
    from coding.agreement import DEFAULT_OVERLAP, UNITS

    assert cmd.UNITS == UNITS and cmd.DEFAULT_OVERLAP == DEFAULT_OVERLAP
