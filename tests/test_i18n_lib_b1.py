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
        '    raise ValueError(_("a") if x else "Bad value")\n',                 # 20
        encoding="utf-8")
    assert [line for line, _ in lint.unmarked_library(mod)] == [3, 7, 8, 12, 14, 15, 16, 20]
    assert lint.main(["--library", str(tmp_path)]) == 1
    (tmp_path / "mod.py").write_text('raise CodingError(_("Fine."))\n', encoding="utf-8")
    assert lint.main(["--library", str(tmp_path)]) == 0
