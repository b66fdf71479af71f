"""The emitted-articles store on Redis, for crawls shared by many processes (``--redis``).

:class:`RedisStateStore` has the interface of :class:`newsbot.state.sqlite.StateStore`
(``lookup_key``, ``lookup_fingerprint``, ``claim``, ``stage``, ``stage_validators``,
``stage_site``, ``prepare``, ``recover``, ``commit``, ``close``, ``validators``,
``last_found``, ``count``, ``path``: :class:`newsbot.state.EmittedStore`) and is chosen
by :func:`newsbot.state.state_of` when ``NEWSBOT_REDIS_URL`` is set. It works through the
process's :class:`newsbot.state.redis.WorkerSession` (its id, heartbeat, in-flight requests
and claims).

Emitting once, with N processes:

* :meth:`RedisStateStore.claim` runs one Lua script, so it is atomic: it fails when the
  story's URL key or an alias is emitted, or claimed by another live process, or when an
  emitted or claimed body is within ``NEAR_DUPLICATE_BITS`` of its fingerprint (four
  16-bit band sets, as in SQLite). Otherwise it takes the claim: ``SET claim:<key> <worker>
  PX <lease>`` for the key and each alias, and the fingerprint goes into the claimed band
  sets.
* A claim is a lease: the worker's heartbeat thread refreshes it (and ``hb:<worker>``)
  every third of ``NEWSBOT_REDIS_LEASE``; a claim whose owner's heartbeat has expired no
  longer counts, so a dead worker's articles are emitted by another (its output file was
  never renamed into place: at worst again, never a gap).
* :meth:`RedisStateStore.commit` (after the output file is in place) turns the claims into
  permanent emissions and forgets the worker's in-flight requests, in one transaction.
* :meth:`RedisStateStore.prepare` journals the emissions with the output path and host just
  before the rename; a dead worker's claims stay held while its journal exists, and a
  worker on the same host settles it (:meth:`RedisStateStore.recover`): recorded when the
  file is in place, dropped otherwise.

Settings read: ``NEWSBOT_REDIS_URL``, ``NEWSBOT_REDIS_LEASE``.

``redis`` is imported only by :mod:`newsbot.state.redis`, this module and
:mod:`newsbot.state.scheduler`, which are imported only when ``NEWSBOT_REDIS_URL`` is set.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newsbot.identity import NEAR_DUPLICATE_BITS, bands
from newsbot.state import Seen, StagedWrites
from newsbot.state.redis import (
    ALIASES,
    EMITTED,
    LOOKUP_CACHE_SECONDS,
    PREFIX,
    SITE_RESULTS,
    VALIDATORS,
    WORKERS,
    WorkerSession,
    heartbeat_key,
    inflight_key,
    journal_key,
    redacted,
    session_of,
    text,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _band_member(fingerprint: int, key: str) -> str:
    return " ".join(str(b) for b in bands(fingerprint)) + " " + key


class RedisStateStore(StagedWrites):
    """The emitted-articles store of a shared crawl: same interface as
    :class:`newsbot.state.sqlite.StateStore`, plus atomic :meth:`claim`. Writes are staged in
    memory and applied by :meth:`commit`. Runs need no lock (``locking`` is False)."""

    locking = False

    def __init__(self, session: WorkerSession) -> None:
        self.session = session
        self.db = session.client
        self.path = redacted(session.url)
        super().__init__()
        self._lookups: dict[str, tuple[Seen | None, float]] = {}

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> RedisStateStore:
        """Return the store of the crawl's worker session."""
        return cls(session_of(crawler))

    # -- lookups

    def _hget(self, name: str, key: str) -> str | None:
        raw = self.db.hget(name, key)
        return None if raw is None else text(raw)

    def _seen(self, key: str, raw: str | None) -> Seen | None:
        if raw is None:
            return None
        data = json.loads(raw)
        return Seen(key, data["url"], int(data["fp"]), data["first"])

    def lookup_key(self, key: str) -> Seen | None:
        """Return the emission stored under ``key`` or one of its aliases, else None.

        Answers are remembered in this process (an emission for good, "not emitted" for
        ``LOOKUP_CACHE_SECONDS``): the request filter asks once per link, and a stale "not
        emitted" costs at most a fetch, since :meth:`claim` checks again atomically."""
        now = time.monotonic()
        cached = self._lookups.get(key)
        if cached is not None and (cached[0] is not None or now - cached[1] < LOOKUP_CACHE_SECONDS):
            return cached[0]
        pipe = self.db.pipeline(transaction=False)
        pipe.hget(EMITTED, key)
        pipe.hget(ALIASES, key)
        raw, article = pipe.execute()
        if raw is not None:
            seen = self._seen(key, text(raw))
        elif article:
            seen = self._seen(text(article), self._hget(EMITTED, text(article)))
        else:
            seen = None
        if len(self._lookups) > 200_000:
            self._lookups.clear()
        self._lookups[key] = (seen, now)
        return seen

    def lookup_fingerprint(self, fingerprint: int) -> Seen | None:
        """Return an emission whose body fingerprint is within ``NEAR_DUPLICATE_BITS``."""
        if not fingerprint:
            return None
        pipe = self.db.pipeline(transaction=False)
        for i, band in enumerate(bands(fingerprint)):
            pipe.smembers(f"{PREFIX}fp:{i}:{band}")
        for members in pipe.execute():
            for member in members:
                *values, key = member.split(" ", 4)
                stored = sum(int(v) << (16 * i) for i, v in enumerate(values))
                if bin(stored ^ fingerprint).count("1") <= NEAR_DUPLICATE_BITS:
                    seen = self._seen(key, self._hget(EMITTED, key))
                    if seen is not None:
                        return seen
        return None

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """Return the stored ``(ETag, Last-Modified)`` of a feed or sitemap URL."""
        raw = self.db.hget(VALIDATORS, url)
        if raw is None:
            return None, None
        etag, last_modified = json.loads(raw)
        return etag, last_modified

    def last_found(self, host: str) -> int | None:
        """Return how many articles the site gave in the last complete run, or None."""
        raw = self.db.hget(SITE_RESULTS, host)
        return json.loads(raw)["found"] if raw else None

    def count(self) -> int:
        """Return how many articles have been emitted."""
        return int(self.db.hlen(EMITTED))

    # -- claims and staged writes

    def claim(self, key: str, aliases: list[str], fingerprint: int, *, update: bool = False) -> bool:
        """Return True when this process may emit the story (and now holds its claim):
        neither its key, an alias nor a near-identical body is emitted (an ``update`` may
        replace its own key's older text) or claimed by another live process."""
        return self.session.claim([key, *[a for a in aliases if a != key]], fingerprint, update)

    def prepare(self, output: str) -> int:
        """Journal the staged emissions with ``output`` and this host (call just before the
        output file is renamed into place) and return how many were journalled. The claims
        lose their expiry: while the journal exists they hold even if the worker dies, until
        :meth:`recover` on this host settles it."""
        for key, (url, fingerprint, aliases, _) in self._pending.items():
            self._pending[key] = (url, fingerprint, aliases, output)
        journal = {
            "host": socket.gethostname(),
            "output": output,
            "items": [[k, u, f, a] for k, (u, f, a, _) in self._pending.items()],
        }
        keys = [k for key, (_, _, aliases, _) in self._pending.items() for k in [key, *aliases]]
        self.session.release_claims(keys)  # no more refreshes: the claims become permanent
        pipe = self.db.pipeline(transaction=True)
        pipe.set(journal_key(self.session.id), json.dumps(journal))
        for key in keys:
            pipe.persist(f"{PREFIX}claim:{key}")
        pipe.execute()
        return len(self._pending)

    def recover(self) -> int:
        """Settle the journals of dead workers of this host: emissions whose output file is
        in place are recorded, the others dropped (their claims lapse). Return how many were
        recorded."""
        recorded = 0
        host = socket.gethostname()
        for worker in map(text, self.db.smembers(WORKERS)):
            if worker == self.session.id or self.db.exists(heartbeat_key(worker)):
                continue
            raw = self.db.get(journal_key(worker))
            if raw is None:
                continue
            journal = json.loads(text(raw))
            if journal["host"] != host:
                continue
            if Path(journal["output"]).exists():
                pending = {k: (u, int(f), a, journal["output"]) for k, u, f, a in journal["items"]}
                recorded += self._write(pending, {}, {}, worker)
                logger.info(
                    "state: recorded %d emissions of %s, which dead worker %s had put in place",
                    len(pending),
                    journal["output"],
                    worker,
                )
            else:  # its requests are queued again by requeue_dead; its claims lapse now
                pipe = self.db.pipeline(transaction=True)
                for key, _, fingerprint, aliases in journal["items"]:
                    for k in [key, *aliases]:
                        if self.db.get(f"{PREFIX}claim:{k}") == worker:
                            pipe.delete(f"{PREFIX}claim:{k}")
                    if int(fingerprint):
                        claimed = _band_member(int(fingerprint), f"{worker} {key}")
                        for i, band in enumerate(bands(int(fingerprint))):
                            pipe.srem(f"{PREFIX}fpclaim:{i}:{band}", claimed)
                pipe.delete(journal_key(worker))
                pipe.execute()
                logger.info(
                    "state: %s, which dead worker %s was writing, is not in place: its articles "
                    "will be emitted by another worker",
                    journal["output"],
                    worker,
                )
        return recorded

    def _write(
        self,
        pending: dict[str, tuple[str, int, list[str], str | None]],
        validators: dict[str, tuple[str | None, str | None]],
        sites: dict[str, int],
        worker: str,
    ) -> int:
        """Store emissions, validators and site results, release ``worker``'s claims and
        forget its in-flight requests and journal, in one transaction."""
        now = _now()
        keys = list(pending)
        stored = self.db.hmget(EMITTED, keys) if keys else []
        earlier = {k: text(v) for k, v in zip(keys, stored, strict=True) if v is not None}
        pipe = self.db.pipeline(transaction=True)
        for key, (url, fingerprint, aliases, output) in pending.items():
            old = json.loads(earlier[key]) if earlier.get(key) else None
            if old and int(old["fp"]) and int(old["fp"]) != fingerprint:
                for i, band in enumerate(bands(int(old["fp"]))):
                    pipe.srem(f"{PREFIX}fp:{i}:{band}", _band_member(int(old["fp"]), key))
            pipe.hset(
                EMITTED,
                key,
                json.dumps(
                    {
                        "url": url,
                        "fp": str(fingerprint),
                        "first": old["first"] if old else now,
                        "last": now,
                        "output": output,
                    }
                ),
            )
            if fingerprint:
                member = _band_member(fingerprint, key)
                claimed = _band_member(fingerprint, f"{worker} {key}")
                for i, band in enumerate(bands(fingerprint)):
                    pipe.sadd(f"{PREFIX}fp:{i}:{band}", member)
                    pipe.srem(f"{PREFIX}fpclaim:{i}:{band}", claimed)
            for alias in aliases:
                if alias != key:
                    pipe.hset(ALIASES, alias, key)
            pipe.delete(*[f"{PREFIX}claim:{k}" for k in [key, *aliases]])
        for url, pair in validators.items():
            pipe.hset(VALIDATORS, url, json.dumps(list(pair)))
        for host, found in sites.items():
            pipe.hset(SITE_RESULTS, host, json.dumps({"found": found, "run": now}))
        pipe.delete(inflight_key(worker), journal_key(worker))
        if worker != self.session.id:
            pipe.srem(WORKERS, worker)
        pipe.execute()
        return len(pending)

    def commit(self, output: str | None = None) -> int:
        """Store every staged write in one transaction, forget this worker's in-flight
        requests (their results are delivered), and return the emissions stored."""
        pending = {k: (u, f, a, o or output) for k, (u, f, a, o) in self._pending.items()}
        stored = self._write(pending, self._pending_validators, self._pending_sites, self.session.id)
        self.session.release_claims([k for k, (_, _, aliases, _) in pending.items() for k in [k, *aliases]])
        self.session.committed = True
        self._pending.clear()
        self._pending_validators.clear()
        self._pending_sites.clear()
        return stored

    def close(self) -> None:
        """Leave the shared crawl (staged writes that were not committed are discarded)."""
        self.session.close()
