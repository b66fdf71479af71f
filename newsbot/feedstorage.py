"""Atomic local feed storage: a downstream reader never sees a partial file or a half line.

Records are written to a hidden temporary file in the target folder
(``.<name>.<pid>.tmp``); when the feed closes, the file is flushed, fsynced and renamed
onto its final name, and the folder is fsynced. A run that dies leaves only the hidden
temporary file, which no ``*.jsonl`` pattern matches; the next run removes temporary files
whose writer is dead. With a state store, the emissions of the file are journalled just
before the rename (``StateStore.prepare``), so a run killed between the rename and the
state commit is settled by the next one without emitting anything twice. Registered for
``file:`` and plain-path feed URIs in ``FEED_STORAGES``.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import IO, Any

from w3lib.url import file_uri_to_path

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


class AtomicFileFeedStorage:
    """Scrapy feed storage that writes through a temporary file and renames it in place."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, crawler: Any = None) -> None:
        self.path = Path(file_uri_to_path(uri) if uri.startswith("file:") else uri)
        self.tmp: Path | None = None
        self.crawler = crawler

    @classmethod
    def from_crawler(
        cls, crawler: Any, uri: str, *, feed_options: dict[str, Any] | None = None
    ) -> AtomicFileFeedStorage:
        """Return the storage for ``uri``, bound to the crawl's state store (if any)."""
        return cls(uri, feed_options=feed_options, crawler=crawler)

    def open(self, spider: Any) -> IO[bytes]:
        """Return the temporary file the records are written to."""
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        for stale in remove_stale_temporaries(folder):
            logger.info("removed a temporary file left by a dead run: %s", stale)
        self.tmp = temporary_path(self.path)
        return self.tmp.open("wb")

    def store(self, file: IO[bytes]) -> None:
        """Flush, fsync and rename the finished file onto its final name."""
        file.flush()
        os.fsync(file.fileno())
        file.close()
        assert self.tmp is not None
        store = state_of(self.crawler) if self.crawler is not None else None
        if store is not None:
            store.prepare(str(self.path))  # journal before the rename: see StateStore.recover
        self.tmp.replace(self.path)
        fsync_folder(self.path.parent)
