"""Paragraph and sentence spans: blank-line documents, PDF-style line documents, Chinese punctuation."""
from __future__ import annotations

import pytest

from corpus.errors import CorpusError
from corpus.readers import read_file
from corpus.segment import paragraphs, segment


def _texts(text, spans):
    return [text[a:b] for a, b in spans]


def _check_nesting(seg):
    paras = seg.paragraphs
    assert paras == sorted(paras)
    assert all(a < b for a, b in paras)
    assert all(paras[k][1] <= paras[k + 1][0] for k in range(len(paras) - 1))
    for a, b in seg.sentences:
        assert a < b
        assert sum(1 for p, q in paras if p <= a and b <= q) == 1, (a, b)


def test_segment_splits_chinese_sentences_at_punctuation_keeping_closing_quotes():
    text = "第一条 为了规范政务服务。他说：“好！”然后呢？最后……结束；另起一句"
    seg = segment(text, "zh")
    assert _texts(text, seg.paragraphs) == [text]
    assert _texts(text, seg.sentences) == [
        "第一条 为了规范政务服务。",
        "他说：“好！”",
        "然后呢？",
        "最后……",
        "结束；",
        "另起一句",
    ]


def test_segment_chinese_decimal_and_latin_full_stop_do_not_end_sentences():
    text = "受理量增长3.5倍，见 Mr. Wang 的报告。下一句。"
    assert _texts(text, segment(text, "zh").sentences) == ["受理量增长3.5倍，见 Mr. Wang 的报告。", "下一句。"]


def test_segment_english_sentences():
    text = "Dr. Li signed it. Did Wuxi agree? Yes!"
    assert _texts(text, segment(text, "en").sentences) == ["Dr. Li signed it.", "Did Wuxi agree?", "Yes!"]


def test_segment_sentences_never_cross_paragraphs():
    text = "第一段没有句号\n\n第二段。有两句。\n\n第三段"
    seg = segment(text, "zh")
    assert _texts(text, seg.paragraphs) == ["第一段没有句号", "第二段。有两句。", "第三段"]
    assert _texts(text, seg.sentences) == ["第一段没有句号", "第二段。", "有两句。", "第三段"]
    _check_nesting(seg)


def test_segment_blank_line_document_keeps_soft_wrapped_blocks_whole():
    text = "  First paragraph wraps\nonto a second line.  \n\n\nSecond one.\n\nThird\n"
    assert _texts(text, paragraphs(text)) == [
        "First paragraph wraps\nonto a second line.",
        "Second one.",
        "Third",
    ]


def test_segment_line_document_unwraps_hard_wrapped_lines_and_joins_speaker_labels():
    wrapped = [
        "Participant: ",
        " We bin the features and then we compute histograms for every feature in the",
        "data set, then compare them across the two groups of cities in the sample and",
        "look at the differences.",
        "1/5",
        "Dan: ",
        " Okay.",
        "A short line without a stop",
        "Another short line",
    ]
    text = "\n".join(wrapped + ["x" * 70, "filler line number one that is long enough.", "end."] * 2)
    paras = _texts(text, paragraphs(text))
    assert paras[0] == "\n".join(wrapped[:4]).strip()
    assert paras[1] == "1/5"
    assert paras[2] == "Dan: \n Okay."
    assert paras[3] == "A short line without a stop"
    assert paras[4] == "Another short line"


def test_segment_real_pdf_transcript_turns(shared):
    text = read_file(shared("transcripts", "pdpilot", "P1.txt")).text
    seg = segment(text, "en")
    paras = _texts(text, seg.paragraphs)
    assert "1/5" in paras and "Interview" in paras
    # the turn is two lines in the file, hard-wrapped after "we tend to use"
    turn = [p for p in paras if p.startswith("Participant: \n Ah, yeah. Not all the time")]
    assert len(turn) == 1 and turn[0].endswith("we tend to use\nICE plots.")
    _check_nesting(seg)
    assert len(seg.sentences) > len(seg.paragraphs)


def test_segment_policy_document_paragraphs_are_its_blank_line_blocks(shared):
    path = shared("policy_docs", "02_安阳市政务服务条例_2021.txt")
    text = read_file(path).text
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]  # independent count
    seg = segment(text, "zh")
    assert _texts(text, seg.paragraphs) == blocks
    _check_nesting(seg)
    sentences = _texts(text, seg.sentences)
    assert "第二条 本市行政区域内的政务服务工作，适用本条例。" in sentences


def test_segment_empty_and_whitespace_text_has_no_spans():
    seg = segment(" \n\n\t\n", "en")
    assert seg.paragraphs == [] and seg.sentences == []


def test_segment_unsupported_language_is_refused():
    with pytest.raises(CorpusError, match="'fr' is not supported"):
        segment("Bonjour.", "fr")
