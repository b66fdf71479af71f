"""The emitted-articles store: what a crawl has written before, so that it is not written
again. :class:`EmittedStore` is the interface both stores implement: SQLite
(:mod:`newsbot.state.sqlite`, one machine, with the run lock) and Redis
(:mod:`newsbot.state.redis_store`, shared by many workers). :func:`state_of` opens the one a
crawl's settings name.

Settings read: ``NEWSBOT_STATE``, ``NEWSBOT_REDIS_URL``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def default_state_path() -> Path:
    """Return the default store path: ``$XDG_STATE_HOME/newsbot/state.sqlite`` (``~/.local/state``)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "newsbot" / "state.sqlite"


@dataclass(frozen=True)
class Seen:
    """A stored emission: the key it was stored under and its fingerprint."""

    key: str
    url: str
    fingerprint: int
    first_emitted: str


class StagedWrites:
    """What a run stages for its store's commit: emissions, feed/sitemap validators, and
    per-site article counts. Shared by the SQLite and Redis stores."""

    def __init__(self) -> None:
        self._pending: dict[str, tuple[str, int, list[str], str | None]] = {}
        self._pending_validators: dict[str, tuple[str | None, str | None]] = {}
        self._pending_sites: dict[str, int] = {}

    def stage(self, key: str, url: str, fingerprint: int, aliases: list[str], output: str | None = None) -> None:
        """Stage an emission; it is stored by the next :meth:`commit`."""
        self._pending[key] = (url, fingerprint, aliases, output)

    def stage_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Stage the HTTP validators of a feed or sitemap response."""
        if etag or last_modified:
            self._pending_validators[url] = (etag, last_modified)

    def stage_site(self, host: str, found: int) -> None:
        """Stage how many articles a site gave in this run."""
        self._pending_sites[host] = found

    def forget_validators(self) -> None:
        """Drop the staged feed/sitemap validators: a run cut short did not follow every
        link of those documents, so the next run must fetch them in full again."""
        self._pending_validators.clear()


class EmittedStore(Protocol):
    """What the crawl asks of an emitted-articles store. Lookups answer from what is
    committed; ``stage*`` and ``claim`` record this run's emissions, which become permanent
    only through :meth:`commit`, after the output file is in place."""

    path: Any  # where the store lives (a file path, or a redacted Redis URL), for messages
    locking: bool  # True when a run must hold the run lock (SQLite), False for shared stores

    def lookup_key(self, key: str) -> Seen | None:
        """Return the emission stored under ``key`` (or an alias of it), or None."""
        ...

    def lookup_fingerprint(self, fingerprint: int) -> Seen | None:
        """Return an emission whose body fingerprint is within a few bits, or None."""
        ...

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """Return the (ETag, Last-Modified) stored for a feed or sitemap URL."""
        ...

    def last_found(self, host: str) -> int | None:
        """Return how many articles ``host`` gave in its last committed run, or None."""
        ...

    def count(self) -> int:
        """Return how many articles are recorded as emitted."""
        ...

    def claim(self, key: str, aliases: list[str], fingerprint: int, *, update: bool = False) -> bool:
        """Return True when this run may write the article (no one else has or is)."""
        ...

    def stage(self, key: str, url: str, fingerprint: int, aliases: list[str], output: str | None = None) -> None:
        """Stage an emission for the next :meth:`commit`."""
        ...

    def stage_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Stage the HTTP validators of a feed or sitemap response."""
        ...

    def stage_site(self, host: str, found: int) -> None:
        """Stage how many articles a site gave in this run."""
        ...

    def prepare(self, output: str) -> int:
        """Journal the staged emissions of ``output`` before its rename; return how many."""
        ...

    def recover(self) -> int:
        """Settle what a run killed between its rename and its commit left; return how many
        emissions were recorded."""
        ...

    def commit(self, output: str | None = None) -> int:
        """Make the staged emissions permanent; return how many were stored."""
        ...

    def close(self) -> None:
        """Release the store's resources."""
        ...


_STATE_ATTR = "_newsbot_state"


def state_of(crawler: Crawler) -> EmittedStore | None:
    """Return the crawl's emitted-articles store (opened once per crawler): the Redis one
    when ``NEWSBOT_REDIS_URL`` is set, else the SQLite one of ``NEWSBOT_STATE``, else None."""
    store: EmittedStore | None
    try:
        return crawler.__dict__[_STATE_ATTR]
    except KeyError:
        pass
    path = crawler.settings.get("NEWSBOT_STATE")
    if crawler.settings.get("NEWSBOT_REDIS_URL"):
        from newsbot.state.redis_store import RedisStateStore  # imports redis: only when asked for

        store = RedisStateStore.for_crawler(crawler)
    elif path:
        from newsbot.state.sqlite import StateStore

        store = StateStore(path)
    else:
        store = None
    crawler.__dict__[_STATE_ATTR] = store
    return store
