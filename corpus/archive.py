"""Opening a zip archive a user handed in (.docx, .xlsx, .qdpx) without trusting it.

A zip's headers say how large each member is, but nothing forces them to tell the truth,
and a few megabytes of DEFLATE can inflate to gigabytes (a "zip bomb"; DEFLATE reaches
about 1,032:1). ``check_zip`` therefore refuses an archive, with one sentence naming the
file, when

- the end-of-central-directory record announces more than ``max_entries`` members, or a
  central directory larger than ``max_entries`` KiB (checked *before* ``zipfile`` parses
  the directory, so a directory of millions of entries never reaches memory);
- a member name is absolute (``/x``, ``C:x``), climbs out (``..``), or holds a NUL or a
  backslash; a member is encrypted;
- the declared sizes (``file_size`` headers) add up past ``max_total`` bytes, or one
  member declares more than ``max_member``;
- and, whatever the headers say, the *actual* inflated bytes, counted while each member
  is streamed in 64 KiB pieces (never held whole), pass ``max_member`` for one member or
  ``max_total`` for all, or a member larger than ``ratio_floor`` inflates more than
  ``max_ratio`` times its compressed size;
- a markup member (``.xml``, ``.rels``, ``.qde``), which a parser holds whole in memory,
  declares or inflates past ``max_markup`` (64 MB: about 30 million characters of text,
  far more than any interview or policy document; a 190 MB ``document.xml`` took 1.1 GB
  to read).

Libraries that open the zip themselves (python-docx, openpyxl) are handed the bytes only
after ``check_zip`` passed: the streamed count bounds what they can inflate. Members that
Tandem reads itself are read with ``read_member``, which streams with the same caps.
Sizes are bytes; MB in messages are 2**20 bytes.
"""
from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

from corpus.errors import CorpusError
from i18n import _

_CHUNK = 64 * 1024
MB = 2**20


class ArchiveError(CorpusError):
    """An archive was refused; the message names the file and the reason."""


class CorruptArchiveError(ArchiveError):
    """Not a zip archive at all, or a member that does not inflate (bad data, bad CRC)."""


@dataclass(frozen=True)
class ZipLimits:
    """Caps for one archive (bytes, counts, ratio)."""

    max_entries: int = 10_000
    max_total: int = 200 * MB
    max_member: int = 200 * MB
    max_ratio: float = 100.0
    ratio_floor: int = 1 * MB
    #: Cap for one markup member (``.xml``, ``.rels``, ``.qde``): these are parsed whole into
    #: memory (lxml, openpyxl, ElementTree), several times their size.
    max_markup: int = 64 * MB


MARKUP_SUFFIXES = (".xml", ".rels", ".qde")


DEFAULT_LIMITS = ZipLimits()


def _entries_declared(data: bytes, label: str, limits: ZipLimits) -> None:
    """Refuse from the end-of-central-directory record alone (before zipfile parses it)."""
    end = getattr(zipfile, "_EndRecData", None)
    if end is None:  # pragma: no cover - CPython has had it since 2.x
        return
    try:
        rec = end(io.BytesIO(data))
    except (OSError, zipfile.BadZipFile, ValueError, IndexError):
        rec = None
    if not rec:
        raise CorruptArchiveError(_("{label}: refused, it is not a zip archive (or a corrupt one).")
                                  .format(label=label))
    entries, cd_size = rec[zipfile._ECD_ENTRIES_TOTAL], rec[zipfile._ECD_SIZE]
    if entries > limits.max_entries:
        raise ArchiveError(_("{label}: refused, it holds {entries:,} entries, more than {max_entries:,}.")
                           .format(label=label, entries=entries, max_entries=limits.max_entries))
    if cd_size > limits.max_entries * 1024:
        raise ArchiveError(_("{label}: refused, its central directory is {value:.1f} MB, too large for "
                             "{max_entries:,} entries.")
                           .format(label=label, value=cd_size / MB, max_entries=limits.max_entries))


def _check_name(name: str, label: str) -> None:
    parts = name.replace("\\", "/").split("/")
    if (name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts
            or "\x00" in name or "\\" in name):
        raise ArchiveError(_("{label}: refused, it holds an unsafe member name {name!r} (absolute, '..', backslash "
                             "or NUL).")
                           .format(label=label, name=name[:80]))


def _markup(label: str, name: str, limit: int) -> ArchiveError:
    return ArchiveError(_("{label}: refused, its part {name!r} would inflate past {value:g} MB, more markup than "
                          "Tandem reads from one file.")
                        .format(label=label, name=name, value=limit / MB))


def _bomb(label: str, limit: int) -> ArchiveError:
    return ArchiveError(_("{label}: refused, it would inflate past {value:g} MB (zip bomb?).")
                        .format(label=label, value=limit / MB))


def open_zip(data: bytes, label: str, limits: ZipLimits = DEFAULT_LIMITS) -> zipfile.ZipFile:
    """A ``ZipFile`` over ``data`` once the entry count, names and declared sizes pass.

    Members are *not* inflated yet: read them with ``read_member`` (or run ``check_zip``
    first when a library will read them).

    Raises
    ------
    ArchiveError
        Not a zip, too many entries, an unsafe name, an encrypted member, declared sizes
        past the caps.
    """
    _entries_declared(data, label, limits)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError):
        raise CorruptArchiveError(_("{label}: refused, it is not a zip archive (or a corrupt one).")
                                  .format(label=label)) from None
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        zf.close()
        raise ArchiveError(_("{label}: refused, it holds {n:,} entries, more than {max_entries:,}.")
                           .format(label=label, n=len(infos), max_entries=limits.max_entries))
    declared = 0
    for info in infos:
        _check_name(info.filename, label)
        if info.flag_bits & 0x1:
            zf.close()
            raise ArchiveError(_("{label}: refused, member {filename!r} is encrypted.")
                               .format(label=label, filename=info.filename))
        declared += info.file_size
        if info.file_size > limits.max_member or declared > limits.max_total:
            zf.close()
            raise _bomb(label, min(limits.max_member, limits.max_total)
                        if info.file_size > limits.max_member else limits.max_total)
        if info.filename.lower().endswith(MARKUP_SUFFIXES) and info.file_size > limits.max_markup:
            zf.close()
            raise _markup(label, info.filename, limits.max_markup)
    return zf


def _stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, limits: ZipLimits, used: int,
            sink: list[bytes] | None) -> int:
    """Inflate one member piece by piece; return its size; refuse as soon as a cap is passed."""
    n = 0
    ratio_cap = max(limits.ratio_floor, limits.max_ratio * max(info.compress_size, 1))
    markup_cap = limits.max_markup if info.filename.lower().endswith(MARKUP_SUFFIXES) else None
    try:
        with zf.open(info) as fh:
            while True:
                piece = fh.read(_CHUNK)
                if not piece:
                    break
                n += len(piece)
                if n > limits.max_member:
                    raise _bomb(label, limits.max_member)
                if markup_cap is not None and n > markup_cap:
                    raise _markup(label, info.filename, markup_cap)
                if used + n > limits.max_total:
                    raise _bomb(label, limits.max_total)
                if n > ratio_cap:
                    raise ArchiveError(
                        _("{label}: refused, member {filename!r} inflates more than {max_ratio:g} times its "
                          "compressed size (zip bomb?).")
                        .format(label=label, filename=info.filename, max_ratio=limits.max_ratio))
                if sink is not None:
                    sink.append(piece)
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError, RuntimeError) as exc:
        raise CorruptArchiveError(_("{label}: refused, member {filename!r} is corrupt ({type}).")
                                  .format(label=label, filename=info.filename, type=exc.__class__.__name__)) from None
    return n


def check_zip(data: bytes, label: str, limits: ZipLimits = DEFAULT_LIMITS) -> list[str]:
    """Validate a whole archive: declared sizes, then every member streamed and counted.

    Parameters
    ----------
    data : bytes
        The archive.
    label : str
        The file's name, for messages.
    limits : ZipLimits

    Returns
    -------
    list of str
        Member names, in directory order.

    Raises
    ------
    ArchiveError
        See the module docstring; memory stays at one 64 KiB piece per member.
    """
    with open_zip(data, label, limits) as zf:
        used = 0
        for info in zf.infolist():
            used += _stream(zf, info, label, limits, used, None)
        return zf.namelist()


def read_member(zf: zipfile.ZipFile, name: str, label: str, limits: ZipLimits = DEFAULT_LIMITS) -> bytes:
    """The bytes of one member of an archive from ``open_zip``, streamed under the caps.

    Raises
    ------
    ArchiveError
        Missing member, or one that passes ``max_member``/``max_total`` or the ratio cap.
    """
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ArchiveError(_("{label}: has no member {name!r}.").format(label=label, name=name)) from None
    pieces: list[bytes] = []
    _stream(zf, info, label, limits, 0, pieces)
    return b"".join(pieces)
