"""The JSON Lines exporter writes what Scrapy's own would, faster for records."""

from __future__ import annotations

import io

from scrapy.exporters import JsonLinesItemExporter

from newsbot import settings
from newsbot.exporters import JsonLinesExporter
from newsbot.items import Article


def _export(exporter_class: type, items: list, **options: object) -> bytes:
    buffer = io.BytesIO()
    exporter = exporter_class(buffer, **options)
    exporter.start_exporting()
    for item in items:
        exporter.export_item(item)
    exporter.finish_exporting()
    return buffer.getvalue()


ITEMS = [
    Article(id="a" * 20, url="http://127.0.0.1/a/", title="Zoë’s “quoted” title", body="Line one.\n\nLine two ✓",
            authors=["Ann Lee", "Bo Chan"], tags=[], published="2024-05-01T10:00:00+02:00", word_count=5,
            fingerprint=12345, drop_reason=None),
    Article(id="b" * 20, url="http://127.0.0.1/b/", title=None, body="x", updated=True),
    {"id": "not an article", "title": "a dict goes through Scrapy's path"},
]


def test_records_are_written_as_scrapy_writes_them() -> None:
    for options in ({"fields_to_export": settings.FEED_EXPORT_FIELDS, "encoding": "utf-8"},
                    {"fields_to_export": settings.FEED_EXPORT_FIELDS},  # no encoding: ASCII escapes
                    {"fields_to_export": ["title", "no_such_field", "id"], "encoding": "utf-8"},
                    {"fields_to_export": {"title": "headline", "id": "id"}, "encoding": "utf-8"},  # renames
                    {"encoding": "utf-8"}):  # every populated field
        ours = _export(JsonLinesExporter, ITEMS, **options)
        assert ours == _export(JsonLinesItemExporter, ITEMS, **options), options
        assert ours.count(b"\n") == len(ITEMS)


def test_the_record_fields_only_reach_the_feed() -> None:
    line = _export(JsonLinesExporter, ITEMS[:1], fields_to_export=settings.FEED_EXPORT_FIELDS, encoding="utf-8")
    assert b"fingerprint" not in line and b"drop_reason" not in line
    assert "Zoë’s “quoted” title".encode() in line
