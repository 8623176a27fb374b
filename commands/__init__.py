"""Command-line commands beyond the core ones in ``cli.py``, one module per group:
``runs`` (saved analyses), ``mixed`` (joint display, decoupling), ``cases`` (case selection and
the fieldwork worklist), ``drafts`` (report drafts), ``agreement`` (intercoder agreement), ``exchange``
(REFI-QDA projects), ``segments`` (MAXQDA coded segments), ``exports`` (coded segments, word
frequencies), ``attributes`` and ``codebook`` (tables), ``blind`` (blind coding) and ``outofcore``
(``fit-parquet``). Each module has ``register(add)``,
where ``add(name, func, help)`` returns the sub-parser (with ``--project``) to add arguments to;
``func(args)`` returns the text to print or raises ``commands.common.CliError``/``ValueError``.
"""
from __future__ import annotations

__all__ = ["register_all"]


def register_all(add) -> None:
    """Add every command group's sub-commands to the parser through ``add``."""
    from commands import (agreement, assist, assist_embed, assist_llm, attributes, blind, cases, codebook, drafts,
                          exchange, exports, mixed, outofcore, runs, segments, workbench_cmd)

    for module in (runs, mixed, cases, drafts, agreement, blind, exchange, exports, segments, attributes, codebook,
                   outofcore, assist_embed, assist, assist_llm, workbench_cmd):
        module.register(add)
