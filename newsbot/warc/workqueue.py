"""Archives as the shared work items of ``newsbot warc --redis`` (the crawl's Redis).

Keys (under ``newsbot:warc:``): ``known`` (set: every archive ever added, so adding the same
paths file twice queues nothing twice), ``todo`` (list: archives waiting), ``leases`` (zset:
archive -> lease expiry, Redis time), ``owner`` (hash: archive -> worker), ``offset`` (hash:
archive -> where a worker that stopped left it), ``done`` (set: archives read to the end
and delivered).

A worker claims an archive in one Lua step: the head of ``todo`` or else an archive whose
lease expired (its worker died: what it read was never delivered). A thread renews the
leases of every archive the worker claimed in this run every third of the lease until its
output is in place; then the run's archives become ``done`` (or go back to ``todo`` with
their offset, when the worker stopped early). Dedup across workers is the shared
emitted-articles store's, so an archive read twice writes each article once.

``redis`` is imported only with ``--redis``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import redis

logger = logging.getLogger(__name__)

PREFIX = "newsbot:warc:"
KNOWN, TODO, LEASES, OWNER, OFFSET, DONE = (PREFIX + k for k in ("known", "todo", "leases", "owner", "offset", "done"))

_CLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local source = redis.call('LPOP', KEYS[1])
if not source then
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1)
  if #expired == 0 then return false end
  source = expired[1]
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), source)
redis.call('HSET', KEYS[3], source, ARGV[2])
return source
"""

_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local kept = 0
for i, source in ipairs(ARGV) do
  if i > 2 and redis.call('HGET', KEYS[2], source) == ARGV[2] then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), source)
    kept = kept + 1
  end
end
return kept
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisWork:
    """The shared list of archives: :meth:`add` queues them, :meth:`claim` takes them one
    at a time under a lease renewed until :meth:`commit` or :meth:`abandon`."""

    def __init__(self, url: str, worker: str, lease: float = 30.0) -> None:
        from newsbot.state.redis import connect

        self.url = url
        self.client = connect(url)
        self.worker = worker
        self.lease_ms = max(1000, int(lease * 1000))
        self.claimed: list[str] = []
        self.skipped_done: list[str] = []
        self.resumed: dict[str, int] = {}
        self._staged: dict[str, tuple[int, bool]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._claim = self.client.register_script(_CLAIM)
        self._thread = threading.Thread(target=self._renew_loop, name="newsbot-warc-leases", daemon=True)
        self._thread.start()

    def add(self, sources: list[str]) -> int:
        """Queue the archives never added before; return how many were queued."""
        added = 0
        for source in sources:
            if self.client.sadd(KNOWN, source):
                self.client.rpush(TODO, source)
                added += 1
        return added

    def claim(self) -> Iterator[tuple[str, int]]:
        """Yield ``(archive, start offset)`` for each archive this worker claims, until no
        archive is waiting and no lease has expired."""
        while True:
            raw = self._claim(keys=[TODO, LEASES, OWNER], args=[self.lease_ms, self.worker])
            if not raw:
                return
            source = _text(raw)
            with self._lock:
                self.claimed.append(source)
            if self.client.sismember(DONE, source):  # an expired lease of a finished archive
                self.client.zrem(LEASES, source)
                self.skipped_done.append(source)
                continue
            offset = int(self.client.hget(OFFSET, source) or 0)
            if offset:
                self.resumed[source] = offset
            logger.info("redis: worker %s claimed %s%s", self.worker, source, f" at offset {offset}" if offset else "")
            yield source, offset

    def _renew_loop(self) -> None:
        from newsbot.state.redis import connect

        client = connect(self.url)  # its own connection: the reactor thread's may be mid-command
        renew = client.register_script(_RENEW)
        while not self._stop.wait(self.lease_ms / 3000):
            with self._lock:
                sources = list(self.claimed)
            if not sources:
                continue
            try:
                renew(keys=[LEASES, OWNER], args=[self.lease_ms, self.worker, *sources])
            except redis.RedisError as exc:
                logger.warning("redis: could not renew the archive leases: %s", exc)

    def stage(self, source: str, offset: int, done: bool) -> None:
        """Remember where ``source`` was left."""
        self._staged[source] = (offset, done)

    def commit(self) -> int:
        """The output is in place: finished archives become ``done``, the others go back to
        the list with their offset. Return how many archives were recorded."""
        self._stop.set()
        pipe = self.client.pipeline()
        for source in self.claimed:
            offset, done = self._staged.get(source, (0, False))
            pipe.zrem(LEASES, source)
            pipe.hdel(OWNER, source)
            if done:
                pipe.sadd(DONE, source)
                pipe.hdel(OFFSET, source)
            elif source not in self.skipped_done:
                if offset:
                    pipe.hset(OFFSET, source, offset)
                pipe.lpush(TODO, source)
        pipe.execute()
        count = len(self._staged)
        self._staged.clear()
        self.claimed.clear()
        return count

    def abandon(self) -> None:
        """The output was not delivered: give every claimed archive back (at its old offset)."""
        self._stop.set()
        pipe = self.client.pipeline()
        for source in self.claimed:
            pipe.zrem(LEASES, source)
            pipe.hdel(OWNER, source)
            if source not in self.skipped_done:
                pipe.lpush(TODO, source)
        pipe.execute()
        self._staged.clear()
        self.claimed.clear()

    def close(self) -> None:
        """Stop renewing leases (what is still claimed expires and is taken over)."""
        self._stop.set()
        self._thread.join(timeout=5)
