"""Membership of a shared crawl on Redis (``--redis``): the key names, the Lua scripts,
and :class:`WorkerSession` (the process's id, its heartbeat, the requests it has taken from
the shared queue and not yet delivered, its claims).

A claim is a lease: the worker's heartbeat thread refreshes it (and ``hb:<worker>``) every
third of ``NEWSBOT_REDIS_LEASE``; a claim whose owner's heartbeat has expired no longer
counts, so a dead worker's articles are emitted by another (its output file was never
renamed into place: at worst again, never a gap).

Settings read: ``NEWSBOT_REDIS_URL``, ``NEWSBOT_REDIS_LEASE``.

``redis`` is imported only by :mod:`newsbot.state.redis`, :mod:`newsbot.state.redis_store`
and :mod:`newsbot.state.scheduler`, which are imported only when ``NEWSBOT_REDIS_URL`` is set.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import redis

from newsbot.identity import NEAR_DUPLICATE_BITS, bands

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# How long "not emitted" answers of lookup_key are remembered in a process (seconds).
LOOKUP_CACHE_SECONDS = 30.0

PREFIX = "newsbot:"
# Redis keys (all under PREFIX).
QUEUE = PREFIX + "requests"  # zset: the shared request queue (scrapy-redis PriorityQueue)
DUPEFILTER = PREFIX + "dupefilter"  # set: request fingerprints seen (scrapy-redis RFPDupeFilter)
# (both named in newsbot.addons.REDIS_SETTINGS too)
SEEDS = PREFIX + "seeds"  # list: JSON {"home", "options"} not yet turned into requests
SITES = PREFIX + "sites"  # hash: host -> JSON site options (the sites to stay on)
WORKERS = PREFIX + "workers"  # set: ids of workers that have not finished cleanly
EMITTED = PREFIX + "emitted"  # hash: url key -> JSON {url, fp, first, last, output}
ALIASES = PREFIX + "alias"  # hash: alias url key -> url key
VALIDATORS = PREFIX + "validators"  # hash: feed/sitemap URL -> JSON [etag, last_modified]
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


def text(value: bytes | str) -> str:
    """Return a Redis reply as ``str``: the clients of :func:`connect` decode replies, so
    this only narrows the type redis-py declares (``bytes | str``)."""
    return value if isinstance(value, str) else value.decode("utf-8")


def connect(url: str) -> redis.Redis:
    """Return a Redis client for ``url`` (responses as ``str``); raise ``redis.RedisError``
    when the server cannot be reached."""
    client = redis.Redis.from_url(
        url, decode_responses=True, socket_timeout=30, socket_connect_timeout=10, retry_on_timeout=True
    )
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
_CLAIM = (
    _ALIVE
    + """
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
)

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
        logger.info(
            "redis: worker %s joined the shared crawl at %s (lease %.0f s)",
            self.id,
            redacted(url),
            self.lease_ms / 1000,
        )

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
                    logger.error(
                        "redis: worker %s lost its lease (heartbeat expired): other workers may "
                        "have taken over its requests; raise NEWSBOT_REDIS_LEASE",
                        self.id,
                    )
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
        values = bands(fingerprint) if fingerprint else [0, 0, 0, 0]
        ok = self._claim(args=[PREFIX, self.id, self.lease_ms, int(update), NEAR_DUPLICATE_BITS, *values, *keys])
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
        for worker in map(text, self.client.smembers(WORKERS)):
            if worker == self.id or self.client.exists(heartbeat_key(worker)):
                continue
            n = int(self._requeue(args=[PREFIX, worker]))
            if n > 0:
                logger.warning(
                    "redis: worker %s is gone (heartbeat expired): %d requests and seeds it had taken are queued again",
                    worker,
                    n,
                )
                moved += n
        return moved

    def others_busy(self) -> list[str]:
        """Return the ids of other live workers whose heartbeat says ``busy``."""
        others = [w for w in map(text, self.client.smembers(WORKERS)) if w != self.id]
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
        logger.info(
            "redis: worker %s left the shared crawl (%s)",
            self.id,
            "output committed" if self.committed else "nothing committed: its requests will be re-queued",
        )


_SESSION_ATTR = "_newsbot_redis_session"


def session_of(crawler: Crawler) -> WorkerSession:
    """Return the crawl's :class:`WorkerSession` (created, and registered in Redis, on first use)."""
    session = getattr(crawler, _SESSION_ATTR, None)
    if session is None:
        settings = crawler.settings
        session = WorkerSession(settings.get("NEWSBOT_REDIS_URL"), settings.getfloat("NEWSBOT_REDIS_LEASE"))
        setattr(crawler, _SESSION_ATTR, session)
    return session
