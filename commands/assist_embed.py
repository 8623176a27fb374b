"""Command ``embed``: store the sentence encoder's vectors of the project's units (issue 13).

``python cli.py embed --project P [--unit sentence|paragraph|both] [--documents NAME ...] [--json]``
embeds every unit with no current vector (``assist.embed.ensure``), printing progress on stderr,
and prints how many units were embedded. ``python cli.py embed --project P --status`` only counts
(units, embedded, model) without loading the encoder. ``--json`` keys: ``model`` and, per unit,
``{"unit", "embedded", "units", "current"}`` (embed) or ``{"unit", "units", "embedded"}`` (status).
"""
from __future__ import annotations

import json
import sys
import time

from commands.common import CliError, session
from i18n import _

__all__ = ["register", "cmd_embed"]


def register(add) -> None:
    """Add the ``embed`` command."""
    p = add("embed", cmd_embed, _("Embed the project's sentences and paragraphs with the offline sentence encoder "
            "(nothing leaves the machine); only units whose text or encoder changed are recomputed."))
    p.add_argument("--unit", choices=("sentence", "paragraph", "both"), default="sentence",
                   help=_("which units to embed (default: sentence)"))
    p.add_argument("--documents", nargs="+", metavar="NAME", help=_("only these documents (by name)"))
    p.add_argument("--status", action="store_true", help=_("only count the units and those already embedded"))
    p.add_argument("--json", action="store_true", help=_("print the counts as JSON"))


def _document_ids(s, names: list[str] | None) -> list[int] | None:
    """Ids of the named documents; CliError naming the first unknown one."""
    if not names:
        return None
    from sqlalchemy import select

    from store import Document

    found = dict(s.execute(select(Document.name, Document.id).where(Document.name.in_(names))).all())
    for name in names:
        if name not in found:
            raise CliError(_("No document is named {name}.").format(name=name))
    return [found[n] for n in names]


def _progress(unit: str):
    """A progress printer for stderr: at most one line a second, and the last."""
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if total and (done == total or now - last[0] >= 1.0):
            last[0] = now
            print(_("{unit}: {done} of {total} units embedded").format(unit=_unit_name(unit), done=done, total=total),
                  file=sys.stderr, flush=True)

    return show


def _unit_name(unit: str) -> str:
    return _("sentences") if unit == "sentence" else _("paragraphs")


def cmd_embed(args) -> str:
    """Embed (or count, with --status) and return the counts as text or JSON."""
    from assist import embed
    from assist.encoder import model_id

    units = ("sentence", "paragraph") if args.unit == "both" else (args.unit,)
    rows = []
    with session(args.project) as s:
        if args.status:
            if args.documents:
                raise CliError(_("--status counts the whole project; leave out --documents."))
            for unit in units:
                st = embed.status(s, unit)
                rows.append({"unit": unit, "units": st["units"], "embedded": st["embedded"]})
        else:
            ids = _document_ids(s, args.documents)
            for unit in units:
                n = embed.ensure(s, ids, unit=unit, progress=_progress(unit))
                st = embed.status(s, unit)
                rows.append({"unit": unit, "embedded": n, "units": st["units"], "current": st["embedded"]})
    model = model_id()
    if args.json:
        return json.dumps({"model": model, "units": rows}, ensure_ascii=False, indent=1)
    lines = []
    for r in rows:
        if args.status:
            lines.append(_("{unit}: {embedded} of {units} embedded with {model}").format(
                unit=_unit_name(r["unit"]), embedded=r["embedded"], units=r["units"], model=model))
        else:
            lines.append(_("{unit}: {n} newly embedded; {current} of {units} now embedded with {model}").format(
                unit=_unit_name(r["unit"]), n=r["embedded"], current=r["current"], units=r["units"], model=model))
    return "\n".join(lines)
