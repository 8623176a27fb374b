"""The files a ``.qdpx`` holds beside its ``project.qde``: source texts found by ``internal://``
name or bare path, under ``sources/`` matched case-insensitively (NVivo writes ``Sources/``),
each read with :func:`corpus.archive.read_member` (streamed under the archive caps). Paths
``relative://`` and ``absolute://`` point outside the archive and are never read from disk.
"""
from __future__ import annotations

from pathlib import PurePosixPath

from corpus.archive import read_member

__all__ = ["ArchiveFiles"]


class ArchiveFiles:
    """Members of the archive, found by ``internal://`` name, bare path, case-insensitively."""

    def __init__(self, zf, label: str) -> None:
        self.zf, self.label = zf, label
        self.by_lower = {n.lower(): n for n in zf.namelist()}

    def _member(self, path: str) -> str | None:
        name = (path[len("internal://"):] if path.startswith("internal://") else path).lstrip("/")
        return (self.by_lower.get(f"sources/{name}".lower()) or self.by_lower.get(name.lower())
                or self.by_lower.get(f"sources/{PurePosixPath(name).name}".lower()))

    def text(self, path: str | None) -> tuple[str | None, str]:
        if not path:
            return None, "it has no plainTextPath"
        if path.startswith(("relative://", "absolute://")):
            return None, f"its file {path!r} lies outside the archive (not read)"
        member = self._member(path)
        if member is None:
            return None, f"its file {path.removeprefix('internal://')!r} is missing from the archive"
        data = read_member(self.zf, member, self.label)
        for enc in ("utf-8-sig", "utf-16"):
            if enc == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue
            try:
                return data.decode(enc), ""
            except UnicodeDecodeError:
                continue
        return data.decode("utf-8", "replace"), "its file is not UTF-8; undecodable bytes became U+FFFD"

    def rich(self, path: str) -> tuple[str | None, str]:
        """The text of a source given only as rich text (.docx, ...), read by ``corpus.readers``
        (which checks the inner archive in turn); its selections are then placed by their text
        where the export gives it, since the vendor's offsets count over its own plain text."""
        from corpus.errors import CorpusError
        from corpus.readers import read_bytes

        if path.startswith(("relative://", "absolute://")):
            return None, f"its file {path!r} lies outside the archive (not read)"
        member = self._member(path)
        if member is None:
            return None, f"its rich-text file {path!r} is missing from the archive"
        try:
            return read_bytes(read_member(self.zf, member, self.label), PurePosixPath(member).name).text, ""
        except CorpusError as exc:
            return None, f"its rich-text file cannot be read ({exc})"
