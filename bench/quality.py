"""Extraction-quality benchmark: newsbot vs. Trafilatura on AEB, FUNDUS-dev and trafeval-dev.

Usage (from the repository root)::

    .venv/bin/python bench/quality.py [--aeb DIR] [--fundus DIR] [--trafeval DIR]
        [--systems newsbot,trafilatura,...] [--limit N]
        [--per-page FILE.jsonl] [--json FILE]

newsbot is reported twice: *as extracted* (the body ``extract_article`` returns, whatever
its page type) and *as emitted* (``newsbot-emitted``: a page the product would not write
scores as empty text; AEB and FUNDUS-dev as a ``crawl`` writes them, articles only,
trafeval-dev as ``scrape`` writes a list of URLs). trafeval-dev is scored by text segments
(``bench/trafeval.py``); its per-page score is the share of segments judged right. After the
table comes the classification count and every page where newsbot (as emitted) scores
below Trafilatura, worst first.

All pages are decompressed into memory first; every system then runs over the
same pages (raw bytes, as a crawler receives them, unless ``--decode``), in one
process, and only the extraction calls are timed.  The results table goes to
stdout, diagnostics go to the log (stderr).  Metric definitions live in
``bench/metrics.py``.  The data is read by path and never copied into the repo.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import logging
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench import metrics, trafeval  # noqa: E402

log = logging.getLogger("bench.quality")

ALL_SYSTEMS = ("newsbot", "trafilatura", "trafilatura-precision", "trafilatura-bare")
EMITTED = "newsbot-emitted"
BASELINE = "trafilatura"

# Targets from the issue; (key, label, threshold).
TARGETS: tuple[tuple[str, str, float], ...] = (
    ("aeb_f1", "AEB F1 as emitted", 0.975),
    ("fundus_f1", "FUNDUS F1 as emitted", 0.960),
    ("trafeval_gain", "trafeval F1 as scrape writes, minus trafilatura's", 0.01),
    ("dropped_articles", "real AEB+FUNDUS articles dropped (<=)", 0),
    ("title", "title", 0.87),
    ("authors", "authors", 0.90),
    ("same_day", "same-day", 0.98),
    ("same_minute", "same-minute", 0.95),
    ("speed_ratio", "pages/s vs trafilatura", 0.8),
)

_FUNDUS_FILE_RE = re.compile(r"^(?P<pub>.+)_(?P<y>\d{4})_(?P<m>\d{2})_(?P<d>\d{2})\.html\.gz$")


# ------------------------------------------------------------------ data


@dataclass
class Page:
    """One benchmark page with its expected values (metadata only for FUNDUS)."""

    dataset: str
    key: str
    url: str
    html: bytes
    body: str
    title: str | None = None
    authors: list[str] | None = None
    published: str | None = None
    version: str | None = None
    with_segments: list[str] = field(default_factory=list)
    without_segments: list[str] = field(default_factory=list)


def load_aeb(root: Path, limit: int | None = None) -> list[Page]:
    """Return the AEB pages (sorted by key) with their expected article bodies."""
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages: list[Page] = []
    for key in sorted(truth):
        path = root / "html" / f"{key}.html.gz"
        if not path.exists():
            log.warning("AEB: no HTML for %s", key)
            continue
        entry = truth[key]
        pages.append(Page("aeb", key, entry.get("url") or "", gzip.decompress(path.read_bytes()), entry.get("articleBody") or ""))
        if limit is not None and len(pages) >= limit:
            break
    return pages


def _as_list(value: Any) -> list[str]:
    """Return ``value`` as a list of strings (a string becomes a one-item list, None -> [])."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def fundus_body(body: dict[str, Any] | None) -> str:
    """Return the expected FUNDUS body: summary, then each section's headline(s) and paragraphs, "\\n\\n"-joined."""
    if not body:
        return ""
    parts = _as_list(body.get("summary"))
    for section in body.get("sections") or []:
        parts.extend(_as_list(section.get("headline")))
        parts.extend(_as_list(section.get("paragraphs")))
    return "\n\n".join(p for p in parts if p and p.strip())


def load_fundus(root: Path, limit: int | None = None) -> list[Page]:
    """Return the FUNDUS-dev pages paired with their publisher JSON versions.

    A publisher's pages, sorted by the date in the file name, are matched in
    order with the versions in the order the JSON lists them.
    """
    pages: list[Page] = []
    for cc_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        meta_path = cc_dir / "meta.info"
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        by_pub: dict[str, list[tuple[str, Path]]] = {}
        for path in cc_dir.glob("*.html.gz"):
            m = _FUNDUS_FILE_RE.match(path.name)
            if not m:
                log.warning("FUNDUS: unexpected file name %s", path)
                continue
            by_pub.setdefault(m["pub"], []).append((f"{m['y']}{m['m']}{m['d']}", path))
        for pub, files in sorted(by_pub.items()):
            spec_path = cc_dir / f"{pub}.json"
            if not spec_path.exists():
                log.warning("FUNDUS: no %s for %d page(s)", spec_path, len(files))
                continue
            versions = list(json.loads(spec_path.read_text(encoding="utf-8")).items())
            files.sort(key=lambda item: (item[0], item[1].name))
            if len(files) != len(versions):
                log.warning("FUNDUS: %s/%s has %d pages but %d versions; pairing the first %d",
                            cc_dir.name, pub, len(files), len(versions), min(len(files), len(versions)))
            for (_, path), (version, spec) in zip(files, versions):
                url = (meta.get(path.name) or {}).get("url") or ""
                if not url:
                    log.warning("FUNDUS: no url in meta.info for %s", path)
                authors = spec.get("authors")
                pages.append(Page(
                    dataset="fundus",
                    key=f"{cc_dir.name}/{path.name[: -len('.html.gz')]}",
                    url=url,
                    html=gzip.decompress(path.read_bytes()),
                    body=fundus_body(spec.get("body")),
                    title=spec.get("title"),
                    authors=list(authors) if authors is not None else None,
                    published=spec.get("publishing_date"),
                    version=version,
                ))
    pages.sort(key=lambda p: p.key)
    return pages[:limit] if limit is not None else pages


def load_trafeval(root: Path, limit: int | None = None) -> list[Page]:
    """Return the trafeval-dev pages with their expected text segments."""
    return [
        Page("trafeval", key, key if key.startswith("http") else "", html, "", with_segments=w, without_segments=wo)
        for key, html, w, wo in trafeval.load_pages(root, limit)
    ]


# ---------------------------------------------------------------- systems


@dataclass
class Prediction:
    """What one system produced for one page."""

    body: str = ""
    title: str | None = None
    description: str | None = None  # newsbot's record: the standfirst (DESIGN.md), not in body
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    drop_reason: str | None = None
    error: str | None = None
    page_type: str | None = None
    emitted_crawl: bool = True  # written by a crawl (articles only)
    emitted_scrape: bool = True  # written by scrape (every page with main text)


@dataclass
class System:
    """An extractor under test: ``run`` does the timed call, ``convert`` maps its result."""

    name: str
    run: Callable[[bytes | str, str], Any]
    convert: Callable[[Any], Prediction]
    has_metadata: bool


def _published_str(value: Any) -> str | None:
    """Return a published value as a string (datetime/date -> ISO format)."""
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _convert_newsbot(result: Any) -> Prediction:
    """Return the Prediction for a newsbot ``extract_article`` result."""
    if result is None:
        return Prediction()
    authors = getattr(result, "authors", None) or []
    if isinstance(authors, str):
        authors = [authors]
    try:
        from newsbot.extraction.classify import emit_reason  # noqa: PLC0415
    except ImportError:  # before page types existed: every drop reason drops the page

        def emit_reason(article: Any, articles_only: bool) -> str | None:
            return getattr(article, "drop_reason", None)

    return Prediction(
        body=getattr(result, "body", None) or "",
        title=getattr(result, "title", None),
        description=getattr(result, "description", None),
        authors=[str(a) for a in authors],
        published=_published_str(getattr(result, "published", None)),
        drop_reason=getattr(result, "drop_reason", None),
        page_type=getattr(result, "page_type", None),
        emitted_crawl=emit_reason(result, True) is None,
        emitted_scrape=emit_reason(result, False) is None,
    )


def emitted_predictions(pages: list[Page], preds: list[Prediction]) -> list[Prediction]:
    """Return newsbot's predictions as the product writes them: a page a crawl (AEB, FUNDUS)
    or ``scrape`` (trafeval) would not write becomes an empty body."""
    out = []
    for page, pred in zip(pages, preds):
        kept = pred.emitted_scrape if page.dataset == "trafeval" else pred.emitted_crawl
        out.append(pred if kept else Prediction(drop_reason=pred.drop_reason or "not_written", page_type=pred.page_type))
    return out


def _convert_text(result: Any) -> Prediction:
    """Return the Prediction for a plain-text result (None -> empty body)."""
    return Prediction(body=result or "")


def _convert_bare(doc: Any) -> Prediction:
    """Return the Prediction for a ``trafilatura.bare_extraction`` Document (or dict)."""
    if doc is None:
        return Prediction()
    get = doc.get if isinstance(doc, dict) else (lambda k: getattr(doc, k, None))
    author = get("author") or ""
    return Prediction(
        body=get("text") or "",
        title=get("title"),
        authors=[a.strip() for a in author.split(";") if a.strip()],
        published=_published_str(get("date")),
    )


def build_systems(names: list[str]) -> list[System]:
    """Return the requested systems; newsbot is skipped (with a log line) if it cannot be imported."""
    systems: list[System] = []
    traf = None
    if any(n.startswith("trafilatura") for n in names):
        import trafilatura as traf  # noqa: PLC0415
    for name in names:
        if name == "newsbot":
            try:
                module = importlib.import_module("newsbot.extraction")
                fn = module.extract_article
            except Exception as exc:  # noqa: BLE001 - module may be mid-edit
                log.warning("newsbot.extract_article not available (%s: %s); skipping newsbot", type(exc).__name__, exc)
                continue
            systems.append(System(name, fn, _convert_newsbot, True))
        elif name == "trafilatura":
            systems.append(System(name, lambda h, u: traf.extract(h, url=u), _convert_text, False))
        elif name == "trafilatura-precision":
            systems.append(System(name, lambda h, u: traf.extract(h, url=u, favor_precision=True), _convert_text, False))
        elif name == "trafilatura-bare":
            systems.append(System(name, lambda h, u: traf.bare_extraction(h, url=u, with_metadata=True), _convert_bare, True))
    return systems


def run_system(system: System, pages: list[Page], decode: bool) -> tuple[list[Prediction], float]:
    """Run ``system`` over ``pages``; return its predictions and the summed wall time of the calls.

    One untimed warm-up call (first page) precedes the timed loop.  An
    exception from the extractor yields an empty Prediction with ``error`` set.
    """
    def html_of(page: Page) -> bytes | str:
        return page.html.decode("utf-8", errors="replace") if decode else page.html

    if pages:
        try:
            system.run(html_of(pages[0]), pages[0].url)
        except Exception:  # noqa: BLE001
            pass
    preds: list[Prediction] = []
    elapsed = 0.0
    for page in pages:
        html = html_of(page)
        t0 = time.perf_counter()
        try:
            raw = system.run(html, page.url)
        except Exception as exc:  # noqa: BLE001
            elapsed += time.perf_counter() - t0
            log.debug("%s failed on %s", system.name, page.key, exc_info=True)
            preds.append(Prediction(error=f"{type(exc).__name__}: {exc}"))
            continue
        elapsed += time.perf_counter() - t0
        try:
            preds.append(system.convert(raw))
        except Exception as exc:  # noqa: BLE001
            preds.append(Prediction(error=f"convert {type(exc).__name__}: {exc}"))
    return preds, elapsed


# ---------------------------------------------------------------- scoring


def _mean(values: list[float]) -> float | None:
    """Return the arithmetic mean, or None for an empty list."""
    return sum(values) / len(values) if values else None


def score_dataset(
    pages: list[Page], preds: list[Prediction], has_metadata: bool, nfc: bool, midnight_is_date: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return (summary figures, per-page rows) for one system on one dataset."""
    if pages and pages[0].dataset == "trafeval":
        return score_segments(pages, preds)
    body_scores = [metrics.body_score(p.body, pr.body, nfc) for p, pr in zip(pages, preds)]
    summary = metrics.summarize_body(body_scores)
    out: dict[str, Any] = {
        "pages": summary.pages,
        "body_precision": summary.precision,
        "body_recall": summary.recall,
        "body_f1": summary.f1,
        "body_accuracy": summary.accuracy,
        "errors": sum(1 for pr in preds if pr.error),
    }
    rows: list[dict[str, Any]] = []
    titles: list[float] = []
    authors: list[float] = []
    days: list[float] = []
    minutes: list[float] = []
    for page, pred, bs in zip(pages, preds, body_scores):
        row: dict[str, Any] = {
            "key": page.key, "url": page.url,
            "body_p": round(bs.precision, 4), "body_r": round(bs.recall, 4), "body_f1": round(bs.f1, 4),
            "body_exact": bs.exact, "title_ok": None, "authors_f1": None, "date_ok": None, "minute_ok": None,
        }
        if page.dataset == "fundus" and has_metadata:
            if page.title:
                ok = metrics.title_match(page.title, pred.title)
                titles.append(float(ok))
                row["title_ok"] = ok
            if page.authors:
                f1 = metrics.author_f1(page.authors, pred.authors)
                authors.append(f1)
                row["authors_f1"] = round(f1, 4)
            if page.published:
                day = metrics.same_day(page.published, pred.published)
                days.append(float(day))
                row["date_ok"] = day
                minute = metrics.same_minute(page.published, pred.published, midnight_is_date)
                if minute is not None:
                    minutes.append(float(minute))
                row["minute_ok"] = minute
        if pred.error:
            row["error"] = pred.error
        rows.append(row)
    if pages and pages[0].dataset == "fundus":
        out.update({
            "title": _mean(titles) if has_metadata else None, "title_n": len(titles),
            "authors": _mean(authors) if has_metadata else None, "authors_n": len(authors),
            "same_day": _mean(days) if has_metadata else None, "same_day_n": len(days),
            "same_minute": _mean(minutes) if has_metadata else None, "same_minute_n": len(minutes),
        })
    return out, rows


def score_segments(pages: list[Page], preds: list[Prediction]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return (summary figures, per-page rows) for trafeval-dev: segment precision, recall
    and F1 over all pages; per page, the share of segments judged right."""
    total = trafeval.SegmentCounts()
    rows: list[dict[str, Any]] = []
    for page, pred in zip(pages, preds):
        counts = trafeval.segment_counts(page.with_segments, page.without_segments, pred.body)
        total = total + counts
        row: dict[str, Any] = {"key": page.key, "url": page.url, "score": round(counts.accuracy, 4),
                               "tp": counts.tp, "fn": counts.fn, "fp": counts.fp, "tn": counts.tn}
        if pred.error:
            row["error"] = pred.error
        rows.append(row)
    out = {"pages": len(pages), "body_precision": total.precision, "body_recall": total.recall,
           "body_f1": total.f1, "body_accuracy": total.accuracy, "errors": sum(1 for pr in preds if pr.error)}
    return out, rows


def standfirst_line(pages: list[Page], ours: list[Prediction], theirs: list[Prediction] | None) -> str:
    """Return one line on trafeval-dev: how many expected segments newsbot writes in the
    record's ``description`` and not in its body (the standfirst, which DESIGN.md puts
    there), how many of those Trafilatura's text holds, and the segment figures of
    description + body (for reading only: the targets score the body)."""
    moved = moved_theirs = 0
    total = trafeval.SegmentCounts()
    for i, (page, pred) in enumerate(zip(pages, ours)):
        body, description = trafeval.collapse(pred.body), trafeval.collapse(pred.description)
        other = trafeval.collapse(theirs[i].body) if theirs else ""
        for segment in page.with_segments:
            wanted = trafeval.collapse(segment)
            if wanted not in body and wanted in description:
                moved += 1
                moved_theirs += wanted in other
        text = "\n\n".join(t for t in (pred.description, pred.body) if t)
        total = total + trafeval.segment_counts(page.with_segments, page.without_segments, text)
    return (f"trafeval standfirsts: {moved} expected segments are in newsbot's description and not its body"
            + (f" ({moved_theirs} of them in {BASELINE}'s text)" if theirs else "")
            + f"; description + body: P {total.precision:.3f} R {total.recall:.3f} F1 {total.f1:.3f}")


def page_score(row: dict[str, Any]) -> float:
    """Return the per-page body score of a row (F1, or the segment score on trafeval)."""
    return float(row["score"] if "score" in row else row["body_f1"])


def below_baseline(
    rows: dict[str, dict[str, list[dict[str, Any]]]], preds: dict[str, list[Prediction]], margin: float = 0.0
) -> list[tuple[float, str, str, float, float, str]]:
    """Return (gap, dataset, key, newsbot score, trafilatura score, why) for every page where
    newsbot as emitted scores below Trafilatura by more than ``margin``, worst first."""
    out = []
    for ds, ours in rows.get(EMITTED, {}).items():
        theirs = rows.get(BASELINE, {}).get(ds)
        if not theirs:
            continue
        for i, (a, b) in enumerate(zip(ours, theirs)):
            gap = page_score(b) - page_score(a)
            if gap > margin:
                pred = preds[ds][i]
                why = f"dropped ({pred.drop_reason}, {pred.page_type})" if not (
                    pred.emitted_scrape if ds == "trafeval" else pred.emitted_crawl) else f"written as {pred.page_type}"
                out.append((gap, ds, a["key"], page_score(a), page_score(b), why))
    out.sort(key=lambda x: -x[0])
    return out


def classification_counts(data: dict[str, list[Page]], preds: dict[str, list[Prediction]]) -> str:
    """Return one line per dataset: page types found and pages each command would drop."""
    lines = []
    for ds, pages in data.items():
        ds_preds = preds.get(ds) or []
        types: dict[str, int] = {}
        for pr in ds_preds:
            types[str(pr.page_type)] = types.get(str(pr.page_type), 0) + 1
        crawl_drops = [p for p in ds_preds if not p.emitted_crawl]
        scrape_drops = [p for p in ds_preds if not p.emitted_scrape]
        reasons: dict[str, int] = {}
        for pr in crawl_drops:
            reasons[str(pr.drop_reason)] = reasons.get(str(pr.drop_reason), 0) + 1
        lines.append(f"{ds.upper()}: {len(pages)} pages; page_type " + ", ".join(f"{k} {v}" for k, v in sorted(types.items()))
                     + f"; dropped by crawl {len(crawl_drops)} (" + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
                     + f"); dropped by scrape {len(scrape_drops)}")
    return "\n".join(lines)


def newsbot_details(page: Page, pred: Prediction, nfc: bool) -> dict[str, Any]:
    """Return the newsbot-only per-page fields: predicted vs expected values and missed/extra text."""
    details: dict[str, Any] = {
        "missed": metrics.uncovered_text(page.body, pred.body, 300, nfc),
        "extra": metrics.uncovered_text(pred.body, page.body, 300, nfc),
        "drop_reason": pred.drop_reason,
    }
    if page.dataset == "fundus":
        details.update({
            "version": page.version,
            "title_pred": pred.title, "title_exp": page.title,
            "authors_pred": pred.authors, "authors_exp": page.authors,
            "published_pred": pred.published, "published_exp": page.published,
        })
    return details


# ---------------------------------------------------------------- output


def _fmt(value: float | None, width: int, digits: int = 3) -> str:
    """Return ``value`` formatted right-aligned in ``width`` ("-" for None)."""
    return ("-" if value is None else f"{value:.{digits}f}").rjust(width)


def render_table(results: dict[str, dict[str, Any]], datasets: list[str]) -> str:
    """Return the results table as text, one row per system."""
    name_w = max([len("system")] + [len(n) for n in results]) + 1
    cols: list[tuple[str, str, str, int]] = []  # (group, label, key, width)
    if "aeb" in datasets:
        cols += [("AEB body", lbl, f"aeb.{k}", 6) for lbl, k in
                 (("P", "body_precision"), ("R", "body_recall"), ("F1", "body_f1"), ("acc", "body_accuracy"))]
    if "fundus" in datasets:
        cols += [("FUNDUS body", lbl, f"fundus.{k}", 6) for lbl, k in
                 (("P", "body_precision"), ("R", "body_recall"), ("F1", "body_f1"), ("acc", "body_accuracy"))]
        cols += [("FUNDUS metadata", lbl, f"fundus.{k}", w) for lbl, k, w in
                 (("title", "title", 6), ("authF1", "authors", 7), ("day", "same_day", 6), ("minute", "same_minute", 7))]
    if "trafeval" in datasets:
        cols += [("trafeval segments", lbl, f"trafeval.{k}", 6) for lbl, k in
                 (("P", "body_precision"), ("R", "body_recall"), ("F1", "body_f1"))]
    cols += [("speed", "pages/s", "pages_per_s", 8), ("speed", "x traf", "speed_ratio", 7)]

    groups: list[tuple[str, int]] = []
    for group, _, _, width in cols:
        if groups and groups[-1][0] == group:
            groups[-1] = (group, groups[-1][1] + width + 1)
        else:
            groups.append((group, width))
    line1 = " " * name_w + "|" + "|".join(g.center(w) for g, w in groups) + "|"
    line2 = "system".ljust(name_w)
    prev = None
    for group, label, _, width in cols:
        line2 += ("|" if group != prev else " ") + label.rjust(width)
        prev = group
    line2 += "|"
    sep = "-" * len(line1)
    lines = [sep, line1, line2, sep]
    for name, res in results.items():
        row = name.ljust(name_w)
        prev = None
        for group, _, key, width in cols:
            value: Any = res
            for part in key.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            digits = 1 if key == "pages_per_s" else 2 if key == "speed_ratio" else 3
            row += ("|" if group != prev else " ") + _fmt(value, width, digits)
            prev = group
        lines.append(row + "|")
    lines.append(sep)
    return "\n".join(lines)


def ms_per_page_line(results: dict[str, dict[str, Any]], pages: int) -> str:
    """Return one line with each system's mean extraction time per page (ms), as timed."""
    parts = [f"{name} {1000 * res['seconds'] / pages:.1f}" for name, res in results.items()
             if pages and res.get("seconds") and name != EMITTED]
    return "ms per page: " + ", ".join(parts)


def target_figures(results: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """Return the figures the issue's targets are checked against (newsbot as emitted for
    the body scores, as extracted for metadata and speed)."""
    res = results.get("newsbot") or {}
    emitted = results.get(EMITTED) or {}
    aeb, fundus = emitted.get("aeb") or {}, res.get("fundus") or {}
    ours = (emitted.get("trafeval") or {}).get("body_f1")
    theirs = ((results.get(BASELINE) or {}).get("trafeval") or {}).get("body_f1")
    return {
        "aeb_f1": aeb.get("body_f1"), "fundus_f1": (emitted.get("fundus") or {}).get("body_f1"),
        "trafeval_gain": ours - theirs if ours is not None and theirs is not None else None,
        "dropped_articles": emitted.get("dropped_articles"),
        "title": fundus.get("title"), "authors": fundus.get("authors"),
        "same_day": fundus.get("same_day"), "same_minute": fundus.get("same_minute"),
        "speed_ratio": res.get("speed_ratio"),
    }


def target_met(key: str, value: float, threshold: float) -> bool:
    """Return True when ``value`` meets the target ``key`` (a count target is a maximum)."""
    return value <= threshold if key == "dropped_articles" else value >= threshold


def render_targets(results: dict[str, dict[str, Any]]) -> str:
    """Return the targets, one a line, each marked met/missed (n/a when not measured)."""
    figures = target_figures(results) if "newsbot" in results else {}
    parts = []
    for key, label, threshold in TARGETS:
        value = figures.get(key)
        mark = "n/a" if value is None else ("met" if target_met(key, value, threshold) else "MISSED")
        shown = ("" if value is None else f" ({value:.2f}x)" if key == "speed_ratio"
                 else f" ({value:d})" if isinstance(value, int) else f" ({value:+.3f})" if key == "trafeval_gain"
                 else f" ({value:.3f})")
        op = (f">= {threshold}x" if key == "speed_ratio" else f"{threshold}" if key == "dropped_articles"
              else f">= {threshold:+.3f}" if key == "trafeval_gain" else f">= {threshold:.3f}")
        parts.append(f"  {label} {op}: {mark}{shown}")
    return "targets (newsbot):\n" + "\n".join(parts)


# ------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Return the parsed command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--aeb", default="../shared/aeb", help="AEB folder (relative paths: to the repo root)")
    ap.add_argument("--fundus", default="../shared/fundus-dev", help="FUNDUS-dev folder (relative paths: to the repo root)")
    ap.add_argument("--trafeval", default="../shared/trafeval-dev",
                    help="trafeval-dev folder (relative paths: to the repo root)")
    ap.add_argument("--systems", default=",".join(ALL_SYSTEMS), help=f"comma-separated subset of {','.join(ALL_SYSTEMS)}")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N pages of each dataset")
    ap.add_argument("--per-page", metavar="FILE.jsonl", help="write one JSON line per (dataset, page, system)")
    ap.add_argument("--json", metavar="FILE", help="write the summary figures as JSON")
    ap.add_argument("--decode", action="store_true", help="pass UTF-8-decoded str instead of raw bytes to every system")
    ap.add_argument("--nfc-body", action="store_true", help="NFC-normalise both body texts before tokenising (off per spec)")
    ap.add_argument("--midnight-has-time", action="store_true",
                    help="count an expected 00:00:00 time as a real time for same-minute (default: date-only)")
    ap.add_argument("-v", "--verbose", action="store_true", help="debug logging (incl. extractor loggers)")
    args = ap.parse_args(argv)
    names = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [n for n in names if n not in ALL_SYSTEMS]
    if unknown or not names:
        ap.error(f"unknown system(s) {unknown}; choose from {', '.join(ALL_SYSTEMS)}")
    args.system_names = list(dict.fromkeys(names))
    return args


def _resolve(path: str) -> Path:
    """Return ``path`` resolved against the repo root when relative."""
    p = Path(path)
    return p if p.is_absolute() else (REPO_ROOT / p).resolve()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the process exit code (0 ok, 2 no data)."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not args.verbose:
        for noisy in ("trafilatura", "htmldate", "courlan", "justext", "charset_normalizer"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
    started = time.perf_counter()

    data: dict[str, list[Page]] = {}
    for name, raw, loader, marker in (("aeb", args.aeb, load_aeb, "ground-truth.json"),
                                      ("fundus", args.fundus, load_fundus, None),
                                      ("trafeval", args.trafeval, load_trafeval, "evaldata.json")):
        root = _resolve(raw)
        if not root.is_dir() or (marker and not (root / marker).exists()):
            print(f"{name.upper()} data not found at {root} -- skipping {name.upper()}")
            continue
        data[name] = loader(root, args.limit)
        log.info("loaded %d %s pages from %s", len(data[name]), name, root)
    if not data:
        print("no benchmark data found; nothing to do")
        return 2

    systems = build_systems(args.system_names)
    all_pages = [p for pages in data.values() for p in pages]
    results: dict[str, dict[str, Any]] = {}
    per_page_rows: list[dict[str, Any]] = []
    rows_by: dict[str, dict[str, list[dict[str, Any]]]] = {}
    newsbot_preds: dict[str, list[Prediction]] = {}
    baseline_preds: dict[str, list[Prediction]] = {}
    nfc, midnight_is_date = args.nfc_body, not args.midnight_has_time
    for system in systems:
        preds, elapsed = run_system(system, all_pages, args.decode)
        variants = [(system.name, preds)]
        if system.name == "newsbot":
            variants.append((EMITTED, emitted_predictions(all_pages, preds)))
        for name, vpreds in variants:
            res: dict[str, Any] = {"seconds": elapsed,
                                   "pages_per_s": len(all_pages) / elapsed if elapsed > 0 else None,
                                   "errors": sum(1 for p in vpreds if p.error)}
            offset = 0
            for ds, pages in data.items():
                ds_preds = vpreds[offset: offset + len(pages)]
                offset += len(pages)
                res[ds], rows = score_dataset(pages, ds_preds, system.has_metadata, nfc, midnight_is_date)
                rows_by.setdefault(name, {})[ds] = rows
                if name == "newsbot":
                    newsbot_preds[ds] = ds_preds
                if name == BASELINE:
                    baseline_preds[ds] = ds_preds
                if args.per_page:
                    for page, pred, row in zip(pages, ds_preds, rows):
                        row = {"dataset": ds, "system": name, **row}
                        if name == "newsbot":
                            row.update(newsbot_details(page, pred, nfc))
                            row.update(page_type=pred.page_type, emitted_crawl=pred.emitted_crawl,
                                       emitted_scrape=pred.emitted_scrape)
                        per_page_rows.append(row)
            if name == EMITTED:
                res["dropped_articles"] = sum(
                    1 for ds in ("aeb", "fundus") for p in newsbot_preds.get(ds, []) if not p.emitted_crawl)
            if res["errors"]:
                log.warning("%s raised on %d page(s) (scored as empty)", name, res["errors"])
            log.info("%s: %d pages in %.1fs", name, len(all_pages), elapsed)
            results[name] = res
    base = (results.get(BASELINE) or {}).get("pages_per_s")
    for res in results.values():
        res["speed_ratio"] = res["pages_per_s"] / base if base and res.get("pages_per_s") else None

    print(render_table(results, list(data)))
    print(ms_per_page_line(results, len(all_pages)))
    counts = ", ".join(f"{ds.upper()} {len(p)} pages" for ds, p in data.items())
    if "fundus" in data:
        meta = next((r["fundus"] for r in results.values() if r["fundus"].get("title") is not None), None)
        if meta:
            counts += (f"; FUNDUS denominators: title {meta['title_n']}, authors {meta['authors_n']}, "
                       f"day {meta['same_day_n']}, minute {meta['same_minute_n']}")
    print(counts)
    errs = ", ".join(f"{n} {r['errors']}" for n, r in results.items() if r["errors"])
    if errs:
        print(f"extractor exceptions (scored as empty): {errs}")
    if "newsbot" not in results and "newsbot" in args.system_names:
        print("newsbot: newsbot.extraction.extract_article not importable -- not measured")
    if newsbot_preds:
        print("classification:")
        print(classification_counts(data, newsbot_preds))
    if "trafeval" in newsbot_preds:
        emitted = emitted_predictions(data["trafeval"], newsbot_preds["trafeval"])
        print(standfirst_line(data["trafeval"], emitted, baseline_preds.get("trafeval")))
    below = below_baseline(rows_by, newsbot_preds)
    if below:
        print(f"pages where newsbot (as emitted) scores below {BASELINE}: {len(below)}"
              f" ({sum(1 for b in below if b[0] > 0.25)} by more than 0.25)")
        for gap, ds, key, ours, theirs, why in below:
            print(f"  {'!' if gap > 0.25 else ' '} {ds:8} {ours:.3f} vs {theirs:.3f}  {key}  [{why}]")
    if "newsbot" in args.system_names:
        print(render_targets(results))
    runtime = time.perf_counter() - started
    print(f"runtime {runtime:.1f}s")

    if args.per_page:
        with open(args.per_page, "w", encoding="utf-8") as fh:
            for row in per_page_rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        log.info("wrote %d per-page rows to %s", len(per_page_rows), args.per_page)
    if args.json:
        summary = {
            "datasets": {ds: len(p) for ds, p in data.items()},
            "systems": results,
            "targets": {
                key: {"threshold": thr,
                      "value": target_figures(results).get(key) if "newsbot" in results else None}
                for key, _, thr in TARGETS
            },
            "options": {"decode": args.decode, "nfc_body": nfc, "midnight_is_date": midnight_is_date,
                        "limit": args.limit},
            "runtime_s": runtime,
        }
        for key, t in summary["targets"].items():
            t["met"] = None if t["value"] is None else target_met(key, t["value"], t["threshold"])
        Path(args.json).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        log.info("wrote summary to %s", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
