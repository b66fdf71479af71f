"""Settings checked before a run starts: one line naming the first bad one.

:func:`settings_problem` looks at the final settings of a run (project defaults, a
``sites.toml``'s ``[settings]``, ``-s NAME=VALUE`` and ``-L``) and returns why they cannot
run, or None:

* ``LOG_LEVEL`` must be a level name (``DEBUG``, ``INFO``, ``WARNING``, ``ERROR``,
  ``CRITICAL``) or number;
* a setting whose default is a number, a boolean, a list or a table must read as one
  (``CONCURRENT_REQUESTS=lots`` is refused, not left for the crawl to trip over); counts
  and limits (integers with a default >= 0, priorities aside) must not be negative;
* a ``NEWSBOT_*`` name must be one of ``newsbot.settings`` (a close match is suggested);
  ``NEWSBOT_TEST_*`` names are reserved for the test suite.

The types are those of the defaults in ``newsbot.settings`` and Scrapy's
``default_settings``, so new settings are checked without a list to keep up to date.
"""

from __future__ import annotations

import difflib
from typing import Any

from scrapy.settings import BaseSettings, default_settings

import newsbot.settings as project_defaults

LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
TEST_PREFIX = "NEWSBOT_TEST_"


def _default(name: str) -> Any:
    """Return the default of ``name`` (project first, then Scrapy), or None."""
    if hasattr(project_defaults, name):
        return getattr(project_defaults, name)
    return getattr(default_settings, name, None)


def _type_problem(settings: BaseSettings, name: str, default: Any) -> str | None:
    """Return why the value of ``name`` does not read as the type of its default, or None."""
    value = settings.get(name)
    if value is None or isinstance(default, str) or default is None:
        return None
    try:
        if isinstance(default, bool):
            settings.getbool(name)
        elif isinstance(default, int):  # Scrapy reads some of these as floats (delays, timeouts)
            if settings.getfloat(name) < 0 <= default and "PRIORITY" not in name:
                return "must not be negative"
        elif isinstance(default, float):
            settings.getfloat(name)
        elif isinstance(default, dict):
            settings.getdict(name)
        elif isinstance(default, list | tuple):
            settings.getlist(name)
    except (ValueError, TypeError):
        kind = {bool: "true or false", int: "a number", float: "a number", dict: "a table (JSON object)"}
        return f"expected {kind.get(type(default), type(default).__name__)}"
    return None


def _log_level_problem(value: Any) -> str | None:
    if isinstance(value, int) or str(value).upper() in LOG_LEVELS:
        return None
    return f"log level {value!r}: expected one of {', '.join(reversed(LOG_LEVELS))}"


def unknown_name_problem(name: str) -> str | None:
    """Return why ``name`` is not a newsbot setting (with the closest known name), or None."""
    if not name.startswith("NEWSBOT_") or name.startswith(TEST_PREFIX) or hasattr(project_defaults, name):
        return None
    known = [n for n in dir(project_defaults) if n.startswith("NEWSBOT_")]
    close = difflib.get_close_matches(name, known, n=1)
    return f"unknown setting {name}" + (f" (did you mean {close[0]}?)" if close else "")


def settings_problem(settings: BaseSettings, sources: dict[str, str] | None = None) -> str | None:
    """Return one line naming the first setting that cannot run and why, or None.

    ``sources`` maps a setting name to where it was given (``-s``, a config file), for the
    message."""
    sources = sources or {}

    def where(name: str) -> str:
        return f" ({sources[name]})" if name in sources else ""

    problem = _log_level_problem(settings.get("LOG_LEVEL"))
    if problem:
        return problem + where("LOG_LEVEL")
    for name, _value in sorted(settings.items()):
        problem = unknown_name_problem(name)
        if problem:
            return problem + where(name)
        if settings.getpriority(name) == 0:  # a default, as shipped
            continue
        problem = _type_problem(settings, name, _default(name))
        if problem:
            return f"setting {name}={settings.get(name)!r}{where(name)}: {problem}"
    return None
