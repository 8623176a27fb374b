"""Command-line commands beyond the core ones in ``cli.py``, one module per group:
``runs`` (saved analyses), ``mixed`` (joint display, decoupling), ``cases`` (case selection and
the fieldwork worklist), ``drafts`` (report drafts), ``agreement`` (intercoder agreement), ``exchange``
(REFI-QDA projects) and ``segments`` (MAXQDA coded segments). Each module has ``register(add)``,
where ``add(name, func, help)`` returns the sub-parser (with ``--project``) to add arguments to;
``func(args)`` returns the text to print or raises ``commands.common.CliError``/``ValueError``.
"""
from __future__ import annotations

__all__ = ["register_all"]


def register_all(add) -> None:
    """Add every command group's sub-commands to the parser through ``add``."""
    from commands import agreement, cases, drafts, exchange, exports, mixed, runs, segments

    for module in (runs, mixed, cases, drafts, agreement, exchange, exports, segments):
        module.register(add)
    from commands import attributes, codebook  # case/variable tables; codebook tables (CSV, XLSX, .qdc)

    for module in (attributes, codebook):
        module.register(add)
    from commands import outofcore  # fit-parquet: out-of-core dyad fits through DuckDB

    outofcore.register(add)
