"""What Trafilatura's fallback extractors and passes earn inside ``extract_article``: body
quality (as emitted) and time per page on AEB, FUNDUS-dev and trafeval-dev, per variant.

    .venv/bin/python bench/profile_passes.py
    .venv/bin/python bench/profile_passes.py --variants as-is,no-fallback --limit 50

Variants (each a patch of this process only, never of the product):

- ``as-is``: the product: Trafilatura's fast pass, its fallback comparison (readability,
  jusText) only where it may change the text (``looks_wrong``: the main block missed by a
  shorter text, a text many times the main block in one block, or one long block);
- ``no-fallback``: the fast pass only;
- ``always-fallback``: the comparison with the fallback extractors on every page;
- ``precision``: the fast pass with ``favor_precision`` (no recall escalation, no baseline
  rescue, more pruning);
- ``no-tables``: the fast pass without ``include_tables``;
- ``text-only``: not the product but its floor: the page parsed, copied, its clutter blocks
  removed and Trafilatura's fast pass run on it (the region of the article where there is
  one), the paragraphs joined as the body; none of the other steps (metadata, byline, dates,
  classification, paywall, recall passes, clutter text rules, fallback comparison). The
  difference to ``as-is`` is what those steps cost;
- ``trafilatura``: not newsbot at all but ``trafilatura.extract`` with its defaults, the
  baseline of the issue's speed target (extract_article >= 1.5x its pages/s), timed in turn
  with the others on the same pages.

The variants run page by page in turn (so that each sees the same machine load); the
table gives body F1 as emitted per dataset and the mean milliseconds per page.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import quality  # noqa: E402

VARIANTS = ("as-is", "no-fallback", "always-fallback", "precision", "no-tables", "text-only", "trafilatura")


@contextmanager
def variant(name: str) -> Iterator[None]:
    """Patch ``newsbot.extraction`` for the variant ``name`` while the block runs."""
    from newsbot.extraction import article, body  # noqa: PLC0415

    saved = (article.looks_wrong, article.main_text, body.bare_extraction)
    original_bare = body.bare_extraction
    try:
        if name == "no-fallback":
            article.looks_wrong = lambda *_: False  # type: ignore[assignment]
        elif name == "always-fallback":
            article.main_text = functools.partial(saved[1], fast=False)  # type: ignore[assignment]
            article.looks_wrong = lambda *_: False  # type: ignore[assignment]
        elif name == "precision":
            body.bare_extraction = functools.partial(original_bare, favor_precision=True)  # type: ignore[assignment]
        elif name == "no-tables":

            def no_tables(*args: Any, **kwargs: Any) -> Any:
                kwargs["include_tables"] = False
                return original_bare(*args, **kwargs)

            body.bare_extraction = no_tables  # type: ignore[assignment]
        yield
    finally:
        article.looks_wrong, article.main_text, body.bare_extraction = saved  # type: ignore[assignment]


def text_only(html: bytes, url: str) -> str:
    """Return the body the ``text-only`` variant gives: Trafilatura's fast pass on the page
    without its clutter blocks, and nothing else of the product."""
    from copy import deepcopy  # noqa: PLC0415

    from newsbot.extraction import body, clutter, parse, region, text  # noqa: PLC0415

    tree = parse.parse_html(html)
    if tree is None:
        return ""
    cleaned = deepcopy(tree)
    text.inline_hover_cards(cleaned)
    clutter.strip_clutter_nodes(cleaned)
    source = region.main_text_source(cleaned, body.paragraph_parents(cleaned))
    return "\n\n".join(body.main_text(source, url)[0])


def main(argv: list[str] | None = None) -> int:
    """Run the variants over the pages and print the table; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--limit", type=int, default=None, help="pages per dataset")
    parser.add_argument("--shared", type=Path, default=Path("/work/shared") if not (REPO.parent / "shared").is_dir()
                        else REPO.parent / "shared")
    args = parser.parse_args(argv)
    names = [v for v in args.variants.split(",") if v]
    unknown = set(names) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
    import logging  # noqa: PLC0415

    for noisy in ("trafilatura", "htmldate", "courlan", "justext", "readability", "newsbot"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    data: dict[str, list[quality.Page]] = {}
    loaders: tuple[tuple[str, str, Callable[..., list[quality.Page]]], ...] = (
        ("aeb", "aeb", quality.load_aeb), ("fundus", "fundus-dev", quality.load_fundus),
        ("trafeval", "trafeval-dev", quality.load_trafeval))
    for name, folder, loader in loaders:
        if (args.shared / folder).is_dir():
            data[name] = loader(args.shared / folder, args.limit)
    if not data:
        print(f"no benchmark data under {args.shared}")
        return 2
    import trafilatura  # noqa: PLC0415

    from newsbot.extraction import extract_article  # noqa: PLC0415

    def run(name: str, page: quality.Page) -> quality.Prediction:
        if name == "trafilatura":
            return quality._convert_text(trafilatura.extract(page.html, url=page.url))
        if name == "text-only":
            return quality._convert_text(text_only(page.html, page.url))
        return quality._convert_newsbot(extract_article(page.html, page.url))

    pages = [p for ps in data.values() for p in ps]
    for name in names:  # warm-up
        with variant(name):
            run(name, pages[0])
    preds: dict[str, list[quality.Prediction]] = {n: [] for n in names}
    seconds = dict.fromkeys(names, 0.0)
    for i, page in enumerate(pages):
        order = names[i % len(names):] + names[: i % len(names)]
        for name in order:
            with variant(name):
                started = time.perf_counter()
                pred = run(name, page)
                seconds[name] += time.perf_counter() - started
            preds[name].append(pred)
    print(f"{'variant':<16}" + "".join(f"{ds + ' F1':>14}" for ds in data) + f"{'ms/page':>10}")
    for name in names:
        emitted = quality.emitted_predictions(pages, preds[name])
        row, offset = f"{name:<16}", 0
        for ds, ds_pages in data.items():
            summary, _ = quality.score_dataset(ds_pages, emitted[offset: offset + len(ds_pages)], True, False, True)
            offset += len(ds_pages)
            row += f"{summary['body_f1']:>14.4f}"
        row += f"{1000 * seconds[name] / len(pages):>10.1f}"
        if "trafilatura" in seconds and seconds[name]:
            row += f"   {seconds['trafilatura'] / seconds[name]:.2f}x trafilatura's pages/s"
        print(row)
    print(f"{len(pages)} pages: " + ", ".join(f"{ds} {len(p)}" for ds, p in data.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
