"""What ``extract_article`` returns on every benchmark page, as one JSON line per page, and
the comparison of two such files: a change meant to make extraction cheaper must leave
every line as it was.

    .venv/bin/python bench/output_digest.py --out /tmp/digest-before.jsonl [--shared DIR]
    .venv/bin/python bench/output_digest.py --out /tmp/digest-after.jsonl --jobs 2
    .venv/bin/python bench/output_digest.py --compare /tmp/digest-before.jsonl /tmp/digest-after.jsonl

Pages are read as ``bench/quality.py`` reads them (AEB, FUNDUS-dev, trafeval-dev, raw
bytes). Each line holds the dataset, the page key and the whole record
(``dataclasses.asdict`` of the :class:`newsbot.items.Article`, ``fetched_at`` left out),
the drop reason included; the CPU seconds of the extraction calls go to stderr.
``--compare`` prints how many pages differ and the first differing fields; its exit code
is 1 when any page differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import quality  # noqa: E402

TIME_FIELDS = ("fetched_at",)
DATASETS: tuple[tuple[str, str, Callable[..., list[quality.Page]]], ...] = (
    ("aeb", "aeb", quality.load_aeb),
    ("fundus", "fundus-dev", quality.load_fundus),
    ("trafeval", "trafeval-dev", quality.load_trafeval),
)


def default_shared() -> Path:
    """Return ``../shared`` next to the repository when it exists, else ``/work/shared``."""
    local = REPO.parent / "shared"
    return local if local.is_dir() else Path("/work/shared")


def load_pages(shared: Path, limit: int | None = None) -> list[quality.Page]:
    """Return the pages of every dataset found under ``shared``, dataset by dataset."""
    pages: list[quality.Page] = []
    for _, folder, loader in DATASETS:
        if (shared / folder).is_dir():
            pages.extend(loader(shared / folder, limit))
    return pages


def _quiet() -> None:
    for noisy in ("trafilatura", "htmldate", "courlan", "justext", "readability", "newsbot"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)


def digest_chunk(chunk: list[tuple[str, str, str, bytes]]) -> tuple[list[str], float]:
    """Return the JSON lines of the pages ``(dataset, key, url, html)`` and the CPU seconds
    their extraction took."""
    _quiet()
    from newsbot.extraction import extract_article

    lines: list[str] = []
    cpu = 0.0
    for dataset, key, url, html in chunk:
        started = time.process_time()
        article = extract_article(html, url)
        cpu += time.process_time() - started
        record = {k: v for k, v in dataclasses.asdict(article).items() if k not in TIME_FIELDS}
        lines.append(
            json.dumps({"dataset": dataset, "page": key, "record": record}, ensure_ascii=False, sort_keys=True)
        )
    return lines, cpu


def _chunks(items: list[Any], count: int) -> Iterator[list[Any]]:
    size = max(1, -(-len(items) // count))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def write_digest(shared: Path, out: Path, jobs: int = 1, limit: int | None = None) -> float:
    """Write the digest of every page to ``out``; return the CPU seconds of extraction."""
    pages = [(p.dataset, p.key, p.url, p.html) for p in load_pages(shared, limit)]
    if not pages:
        raise SystemExit(f"no benchmark data under {shared}")
    if jobs <= 1:
        lines, cpu = digest_chunk(pages)
    else:
        lines, cpu = [], 0.0
        with ProcessPoolExecutor(jobs) as pool:
            for part, seconds in pool.map(digest_chunk, list(_chunks(pages, jobs * 4))):
                lines.extend(part)
                cpu += seconds
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(
        f"{len(lines)} pages -> {out}; extraction CPU {cpu:.1f} s ({1000 * cpu / len(lines):.1f} ms/page)",
        file=sys.stderr,
    )
    return cpu


def _read(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows[(row["dataset"], row["page"])] = row["record"]
    return rows


def compare(a: Path, b: Path, show: int = 5) -> int:
    """Print how many pages differ between two digests and the first diffs; return that count."""
    left, right = _read(a), _read(b)
    keys = sorted(set(left) | set(right))
    differing = [k for k in keys if left.get(k) != right.get(k)]
    print(f"{len(keys)} pages, {len(differing)} differ")
    for key in differing[:show]:
        one, two = left.get(key), right.get(key)
        print(f"--- {key[0]} {key[1]}")
        if one is None or two is None:
            print(f"    only in {'B' if one is None else 'A'}")
            continue
        for name in sorted(set(one) | set(two)):
            if one.get(name) != two.get(name):
                print(f"    {name}: {_short(one.get(name))!r}\n    {' ' * len(name)}  {_short(two.get(name))!r}")
    return len(differing)


def _short(value: Any, width: int = 300) -> Any:
    if isinstance(value, str) and len(value) > width:
        return value[: width // 2] + " ... " + value[-width // 2 :]
    return value


def main(argv: list[str] | None = None) -> int:
    """Write a digest or compare two; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--shared", type=Path, default=default_shared(), help="folder holding aeb/, fundus-dev/, trafeval-dev/"
    )
    parser.add_argument("--out", type=Path, help="digest file to write")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--limit", type=int, default=None, help="pages per dataset")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    parser.add_argument("--show", type=int, default=5, help="diffs shown by --compare")
    args = parser.parse_args(argv)
    if args.compare:
        return 1 if compare(*args.compare, show=args.show) else 0
    if not args.out:
        parser.error("give --out FILE or --compare A B")
    write_digest(args.shared, args.out, args.jobs, args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
