"""Which archives to read, and where each was left: resume after a crash.

A run reads its archives in order and, when its output file is in place (never before:
what a killed run read was never delivered), records for each archive the offset up to
which every record was handled, or that it was read to the end. The next run with the same
state store skips finished archives and starts the others at their offset; what it reads
again is dropped as already emitted by the state store, so nothing is written twice.

* :class:`LocalWork`: the archives given on the command line; progress in the state store's
  SQLite file (table ``warc_progress``, beside the emitted articles), or none (``--no-state``);
* :class:`newsbot.warc.workqueue.RedisWork`: archives shared by the workers of ``--redis``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class WorkList(Protocol):
    """The archives a run reads and the checkpoints it records."""

    def claim(self) -> Iterator[tuple[str, int]]:
        """Yield ``(archive, start offset)`` for each archive to read, finished ones left out."""
        ...

    def stage(self, source: str, offset: int, done: bool) -> None:
        """Remember where ``source`` was left (recorded by :meth:`commit`)."""
        ...

    def commit(self) -> int:
        """Record what was staged (the output is in place); return how many archives."""
        ...

    def abandon(self) -> None:
        """The output was not delivered: record nothing, give claimed archives back."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...


class LocalWork:
    """The archives of the command line, with their checkpoints in ``state`` (an SQLite
    file: the emitted-articles store) or nowhere (``state`` None)."""

    def __init__(self, sources: list[str], state: str | Path | None = None) -> None:
        self.sources = sources
        self.db: sqlite3.Connection | None = None
        self.skipped_done: list[str] = []
        self.resumed: dict[str, int] = {}
        self._staged: dict[str, tuple[int, bool]] = {}
        if state:
            # check_same_thread: the spider reads the checkpoints from its reading thread
            self.db = sqlite3.connect(
                Path(state).expanduser(), isolation_level=None, timeout=30, check_same_thread=False
            )
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS warc_progress (source TEXT PRIMARY KEY, "
                "offset INTEGER NOT NULL, done INTEGER NOT NULL, updated TEXT NOT NULL)"
            )

    def checkpoint(self, source: str) -> tuple[int, bool]:
        """Return the recorded ``(offset, done)`` of ``source`` (``(0, False)`` when none)."""
        if self.db is None:
            return 0, False
        row = self.db.execute("SELECT offset, done FROM warc_progress WHERE source = ?", (source,)).fetchone()
        return (int(row[0]), bool(row[1])) if row else (0, False)

    def claim(self) -> Iterator[tuple[str, int]]:
        """Yield each archive not finished yet, with the offset to start at."""
        for source in self.sources:
            offset, done = self.checkpoint(source) if source != "-" else (0, False)  # stdin: new each time
            if done:
                self.skipped_done.append(source)
                continue
            if offset:
                self.resumed[source] = offset
            yield source, offset

    def stage(self, source: str, offset: int, done: bool) -> None:
        """Remember where ``source`` was left (standard input is never remembered)."""
        if source != "-":
            self._staged[source] = (offset, done)

    def commit(self) -> int:
        """Record the staged checkpoints in one transaction; return how many."""
        if self.db is None or not self._staged:
            return 0
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(
                "INSERT OR REPLACE INTO warc_progress (source, offset, done, updated) VALUES (?, ?, ?, ?)",
                [(source, offset, int(done), now) for source, (offset, done) in self._staged.items()],
            )
        count = len(self._staged)
        self._staged.clear()
        return count

    def abandon(self) -> None:
        """Forget the staged checkpoints."""
        self._staged.clear()

    def close(self) -> None:
        """Close the database."""
        if self.db is not None:
            self.db.close()
            self.db = None
