"""Writing the project as a ``.qdpx`` (zip: ``project.qde`` + ``sources/<guid>.txt``).

The XML from :func:`coding.exchange.qdpx_write.project_qde` is validated against the
REFI-QDA Project XSD *before* the zip is built; an invalid project is refused and nothing is
written. A path target is written atomically (temporary file beside it, then rename). The
first export sets ``ProjectInfo["refi_exported"]``: from then on an import never gives the
project's codes another tool's GUIDs (see :mod:`coding.exchange.qdpx_import`).
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from coding.errors import CodingError
from coding.exchange.qdpx_info import get_info, set_info
from coding.exchange.qdpx_write import project_qde, validate_project_xml

__all__ = ["export_qdpx", "qdpx_bytes"]


def qdpx_bytes(session: Session, *, xsd_path: str | Path | None = None,
               origin: str = "Tandem") -> tuple[bytes, dict[str, Any]]:
    """The validated ``.qdpx`` as bytes and a report (counts, schema, offset unit).

    Raises
    ------
    CodingError
        The schema is missing or the document is invalid (nothing is produced).
    """
    name = get_info(session, "name", None)
    data, files, counts = project_qde(session, name=str(name) if name else "Tandem project", origin=origin)
    schema = validate_project_xml(data, xsd_path)
    if not get_info(session, "refi_exported", False):
        set_info(session, "refi_exported", True)  # GUIDs are now known outside: never adopt others' again
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", data)
        for member, text in files.items():
            zf.writestr(member, text.encode("utf-8"))
    return buf.getvalue(), {**counts, "schema": schema,
                            "offsets": "Unicode code points over each UTF-8 .txt (LF line breaks), 0-based, "
                                       "end exclusive"}


def export_qdpx(session: Session, target: str | Path | io.IOBase, *,
                xsd_path: str | Path | None = None) -> dict[str, Any]:
    """Write the project as a validated ``.qdpx`` to a path (atomically) or a binary buffer.

    Returns
    -------
    dict
        Counts (sources, codes, selections, codings, notes, users, variables, cases, sets),
        ``schema`` and ``offsets`` (the unit written).

    Raises
    ------
    CodingError
        Invalid document or missing schema (nothing written), or the file cannot be written.
    """
    data, report = qdpx_bytes(session, xsd_path=xsd_path)
    if isinstance(target, (str, Path)):
        path = Path(target)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CodingError(f"{path} cannot be written: {exc.strerror or exc}.") from None
    else:
        target.write(data)
    return report
