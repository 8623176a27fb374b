"""Library messages in 简体中文 (issue 12): the lint's library mode, and errors, warnings and
history descriptions of coding/, store/ and commands/ shown in the current language."""
from __future__ import annotations

from pathlib import Path

import pytest

import i18n
from i18n import lint

ROOT = Path(__file__).resolve().parent.parent


def test_library_lint_finds_what_it_should(tmp_path):
    mod = tmp_path / "mod.py"
    mod.write_text(
        'from i18n import _, N_\n'
        'def f(x, warnings, report):\n'
        '    raise CodingError("The code does not exist.")\n'                 # 3: unmarked
        '    raise CodingError(_("The code {x} does not exist.").format(x=x))\n'
        '    raise TypeError("x must be an int")\n'                            # programmer error
        '    raise KeyError(x)\n'
        '    raise QuantError(f"Run {x} is stale")\n'                          # 7: f-string
        '    warnings.append("Row {x} skipped".format(x=x))\n'                 # 8
        '    report.warnings.append(_("Row skipped"))\n'
        '    raise CliError("the name " + x)  # i18n: data\n'
        '    raise ReportError(\n'
        '        "A long sentence "\n'                                         # 12
        '        "over two lines.")\n'
        '    warn("careful now")\n'                                            # 14: from warnings import warn
        '    log.warn("careful, " + _("now"))\n'                               # 15: "careful, "
        '    x = ImportWarning("odd file")\n'                                  # 16
        '    raise MixedError("—")\n'                                          # no Latin word
        '    raise ProjectError(N_("Marked."))\n'
        '    raise RuntimeError("Never shown")  # i18n: internal\n'
        '    raise ValueError(_("a") if x else "Bad value")\n'                  # 20
        '    report["warnings"].append(f"row {x}: skipped")\n',                # 21
        encoding="utf-8")
    assert [line for line, _ in lint.unmarked_library(mod)] == [3, 7, 8, 12, 14, 15, 16, 20, 21]
    assert lint.main(["--library", str(tmp_path)]) == 1
    (tmp_path / "mod.py").write_text('raise CodingError(_("Fine."))\n', encoding="utf-8")
    assert lint.main(["--library", str(tmp_path)]) == 0


# --- the library packages of B1 carry no unmarked message ----------------------------------------

#: Files of coding/ another helper edits this session (their strings are listed in B1's report),
#: and command modules new this session.
_OTHERS = {"coding/codings.py", "coding/suggestions.py", "coding/autocoding/autocode.py", "coding/exchange/segments_export.py",
           "coding/exchange/qdpx_export.py", "coding/exchange/qdpx_import.py", "commands/outofcore.py"}


def _b1_files():
    for folder in ("coding", "store", "commands"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in _OTHERS or rel.startswith(("coding/agreement/", "commands/assist", "store/migrations/")):
                continue
            yield rel


@pytest.mark.parametrize("rel", list(_b1_files()))
def test_no_unmarked_library_message(rel):
    assert lint.unmarked_library(ROOT / rel) == []


# --- real errors and history lines in Chinese ----------------------------------------------------

@pytest.fixture
def project(tmp_path):
    import store

    eng = store.connect(tmp_path / "p.sqlite")
    yield eng
    eng.dispose()


def _error(exc_type, func, *args, **kwargs) -> str:
    with pytest.raises(exc_type) as info:
        func(*args, **kwargs)
    return str(info.value)


def test_store_errors_in_chinese(tmp_path):
    import store

    missing = tmp_path / "nope.sqlite"
    with i18n.using("zh"):
        assert _error(store.ProjectError, store.connect, missing, create=False) == f"项目文件 {missing} 不存在。"
        assert _error(store.ProjectError, store.connect, tmp_path) == \
            f"{tmp_path} 是文件夹；请给出其中的项目文件，例如 {tmp_path / 'study.sqlite'}。"
        bad = tmp_path / "notes.sqlite"
        bad.write_bytes(b"just some text, not a database" * 4)
        assert _error(store.ProjectError, store.connect, bad) == f"{bad} 不是 Tandem 项目：它不是 SQLite 数据库。"
    # English is as before
    assert _error(store.ProjectError, store.connect, missing, create=False) == f"Project file {missing} does not exist."


def test_coding_errors_in_chinese(project):
    import coding
    import store

    with store.session_scope(project) as s:
        trust = coding.add_code(s, "信任", coder="甲")
        with i18n.using("zh"):
            assert _error(coding.CodingError, coding.add_code, s, "信任", coder="甲") == \
                f"代码本顶层已有名为 '信任' 的代码（ID {trust}）；同级代码的名称必须唯一。"
            assert _error(coding.CodingError, coding.add_code, s, "a/b", coder="甲") == \
                "代码名称 'a/b' 含有 '/'，它用于分隔代码路径的层级。"
            assert _error(coding.CodingError, coding.add_memo, s, "galaxy", None, "x", author="甲") == \
                "未知的备忘录对象类型 'galaxy'；请使用 project, document, code, coding, city, dyad 之一。"
            assert _error(coding.CodingError, coding.merge_codes, s, trust, trust, coder="甲") == \
                "代码 '信任' 不能合并到它自身。"
            assert _error(coding.CodingError, coding.history, s, limit=0) == "历史记录条数上限必须是正整数，收到的是 0。"
            assert _error(coding.CodingError, coding.delete_memo, s, "x", coder="甲") == \
                "备忘录 ID 必须是整数 ID，收到的是 'x'。"
        assert _error(coding.CodingError, coding.merge_codes, s, trust, trust, coder="甲") == \
            "Code '信任' cannot be merged into itself."


def test_history_reads_in_the_viewers_language_and_stores_no_translation(project):
    import coding
    import store
    from coding.codes.dimensions import set_dimension_map

    with store.session_scope(project) as s:
        trust = coding.add_code(s, "信任", coder="甲")
        top = coding.add_code(s, "Needs", coder="甲")
        coding.move_code(s, trust, top, coder="甲")
        set_dimension_map(s, trust, ["breadth"], coder="甲")
    with store.session_scope(project) as s, i18n.using("zh"):
        zh = coding.history(s)["summary"].tolist()
        stored = [e.payload for e in s.query(store.Event).order_by(store.Event.id.desc())]
    assert zh[:4] == ["将代码“信任”映射到 breadth", f"将代码 {trust} 移到代码 {top} 之下", "添加了代码“Needs”",
                      "添加了代码“信任”"]
    with store.session_scope(project) as s:
        en = coding.history(s)["summary"].tolist()
    assert en[:4] == ["mapped code “信任” to breadth", f"moved code {trust} under code {top}", "added code “Needs”",
                      "added code “信任”"]
    # what is stored is the English/structured form, whoever looked at it in which language
    assert stored[0]["description"] == "mapped code “信任” to breadth"
    assert stored[0]["description_template"] == "mapped code “{name}” to {dimensions}"
    assert stored[0]["description_params"] == {"name": "信任", "dimensions": "breadth"}
    # an event stored before templates existed still shows its stored words
    from coding.eventlog.undo import describe
    with i18n.using("zh"):
        assert describe("run_save", {"description": "saved run “conn 1”"}) == "saved run “conn 1”"


def test_undo_refusal_in_chinese(project):
    import coding
    import store

    with store.session_scope(project) as s:
        trust = coding.add_code(s, "信任", coder="甲")
        doc = coding.import_source(s, "苏州与上海签署协议。", name="访谈1", coder="甲").document_id
        coding.add_coding(s, doc, 0, 2, [trust], coder="乙")  # another coder codes with the new code
    with store.session_scope(project) as s, i18n.using("zh"):  # 甲's import cannot go: 乙 coded in 访谈1
        message = _error(coding.CodingError, coding.undo, s, "甲")
    assert message == "事件 2（导入了文档“访谈1”（10 个码位））无法撤销：文档 '访谈1' (1) 无法移除：它现在有 1 个编码片段；请先删除它们。"


# --- the command line: display-width tables, the import's own way out of a name clash -------------

def test_display_width_counts_wide_characters_twice():
    from commands.common import display_width, ljust, rjust

    assert display_width("广州市") == 6 and display_width("P1") == 2 and display_width("，A") == 3
    assert display_width("e\u0301") == 1 and display_width("a\u200bb") == 2   # combining mark, zero-width space
    assert ljust("广州", 6) == "广州  " and rjust("广州", 6) == "  广州" and ljust("广州市区", 4) == "广州市区"


def test_cli_tables_align_chinese_by_display_width(tmp_path, capsys):
    import cli

    project = str(tmp_path / "p.sqlite")
    files = []
    for name, text in (("访谈广州市", "广州与佛山签署协议。"), ("P1", "Beijing and Shanghai agreed.")):
        path = tmp_path / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    assert cli.main(["new", "--project", project]) == 0
    assert cli.main(["import", "--project", project, *files]) == 0
    for doc, value in (("访谈广州市", "甲乙丙丁"), ("P1", "x")):
        assert cli.main(["attributes", "--project", project, "--set", doc, "site", value]) == 0
    capsys.readouterr()
    assert cli.main(["attributes", "--project", project]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    header, rows = lines[0], lines[1:]
    assert len(rows) == 2
    # the column "site" ends at the same display column on every line (right-aligned by pandas)
    from commands.common import display_width

    ends = {display_width(line.rstrip()) for line in lines}
    assert len(ends) == 1, lines
    assert {display_width(line.split()[0]) for line in rows} == {10, 2} and "site" in header


def test_import_name_clash_offers_the_cli_option(tmp_path, capsys, monkeypatch):
    import cli

    project = str(tmp_path / "p.sqlite")
    path = tmp_path / "访谈1.txt"
    path.write_text("苏州与上海签署协议。", encoding="utf-8")
    assert cli.main(["new", "--project", project]) == 0
    assert cli.main(["import", "--project", project, str(path)]) == 0
    capsys.readouterr()
    assert cli.main(["import", "--project", project, str(path)]) == 1
    err = capsys.readouterr().err
    assert ("refused 访谈1.txt: a document named '访谈1' is already in the project; rename the file or import it "
            "under another name with --name NEW_NAME.") in err and "name=" not in err
    assert cli.main(["import", "--project", project, "--name", "访谈1（第二次）", str(path)]) == 0
    assert cli.main(["import", "--project", project, "--name", "x", str(path), str(path)]) == 1
    assert "--name names one document" in capsys.readouterr().err
    monkeypatch.setenv("LANGUAGE", "zh_CN")
    assert cli.main(["import", "--project", project, str(path)]) == 1
    assert ("已拒绝 访谈1.txt：项目中已有名为 '访谈1' 的文档；请重命名文件，或用 --name 新名称 以另一个名称导入。"
            in capsys.readouterr().err)


def test_undo_question_in_chinese(project):
    import coding
    import store
    from coding.eventlog.undo import undo_effect

    with store.session_scope(project) as s:
        trust = coding.add_code(s, "信任", coder="甲")
        doc = coding.import_source(s, "苏州与上海签署协议。杭州也加入。", name="访谈-苏州", coder="甲").document_id
        first = coding.add_coding(s, doc, 0, 2, [trust], coder="乙")[0]
        coding.add_coding(s, doc, 3, 5, [trust], coder="乙")
        coding.add_memo(s, "coding", first, "一条备忘", author="乙")
    with store.session_scope(project) as s, i18n.using("zh"):
        effect = undo_effect(s, "甲")
    assert effect["question"] == "撤销“访谈-苏州”的导入？这将删除该文档、其 2 个编码片段和1 条备忘录。"
    assert effect["refused"] == "“访谈-苏州”现在有 2 个编码片段不是由这次修改产生的；请先删除（或撤销）它们。"
    with store.session_scope(project) as s:
        assert undo_effect(s, "甲")["question"] == \
            "Undo the import of “访谈-苏州”? It removes the document, its 2 codings and 1 memo."


def test_codebook_import_warnings_in_chinese_count_the_same(project, tmp_path):
    """The CSV import folds the per-code "no colour" warnings into one count in either language."""
    import coding
    import store

    table = tmp_path / "book.csv"
    table.write_text("path,colour\n信任,\n信任/纵向,\n需求,#12345A\n", encoding="utf-8")
    with store.session_scope(project) as s, i18n.using("zh"):
        report = coding.import_codebook_csv(s, table, coder="甲")
    assert "文件中有 2 个代码没有颜色；已使用默认颜色。" in report["warnings"]
    assert not any("没有颜色；已使用默认颜色" in w and "文件中" not in w for w in report["warnings"])
    with store.session_scope(project) as s:
        assert [c.colour for c in s.query(store.Code).order_by(store.Code.id)][-1] == "#12345A"


def test_sidebar_history_in_chinese(tmp_path, monkeypatch):
    """The sidebar's History panel shows the stored events in the page's language, with names put in."""
    from streamlit.testing.v1 import AppTest

    import coding
    import store

    path = tmp_path / "p.sqlite"
    eng = store.connect(path)
    with store.session_scope(eng) as s:
        trust = coding.add_code(s, "信任", coder="researcher")
        top = coding.add_code(s, "Needs", coder="researcher")
        coding.move_code(s, trust, top, coder="researcher")
    eng.dispose()
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_HOME", str(tmp_path / "home"))
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.session_state["tandem_language"] = "zh"
    at.run()
    assert not at.exception, at.exception
    frames = [d.value for d in at.sidebar.dataframe]
    change = next(f["更改"] for f in frames if "更改" in f.columns)
    assert list(change)[:3] == ["将代码“信任” 移到代码“Needs” 之下", "添加了代码“Needs”", "添加了代码“信任”"]


def test_text_guard_in_chinese(project):
    import coding
    import store

    with store.session_scope(project) as s, i18n.using("zh"):
        with pytest.raises(store.TextError) as info:
            coding.add_memo(s, "project", None, "a\x00b", author="甲")
    assert str(info.value) == "memos.text 的文本（'a\\u0000b'）在码位 1 处含有 NUL 字符（U+0000），项目无法存储它；请删除。"
