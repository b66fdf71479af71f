"""Test-only extraction functions for ``NEWSBOT_EXTRACT_FUNCTION``: the real extraction,
except on pages whose URL contains a marker, where the worker process dies or hangs.

They run inside extraction worker processes (``newsbot.procpool``), imported by path.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from newsbot.extraction import extract_article
from newsbot.items import Article

CRASH_MARKER = "varga-promises-rail-link-to-drummond-heights"
HANG_MARKER = "fish-market-bets-on-night-auctions"


def crash_on_marker(html: str, url: str, **kwargs: Any) -> Article:
    """Return ``extract_article(html, url)``; kill the calling process (SIGKILL) on the marked page."""
    if CRASH_MARKER in url:
        os.kill(os.getpid(), signal.SIGKILL)
    return extract_article(html, url, **kwargs)


def hang_on_marker(html: str, url: str, **kwargs: Any) -> Article:
    """Return ``extract_article(html, url)``; never return on the marked page."""
    if HANG_MARKER in url:
        while True:
            time.sleep(60)
    return extract_article(html, url, **kwargs)


def echo(value: Any, **kwargs: Any) -> Any:
    """Return ``value`` (with the keyword arguments, when given)."""
    return (value, kwargs) if kwargs else value


def fail(message: str) -> None:
    """Raise ``ValueError(message)``."""
    raise ValueError(message)


def exit_now(code: int) -> None:
    """End the calling process at once with exit status ``code``."""
    os._exit(code)


def sleep(seconds: float) -> float:
    """Sleep ``seconds`` and return them."""
    time.sleep(seconds)
    return seconds
