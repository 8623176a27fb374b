"""The interface language (issue 12): gettext catalogues kept complete and compiled, languages
chosen from the environment and the browser, and pages free of unmarked user-facing strings."""
from __future__ import annotations

import gettext
import io
from pathlib import Path

import pytest

import i18n
from i18n import __main__ as tool
from i18n.lint import unmarked

ROOT = Path(__file__).resolve().parent.parent

#: Files whose every user-facing string goes through gettext (the lint below keeps them so).
# every page and helper of the workbench: a new file in ui/ is checked the day it is added
CONVERTED = ["workbench.py"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ui").glob("*.py")
                                      if p.name != "__init__.py")


@pytest.mark.parametrize("tag, code", [("zh-CN", "zh"), ("zh_CN.UTF-8", "zh"), ("zh-Hant-TW", "zh"), ("en_GB", "en"),
                                       ("C", "en"), ("fr_FR", None), ("", None), (None, None)])
def test_normalise(tag, code):
    assert i18n.normalise(tag) == code


def test_accept_language_honours_quality_values():
    assert i18n.from_accept_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert i18n.from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8") == "en"
    assert i18n.from_accept_language("fr-FR, zh;q=0.5, en;q=0.4") == "zh"
    assert i18n.from_accept_language("fr, de") is None
    assert i18n.from_accept_language("zh;q=0, en;q=0.1") == "en"
    assert i18n.from_accept_language("zh;q=abc") is None


def test_environment_follows_gettext_order():
    assert i18n.from_environment({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert i18n.from_environment({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}) == "zh"
    assert i18n.from_environment({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.from_environment({}) == "en"


def test_using_restores_the_language():
    i18n.set_language("en")
    with i18n.using("zh"):
        assert i18n.language() == "zh" and i18n._("Undo") == "撤销"
    assert i18n.language() == "en" and i18n._("Undo") == "Undo"


def _entries(mo: bytes) -> dict:
    return dict(gettext.GNUTranslations(io.BytesIO(mo))._catalog)


def test_compiled_catalogue_matches_its_po():
    po = tool._po("zh")
    assert _entries(po.with_suffix(".mo").read_bytes()) == _entries(tool.compile_catalog(po)), \
        "run `python -m i18n compile` after editing the .po"


def test_every_marked_string_is_translated():
    used = {m.id for m in tool.extract() if m.id}
    translated = {m.id for m in tool.read(tool._po("zh")) if m.id and tool.translated(m)}
    missing = sorted(str(m) for m in used - translated)
    assert not missing, f"{len(missing)} strings lack a Chinese translation (python -m i18n build): {missing[:20]}"


@pytest.mark.parametrize("path", CONVERTED)
def test_no_unmarked_user_facing_strings(path):
    assert unmarked(ROOT / path) == []


def test_lint_finds_what_it_should(tmp_path):
    page = tmp_path / "page.py"
    page.write_text(
        'import streamlit as st\nfrom i18n import _\n'
        'st.button("Save")\n'                       # 3: unmarked
        'st.button(_("Save"))\n'
        'c1, c2 = st.columns(2)\nc1.caption(f"{n} documents")\n'   # 6: unmarked f-string
        'st.caption(_("{n} documents").format(n=3))\n'
        'st.tabs([_("One"), "Two"])\n'              # 8: "Two"
        'st.markdown(f"**{name}**")\n'
        'st.text_input(_("Coder"), placeholder="researcher")  # i18n: data\n'
        'st.selectbox(_("Pick"), ["alpha", "beta"])\n',  # 11: options
        encoding="utf-8")
    assert [line for line, _ in unmarked(page)] == [3, 6, 8, 11, 11]


def test_workbench_in_chinese(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from demo_runs import demo_copy

    path = tmp_path / "demo.sqlite"
    demo_copy(path)
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_HOME", str(tmp_path / "home"))
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.session_state["tandem_language"] = "zh"
    at.run()
    assert not at.exception, at.exception
    labels = [e.label for e in at.sidebar.expander] + [b.label for b in at.sidebar.button]
    assert "历史记录" in labels and "History" not in labels
    # switching to English from the sidebar
    at.sidebar.selectbox(key="tandem_language").set_value("en").run()
    labels = [e.label for e in at.sidebar.expander]
    assert "History" in labels
    assert (tmp_path / "home" / "ui_language.txt").read_text(encoding="utf-8") == "en"


def test_context_tells_the_two_codes_apart():
    with i18n.using("zh"):
        assert i18n.pgettext("page", "Code") == "编码" and i18n._("Code") == "代码"
    assert i18n.pgettext("page", "Code") == "Code"


def test_plural_entries_are_filled_and_checked(tmp_path, monkeypatch):
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="zh_CN")
    catalog.add(("{n} file", "{n} files"), string=("",))
    catalog.add("Save", string="保存")
    assert [tool.translated(m) for m in catalog if m.id] == [False, True]
    po = tmp_path / "zh_CN" / "LC_MESSAGES" / "tandem.po"
    tool.write(catalog, po)
    parts = tmp_path / "zh_CN" / "parts"
    parts.mkdir()
    (parts / "x.tsv").write_text("{n} file\t{n} 个文件\n", encoding="utf-8")
    monkeypatch.setattr(tool, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(tool, "_po", lambda lang: po)
    tool.fill_from_parts("zh")
    filled = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in tool.read(po) if m.id}
    assert filled["{n} file"] == ("{n} 个文件",)
