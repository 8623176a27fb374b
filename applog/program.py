"""How to start Tandem's command line here: ``tandem`` when installed, ``python cli.py`` in a checkout.

Messages that tell the user what to type next (``save one with `{cli} fit … --save NAME```) fill
``{cli}`` with :func:`command_name`, so an installed user is never told to run a ``cli.py`` that is
not on their disk.
"""
from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["command_name"]

_ROOT = Path(__file__).resolve().parent.parent


def command_name() -> str:
    """``"tandem"`` when Tandem runs from an installation (the ``tandem`` console script, or
    modules in site-packages with no ``pyproject.toml`` beside them), ``"python cli.py"`` when it
    runs from a source checkout."""
    if Path(sys.argv[0] or "").stem == "tandem":
        return "tandem"
    return "python cli.py" if (_ROOT / "pyproject.toml").is_file() and (_ROOT / "cli.py").is_file() else "tandem"
