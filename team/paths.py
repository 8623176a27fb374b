"""Which project targets a single-user workbench may open or create.

The Project page takes a typed path or URL; :func:`project_target` lets through only

- a file whose name ends ``.sqlite`` or ``.tandem`` in a folder that exists (Tandem never
  creates folders from a typed path), and which, if it exists, is a regular file;
- a ``sqlite:///`` URL naming such a file (returned as the plain path);
- a ``postgresql://`` or ``postgresql+<driver>://`` URL (a server; no file is touched).

Everything else — other suffixes, other URL schemes, control characters, a folder that
is missing — is refused with one sentence. In team mode no typed target is accepted at all
(the server's ``TANDEM_PROJECT`` is the project); that rule lives with the caller.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

from i18n import _
from team.errors import TeamError

__all__ = ["SUFFIXES", "project_target"]

SUFFIXES = (".sqlite", ".tandem")


def _file(text: str) -> str:
    path = Path(text).expanduser()
    if path.suffix.lower() not in SUFFIXES:
        raise TeamError(_("{value!r} is not a project file name; it must end in .sqlite or .tandem.")
                        .format(value=path.name or text))
    path = path.resolve()
    if path.exists() and not path.is_file():
        raise TeamError(_("{path} exists and is not a file.").format(path=path))
    if not path.parent.is_dir():
        raise TeamError(_("The folder {parent} does not exist; create it first (Tandem never creates folders).")
                        .format(parent=path.parent))
    return str(path)


def project_target(text: object) -> str:
    """The project a typed path or URL names, checked (see the module docstring).

    Returns
    -------
    str : an absolute file path, or the PostgreSQL URL as given.

    Raises
    ------
    TeamError
        Empty, holding control characters, a URL of another scheme, a file name not ending
        in .sqlite/.tandem, an existing folder or other non-file, or a missing folder.
    """
    if not isinstance(text, str) or not text.strip():
        raise TeamError(_("Give a project file (.sqlite or .tandem) or a postgresql:// URL."))
    text = text.strip()
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise TeamError(_("The project path holds a control character (a line break, tab or NUL); type it on one "
                          "line."))
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme == "postgresql" or scheme.startswith("postgresql+"):
            return text
        if scheme == "sqlite" or scheme.startswith("sqlite+"):
            database = text.split("://", 1)[1]
            if not database.startswith("/") or database in ("/", "/:memory:"):
                raise TeamError(_("A sqlite:/// URL must name a project file (.sqlite or .tandem)."))
            return _file(database[1:].split("?", 1)[0])
        raise TeamError(_("Database URLs of the kind {scheme!r} are not supported; use a file or a postgresql:// URL.")
                        .format(scheme=scheme))
    return _file(text)
