"""The command line follows LANG (issue 12): messages, errors and argparse help in 简体中文 under a
Chinese locale, in English under C/en; JSON keys stay English whatever the language.

Every run is a subprocess with LANG set explicitly and LANGUAGE/LC_ALL/LC_MESSAGES removed, so the
tests do not depend on the machine's locale. The static tests check that every CliError sentence and
every help text of cli.py and commands/ is marked for translation and has a Chinese translation in
the parts files (i18n/locale/zh_CN/parts/*.tsv).
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Files whose strings are not marked for translation yet (none now), left out of the static checks.
PENDING: set[str] = set()
MARKERS = {"_", "N_", "ngettext"}


def cli(lang: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(LANG=lang, PYTHONUTF8="1", COLUMNS="100")
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          encoding="utf-8", cwd=ROOT, env=env, timeout=300)


def test_top_level_help_follows_lang():
    zh = cli("zh_CN.UTF-8", "--help")
    en = cli("C", "--help")
    assert zh.returncode == en.returncode == 0
    assert zh.stdout.startswith("用法：python cli.py")
    assert "Tandem：面向城市对的混合方法研究工作台。" in zh.stdout
    assert "显示此帮助信息并退出" in zh.stdout and "创建一个带默认代码本的空项目文件。" in zh.stdout
    assert "usage: " not in zh.stdout and "Create an empty project" not in zh.stdout
    assert en.stdout.startswith("usage: python cli.py")
    assert "show this help message and exit" in en.stdout
    assert "Create an empty project file with the default codebook." in en.stdout
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en.stdout.replace("访谈者", ""))


def test_command_help_follows_lang_and_wraps_chinese_by_columns():
    zh = cli("zh_CN.UTF-8", "fit", "--help")
    en = cli("C", "fit", "--help")
    assert zh.returncode == en.returncode == 0
    assert zh.stdout.startswith("用法：python cli.py fit")
    assert "项目文件（SQLite）或数据库 URL" in zh.stdout and "显示此帮助信息并退出" in zh.stdout
    assert "project file (SQLite) or database URL" in en.stdout
    runs = cli("zh_CN.UTF-8", "runs", "--help")
    assert "恢复一个已删除的分析记录" in runs.stdout
    # COLUMNS=100: no line of Chinese help is wider than the terminal (CJK characters take 2 columns)
    from cli import _columns

    assert max(_columns(line) for line in runs.stdout.splitlines() if "[" not in line) <= 100


@pytest.mark.slow  # a CLI round trip, each command in its own process (~3 s of start-up each): CI runs it
def test_success_and_failure_messages_follow_lang(tmp_path):
    project = tmp_path / "项目.sqlite"
    made = cli("zh_CN.UTF-8", "new", "--project", str(project))
    assert made.returncode == 0, made.stderr
    assert made.stdout == f"已创建带默认代码本的空项目 {project}。\n"
    again_zh = cli("zh_CN.UTF-8", "new", "--project", str(project))
    again_en = cli("C", "new", "--project", str(project))
    assert again_zh.returncode == again_en.returncode == 1
    assert again_zh.stderr == f"错误：{project} 已存在；请换一个文件名。\n"
    assert again_en.stderr == f"error: {project} already exists; choose another file name.\n"

    blind_zh = cli("zh_CN.UTF-8", "blind", "--project", str(project))
    blind_en = cli("en_US.UTF-8", "blind", "--project", str(project))
    assert blind_zh.stdout == "盲编码已关闭（从未开启过）。\n"
    assert blind_en.stdout == "Blind coding is off (it was never switched on).\n"
    # JSON: the same keys and values in both languages (scripts parse them)
    j_zh = json.loads(cli("zh_CN.UTF-8", "blind", "--project", str(project), "--json").stdout)
    j_en = json.loads(cli("C", "blind", "--project", str(project), "--json").stdout)
    assert j_zh == j_en == {"on": False, "by": None, "at": None, "log": []}

    missing = cli("zh_CN.UTF-8", "runs", "--project", str(tmp_path / "nope.sqlite"))
    assert missing.returncode == 1
    assert missing.stderr.startswith("错误：项目文件 ") and "不存在" in missing.stderr
    assert "Traceback" not in missing.stderr and missing.stderr.count("\n") == 1


def test_usage_errors_follow_lang(tmp_path):
    zh = cli("zh_CN.UTF-8", "runs", "--project", str(tmp_path / "p.sqlite"), "--dimension", "width")
    en = cli("C", "runs", "--project", str(tmp_path / "p.sqlite"), "--dimension", "width")
    assert zh.returncode == en.returncode == 2
    assert "python cli.py runs：错误：参数 --dimension：无效的选项：'width'" in zh.stderr
    assert "python cli.py runs: error: argument --dimension: invalid choice: 'width'" in en.stderr
    required = cli("zh_CN.UTF-8", "runs")
    assert "缺少以下必需参数：--project" in required.stderr


def test_in_process_main_leaves_the_language_as_it_was(monkeypatch, capsys, tmp_path):
    """cli.main follows LANG for its own run only: a test that runs it under zh does not leave the
    rest of the test session in Chinese."""
    import cli
    import i18n

    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    for key in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(key, raising=False)
    before = i18n.language()
    assert cli.main(["runs", "--project", str(tmp_path / "x.sqlite")]) == 1
    assert capsys.readouterr().err.startswith("错误：项目文件 ")
    assert i18n.language() == before
    with i18n.using("en"):
        assert i18n._("options") == "options"


# --- static checks: every message is marked, and translated --------------------------------------

def _sources():
    files = [ROOT / "cli.py"] + sorted((ROOT / "commands").glob("*.py"))
    return [f for f in files if str(f.relative_to(ROOT)) not in PENDING]


def _marked(node: ast.AST) -> bool:
    """A marker call, or ``.format(...)`` of one, or text passed through from an exception."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in MARKERS:
            return True
        if isinstance(func, ast.Attribute) and func.attr == "format":
            return _marked(func.value)
        if isinstance(func, ast.Name) and func.id == "str":  # CliError(str(exc)): a library sentence
            return True
    if isinstance(node, ast.IfExp):
        return _marked(node.body) and _marked(node.orelse)
    return False


def _has_letters(node: ast.AST) -> bool:
    texts = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return any(sum(ch.isalpha() and ch.isascii() for ch in t) >= 2 for t in texts)


def test_every_error_and_help_text_is_marked():
    unmarked = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            values = []
            if name == "CliError" and node.args:
                values.append(node.args[0])
            values += [kw.value for kw in node.keywords if kw.arg in ("help", "description")]
            if name == "add" and len(node.args) >= 3:
                values.append(node.args[2])
            for value in values:
                if _has_letters(value) and not _marked(value) and not isinstance(value, ast.Name):
                    unmarked.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not unmarked, "unmarked messages: " + ", ".join(unmarked)


def test_every_marked_string_has_a_chinese_translation():
    pytest.importorskip("babel")
    from babel.messages.extract import extract_from_file

    parts = {}
    for tsv in sorted((ROOT / "i18n" / "locale" / "zh_CN" / "parts").glob("*.tsv")):
        for line in tsv.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#") and line.count("\t") == 1:
                src, dst = (x.replace("\\n", "\n") for x in line.split("\t"))
                parts.setdefault(src, dst)
    missing = []
    placeholders = []
    import string

    for path in _sources():
        for _lineno, message, _c, _ctx in extract_from_file(
                "python", str(path), keywords={"_": None, "N_": None, "ngettext": (1, 2)}):
            for msg in (message if isinstance(message, tuple) else (message,)):
                if not parts.get(msg):
                    missing.append(msg)
                    continue
                names = lambda s: sorted(f for _t, f, _s, _cv in string.Formatter().parse(s) if f)  # noqa: E731
                if "{" in msg and names(msg) != names(parts[msg]):
                    placeholders.append(msg)
    assert not missing, f"{len(missing)} untranslated: {missing[:10]}"
    assert not placeholders, f"placeholders differ in the translation of: {placeholders[:10]}"


def test_chinese_help_wraps_by_terminal_columns():
    """Chinese help lines are at most `width` columns (CJK = 2), keep every character in order, and
    never start with a closing or end with an opening punctuation mark; ASCII text wraps as textwrap does."""
    import textwrap

    from cli import _columns, _wrap

    text = "最少事件数（0/1 结果变量中较少的一类）或行数；默认 10。低于 10 时拟合结果附带警告（可考虑 --model firth）" * 3
    for width in (12, 20, 37, 60):
        lines = _wrap(text, width)
        assert all(_columns(line) <= width + 2 for line in lines)  # a closing mark may overhang by one character
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert not any(line[0] in "，。；：）" or line[-1] in "（" for line in lines)
    assert _columns("城市a") == 5
    english = "words per document, code or group (default 20; 0 = all) " * 4
    assert _wrap(english, 33) == textwrap.wrap(english, 33)
