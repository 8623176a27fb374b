"""ui.pieces: pieces, sections, colours, payload and the checks of browser events.

Offsets are code points throughout; the texts hold 😀 and 𠀀 (two UTF-16 units each) so a
UTF-16 slip shows up as a wrong slice.
"""
from __future__ import annotations

import json
import random

import pytest

from ui.pieces import (
    SelectionError,
    blend_colours,
    build_payload,
    build_pieces,
    handle_select_event,
    handle_selection_event,
    line_spans,
    section_bounds,
    selected_code_ids,
    valid_colour,
)

TEXT = "访谈😀开始。受访者𠀀说：我们推进跨城通办，群众少跑腿。\nEnglish 😀 line."


def _coding(cid, start, end, code=1, colour="#1f77b4"):
    return {"id": cid, "start": start, "end": end, "code": code, "colour": colour}


def _naive_pieces(text, codings, start, end):
    """Reference: cover each code point, then merge runs with the same covering set."""
    pieces = []
    for i in range(start, end):
        cover = sorted(
            (c for c in codings if max(c["start"], start) <= i < min(c["end"], end)),
            key=lambda c: (max(c["start"], start), c["id"]),
        )
        ids = [c["id"] for c in cover]
        if pieces and pieces[-1]["c"] == ids and not any(c["start"] == i or c["end"] == i for c in codings):
            pieces[-1]["t"] += text[i]
        else:
            pieces.append({"s": i, "t": text[i], "c": ids})
    return pieces


# ---------------------------------------------------------------- build_pieces


def test_no_codings_gives_one_uncoded_piece():
    assert build_pieces(TEXT, []) == [{"s": 0, "t": TEXT, "c": []}]


def test_overlapping_codings_split_at_every_boundary_in_code_points():
    start = TEXT.index("我们推进")
    a = _coding(1, start, start + 4)  # 我们推进
    b = _coding(2, start + 2, start + 6)  # 推进跨城
    pieces = build_pieces(TEXT, [b, a])
    coded = [(p["t"], p["c"]) for p in pieces if p["c"]]
    assert coded == [("我们", [1]), ("推进", [1, 2]), ("跨城", [2])]
    for piece in pieces:  # "s" is a code point index: slicing the Python str gives the piece
        assert TEXT[piece["s"] : piece["s"] + len(piece["t"])] == piece["t"]
    assert "".join(p["t"] for p in pieces) == TEXT


def test_nested_and_identical_spans_list_codings_in_the_order_they_begin():
    pieces = build_pieces("abcdefgh", [_coding(9, 2, 4), _coding(3, 0, 8), _coding(5, 2, 4)])
    assert pieces == [
        {"s": 0, "t": "ab", "c": [3]},
        {"s": 2, "t": "cd", "c": [3, 5, 9]},
        {"s": 4, "t": "efgh", "c": [3]},
    ]


def test_adjacent_codings_do_not_merge():
    pieces = build_pieces("abcdef", [_coding(1, 0, 3), _coding(2, 3, 6)])
    assert [(p["t"], p["c"]) for p in pieces] == [("abc", [1]), ("def", [2])]


def test_window_clips_codings_and_drops_the_rest():
    text = "0123456789"
    codings = [_coding(1, 0, 5), _coding(2, 8, 10), _coding(3, 4, 4), _coding(4, 7, 6), _coding(5, 3, 7)]
    pieces = build_pieces(text, codings, 4, 8)
    assert pieces == [{"s": 4, "t": "4", "c": [1, 5]}, {"s": 5, "t": "56", "c": [5]}, {"s": 7, "t": "7", "c": []}]


@pytest.mark.parametrize("window", [(0, 0), (5, 5), (7, 3)])
def test_empty_window_gives_no_pieces(window):
    assert build_pieces("0123456789", [_coding(1, 0, 9)], *window) == []


def test_sweep_matches_a_naive_reference_on_random_overlaps():
    rng = random.Random(20261129)
    text = "".join(rng.choice("通办😀𠀀ab \n") for _ in range(300))
    for _ in range(50):
        codings = []
        for cid in range(rng.randint(0, 25)):
            s = rng.randrange(0, len(text))
            codings.append(_coding(cid, s, min(len(text), s + rng.randint(1, 60))))
        start = rng.randrange(0, len(text))
        end = rng.randrange(start, len(text) + 1)
        assert build_pieces(text, codings, start, end) == _naive_pieces(text, codings, start, end)


def test_sweep_over_thousands_of_codings_tiles_the_text():
    """5,000 codings over 300k code points: the pieces tile the text exactly (the time this takes is
    measured by bench/unit_timings.py, not asserted here)."""
    rng = random.Random(7)
    text = "我们推进跨城通办😀。" * 30_000  # 300k code points
    codings = []
    for cid in range(5_000):
        s = rng.randrange(0, len(text) - 200)
        codings.append(_coding(cid, s, s + rng.randint(5, 200)))
    pieces = build_pieces(text, codings)
    assert "".join(p["t"] for p in pieces) == text


# ---------------------------------------------------------------- colours


def test_one_coding_gets_its_colour_at_low_opacity():
    assert blend_colours(["#1f77b4"]) == "rgba(31, 119, 180, 0.30)"


def test_overlaps_blend_hues_and_get_darker_up_to_a_cap():
    assert blend_colours(["#ff0000", "#0000ff"]) == "rgba(128, 0, 128, 0.45)"
    assert blend_colours(["#000000"] * 3).endswith("0.60)")
    assert blend_colours(["#000000"] * 12).endswith("0.75)")
    assert blend_colours([]) == "transparent"


@pytest.mark.parametrize("bad", ["red", "#12345", "#12345g", "#1234567", None, "#fff;background:url(x)"])
def test_bad_colours_become_grey(bad):
    assert valid_colour(bad) == "#999999"
    assert blend_colours([bad]) == "rgba(153, 153, 153, 0.30)"


# ---------------------------------------------------------------- sections


def test_line_spans_skip_blank_lines_and_count_code_points():
    text = "😀一\n\n  \n𠀀二三\nlast"
    spans = line_spans(text)
    assert [text[s:e] for s, e in spans] == ["😀一", "𠀀二三", "last"]
    assert spans[1] == (7, 10)


def test_section_bounds_takes_n_paragraphs_at_a_time():
    spans = [(0, 10), (11, 20), (21, 30), (31, 40), (41, 45)]
    assert section_bounds(spans, 0, per_section=2) == (0, 20, 3)
    assert section_bounds(spans, 1, per_section=2) == (21, 40, 3)
    assert section_bounds(spans, 2, per_section=2) == (41, 45, 3)
    assert section_bounds(list(reversed(spans)), 1, per_section=2) == (21, 40, 3)
    assert section_bounds(spans, 0, per_section=50) == (0, 45, 1)


def test_section_index_is_clamped_and_no_paragraphs_means_no_section():
    spans = [(0, 10), (11, 20), (21, 30)]
    assert section_bounds(spans, 99, per_section=2) == (21, 30, 2)
    assert section_bounds(spans, -3, per_section=2) == (0, 20, 2)
    assert section_bounds([], 0) == (0, 0, 0)
    with pytest.raises(ValueError):
        section_bounds(spans, 0, per_section=0)


# ---------------------------------------------------------------- payload


def test_payload_carries_only_the_section_and_its_codings():
    long_text = "前言。\n" * 20_000 + "我们推进跨城通办。"
    start = long_text.index("我们")
    section = (start, len(long_text))
    codings = [_coding(1, start + 2, start + 6, code=7), _coding(2, 0, 3, code=8)]
    codes = [{"id": 7, "name": "跨域合作", "colour": "#1f77b4"}, {"id": 8, "name": "<b>x</b>", "colour": "javascript:"}]
    payload = build_payload(long_text, codings, codes, section, selected_coding=1)
    assert payload["section"] == [start, len(long_text)]
    assert "".join(p["t"] for p in payload["pieces"]) == "我们推进跨城通办。"
    assert list(payload["codings"]) == ["1"]
    assert payload["codings"]["1"] == {"name": "跨域合作", "s": start + 2, "e": start + 6}
    assert [p.get("bg") for p in payload["pieces"]] == [None, "rgba(31, 119, 180, 0.30)", None]
    assert payload["codes"][1] == {"id": 8, "name": "<b>x</b>", "colour": "#999999"}
    assert payload["selected"] == 1
    assert len(json.dumps(payload, ensure_ascii=False).encode("utf-8")) < 1_000


def test_payload_names_codes_given_by_id_or_by_name():
    codes = [{"id": 7, "name": "跨域合作", "colour": "#1f77b4"}]
    codings = [_coding(1, 0, 2, code=7), _coding(2, 1, 3, code="Barriers"), _coding(3, 2, 4, code=None)]
    names = {k: v["name"] for k, v in build_payload(TEXT, codings, codes)["codings"].items()}
    assert names == {"1": "跨域合作", "2": "Barriers", "3": "coding 3"}


def test_payload_defaults_to_the_whole_text():
    payload = build_payload(TEXT, [], [], None)
    assert payload["section"] == [0, len(TEXT)]
    assert payload["pieces"] == [{"s": 0, "t": TEXT, "c": []}]


# ---------------------------------------------------------------- events from the browser


def test_selection_event_returns_code_point_span():
    start = TEXT.index("跨城通办")
    assert handle_selection_event({"start": start, "end": start + 4, "code_ids": [1]}, TEXT) == (start, start + 4)
    assert TEXT[start : start + 4] == "跨城通办"


def test_selection_event_trims_edge_whitespace():
    text = "ab  跨城通办 \ncd"
    assert handle_selection_event({"start": 2, "end": 10}, text) == (4, 8)


@pytest.mark.parametrize(
    "event",
    [
        {"start": 3, "end": 3},
        {"start": 5, "end": 2},
        {"start": -1, "end": 2},
        {"start": 0, "end": len(TEXT) + 1},
        {"start": 0},
        {},
        {"start": "0", "end": "2"},
        {"start": 0.0, "end": 2.0},
        {"start": False, "end": True},
        {"start": None, "end": 3},
    ],
)
def test_selection_event_rejects_bad_offsets(event):
    with pytest.raises(SelectionError):
        handle_selection_event(event, TEXT)


def test_selection_event_rejects_whitespace_only():
    text = "一二 \n\t 三"
    with pytest.raises(SelectionError, match="whitespace"):
        handle_selection_event({"start": 2, "end": 6}, text)


def test_selection_event_must_stay_inside_the_section_shown():
    assert handle_selection_event({"start": 4, "end": 6}, TEXT, within=(4, 10)) == (4, 6)
    with pytest.raises(SelectionError, match="section"):
        handle_selection_event({"start": 3, "end": 6}, TEXT, within=(4, 10))
    with pytest.raises(SelectionError, match="section"):
        handle_selection_event({"start": 8, "end": 11}, TEXT, within=(4, 10))


def test_code_ids_are_checked_against_the_codes_offered():
    assert selected_code_ids({"code_ids": [3, 1, 3]}, [1, 2, 3]) == [3, 1]
    for event in ({"code_ids": []}, {"code_ids": 3}, {}, {"code_ids": [4]}):
        with pytest.raises(SelectionError):
            selected_code_ids(event, [1, 2, 3])


def test_select_event_needs_a_coding_that_is_shown():
    assert handle_select_event({"coding_id": 5}, [4, 5]) == 5
    for event in ({"coding_id": 6}, {}, {"coding_id": None}, {"coding_id": True}, "5"):
        with pytest.raises(SelectionError):
            handle_select_event(event, [1, 4, 5])


def test_pieces_payload_keeps_only_offered_chosen_codes_in_order():
    codes = [{"id": 1, "name": "Mark", "colour": "#ff0000"}, {"id": 2, "name": "Hole", "colour": "#00ff00"}]
    payload = build_payload("跨城通办", [], codes, chosen_codes=[2, 9, 1, 2])
    assert payload["chosen"] == [2, 1]
    assert build_payload("跨城通办", [], codes)["chosen"] == []


def test_paragraph_cuts_split_pieces_and_marks_list_codes_per_paragraph():
    # three paragraphs, 😀 and 𠀀 one code point each
    text = "甲😀乙丙\n\n丁𠀀戊\n\n己庚"
    p1, p2, p3 = (0, 4), (6, 9), (11, 13)
    codings = [
        {"id": 10, "start": 2, "end": 8, "code": 1, "colour": "#ff0000"},  # ¶1 into ¶2
        {"id": 11, "start": 7, "end": 8, "code": 2, "colour": "#00ff00"},  # inside ¶2
        {"id": 12, "start": 11, "end": 12, "code": 1, "colour": "#ff0000"},  # ¶3
    ]
    codes = [{"id": 1, "name": "Mark", "colour": "#ff0000"}, {"id": 2, "name": "Hole", "colour": "#00ff00"}]
    payload = build_payload(text, codings, codes, paragraphs=[p3, p1, p2], scroll_to=7)
    pieces = payload["pieces"]
    # the pieces still cover the text exactly, and none crosses a paragraph boundary
    assert "".join(p["t"] for p in pieces) == text
    for p in pieces:
        end = p["s"] + len(p["t"])
        for a, b in (p1, p2, p3):
            assert end <= a or p["s"] >= b or (a <= p["s"] and end <= b), (p, (a, b))
    # by hand: 甲😀 | 乙丙 (10) | \n\n (10) | 丁 (10) | 𠀀 (10, 11) | 戊 | \n\n | 己 (12) | 庚
    assert [(p["t"], p["c"]) for p in pieces] == [
        ("甲😀", []), ("乙丙", [10]), ("\n\n", [10]), ("丁", [10]), ("𠀀", [10, 11]), ("戊", []), ("\n\n", []),
        ("己", [12]), ("庚", [])]
    assert payload["paras"] == [[0, 4, [1]], [6, 9, [1, 2]], [11, 13, [1]]]
    assert payload["scroll"] == 7
    assert build_payload(text, codings, codes, section=(11, 13), scroll_to=7)["scroll"] is None
    assert build_payload(text, codings, codes)["paras"] == []


def test_wire_is_compact_utf8_json_half_the_size_of_ascii_json():
    from ui.pieces import wire

    text = "广州与佛山的窗口合作，信任是基础。" * 200
    payload = build_payload(text, [], [{"id": 1, "name": "跨域合作", "colour": "#1f77b4"}])
    data = wire(payload)
    assert json.loads(data.decode("utf-8")) == payload
    ascii_json = json.dumps(payload)  # what Streamlit sends for a dict
    assert len(ascii_json) > 1.9 * len(data)
    assert len(data) < 3 * len(text) + 400  # three bytes a character, plus a little structure
