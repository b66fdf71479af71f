"""The ``sites.toml`` crawl configuration (read with ``tomllib``).

```toml
state = "~/.local/state/newsbot/news.sqlite"   # optional; default derived from this file's path
output = "out/%(time)s.jsonl"                   # optional; -o wins
max_pages = 500                                 # defaults for every site
max_age_days = 3

[settings]                                      # any Scrapy or NEWSBOT_* setting
NEWSBOT_CONTACT_URL = "https://example.org/newsbot"

[[sites]]
name = "Harborview Courier"                     # optional
urls = ["https://courier.example/"]             # home page(s), required
feeds = ["https://courier.example/feed.xml"]    # optional, besides discovered ones
sitemaps = ["https://courier.example/news-sitemap.xml"]
allow = ["/news/", "/2025/"]                    # optional path prefixes to stay within
max_pages = 200                                 # per-site values override the defaults
max_age_days = 2
```

Every error is one line naming the file, the line and the key: ``sites.toml:12: sites[1].urls:
'ftp://x' is not an http(s) URL``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from newsbot.state import default_state_path
from newsbot.urls import url_problem

_TOP_KEYS = {"state", "output", "max_pages", "max_age_days", "settings", "sites"}
_SITE_KEYS = {"name", "urls", "feeds", "sitemaps", "allow", "max_pages", "max_age_days"}


class ConfigError(Exception):
    """A configuration error, its message one line naming file, line and key."""


@dataclass
class SiteConfig:
    """One site of the configuration, with the defaults already applied."""

    urls: list[str]
    name: str = ""
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)
    max_pages: int = 0
    max_age_days: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the site as a plain dict (how the site spider receives it)."""
        return asdict(self)


@dataclass
class CrawlConfig:
    """A loaded ``sites.toml``."""

    path: Path
    sites: list[SiteConfig]
    settings: dict[str, Any] = field(default_factory=dict)
    state: str | None = None
    output: str | None = None


def default_state_for(config_path: Path) -> Path:
    """Return the state store used for a config file with no ``state`` key: one per
    config file, in the user's state folder."""
    digest = hashlib.sha256(str(config_path.resolve()).encode()).hexdigest()[:12]
    return default_state_path().with_name(f"{config_path.stem}-{digest}.sqlite")


class _Locator:
    """Finds the line of a key in the TOML text, for error messages."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def line(self, key: str, table: str | None = None, index: int = 0) -> int:
        start, seen = 0, -1
        if table is not None:
            header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
            for number, text in enumerate(self.lines):
                if header.match(text):
                    seen += 1
                    if seen == index:
                        start = number
                        break
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start, len(self.lines)):
            if number > start and table is None and self.lines[number].lstrip().startswith("["):
                break
            if number > start and table is not None and re.match(r"^\s*\[", self.lines[number]):
                break
            if pattern.match(self.lines[number]):
                return number + 1
        return start + 1


def _error(path: Path, line: int, key: str, message: str) -> ConfigError:
    return ConfigError(f"{path}:{line}: {key}: {message}")


def load_config(path: Path | str) -> CrawlConfig:
    """Return the parsed and checked configuration; raise :class:`ConfigError` on the
    first problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ConfigError(f"{path}:{match.group(1) if match else '?'}: TOML syntax: {exc}") from exc
    where = _Locator(text)

    for key in data:
        if key not in _TOP_KEYS:
            raise _error(path, where.line(key), key, f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
    defaults = {k: _int(data, k, path, where.line(k), k) for k in ("max_pages", "max_age_days")}
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise _error(path, where.line("settings"), "settings", "must be a table of setting = value")
    for key, value in settings.items():
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", key):
            raise _error(path, where.line(key, "settings"), f"settings.{key}", "setting names are UPPER_CASE")
        if isinstance(value, dict):
            raise _error(path, where.line(key, "settings"), f"settings.{key}", "must be a plain value or a list")
    for key in ("state", "output"):
        if key in data and not isinstance(data[key], str):
            raise _error(path, where.line(key), key, "must be a string")

    raw_sites = data.get("sites")
    if not isinstance(raw_sites, list) or not raw_sites:
        raise _error(path, where.line("sites"), "sites", "at least one [[sites]] table is required")
    sites = [_site(entry, i, defaults, path, where) for i, entry in enumerate(raw_sites)]
    state = data.get("state")
    return CrawlConfig(
        path=path,
        sites=sites,
        settings=dict(settings),
        state=str(Path(state).expanduser()) if state else None,
        output=data.get("output"),
    )


def _int(table: dict[str, Any], key: str, path: Path, line: int, label: str) -> int:
    value = table.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _error(path, line, label, f"must be a whole number >= 0, not {value!r}")
    return value


def _strings(table: dict[str, Any], key: str, path: Path, line: int, label: str) -> list[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _error(path, line, label, "must be a string or a list of strings")
    return value


def _site(entry: Any, index: int, defaults: dict[str, int], path: Path, where: _Locator) -> SiteConfig:
    label = f"sites[{index}]"
    if not isinstance(entry, dict):
        raise _error(path, where.line("sites"), label, "must be a table")

    def line(key: str) -> int:
        return where.line(key, "sites", index)

    for key in entry:
        if key not in _SITE_KEYS:
            raise _error(path, line(key), f"{label}.{key}", f"unknown key (known: {', '.join(sorted(_SITE_KEYS))})")
    urls = _strings(entry, "urls", path, line("urls"), f"{label}.urls")
    if not urls:
        raise _error(path, line("urls"), f"{label}.urls", "at least one home URL is required")
    lists = {k: _strings(entry, k, path, line(k), f"{label}.{k}") for k in ("feeds", "sitemaps", "allow")}
    for key in ("urls", "feeds", "sitemaps"):
        for url in urls if key == "urls" else lists[key]:
            problem = url_problem(url)
            if problem:
                raise _error(path, line(key), f"{label}.{key}", f"{url!r}: {problem}")
    for prefix in lists["allow"]:
        if not prefix.startswith("/"):
            raise _error(path, line("allow"), f"{label}.allow", f"{prefix!r}: a path prefix starts with '/'")
    name = entry.get("name", "")
    if not isinstance(name, str):
        raise _error(path, line("name"), f"{label}.name", "must be a string")
    return SiteConfig(
        urls=urls,
        name=name,
        feeds=lists["feeds"],
        sitemaps=lists["sitemaps"],
        allow=lists["allow"],
        max_pages=_int(entry, "max_pages", path, line("max_pages"), f"{label}.max_pages")
        if "max_pages" in entry
        else defaults["max_pages"],
        max_age_days=_int(entry, "max_age_days", path, line("max_age_days"), f"{label}.max_age_days")
        if "max_age_days" in entry
        else defaults["max_age_days"],
    )
