"""newsbot: crawl news sites and write clean article records as JSONL.

The public Python API (see "Python API" in the README):

* :func:`newsbot.extract_article` (from :mod:`newsbot.extraction`): one page's HTML and
  URL in, an :class:`newsbot.items.Article` out (``drop_reason`` set when it is not an
  article);
* :func:`newsbot.crawl` (from :mod:`newsbot.api`): crawl sites from their home pages into
  a feed file, with the project's settings; returns the crawl's stats.

Both are imported on first use so that ``import newsbot`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "crawl", "extract_article"]

if TYPE_CHECKING:
    from newsbot.api import crawl
    from newsbot.extraction import extract_article


def __getattr__(name: str) -> Any:
    if name == "extract_article":
        from newsbot.extraction import extract_article

        return extract_article
    if name == "crawl":
        from newsbot.api import crawl

        return crawl
    raise AttributeError(f"module 'newsbot' has no attribute {name!r}")
