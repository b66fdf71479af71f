"""newsbot: crawl news sites and write clean article records as JSONL.

The public Python API is :func:`newsbot.extract_article` (from :mod:`newsbot.extraction`),
imported on first use so that ``import newsbot`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "extract_article"]

if TYPE_CHECKING:
    from newsbot.extraction import extract_article


def __getattr__(name: str) -> Any:
    if name == "extract_article":
        from newsbot.extraction import extract_article

        return extract_article
    raise AttributeError(f"module 'newsbot' has no attribute {name!r}")
