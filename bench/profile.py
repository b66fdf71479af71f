"""Where extraction spends its CPU: a py-spy profile of ``extract_article`` (or of
``trafilatura.extract``) over the benchmark pages, summarised as text.

    .venv/bin/python bench/profile.py                       # newsbot, all three datasets
    .venv/bin/python bench/profile.py --target trafilatura  # trafilatura.extract, same pages
    .venv/bin/python bench/profile.py --out bench/profiles/after.txt --limit 200
    make profile                                            # both targets into bench/profiles/

py-spy (``pip install py-spy``) samples a child process that loads the pages of AEB,
FUNDUS-dev and trafeval-dev (``bench/quality.py``'s loaders, read by path, never copied)
and extracts every page; only the extraction loop is sampled (loading happens before the
marker the summary starts from). The summary lists, by share of the samples:

- the steps of ``extract_article`` (inclusive: a step's callees count towards it);
- the functions where the time is spent (self time), grouped by module;
- inclusive time of the library functions that matter (lxml parsing, deep copies,
  Trafilatura's passes).

``--raw FILE`` keeps py-spy's collapsed stacks for other tools (flamegraph.pl, speedscope).
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

LOOP_MARKER = "_profiled_loop"
# Inclusive rows: (label, substring of a collapsed frame "function (file:line)").
LIBRARY_ROWS = (
    ("lxml parsing (lxml.html.document_fromstring / fromstring)", ("document_fromstring (", "fromstring (lxml")),
    ("trafilatura load_html (decode + parse)", ("load_html (",)),
    ("copy.deepcopy / copy.copy of trees", ("deepcopy (", "copy (copy.py", "__copy__", "__deepcopy__")),
    ("trafilatura bare_extraction", ("bare_extraction (",)),
    ("trafilatura tree_cleaning", ("tree_cleaning (",)),
    ("trafilatura prune_unwanted_nodes", ("prune_unwanted_nodes (",)),
    ("trafilatura extract_content (main pass)", ("extract_content (",)),
    ("trafilatura compare_extraction (fallbacks)", ("compare_extraction (",)),
    ("trafilatura baseline", ("baseline (trafilatura",)),
    ("readability (fallback)", ("readability",)),
    ("justext (fallback)", ("justext",)),
    ("htmldate", ("htmldate",)),
    ("trafilatura extract_metadata", ("extract_metadata (",)),
)


def _profiled_loop(target: str, limit: int | None) -> None:
    """Load the pages, then extract each once with ``target`` (the sampled part)."""
    from bench.quality import load_aeb, load_fundus, load_trafeval  # noqa: PLC0415

    shared = REPO.parent / "shared"
    if not shared.is_dir():
        shared = Path("/work/shared")
    pages = []
    for loader, name in ((load_aeb, "aeb"), (load_fundus, "fundus-dev"), (load_trafeval, "trafeval-dev")):
        if (shared / name).is_dir():
            pages.extend(loader(shared / name, limit))
    if target == "newsbot":
        from newsbot.extraction import extract_article as run  # noqa: PLC0415
    else:
        import trafilatura  # noqa: PLC0415

        def run(html, url):  # type: ignore[no-untyped-def]
            return trafilatura.extract(html, url=url)

    run(pages[0].html, pages[0].url)  # warm-up: imports, caches
    started = time.perf_counter()
    _extract_all(run, pages)
    seconds = time.perf_counter() - started
    print(f"{target}: {len(pages)} pages in {seconds:.1f} s ({1000 * seconds / len(pages):.1f} ms/page)",
          file=sys.stderr)


def _extract_all(run, pages) -> None:  # type: ignore[no-untyped-def]
    for page in pages:
        run(page.html, page.url)


def summarise(raw: Path, target: str, top: int = 25) -> str:
    """Return the text summary of py-spy's collapsed stacks in ``raw`` (loop samples only)."""
    stacks: list[tuple[list[str], int]] = []
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        frames, _, count = line.rpartition(" ")
        if not count.isdigit() or "_extract_all" not in frames:
            continue
        parts = frames.split(";")
        start = next(i for i, f in enumerate(parts) if f.startswith("_extract_all"))
        stacks.append((parts[start + 1:], int(count)))
    total = sum(n for _, n in stacks) or 1
    lines = [f"py-spy profile of {target} over the benchmark pages: {total} samples in the extraction loop", ""]

    def pct(n: int) -> str:
        return f"{100 * n / total:5.1f} %"

    if target == "newsbot":
        steps: collections.Counter[str] = collections.Counter()
        for frames, n in stacks:
            # the frame called by extract_article itself
            idx = next((i for i, f in enumerate(frames) if f.startswith("extract_article (")), None)
            if idx is None:
                continue
            step = frames[idx + 1] if idx + 1 < len(frames) else "extract_article (self)"
            steps[_short(step)] += n
        lines.append("steps of extract_article (inclusive):")
        lines += [f"  {pct(n)}  {name}" for name, n in steps.most_common(top)]
        lines.append("")
    lines.append("library work (inclusive, a sample counted once per row):")
    for label, needles in LIBRARY_ROWS:
        n = sum(c for frames, c in stacks if any(any(nd in f for nd in needles) for f in frames))
        if n:
            lines.append(f"  {pct(n)}  {label}")
    lines.append("")
    own: collections.Counter[str] = collections.Counter()
    modules: collections.Counter[str] = collections.Counter()
    for frames, n in stacks:
        if frames:
            own[_short(frames[-1])] += n
            modules[_module(frames[-1])] += n
    lines.append("self time by module:")
    lines += [f"  {pct(n)}  {name}" for name, n in modules.most_common(15)]
    lines.append("")
    lines.append("self time by function:")
    lines += [f"  {pct(n)}  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines) + "\n"


def _short(frame: str) -> str:
    """Return "function (file:line)" with the file path cut to its package-relative tail."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path, _, lineno = where.rpartition(":")
    for marker in ("site-packages/", "lib/python3.11/", str(REPO) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


def _module(frame: str) -> str:
    short = _short(frame)
    path = short.rpartition(" (")[2].rstrip(")")
    parts = path.split("/")
    if parts[0] in ("newsbot",):
        return "/".join(parts[:3])
    return parts[0] if parts[0] else short


def main(argv: list[str] | None = None) -> int:
    """Profile one target and print (or write) its summary; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=("newsbot", "trafilatura"), default="newsbot")
    parser.add_argument("--limit", type=int, default=None, help="pages per dataset (default: all)")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--out", type=Path, default=None, help="write the summary here (default: stdout)")
    parser.add_argument("--raw", type=Path, default=None, help="keep py-spy's collapsed stacks here")
    parser.add_argument("--loop", action="store_true", help=argparse.SUPPRESS)  # the sampled child
    args = parser.parse_args(argv)
    if args.loop:
        _profiled_loop(args.target, args.limit)
        return 0
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        print("py-spy not found: .venv/bin/python -m pip install py-spy", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="newsbot-profile-") as tmp:
        raw = args.raw or Path(tmp) / "stacks.txt"
        command = [py_spy, "record", "--rate", str(args.rate), "--format", "raw", "--output", str(raw), "--",
                   sys.executable, str(Path(__file__).resolve()), "--loop", "--target", args.target]
        if args.limit:
            command += ["--limit", str(args.limit)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
        load = os.getloadavg()
        summary = summarise(raw, args.target) + f"(load average after the run: {load[0]:.2f} {load[1]:.2f})\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(summary, encoding="utf-8")
    print(summary, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
