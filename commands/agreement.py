"""Commands of the agreement group (see commands/__init__.py)."""
from __future__ import annotations


def register(add) -> None:
    """Add this group's sub-commands (none yet)."""
