"""Library messages in 简体中文 (issue 12, helper W): the last unmarked messages of coding/ (agreement,
REFI-QDA export/import, segments export, auto-coding, codings, suggestions), the agreement table's
unit description, and the History panel's states. The Chinese expected here is written out by hand
(what W.tsv says), not read back from the catalogue."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import coding
import i18n
import store
from coding import CodingError
from coding.agreement import agreement
from coding.agreement.segments import check_overlap
from coding.autocoding.autocode import parse_rule_pattern
from coding.exchange.qdpx_export import structural_check
from coding.exchange.segments_export import write_segments
from i18n import lint

ROOT = Path(__file__).resolve().parent.parent
FILES = ["coding/agreement/__init__.py", "coding/agreement/bootstrap.py", "coding/agreement/character.py",
         "coding/agreement/coefficients.py", "coding/agreement/compare.py", "coding/agreement/data.py",
         "coding/agreement/segments.py", "coding/agreement/table.py", "coding/agreement/units.py",
         "coding/exchange/qdpx_export.py", "coding/exchange/qdpx_import.py", "coding/exchange/segments_export.py",
         "coding/autocoding/autocode.py", "coding/codings.py", "coding/suggestions.py",
         "coding/agreement/selection.py", "coding/unit_coding.py", "coding/links/suggest.py"]


@pytest.mark.parametrize("path", FILES)
def test_no_unmarked_message_left(path):
    if not (ROOT / path).exists():
        pytest.skip(f"{path} is not in this checkout")
    assert lint.unmarked_library(ROOT / path) == []


def test_pure_checks_speak_chinese(tmp_path):
    with i18n.using("zh"):
        with pytest.raises(CodingError) as e:
            check_overlap("abc")
        assert str(e.value) == "最小重叠比例 'abc' 不是数字；请给出一个比例，例如 0.9。"
        with pytest.raises(CodingError) as e:
            check_overlap(1.5)
        assert str(e.value) == "最小重叠比例 1.5 不是 0 到 1 之间的比例（例如 0.9 表示 90%）。"
        with pytest.raises(CodingError) as e:
            parse_rule_pattern("regex", "   ")
        assert str(e.value) == "regex 模式为空；请至少输入一个词或模式。"
        with pytest.raises(CodingError) as e:
            parse_rule_pattern("spacy", "[{")
        assert str(e.value).startswith("spaCy 模式不是有效的 JSON：") and "（第 1 行，第 3 列）。" in str(e.value)
        with pytest.raises(CodingError) as e:
            write_segments(pd.DataFrame(), tmp_path / "片段.txt")
        assert str(e.value) == "片段.txt 的扩展名应为 .csv 或 .xlsx。"
        with pytest.raises(CodingError) as e:
            structural_check(b"<Project", {})
        assert str(e.value).startswith("导出内容不是格式良好的 XML（") and str(e.value).endswith("）；未写入任何内容。")
        with pytest.raises(CodingError) as e:
            structural_check(b"<Other/>", {})
        assert str(e.value) == "导出内容的根元素不是 REFI-QDA Project；未写入任何内容。"
    # English unchanged
    with pytest.raises(CodingError, match=r"^The minimum overlap 'abc' is not a number; give a share such as 0\.9\.$"):
        check_overlap("abc")


def _project(engine):
    text = "北京市和天津市签了协议。广州市–佛山市也签了。"
    with store.session_scope(engine) as s:
        doc = store.Document(name="访谈：广州市–佛山市", kind="interview", language="zh", text=text,
                             text_sha256="0" * 64, n_chars=len(text))
        s.add(doc)
        s.flush()
        cat = coding.add_code(s, "协议类型", codable=False)
        mark = coding.add_code(s, "留痕")
        coding.add_coding(s, doc.id, 0, 12, mark, coder="甲")
        coding.add_coding(s, doc.id, 0, 12, mark, coder="乙")
        return doc.id, cat, mark


def test_agreement_and_codings_speak_chinese(engine):
    doc, cat, mark = _project(engine)
    with i18n.using("zh"), store.session_scope(engine) as s:
        with pytest.raises(CodingError) as e:
            agreement(s, ["甲"], unit="character", bootstrap=0)
        assert str(e.value) == "请至少选择两位不同的编码者进行比较。"
        with pytest.raises(CodingError) as e:
            agreement(s, ["甲", "乙"], unit="sentence", bootstrap=0)
        assert str(e.value) == "所选文档尚未存储句子；请先对其进行切分，或选择其他单位。"
        with pytest.raises(CodingError) as e:
            agreement(s, ["甲", "乙"], unit="paragraph", bootstrap=0, coded_only=True)
        assert str(e.value) == "“仅限有人编码的字符”是字符单位的一种变体，不适用于段落单位。"
        with pytest.raises(CodingError) as e:
            agreement(s, ["甲", "乙"], unit="character", bootstrap=-1)
        assert str(e.value) == "自助法重复次数 -1 必须是 0 到 100000 之间的整数。"
        with pytest.raises(CodingError) as e:
            agreement(s, ["甲", "乙"], documents=["没有这个文档"], unit="character", bootstrap=0)
        assert str(e.value) == "当前没有名为 '没有这个文档' 的文档。"
        # the unit description under the table, translated when the table is made
        t = agreement(s, ["甲", "乙"], unit="character", bootstrap=0)
        assert t.attrs["convention"] == ("每个所选文档的每个字符按代码各为一个单位，由每位编码者编码或未编码"
                                         "（NVivo 的编码比较）；自助法区间对文档重抽样。")
        with pytest.raises(CodingError) as e:
            coding.add_coding(s, doc, 5, 99, mark, coder="甲")
        assert str(e.value) == "范围 [5, 99) 在文档 '访谈：广州市–佛山市' 中无效：需要满足 0 <= 起点 < 终点 <= 23（码位）。"
        with pytest.raises(CodingError) as e:
            coding.add_coding(s, doc, 0, 5, cat, coder="甲")
        assert str(e.value) == "代码 '协议类型' 是类别，不能用于文本。"
    with store.session_scope(engine) as s:
        t = agreement(s, ["甲", "乙"], unit="character", bootstrap=0)
        assert t.attrs["convention"].startswith("Each character of each chosen document, per code, is a unit")


def test_history_states_in_chinese(tmp_path, monkeypatch):
    path = tmp_path / "p.sqlite"
    engine = store.connect(path)
    _project(engine)
    with store.session_scope(engine) as s:
        coding.undo(s, "甲")
    engine.dispose()
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=240)
    at.session_state["tandem_language"] = "zh"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    with i18n.using("zh"):
        state = i18n._("State")
    table = next(d.value for d in at.sidebar.dataframe if state in d.value.columns)
    states = set(table[state])
    assert {"已完成", "已撤销"} <= states and not states & {"done", "undone", "discarded"}
    # stored values unchanged
    with store.session_scope(store.connect(path)) as s:
        assert set(coding.history(s, None, 50)["state"]) >= {"done", "undone"}
