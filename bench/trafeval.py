"""trafeval-dev: general-web pages scored by expected text segments (see its README).

Each page lists ``with`` segments that the extracted text must contain and ``without``
segments it must not. After whitespace is collapsed in the extracted text, a ``with``
segment found is a true positive, one missing a false negative; a ``without`` segment found
is a false positive, one missing a true negative. Precision, recall and F1 are taken over
all segments of all pages; a page the product drops counts as empty text.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("bench.trafeval")

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class SegmentCounts:
    """Segment outcomes of one page (or of a whole dataset, summed)."""

    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    def __add__(self, other: SegmentCounts) -> SegmentCounts:
        return SegmentCounts(self.tp + other.tp, self.fn + other.fn, self.fp + other.fp, self.tn + other.tn)

    @property
    def precision(self) -> float:
        """Return tp / (tp + fp) (0 when nothing was found)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """Return tp / (tp + fn) (0 when no segment was expected)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Return the harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        """Return the share of segments judged right ((tp + tn) / all); the per-page score."""
        total = self.tp + self.fn + self.fp + self.tn
        return (self.tp + self.tn) / total if total else 1.0


def collapse(text: str | None) -> str:
    """Return ``text`` with every whitespace run collapsed to one space, stripped."""
    return _SPACE.sub(" ", text or "").strip()


def segment_counts(with_segments: list[str], without_segments: list[str], text: str | None) -> SegmentCounts:
    """Return the segment outcomes of one extracted ``text``."""
    found = collapse(text)
    tp = sum(1 for s in with_segments if collapse(s) in found)
    fp = sum(1 for s in without_segments if collapse(s) in found)
    return SegmentCounts(tp, len(with_segments) - tp, fp, len(without_segments) - fp)


def load_pages(root: Path, limit: int | None = None) -> list[tuple[str, bytes, list[str], list[str]]]:
    """Return ``(key, raw html, with segments, without segments)`` per page, sorted by key."""
    data = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(data):
        entry = data[key]
        path = root / "eval" / entry["file"]
        if not path.exists():
            log.warning("trafeval: no HTML for %s (%s)", key, path)
            continue
        pages.append((key, gzip.decompress(path.read_bytes()), list(entry.get("with") or []), list(entry.get("without") or [])))
        if limit is not None and len(pages) >= limit:
            break
    return pages
