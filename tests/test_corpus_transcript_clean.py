"""Transcript cleaning (corpus.transcript_clean) on text, on PDFs made two ways, and through the
import option, the CLI flag and the page: expected texts are written out by hand."""
from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from corpus.readers import read_bytes
from corpus.transcript_clean import clean_transcript
from tests.test_corpus_read_pdf import make_pdf

ROOT = Path(__file__).resolve().parents[1]

ZH_PAGES = [
    "访谈记录 · 广州市政务服务数据管理局\n1 访谈者：请您介绍一下广州和佛山\n2 在政务服务方面的合作。\n"
    "3 受访者：好的。我们从2019年开始\n4 推进“跨城通办”。\n第 1 页 共 3 页",
    "访谈记录 · 广州市政务服务数据管理局\n5 访谈者：具体有哪些事项？\n6 受访者：社保、公积金等\n7 一百多项。\n第2页/共3页",
    "访谈记录 · 广州市政务服务数据管理局\n8 访谈者：谢谢。\n- 3 -",
]
ZH_CLEAN = ("访谈者：请您介绍一下广州和佛山在政务服务方面的合作。\n\n受访者：好的。我们从2019年开始推进“跨城通办”。\n\n"
            "访谈者：具体有哪些事项？\n\n受访者：社保、公积金等一百多项。\n\n访谈者：谢谢。")


def test_chinese_pages_line_numbers_markers_headers_removed_and_utterances_joined():
    text, report = clean_transcript(ZH_PAGES)
    assert text == ZH_CLEAN
    assert (report.line_numbers, report.page_markers, report.running_lines) == (8, 3, 3)
    assert (report.utterances, report.blocks, report.joined_lines) == (5, 5, 3)
    assert report.speakers == {"访谈者": 3, "受访者": 2}
    assert report.examples["page_markers"] == ["第 1 页 共 3 页", "第2页/共3页", "- 3 -"]
    assert report.examples["running_lines"] == ["访谈记录 · 广州市政务服务数据管理局"]
    assert report.examples["line_numbers"][0] == "1 访谈者：请您介绍一下广州和佛山"
    # the same pages as one text with form feeds give the same result
    assert clean_transcript("\f".join(ZH_PAGES))[0] == ZH_CLEAN


def test_english_text_pages_split_at_markers_labels_hyphens_and_urls():
    text = ("Interview 3 - Guangzhou\nQ: How did the agreement\ncome about? It was well-\nknown then.\n"
            "A: We met in 2019 and\nsigned in 2020.\n- 1 -\nInterview 3 - Guangzhou\nQ: Who led it?\n"
            "A: The mayor's office,\nsee http://gz.gov.cn.\nPage 2 of 3\nInterview 3 - Guangzhou\nA: Nothing more.\n"
            "Page 3 of 3")
    cleaned, report = clean_transcript(text)
    assert cleaned == ("Q: How did the agreement come about? It was well-known then.\n\n"
                       "A: We met in 2019 and signed in 2020.\n\nQ: Who led it?\n\n"
                       "A: The mayor's office, see http://gz.gov.cn.\n\nA: Nothing more.")
    assert (report.page_markers, report.running_lines, report.line_numbers) == (3, 3, 0)
    assert report.speakers == {"Q": 2, "A": 3}


def test_nothing_removed_from_ordinary_prose_with_numbers_and_a_colon():
    text = "2019 年，两市签署协议。\n他说：这很重要。\n\n3 个城市参与了合作，\n覆盖 120 项事项。"
    cleaned, report = clean_transcript(text)
    # not numbered lines (2 of 4 start with a number but 2019 -> 3 is no sequence), no label (他说 once)
    assert (report.line_numbers, report.page_markers, report.running_lines, report.utterances) == (0, 0, 0, 0)
    assert cleaned == "2019 年，两市签署协议。他说：这很重要。\n\n3 个城市参与了合作，覆盖 120 项事项。"


def test_labels_r1_and_names_recurring_and_preamble_kept():
    text = ("Project: twin cities\n\nDate: 2024-05-01\nplace: Foshan\n\nR1: first line\nwrapped\nZhang Wei: answer\n"
            "R1: again\nZhang Wei: ok")
    cleaned, report = clean_transcript(text)
    # "Project", "Date" and "place" occur once and are not usual labels: the preamble keeps its paragraphs
    assert cleaned == ("Project: twin cities\n\nDate: 2024-05-01 place: Foshan\n\nR1: first line wrapped\n\n"
                       "Zhang Wei: answer\n\nR1: again\n\nZhang Wei: ok")
    assert report.speakers == {"R1": 2, "Zhang Wei": 2} and report.blocks == 6


def test_pdf_made_with_pypdf_cleaned_on_request_only():
    data = make_pdf([["Transcript T7", "1 Interviewer: how did", "2 it start?", "3 Respondent: with a call",
                      "Page 1 of 2"],
                     ["Transcript T7", "4 from the mayor.", "5 Interviewer: thanks", "Page 2 of 2"]])
    plain = read_bytes(data, "t7.pdf")
    assert plain.cleaning is None and "Page 1 of 2" in plain.text and "1 Interviewer" in plain.text
    cleaned = read_bytes(data, "t7.pdf", clean_transcript=True)
    assert cleaned.text == ("Interviewer: how did it start?\n\nRespondent: with a call from the mayor.\n\n"
                            "Interviewer: thanks")
    c = cleaned.cleaning
    assert (c["line_numbers"], c["page_markers"], c["running_lines"], c["utterances"]) == (5, 2, 2, 3)
    assert c["summary"].startswith("t7.pdf: Cleaned: 5 line number(s)")


def _soffice_pdf(tmp_path: Path, text: str) -> bytes:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: no PDF with Chinese text can be made here")
    src = tmp_path / "访谈.txt"
    src.write_text(text, encoding="utf-8")
    profile = tmp_path / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(src)], check=True, capture_output=True, timeout=180)
    return (tmp_path / "访谈.pdf").read_bytes()


def test_chinese_pdf_from_libreoffice_imported_cleaned(engine, tmp_path):
    import store
    from corpus.importer import import_bytes

    data = _soffice_pdf(tmp_path, "\f".join(ZH_PAGES) + "\n")
    with store.session_scope(engine) as s:
        result = import_bytes(s, data, "访谈.pdf", clean_transcript=True)
        raw = import_bytes(s, data, "访谈.pdf", name="访谈 raw")
    with store.session_scope(engine) as s:
        texts = {d.name: d.text for d in s.query(store.Document)}
    assert texts["访谈"] == ZH_CLEAN
    assert "第 1 页 共 3 页" in texts["访谈 raw"] and raw.cleaning is None
    assert result.cleaning["page_markers"] == 3 and result.n_paragraphs == 5


def test_cli_import_clean_transcript_flag(tmp_path):
    project = tmp_path / "p.sqlite"
    run = [sys.executable, str(ROOT / "cli.py")]
    subprocess.run(run + ["new", "--project", str(project)], check=True, capture_output=True, cwd=ROOT)
    src = tmp_path / "t1.txt"
    src.write_text("\f".join(ZH_PAGES), encoding="utf-8")
    out = subprocess.run(run + ["import", "--project", str(project), "--clean-transcript", str(src)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "t1.txt: Cleaned: 8 line number(s)" in out.stdout and "3 page marker(s)" in out.stdout
    import store

    engine = store.connect(str(project))
    try:
        with store.session_scope(engine) as s:
            assert s.query(store.Document).one().text == ZH_CLEAN
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", ["P1", "P2", "P3", "P4"])
def test_real_pdf_extracted_interviews_cleaned_and_nothing_else_lost(shared, name):
    """PDPilot interviews (text extracted from PDF with pypdf): page markers "1/5", a column of line
    numbers after each page's text, speaker labels on their own line. Expected counts come from the
    raw lines by regular expressions; every other non-space character must survive, in order."""
    import re

    path = shared("transcripts", "pdpilot", f"{name}.txt")
    raw_lines = path.read_text(encoding="utf-8").split("\n")
    numbers = [ln for ln in raw_lines if re.fullmatch(r"\d+\s*", ln)]
    markers = [ln for ln in raw_lines if re.fullmatch(r"\d+/\d+\s*", ln)]
    turns = Counter(m.group(1) for m in (re.match(r"(Dan|Participant):", ln) for ln in raw_lines) if m)
    result = read_bytes(path.read_bytes(), f"{name}.txt", clean_transcript=True)
    c = result.cleaning
    assert (c["line_numbers"], c["page_markers"], c["running_lines"]) == (len(numbers), len(markers), 0)
    assert c["speakers"] == dict(turns) and c["utterances"] == sum(turns.values())
    blocks = result.text.split("\n\n")
    assert blocks[1] == "Interview" and all(re.match(r"(Dan|Participant): ", b) for b in blocks[2:])
    kept = [ln for ln in raw_lines if ln not in numbers and ln not in markers]
    squash = lambda t: re.sub(r"\s+", "", t)
    assert squash(result.text) == squash("".join(kept))
