"""Atomic local feed storage: a downstream reader never sees a partial file or a half line.

Records are written to a hidden temporary file in the target folder
(``.<name>.<pid>.tmp``); when the feed closes, the file is flushed, fsynced and renamed
onto its final name, and the folder is fsynced. A run that dies leaves only the hidden
temporary file, which no ``*.jsonl`` pattern matches; the next run removes temporary files
whose writer is dead. With a state store, the emissions of the file are journalled just
before the rename (``StateStore.prepare``), so a run killed between the rename and the
state commit is settled by the next one without emitting anything twice. Registered for
``file:`` and plain-path feed URIs in ``FEED_STORAGES``.

A target that is a FIFO or a character device is written as a stream (opened and written
in place, never replaced); ``stdout:`` is the same stream storage on standard output. A
write, fsync or rename failure is one error line naming the path and the OS error
(``newsbot/output/failed`` in the stats); the temporary file is removed, and the state
commit (:class:`newsbot.extensions.IncrementalState`) records nothing of that output.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sqlite3
import sys
from pathlib import Path
from typing import IO, Any

from w3lib.url import file_uri_to_path

from newsbot.outputs import GuardedFile, OutputError, is_stream, os_reason
from newsbot.state import state_of

logger = logging.getLogger(__name__)

_TMP_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.tmp$")


def temporary_path(final: Path) -> Path:
    """Return the hidden temporary path this process writes ``final`` through."""
    return final.with_name(f".{final.name}.{os.getpid()}.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete temporary files in ``folder`` left by dead writers; return what was removed."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        match = _TMP_RE.match(entry.name)
        if match and int(match["pid"]) != os.getpid() and not _alive(int(match["pid"])):
            try:
                entry.unlink()
                removed.append(entry)
            except OSError:
                pass
    return removed


def fsync_folder(folder: Path) -> None:
    """fsync a folder so a rename inside it survives a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# temporary output files this process has open: a forced stop (a second SIGINT) removes them
_OPEN_TEMPORARIES: set[Path] = set()


def remove_own_temporaries() -> list[Path]:
    """Delete the temporary output files this process still has open (the run was stopped
    before they could be delivered); return what was removed."""
    removed = []
    for tmp in list(_OPEN_TEMPORARIES):
        _OPEN_TEMPORARIES.discard(tmp)
        try:
            tmp.unlink()
            removed.append(tmp)
        except FileNotFoundError:
            pass
        except OSError as exc:
            logger.error("could not remove the temporary output file %s: %s", tmp, os_reason(exc))
    return removed


class _QuietOutputErrors(logging.Filter):
    """Drops Scrapy's "Error storing ..." traceback for an :class:`OutputError`: the storage
    has already said it in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], OutputError))


_QUIET = _QuietOutputErrors()


def _quiet_scrapy_store_errors() -> None:
    feed_logger = logging.getLogger("scrapy.extensions.feedexport")
    if _QUIET not in feed_logger.filters:
        feed_logger.addFilter(_QUIET)


class _Sink(io.RawIOBase):
    """Where the records of an output that could not be opened go: nowhere."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(data)


class _Delivery:
    """What both storages share: the one error line and stat of an output not delivered."""

    path: Path
    crawler: Any

    def _failed(self, reason: str) -> OutputError:
        error = OutputError(self.path, reason)
        logger.error("%s; not delivered, nothing of it is recorded as emitted", error)
        if self.crawler is not None:
            self.crawler.stats.inc_value("newsbot/output/failed")
        return error


class AtomicFileFeedStorage(_Delivery):
    """Scrapy feed storage that writes through a temporary file and renames it in place
    (or, for a FIFO or a character device, writes the target itself as a stream)."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, crawler: Any = None) -> None:
        self.path = Path(file_uri_to_path(uri) if uri.startswith("file:") else uri)
        self.tmp: Path | None = None
        self.stream = False
        self.crawler = crawler
        _quiet_scrapy_store_errors()

    @classmethod
    def from_crawler(
        cls, crawler: Any, uri: str, *, feed_options: dict[str, Any] | None = None
    ) -> AtomicFileFeedStorage:
        """Return the storage for ``uri``, bound to the crawl's state store (if any)."""
        return cls(uri, feed_options=feed_options, crawler=crawler)

    def open(self, spider: Any) -> IO[bytes]:
        """Return the file the records are written to: a temporary file beside the target,
        or the target itself when it is a FIFO or a character device."""
        if is_stream(self.path):
            self.stream = True
            return GuardedFile(self.path.open("wb"), self.path)  # type: ignore[return-value]
        try:
            folder = self.path.parent
            folder.mkdir(parents=True, exist_ok=True)
            for stale in remove_stale_temporaries(folder):
                logger.info("removed a temporary file left by a dead run: %s", stale)
            self.tmp = temporary_path(self.path)
            file = self.tmp.open("wb")
        except OSError as exc:  # reported when the feed closes, as a failed output
            failed = GuardedFile(_Sink(), self.path)  # type: ignore[arg-type]
            failed.error = exc
            return failed  # type: ignore[return-value]
        _OPEN_TEMPORARIES.add(self.tmp)
        return GuardedFile(file, self.path)  # type: ignore[return-value]

    def store(self, file: IO[bytes]) -> None:
        """Flush, fsync and rename the finished file onto its final name (a stream: flush
        and close). Raise :class:`OutputError` (logged in one line) when any step failed."""
        try:
            self._store(file)
        except OutputError as exc:
            self._cleanup(file)
            raise self._failed(exc.reason) from None
        except OSError as exc:
            self._cleanup(file)
            raise self._failed(os_reason(exc)) from None
        except sqlite3.Error as exc:  # the state journal could not be written: not renamed
            self._cleanup(file)
            raise self._failed(f"state store journal: {exc}") from None

    def _store(self, file: IO[bytes]) -> None:
        if isinstance(file, GuardedFile):
            file.raise_if_failed()
        file.flush()
        if not self.stream:
            os.fsync(file.fileno())
        file.close()
        if self.stream:
            return
        assert self.tmp is not None
        if os.path.lexists(self.path) and not self.path.is_file():
            raise OutputError(self.path, "is no longer a regular file; not replaced")
        store = state_of(self.crawler) if self.crawler is not None else None
        if store is not None:
            store.prepare(str(self.path))  # journal before the rename: see StateStore.recover
        self.tmp.replace(self.path)
        _OPEN_TEMPORARIES.discard(self.tmp)
        fsync_folder(self.path.parent)

    def _cleanup(self, file: IO[bytes]) -> None:
        with contextlib.suppress(OSError):
            file.close()
        if self.tmp is not None:
            _OPEN_TEMPORARIES.discard(self.tmp)
            with contextlib.suppress(OSError):
                self.tmp.unlink()


class StreamFeedStorage(_Delivery):
    """Scrapy feed storage for ``stdout:`` (``-o -``): records go to standard output as they
    are written; a write failure (a closed pipe, a full disk) is one line and a failed
    output, as for a file."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, crawler: Any = None) -> None:
        self.path = Path("<stdout>")
        self.crawler = crawler
        _quiet_scrapy_store_errors()

    @classmethod
    def from_crawler(cls, crawler: Any, uri: str, *, feed_options: dict[str, Any] | None = None) -> StreamFeedStorage:
        """Return the storage for standard output."""
        return cls(uri, feed_options=feed_options, crawler=crawler)

    def open(self, spider: Any) -> IO[bytes]:
        """Return standard output (bytes), guarded."""
        return GuardedFile(sys.stdout.buffer, self.path)  # type: ignore[return-value]

    def store(self, file: IO[bytes]) -> None:
        """Flush standard output; raise :class:`OutputError` (logged) when a write failed."""
        try:
            if isinstance(file, GuardedFile):
                file.raise_if_failed()
            file.flush()
        except OutputError as exc:
            raise self._failed(exc.reason) from None
        except OSError as exc:
            raise self._failed(os_reason(exc)) from None
