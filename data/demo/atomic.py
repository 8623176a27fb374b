"""Building a SQLite project file atomically: into a temporary file beside it, published at the end.

A build goes into ``.<name>.<pid>-<token>.tmp`` in the target's folder (same file system, so
publishing is a rename). :func:`publish` puts the finished file at the target without ever
replacing a file that appeared there meanwhile; :func:`remove_sqlite` removes a temporary
file with its ``-wal``, ``-shm`` and ``-journal`` companions; :func:`sweep_stale` removes
the temporary files of builds whose process no longer runs (a crash, ``SIGKILL``, a closed
laptop), so that a later start cleans up after an interrupted one. A build that was killed
therefore leaves nothing at the target, and at most a hidden temporary file until the next
build of the same target sweeps it. :func:`build_lock` lets builds of one target in several
processes take turns (the later ones then find the finished file and build nothing). On a
server database there is no file to publish: a failed build into a database that was empty
drops the tables it made (:func:`drop_tandem_tables`).
"""
from __future__ import annotations

import os
import re
import secrets
import sqlite3
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = ["build_lock", "drop_tandem_tables", "publish", "remove_sqlite", "sweep_stale", "temp_path"]

_SIDECARS = ("", "-wal", "-shm", "-journal")


def temp_path(final: Path) -> Path:
    """A fresh temporary path for building ``final``: ``.<name>.<pid>-<token>.tmp`` beside it."""
    return final.parent / f".{final.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"


def remove_sqlite(path: Path) -> None:
    """Remove a SQLite file and its ``-wal``, ``-shm``, ``-journal`` files (missing ones are fine)."""
    for suffix in _SIDECARS:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id runs now (on doubt: True, so that nothing live is removed)."""
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes

        kernel = ctypes.windll.kernel32
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        try:
            code = ctypes.c_ulong()
            return not kernel.GetExitCodeProcess(handle, ctypes.byref(code)) or code.value == 259  # STILL_ACTIVE
        finally:
            kernel.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, under another user
        return True
    return True


def sweep_stale(final: Path) -> list[Path]:
    """Remove temporary build files of ``final`` left by processes that no longer run.

    Returns the temporary paths removed (without their sidecar files).
    """
    pattern = re.compile(rf"\.{re.escape(final.name)}\.(\d+)-[0-9a-f]+\.tmp")
    removed = []
    if not final.parent.is_dir():
        return removed
    for entry in final.parent.iterdir():
        match = pattern.fullmatch(entry.name)
        if match and not _pid_alive(int(match.group(1))):
            remove_sqlite(entry)
            removed.append(entry)
    for entry in final.parent.iterdir():  # sidecars whose main file is already gone
        base = next((entry.name[: -len(s)] for s in _SIDECARS[1:] if entry.name.endswith(s)), None)
        if base and pattern.fullmatch(base) and not (final.parent / base).exists():
            match = pattern.fullmatch(base)
            if not _pid_alive(int(match.group(1))):
                entry.unlink(missing_ok=True)
    return removed


def checkpoint(path: Path) -> None:
    """Fold the WAL into the main file so that renaming the file alone moves everything."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def publish(tmp: Path, final: Path) -> bool:
    """Move the finished ``tmp`` to ``final`` unless ``final`` exists; True when published.

    A hard link (which fails if ``final`` exists) then removing ``tmp``; on a file system
    without hard links, ``os.replace`` after checking that ``final`` is still absent.
    When ``final`` exists, ``tmp`` is left for the caller to remove.
    """
    try:
        os.link(tmp, final)
    except FileExistsError:
        return False
    except (OSError, NotImplementedError):
        if final.exists():
            return False
        os.replace(tmp, final)
        return True
    tmp.unlink()
    return True


@contextmanager
def build_lock(final: Path) -> Iterator[None]:
    """Hold an exclusive lock for building ``final`` for the block; wait while another process
    holds it. The operating system releases it when the holder exits, even on ``SIGKILL``.

    POSIX: ``flock`` on the target's folder itself (so no lock file is left beside the project;
    builds of other files in the same folder take turns too). Windows: ``msvcrt.locking`` on
    ``.<name>-build.lock`` beside the target (left in place; removing it while another process
    waits on it would let a third build at the same time).
    """
    if sys.platform == "win32":
        import msvcrt

        with open(final.parent / f".{final.name}-build.lock", "a+b") as handle:
            while True:
                try:
                    handle.seek(0)
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # tries for about 10 s, then raises
                    break
                except OSError:
                    continue
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fd = os.open(final.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def drop_tandem_tables(engine) -> None:
    """Drop Tandem's tables and Alembic's from a database that had no tables before this build."""
    from sqlalchemy import MetaData

    import store

    ours = set(store.Base.metadata.tables) | {"alembic_version"}
    meta = MetaData()
    meta.reflect(engine, only=lambda name, _meta: name in ours)
    meta.drop_all(engine)
