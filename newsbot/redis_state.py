"""The emitted-articles store on Redis, for crawls shared by many processes (``--redis``).

:class:`RedisStateStore` has the interface of :class:`newsbot.state.StateStore`
(``lookup_key``, ``lookup_fingerprint``, ``claim``, ``stage``, ``stage_validators``,
``stage_site``, ``prepare``, ``recover``, ``commit``, ``close``, ``validators``,
``last_found``, ``count``, ``path``) and is chosen by :func:`newsbot.incremental.state_of`
when ``NEWSBOT_REDIS_URL`` is set. :class:`WorkerSession` is the process's membership of
the shared crawl: its id, its heartbeat, the requests it has taken from the shared queue
and not yet delivered (its *in-flight* set, see :mod:`newsbot.redis_crawl`), and its claims.

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

``redis`` is imported only here and in :mod:`newsbot.redis_crawl`, which are imported only
when ``NEWSBOT_REDIS_URL`` is set.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import redis

from newsbot.state import NEAR_DUPLICATE_BITS, Seen, StagedWrites, _bands

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# How long "not emitted" answers of lookup_key are remembered in a process (seconds).
LOOKUP_CACHE_SECONDS = 30.0

PREFIX = "newsbot:"
# Redis keys (all under PREFIX).
QUEUE = PREFIX + "requests"            # zset: the shared request queue (scrapy-redis PriorityQueue)
DUPEFILTER = PREFIX + "dupefilter"     # set: request fingerprints seen (scrapy-redis RFPDupeFilter)
# (both named in newsbot.addons.REDIS_SETTINGS too)
SEEDS = PREFIX + "seeds"               # list: JSON {"home", "options"} not yet turned into requests
SITES = PREFIX + "sites"               # hash: host -> JSON site options (the sites to stay on)
WORKERS = PREFIX + "workers"           # set: ids of workers that have not finished cleanly
EMITTED = PREFIX + "emitted"           # hash: url key -> JSON {url, fp, first, last, output}
ALIASES = PREFIX + "alias"             # hash: alias url key -> url key
VALIDATORS = PREFIX + "validators"     # hash: feed/sitemap URL -> JSON [etag, last_modified]
SITE_RESULTS = PREFIX + "site-results"  # hash: host -> JSON {found, run}


def heartbeat_key(worker: str) -> str:
    """Return the key of a worker's heartbeat ("busy" or "idle", with a TTL)."""
    return f"{PREFIX}hb:{worker}"


def inflight_key(worker: str) -> str:
    """Return the key of a worker's in-flight zset (requests taken, output not committed)."""
    return f"{PREFIX}inflight:{worker}"


def seeding_key(worker: str) -> str:
    """Return the key of the list of seeds a worker is turning into requests."""
    return f"{PREFIX}seeding:{worker}"


def journal_key(worker: str) -> str:
    """Return the key of a worker's prepared-emissions journal."""
    return f"{PREFIX}prepared:{worker}"


def redacted(url: str) -> str:
    """Return a Redis URL without its password (for logs)."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def connect(url: str) -> redis.Redis:
    """Return a Redis client for ``url`` (responses as ``str``); raise ``redis.RedisError``
    when the server cannot be reached."""
    client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=30, socket_connect_timeout=10,
                                  retry_on_timeout=True)
    client.ping()
    return client


# Lua: is a claim owner still holding it? (itself, a live heartbeat, or a pending journal)
_ALIVE = """
local function alive(p, me, owner)
  return owner == me or redis.call('EXISTS', p .. 'hb:' .. owner) == 1
      or redis.call('EXISTS', p .. 'prepared:' .. owner) == 1
end
local function popcount16(x)
  local n = 0
  while x > 0 do n = n + (x % 2); x = math.floor(x / 2) end
  return n
end
local function distance(a, b)
  local d = 0
  for i = 1, 4 do d = d + popcount16(bit.bxor(a[i], b[i])) end
  return d
end
local function parse(member, fields)
  local out = {}
  for word in string.gmatch(member, '[^ ]+') do
    out[#out + 1] = word
    if #out == fields then break end
  end
  return out
end
"""

# ARGV: prefix, worker, lease ms, update (0/1), max bits, b0, b1, b2, b3 (all 0: no body), key, aliases...
_CLAIM = _ALIVE + """
local p, me, lease, update, maxbits = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1', tonumber(ARGV[5])
local bands = {tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])}
local key = ARGV[10]
for i = 10, #ARGV do
  local k = ARGV[i]
  local article = nil
  if redis.call('HEXISTS', p .. 'emitted', k) == 1 then article = k else
    article = redis.call('HGET', p .. 'alias', k) end
  if article and not (update and article == key) then return 0 end
  local owner = redis.call('GET', p .. 'claim:' .. k)
  if owner and alive(p, me, owner) and owner ~= me then return 0 end
end
local body = bands[1] + bands[2] + bands[3] + bands[4] > 0
if body then
  for b = 1, 4 do
    for _, m in ipairs(redis.call('SMEMBERS', p .. 'fp:' .. (b - 1) .. ':' .. bands[b])) do
      local f = parse(m, 4)
      if distance(bands, {tonumber(f[1]), tonumber(f[2]), tonumber(f[3]), tonumber(f[4])}) <= maxbits then
        return 0
      end
    end
    local claimed = p .. 'fpclaim:' .. (b - 1) .. ':' .. bands[b]
    for _, m in ipairs(redis.call('SMEMBERS', claimed)) do
      local f = parse(m, 5)
      if f[5] ~= me then
        if not alive(p, me, f[5]) then redis.call('SREM', claimed, m)
        elseif distance(bands, {tonumber(f[1]), tonumber(f[2]), tonumber(f[3]), tonumber(f[4])}) <= maxbits then
          return 0
        end
      end
    end
  end
end
for i = 10, #ARGV do redis.call('SET', p .. 'claim:' .. ARGV[i], me, 'PX', lease) end
if body then
  local member = table.concat(bands, ' ') .. ' ' .. me .. ' ' .. key
  for b = 1, 4 do redis.call('SADD', p .. 'fpclaim:' .. (b - 1) .. ':' .. bands[b], member) end
end
return 1
"""

# ARGV: prefix, dead worker. Moves its in-flight requests back to the queue and its seeds
# back to the seed list, unless its heartbeat is alive. Returns how many were moved (-1: alive).
_REQUEUE = """
local p, w = ARGV[1], ARGV[2]
if redis.call('EXISTS', p .. 'hb:' .. w) == 1 then return -1 end
local inflight = p .. 'inflight:' .. w
local n = redis.call('ZCARD', inflight)
if n > 0 then
  redis.call('ZUNIONSTORE', p .. 'requests', 2, p .. 'requests', inflight, 'AGGREGATE', 'MIN')
end
local seeds = redis.call('LRANGE', p .. 'seeding:' .. w, 0, -1)
for _, s in ipairs(seeds) do redis.call('RPUSH', p .. 'seeds', s) end
redis.call('DEL', inflight, p .. 'seeding:' .. w)
if redis.call('EXISTS', p .. 'prepared:' .. w) == 0 then redis.call('SREM', p .. 'workers', w) end
return n + #seeds
"""

# ARGV: prefix, worker. Atomically takes the best request from the queue into the
# worker's in-flight zset; returns {member, score} or nil (run on a client without decoding).
POP_SCRIPT = """
local p, w = ARGV[1], ARGV[2]
local top = redis.call('ZRANGE', p .. 'requests', 0, 0, 'WITHSCORES')
if #top == 0 then return nil end
redis.call('ZREM', p .. 'requests', top[1])
redis.call('ZADD', p .. 'inflight:' .. w, top[2], top[1])
return top
"""


def new_worker_id() -> str:
    """Return a fresh worker id: ``<host>-<pid>-<4 hex digits>`` (safe in file names)."""
    host = "".join(c if c.isalnum() or c in "-." else "-" for c in socket.gethostname()) or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(2)}"


class WorkerSession:
    """One process's membership of a shared crawl: its id, heartbeat and claims.

    The heartbeat key (``hb:<id>``, value ``busy`` or ``idle``) lives ``lease`` seconds and
    is refreshed by a daemon thread every ``lease / 3`` seconds together with the worker's
    claims, so a stalled reactor never loses a lease; a dead process stops refreshing and
    its work is taken over once the lease runs out.
    """

    def __init__(self, url: str, lease: float = 30.0, worker_id: str | None = None) -> None:
        self.url = url
        self.client = connect(url)
        self.lease_ms = max(1000, int(lease * 1000))
        self.id = worker_id or new_worker_id()
        self.state = "busy"
        self.idle_since: float | None = None
        self.committed = False
        self.closed = False
        self._claims: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._claim = self.client.register_script(_CLAIM)
        self._requeue = self.client.register_script(_REQUEUE)
        self.client.set(heartbeat_key(self.id), self.state, px=self.lease_ms)
        self.client.sadd(WORKERS, self.id)
        self._thread = threading.Thread(target=self._beat, name=f"newsbot-heartbeat-{self.id}", daemon=True)
        self._thread.start()
        logger.info("redis: worker %s joined the shared crawl at %s (lease %.0f s)",
                    self.id, redacted(url), self.lease_ms / 1000)

    def _beat(self) -> None:
        client = connect(self.url)  # its own connection: the reactor's may be mid-command
        while not self._stop.wait(self.lease_ms / 3000):
            try:
                with self._lock:  # held while refreshing: prepare() makes claims permanent
                    pipe = client.pipeline(transaction=False)
                    pipe.set(heartbeat_key(self.id), self.state, px=self.lease_ms, xx=True)
                    for key in self._claims:
                        pipe.pexpire(f"{PREFIX}claim:{key}", self.lease_ms)
                    results = pipe.execute()
                if not results[0] and not self._stop.is_set():
                    logger.error("redis: worker %s lost its lease (heartbeat expired): other workers may "
                                 "have taken over its requests; raise NEWSBOT_REDIS_LEASE", self.id)
                    client.set(heartbeat_key(self.id), self.state, px=self.lease_ms)
            except redis.RedisError as exc:
                logger.warning("redis: heartbeat of %s failed: %s", self.id, exc)

    def set_state(self, state: str) -> None:
        """Mark this worker ``busy`` (it took a request) or ``idle`` (nothing in progress)."""
        if state == "busy":
            self.idle_since = None
        if state != self.state:
            self.state = state
            self.client.set(heartbeat_key(self.id), state, px=self.lease_ms)

    def claim(self, keys: list[str], fingerprint: int, update: bool) -> bool:
        """Run the claim script for ``keys`` (the article key first) and return True when
        this worker now holds them."""
        bands = _bands(fingerprint) if fingerprint else [0, 0, 0, 0]
        ok = self._claim(args=[PREFIX, self.id, self.lease_ms, int(update), NEAR_DUPLICATE_BITS, *bands, *keys])
        if ok:
            with self._lock:
                self._claims.update(keys)
        return bool(ok)

    def release_claims(self, keys: list[str]) -> None:
        """Stop refreshing ``keys`` (committed)."""
        with self._lock:
            self._claims.difference_update(keys)

    def requeue_dead(self) -> int:
        """Return how many requests and seeds of dead workers (heartbeat expired) were put
        back on the shared queue and seed list."""
        moved = 0
        for worker in self.client.smembers(WORKERS):
            if worker == self.id or self.client.exists(heartbeat_key(worker)):
                continue
            n = int(self._requeue(args=[PREFIX, worker]))
            if n > 0:
                logger.warning("redis: worker %s is gone (heartbeat expired): %d requests and seeds it had "
                               "taken are queued again", worker, n)
                moved += n
        return moved

    def others_busy(self) -> list[str]:
        """Return the ids of other live workers whose heartbeat says ``busy``."""
        others = [w for w in self.client.smembers(WORKERS) if w != self.id]
        if not others:
            return []
        states = self.client.mget([heartbeat_key(w) for w in others])
        return [w for w, s in zip(others, states, strict=True) if s == "busy"]

    def close(self) -> None:
        """Leave the crawl. After a commit, the worker's in-flight requests are forgotten
        and it is unregistered; without one, its heartbeat is dropped at once so another
        worker queues its in-flight requests again."""
        if self.closed:
            return
        self.closed = True
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            pipe = self.client.pipeline()
            if self.committed:
                pipe.delete(inflight_key(self.id), seeding_key(self.id))
                pipe.srem(WORKERS, self.id)
            pipe.delete(heartbeat_key(self.id))
            pipe.execute()
        except redis.RedisError as exc:
            logger.error("redis: could not leave the shared crawl cleanly: %s", exc)
        logger.info("redis: worker %s left the shared crawl (%s)", self.id,
                    "output committed" if self.committed else "nothing committed: its requests will be re-queued")


_SESSION_ATTR = "_newsbot_redis_session"


def session_of(crawler: Crawler) -> WorkerSession:
    """Return the crawl's :class:`WorkerSession` (created, and registered in Redis, on first use)."""
    session = getattr(crawler, _SESSION_ATTR, None)
    if session is None:
        settings = crawler.settings
        session = WorkerSession(settings.get("NEWSBOT_REDIS_URL"), settings.getfloat("NEWSBOT_REDIS_LEASE", 30.0))
        setattr(crawler, _SESSION_ATTR, session)
    return session


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _band_member(fingerprint: int, key: str) -> str:
    return " ".join(str(b) for b in _bands(fingerprint)) + " " + key


class RedisStateStore(StagedWrites):
    """The emitted-articles store of a shared crawl: same interface as
    :class:`newsbot.state.StateStore`, plus atomic :meth:`claim`. Writes are staged in
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
            seen = self._seen(key, raw)
        elif article:
            seen = self._seen(article, self.db.hget(EMITTED, article))
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
        for i, band in enumerate(_bands(fingerprint)):
            pipe.smembers(f"{PREFIX}fp:{i}:{band}")
        for members in pipe.execute():
            for member in members:
                *values, key = member.split(" ", 4)
                stored = sum(int(v) << (16 * i) for i, v in enumerate(values))
                if bin(stored ^ fingerprint).count("1") <= NEAR_DUPLICATE_BITS:
                    seen = self._seen(key, self.db.hget(EMITTED, key))
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
        journal = {"host": socket.gethostname(), "output": output,
                   "items": [[k, u, f, a] for k, (u, f, a, _) in self._pending.items()]}
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
        for worker in self.db.smembers(WORKERS):
            if worker == self.session.id or self.db.exists(heartbeat_key(worker)):
                continue
            raw = self.db.get(journal_key(worker))
            if raw is None:
                continue
            journal = json.loads(raw)
            if journal["host"] != host:
                continue
            if Path(journal["output"]).exists():
                pending = {k: (u, int(f), a, journal["output"]) for k, u, f, a in journal["items"]}
                recorded += self._write(pending, {}, {}, worker)
                logger.info("state: recorded %d emissions of %s, which dead worker %s had put in place",
                            len(pending), journal["output"], worker)
            else:  # its requests are queued again by requeue_dead; its claims lapse now
                pipe = self.db.pipeline(transaction=True)
                for key, _, fingerprint, aliases in journal["items"]:
                    for k in [key, *aliases]:
                        if self.db.get(f"{PREFIX}claim:{k}") == worker:
                            pipe.delete(f"{PREFIX}claim:{k}")
                    if int(fingerprint):
                        claimed = _band_member(int(fingerprint), f"{worker} {key}")
                        for i, band in enumerate(_bands(int(fingerprint))):
                            pipe.srem(f"{PREFIX}fpclaim:{i}:{band}", claimed)
                pipe.delete(journal_key(worker))
                pipe.execute()
                logger.info("state: %s, which dead worker %s was writing, is not in place: its articles "
                            "will be emitted by another worker", journal["output"], worker)
        return recorded

    def _write(self, pending: dict[str, tuple[str, int, list[str], str | None]],
               validators: dict[str, tuple[str | None, str | None]], sites: dict[str, int], worker: str) -> int:
        """Store emissions, validators and site results, release ``worker``'s claims and
        forget its in-flight requests and journal, in one transaction."""
        now = _now()
        keys = list(pending)
        earlier = dict(zip(keys, self.db.hmget(EMITTED, keys), strict=True)) if keys else {}
        pipe = self.db.pipeline(transaction=True)
        for key, (url, fingerprint, aliases, output) in pending.items():
            old = json.loads(earlier[key]) if earlier.get(key) else None
            if old and int(old["fp"]) and int(old["fp"]) != fingerprint:
                for i, band in enumerate(_bands(int(old["fp"]))):
                    pipe.srem(f"{PREFIX}fp:{i}:{band}", _band_member(int(old["fp"]), key))
            pipe.hset(EMITTED, key, json.dumps({"url": url, "fp": str(fingerprint), "first": old["first"] if old
                                                else now, "last": now, "output": output}))
            if fingerprint:
                member = _band_member(fingerprint, key)
                claimed = _band_member(fingerprint, f"{worker} {key}")
                for i, band in enumerate(_bands(fingerprint)):
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
