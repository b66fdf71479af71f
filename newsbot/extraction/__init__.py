"""Extraction: HTML in, article record fields out. Pure functions; nothing here imports
Scrapy or Twisted (``tests/test_layout.py`` checks).

Steps, each a module: :mod:`.parse` (one lxml tree, JSON-LD), :mod:`.metadata` (structured
data, byline, dates), :mod:`.clutter` and :mod:`.clutter_text` (blocks and lines that are
not the article), :mod:`.body` (Trafilatura's main text and the recall steps),
:mod:`.classify` (is it an article), :mod:`.loader` with :mod:`.text`, :mod:`.dates`,
:mod:`.authors` and :mod:`.title` (field clean-up). :func:`extract_article` in
:mod:`.article` runs them in order.
"""

from newsbot.extraction.article import extract_article

__all__ = ["extract_article"]
