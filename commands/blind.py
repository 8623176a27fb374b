"""Commands of the blind group: ``blind`` (blind coding, ``coding.blind``).

``python cli.py blind --project P [on|off|status] [--by NAME] [--json]``: switch blind coding on or
off (who switched it and when are kept in the project) or say whether it is on. The command line
is the owner's tool on their own file, so it needs no login. ``--json`` prints stable keys:
``on, by, at, log`` (``log``: the last switches, each ``{on, by, at}``; times ISO 8601 UTC).
"""
from __future__ import annotations

import json
import os

from commands.common import CliError, session
from applog.errors import TandemError
from i18n import _

__all__ = ["register", "cmd_blind"]


def register(add) -> None:
    """Add the ``blind`` command."""
    p = add("blind", cmd_blind, _("Blind coding: while on, each coder sees only their own codings in the workbench "
            "until the owner switches it off (then agreement can be computed)."))
    p.add_argument("switch", nargs="?", choices=("on", "off", "status"), default="status",
                   help=_("on, off, or status (default: say whether it is on)"))
    p.add_argument("--by", default=None,
                   help=_("who switches it (default: TANDEM_CODER, else the system user name)"))
    p.add_argument("--json", action="store_true", help=_("print JSON instead of text"))


def _text(state: dict) -> str:
    if state["by"] is None:
        return _("Blind coding is off (it was never switched on).")
    when = str(state["at"]).replace("T", " ")[:16]
    if state["on"]:
        return _("Blind coding is on: coders see only their own codings (switched on by {by} at {when} UTC).").format(
            by=state["by"], when=when)
    return _("Blind coding is off (switched off by {by} at {when} UTC).").format(by=state["by"], when=when)


def cmd_blind(args) -> str:
    """Switch or show blind coding; returns the text (or JSON) to print.

    Raises
    ------
    CliError
        ``--by`` is not a valid name (through ``coding.CodingError``, a TandemError, shown as is).
    """
    from coding import blind

    by = args.by or os.environ.get("TANDEM_CODER") or os.environ.get("USER") or "owner"
    with session(args.project) as s:
        if args.switch in ("on", "off"):
            try:
                state = blind.set_blind(s, args.switch == "on", by)
            except TandemError as exc:  # coding.CodingError: the same sentence, as the command's error
                raise CliError(str(exc)) from None
        else:
            state = blind.blind_state(s)
    if args.json:
        return json.dumps({k: state[k] for k in ("on", "by", "at", "log")}, ensure_ascii=False)
    return _text(state)
