"""Library messages of corpus/, team/, mixed/ and report/ in 简体中文 (issue 12), the entity-bomb
refusal of .odt/.docx, and Streamlit's own file-uploader words on a Chinese page.

The Chinese sentences expected here are written out by hand (not read back from the catalogue);
they need the compiled catalogue that ``python -m i18n build`` makes from
``i18n/locale/zh_CN/parts/B2.tsv``.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

import i18n
from i18n import lint

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["corpus", "team", "mixed", "report"]


def _bomb_xml(root: str, ns: str, body: str) -> str:
    """A 'billion laughs' document: ten levels of entities, each ten of the one below (10^9 'lol')."""
    ents = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return (f'<?xml version="1.0"?>\n<!DOCTYPE {root} [\n' + "\n".join(ents) + "]>\n"
            f"<{root} {ns}>{body.replace('TEXT', '&lol9;')}</{root}>")


def _odt_bomb() -> bytes:
    xml = _bomb_xml("office:document-content",
                    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
                    "<office:body><office:text><text:p>TEXT</text:p></office:text></office:body>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", xml)
    return out.getvalue()


def _docx_bomb() -> bytes:
    xml = _bomb_xml("w:document", 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"',
                    "<w:body><w:p><w:r><w:t>TEXT</w:t></w:r></w:p></w:body>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                   '</Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                   '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", xml)
    return out.getvalue()


# --- the lint: no unmarked message left in these packages ---------------------------------------

def test_no_unmarked_library_message():
    found = [f"{path}:{line}: {text!r}" for pkg in PACKAGES for path in sorted((ROOT / pkg).rglob("*.py"))
             for line, text in lint.unmarked_library(path)]
    assert found == []


def test_lint_would_catch_an_unmarked_message_here(tmp_path):
    bad = tmp_path / "reader.py"
    bad.write_text('def f(name, warnings):\n'
                   '    warnings.append(f"{name}: text in frames was not imported.")\n'
                   '    raise CorpusError(f"{name}: is empty.")\n', encoding="utf-8")
    assert [line for line, _ in lint.unmarked_library(bad)] == [2, 3]


# --- corpus ---------------------------------------------------------------------------------------

def test_reader_errors_and_warnings_in_chinese():
    from corpus.errors import CorpusError
    from corpus.readers import read_bytes

    with i18n.using("zh"):
        with pytest.raises(CorpusError) as err:
            read_bytes(b"", "访谈.txt")
        assert str(err.value) == "访谈.txt：文件为空。"
        with pytest.raises(CorpusError) as err:
            read_bytes(b"abc", "旧稿.doc")
        assert str(err.value).startswith("旧稿.doc：不读取旧版 Word .doc 文件；请另存为 .docx（Tandem 可读取 ")
        with pytest.raises(CorpusError) as err:
            read_bytes(b"abc", "README")
        assert str(err.value).startswith("README：没有扩展名；Tandem 可读取 ")
        rtf = b"{\\rtf1\\ansi Hello}"
        warned = read_bytes(rtf, "a.rtf", encoding="gbk").warnings
    assert warned == ["a.rtf：已忽略编码 'gbk'；.rtf 文件自带编码。"]
    # English unchanged
    with pytest.raises(CorpusError, match=r"^a\.txt: is empty\.$"):
        read_bytes(b"", "a.txt")


def test_name_errors_name_the_kind_of_name_in_chinese():
    from corpus.names import BadNameError, clean_name

    with i18n.using("zh"):
        with pytest.raises(BadNameError) as err:
            clean_name(" \u200b ", "code name")
        assert str(err.value) == "去掉空格和不可见字符后，代码名称为空。"
        with pytest.raises(BadNameError) as err:
            clean_name("甲\n乙", "document name")
        assert str(err.value) == "文档名称 '甲乙' 含有换行符；请在一行内输入，不要包含它。"
    with pytest.raises(BadNameError, match=r"^The code name is empty once"):
        clean_name(" ", "code name")


@pytest.mark.parametrize("make, name, zh, en", [
    (_odt_bomb, "笑.odt", "笑.odt：已拒绝，其 content.xml 声明了会扩展文本的实体（实体炸弹）；真正的 OpenDocument 文件不会有。",
     "笑.odt: refused, its content.xml declares entities that expand the text (an entity bomb); a real "
     "OpenDocument file has none."),
    (_docx_bomb, "笑.docx", "笑.docx：已拒绝，其 XML 声明了会扩展文本的实体（实体炸弹）；真正的 Word 文件不会有。",
     "笑.docx: refused, its XML declares entities that expand the text (an entity bomb); a real Word file has "
     "none."),
])
def test_entity_bomb_is_one_clear_sentence(make, name, zh, en):
    """A billion-laughs file used to surface libxml2's own words ("Maximum entity amplification
    factor exceeded, see xmlCtxtSetMaxAmplification")."""
    from corpus.errors import CorpusError
    from corpus.readers import read_bytes

    data = make()
    with pytest.raises(CorpusError) as err:
        read_bytes(data, name)
    assert str(err.value) == en
    assert "xmlCtxt" not in str(err.value) and "amplification" not in str(err.value)
    with i18n.using("zh"), pytest.raises(CorpusError) as err:
        read_bytes(data, name)
    assert str(err.value) == zh


def test_an_ordinary_malformed_odt_keeps_its_own_message():
    from corpus.errors import CorpusError
    from corpus.readers import read_bytes

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content><unclosed>")
    with pytest.raises(CorpusError, match=r"content\.xml is malformed"):
        read_bytes(out.getvalue(), "bad.odt")


# --- team -----------------------------------------------------------------------------------------

def test_team_messages_in_chinese():
    from team.errors import TeamError
    from team.passwords import MIN_LENGTH, check_password

    with i18n.using("zh"):
        with pytest.raises(TeamError) as err:
            check_password("abc")
        assert str(err.value) == f"密码长 3 个字符；请至少使用 {MIN_LENGTH} 个。"
        with pytest.raises(TeamError) as err:
            check_password("zhangsan-1234", user="zhangsan-1234")
        assert str(err.value) == "密码与用户名相同；请另选一个。"
    with pytest.raises(TeamError, match=r"^The password is 3 characters long; use at least"):
        check_password("abc")


def test_users_command_output_in_chinese(engine):
    import argparse

    import store
    from team.cli import run

    args = argparse.Namespace(action="list", value=None, name=None, role=None, password_stdin=False,
                              password=None)
    with store.session_scope(engine) as session, i18n.using("zh"):
        assert run(session, args) == ("还没有用户；请用 `python cli.py users add --name NAME --role owner` "
                                      "添加项目所有者。")
        args.action, args.value = "mode", None
        with pytest.raises(Exception) as err:
            run(session, args)
        assert str(err.value) == "`users mode` 需要 on 或 off。"


# --- mixed and report -----------------------------------------------------------------------------

def test_mixed_unit_errors_in_chinese():
    from mixed.errors import MixedError
    from mixed.units import normalize_unit

    with i18n.using("zh"):
        with pytest.raises(MixedError) as err:
            normalize_unit(("320500", "320500"), "dyad")
        assert str(err.value) == "('320500', '320500') 将一个城市与自身配对；城市对需要两个不同的城市。"
        with pytest.raises(MixedError) as err:
            normalize_unit(("320500", "310000"), "city")
        assert str(err.value) == "('320500', '310000') 是一对城市，但此拟合以城市为单元；请给出一个城市代码。"


def test_report_option_error_in_chinese():
    from report.errors import ReportError
    from report.options import options_from

    with i18n.using("zh"), pytest.raises(ReportError) as err:
        options_from(language="fr")
    assert re.fullmatch(r"语言 'fr' 不在 .+ 之中（草稿的语言）。", str(err.value))


# --- Streamlit's uploader words -------------------------------------------------------------------

def test_css_string_escapes_everything_but_plain_letters():
    from ui.uploader_words import css_string

    assert css_string("上传") == '"\\4e0a \\4f20 "'          # U+4E0A 上, U+4F20 传
    hostile = css_string('a"; } body { display: none } </style><script>')
    assert '"' not in hostile[1:-1] and "<" not in hostile and "}" not in hostile and ";" not in hostile


def test_uploader_css_in_chinese_and_nothing_in_english():
    from ui.uploader_words import uploader_css

    with i18n.using("zh"):
        css = uploader_css(50)
    assert all(ord(c) < 128 for c in css)
    # 上传 / 每个文件不超过 50 MB / 将文件拖放到这里, CSS-escaped by hand
    assert 'content: "\\4e0a \\4f20 "' in css
    assert 'content: "\\6bcf \\4e2a \\6587 \\4ef6 \\4e0d \\8d85 \\8fc7  50 MB"' in css
    assert 'content: "\\5c06 \\6587 \\4ef6 \\62d6 \\653e \\5230 \\8fd9 \\91cc "' in css
    assert css.count("font-size: 0 !important") == 1


def test_uploader_words_page(tmp_path):
    """AppTest: the style sheet is added on a Chinese page only."""
    from streamlit.testing.v1 import AppTest

    script = ("import i18n, streamlit as st\n"
              "i18n.set_language(st.session_state.get('lang', 'en'))\n"
              "from ui.uploader_words import uploader_words\n"
              "uploader_words()\n"
              "st.file_uploader('Files')\n")
    for lang, styled in (("en", False), ("zh", True)):
        at = AppTest.from_string(script, default_timeout=30)
        at.session_state["lang"] = lang
        at.run()
        assert not at.exception
        html = [e for e in at.get("html")]
        assert bool(html) == styled
        if styled:
            assert "stFileUploaderDropzoneInstructions" in html[0].proto.body


# --- stored English shown in the reader's language ------------------------------------------------

def test_case_types_are_stored_in_english_and_shown_in_chinese():
    from mixed.labels import case_type_label

    assert case_type_label("deviant tie (unexpected collaboration)") == "deviant tie (unexpected collaboration)"
    with i18n.using("zh"):
        assert case_type_label("deviant tie (unexpected collaboration)") == "偏离案例（意外的合作）"
        assert case_type_label("deviant · over-predicted · tie") == "偏离案例 · 高估 · 有合作"
        # a type built from data, or typed by hand, is data
        assert case_type_label("extreme on log_gravity (+2.3 SD above the mean)") == \
            "extreme on log_gravity (+2.3 SD above the mean)"
        assert case_type_label("我自己的类型") == "我自己的类型"
        assert case_type_label(None) == "" and case_type_label(float("nan")) == ""


def test_the_demo_notes_are_word_for_word_and_shown_in_chinese():
    pytest.importorskip("data.demo.simulate")
    from data.demo.qualitative import ILLUSTRATIVE_NOTE
    from data.demo.simulate import SIMULATED_NOTE
    from mixed.labels import STORED_NOTES, stored_note_label

    assert STORED_NOTES == (SIMULATED_NOTE, ILLUSTRATIVE_NOTE)
    with i18n.using("zh"):
        assert stored_note_label(SIMULATED_NOTE).startswith("本项目中的结果变量合作连接、合作深度和合作广度是")
        assert stored_note_label("The researcher's own note.") == "The researcher's own note."
    assert stored_note_label(SIMULATED_NOTE) == SIMULATED_NOTE


def test_worklist_export_headers_follow_the_language():
    import pandas as pd

    from mixed.worklist_export import export_table

    cases = pd.DataFrame([{"position": 1, "case": "苏州市–上海市", "level": "dyad",
                           "case_type": "typical tie", "run_label": "conn 1", "rule": "", "observed": 1.0,
                           "predicted": 0.9, "residual": 0.33, "memo": "", "n_passages": 2,
                           "quote_text": "“……”", "unit_key": "310000-320500", "added_by": "researcher"}])
    english = export_table(cases)
    assert list(english.columns)[:4] == ["Order", "Case", "Level", "Case type"]
    assert english.loc[0, "Case type"] == "typical tie"
    with i18n.using("zh"):
        chinese = export_table(cases)
    assert list(chinese.columns) == ["顺序", "案例", "层级", "案例类型", "分析记录", "规则", "观测值", "预测值",
                                     "皮尔逊残差", "备忘录", "已编码段落", "主要引文", "单元标识", "添加者"]
    assert chinese.iloc[0].tolist()[:4] == [1, "苏州市–上海市", "城市对", "典型案例（有合作）"]


def test_refusals_and_login_messages_in_chinese():
    import team
    from team.login import WRONG

    with i18n.using("zh"):
        with pytest.raises(team.AccessDenied) as err:
            team.require("viewer", "code")
        assert str(err.value) == "查看者不能编码；请联系项目所有者。"
        with pytest.raises(team.AccessDenied) as err:
            team.require(None, "read")
        assert str(err.value) == "请先登录。"
        assert i18n._(WRONG) == "名称或密码错误。"
    with pytest.raises(team.AccessDenied, match=r"^A viewer may not code; ask an owner\.$"):
        team.require("viewer", "code")
    with pytest.raises(team.AccessDenied, match=r"^An owner may not|^A coder may not manage users; ask an owner\.$"):
        team.require("coder", "manage_users")


def test_case_view_download_speaks_the_readers_language():
    import pandas as pd

    from mixed.labels import people_table

    view = pd.DataFrame([{"case": "广州市–佛山市", "case_type": "deviant non-tie (missing expected collaboration)",
                          "observed": 0, "predicted": 0.93, "residual": -3.6, "n_passages": 1}])
    view.attrs["run_id"] = 7
    assert list(people_table(view).columns) == ["case", "case type", "observed", "predicted", "Pearson residual",
                                                "coded passages"]
    with i18n.using("zh"):
        table = people_table(view)
    assert list(table.columns) == ["案例", "案例类型", "观测值", "预测值", "皮尔逊残差", "已编码段落"]
    assert table.iloc[0].tolist() == ["广州市–佛山市", "偏离案例（预期中缺失的合作）", 0, 0.93, -3.6, 1]
    assert view.columns[1] == "case_type" and view.attrs == {"run_id": 7}  # the view itself is unchanged


def test_skipped_dimensions_are_said_in_chinese(engine):
    import store
    from report.run_sections import load_runset

    with store.session_scope(engine) as s:
        english = load_runset(s).skipped
        with i18n.using("zh"):
            chinese = load_runset(s).skipped
    assert english[0] == ("breadth: no run is saved; save one with `python cli.py fit --project P --dimension "
                          "breadth --save NAME` (or on the Models page), then draft again.")
    assert chinese[2] == ("degree: 尚未保存分析记录；请用 `python cli.py fit --project P --dimension degree --save "
                          "NAME`（或在“模型”页面）保存一条，然后重新起草。")
