"""The JSON Lines feed exporter (``FEED_EXPORTERS["jsonl"]``).

:class:`JsonLinesExporter` is Scrapy's ``JsonLinesItemExporter`` with a direct path for
newsbot's own records: an ``Article`` has a fixed set of fields and no per-field
serializers, so its line is the JSON of those of ``FEED_EXPORT_FIELDS`` it has, read
straight off the object. Scrapy's generic path, which wraps the item in an adapter and asks
it for every field's presence, metadata and value, cost more than encoding the JSON. Any
other item, and field lists that rename fields (a mapping), take Scrapy's path unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from scrapy.exporters import JsonLinesItemExporter

from newsbot.items import Article

# an Article field with a "serializer" in its metadata would need Scrapy's path
_PLAIN_FIELDS = frozenset(f.name for f in fields(Article) if not f.metadata)


class JsonLinesExporter(JsonLinesItemExporter):
    """Scrapy's JSON Lines exporter; ``Article`` records are written without the adapter."""

    def __init__(self, file: Any, **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        names = self.fields_to_export
        # None (every populated field) or a mapping (renames): Scrapy's path
        self._article_fields: list[str] | None = None
        if names is not None and not isinstance(names, Mapping):
            names = list(names)
            if all(isinstance(name, str) for name in names):
                self._article_fields = [name for name in names if name in _PLAIN_FIELDS]

    def export_item(self, item: Any) -> None:
        """Write the item as one line of JSON."""
        if self._article_fields is None or type(item) is not Article:
            super().export_item(item)
            return
        record = {name: getattr(item, name) for name in self._article_fields}
        self.file.write((self.encoder.encode(record) + "\n").encode(self.encoding or "utf-8"))
