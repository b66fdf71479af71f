"""Reading web archives (WARC and ARC files) for ``newsbot warc``.

Pure functions and small classes, no Scrapy or Twisted import (the spider
``newsbot.spiders.warc`` turns what they yield into page items for the pipelines):

* :mod:`.sources`: what a SOURCE argument names (a file, ``.gz`` or not; an http(s) URL read
  as a stream; ``-`` for standard input; a paths file such as CC-NEWS's ``warc.paths.gz``)
  and a byte stream over it that can start at an offset and counts what was read;
* :mod:`.records`: the records of one archive, each an HTML page to extract, a record
  skipped by kind (request, revisit, not HTML, not HTTP 200, ...) or a bad record (one
  line naming the file and the offset), reading on past bad ones;
* :mod:`.filters`: ``--site`` and ``--since``/``--until``, applied before a page's body is read;
* :mod:`.progress`: where each archive was left (resume after a crash) in the state store's
  SQLite file, and the shared work list of archives on Redis (``--redis``).

The WARC library is warcio (see the comment in ``pyproject.toml`` and ``bench/warc.py``).
"""
