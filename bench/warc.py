"""``newsbot warc`` throughput, memory and resume, on a WARC of synthetic news pages.

    .venv/bin/python bench/warc.py                      # 5,000 pages, every part
    .venv/bin/python bench/warc.py --pages 20000        # scale it
    .venv/bin/python bench/warc.py --skip-resume        # throughput and memory only
    .venv/bin/python bench/warc.py --big-gb 2           # memory on a 2 GB archive only

Writes (once, kept in ``--workdir``) a gzipped WARC of ``--pages`` article pages of the
throughput benchmark's synthetic site (``bench/synthsite.py``: fixture articles dressed as
real ~150 KB news pages), one gzip member a record, with warcio's writer, and measures:

(l) the WARC libraries: every response record of the file read (payload included) with
    warcio and with fastwarc (when installed: ``pip install fastwarc``), records/s; the
    reason newsbot reads with warcio is in ``pyproject.toml``;
(a) ``extract_article`` in this process over ``--extract-sample`` of the pages (each page
    read into memory before its extraction is timed), pages/s;
(c) ``newsbot warc FILE -o out.jsonl --no-state`` as a subprocess: pages that reached
    extraction per second of wall time (start-up included), and the peak resident memory
    of the process and its extraction workers (sampled from /proc); then c/a (target
    >= 1.6 on 2 cores, as for the crawl);
(r) resume, on the first ``--resume-pages`` pages: a run with a state store stopped by
    SIGTERM at 30 % of a clean run's time (its output delivered, its checkpoint recorded),
    a second run that resumes and is SIGKILLed at one of three moments (20 %, 50 %, 90 %
    of the time the 70 % left should take; its output never delivered), and a third run
    to the end;
    the delivered outputs must hold every article of a clean run exactly once, and the
    third run must say it resumed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.synthsite import article_pages  # noqa: E402
from bench.throughput import MemorySampler  # noqa: E402

NEWSBOT = Path(sys.executable).parent / "newsbot"
ORIGIN = "https://news.example"


def write_archive(path: Path, pages: int, seed: int) -> int:
    """Write the synthetic pages as a gzipped WARC (unless it exists); return its size."""
    if path.exists():
        return path.stat().st_size
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as file:
        writer = WARCWriter(file, gzip=True)
        for page_path, page in article_pages(pages, seed):
            body = page.replace("__ORIGIN__", ORIGIN).encode("utf-8")
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                                  ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(ORIGIN + page_path, "response", payload=io.BytesIO(body),
                                                          http_headers=headers))
    tmp.replace(path)
    return path.stat().st_size


def write_big_archive(path: Path, gigabytes: float, pages: int, seed: int) -> tuple[int, int]:
    """Write (unless it exists) an uncompressed WARC of at least ``gigabytes`` GB, the
    synthetic pages repeated at distinct URLs; return (size in bytes, response records)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    if not path.exists():
        target = int(gigabytes * 1e9)
        bodies = [(page_path, page.replace("__ORIGIN__", ORIGIN).encode("utf-8"))
                  for page_path, page in article_pages(pages, seed)]
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as file:
            writer = WARCWriter(file, gzip=False)
            copy = 0
            while file.tell() < target:
                for page_path, body in bodies:
                    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                                          ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
                    url = f"{ORIGIN}{page_path}?copy={copy}"
                    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                                  http_headers=headers))
                    if file.tell() >= target:
                        break
                copy += 1
        tmp.replace(path)
    with path.open("rb") as file:
        records = sum(1 for record in ArchiveIterator(file) if record.rec_type == "response")
    return path.stat().st_size, records


def read_warcio(path: Path) -> tuple[int, float]:
    """Return (records, seconds) reading every response's payload with warcio."""
    from warcio.archiveiterator import ArchiveIterator

    started, count = time.perf_counter(), 0
    with path.open("rb") as file:
        for record in ArchiveIterator(file):
            if record.rec_type == "response":
                record.content_stream().read()
                count += 1
    return count, time.perf_counter() - started


def read_fastwarc(path: Path) -> tuple[int, float] | None:
    """Return (records, seconds) reading every response's payload with fastwarc, or None."""
    try:
        from fastwarc.warc import ArchiveIterator, WarcRecordType  # type: ignore[import-not-found]
    except ImportError:
        return None
    started, count = time.perf_counter(), 0
    with path.open("rb") as file:
        for record in ArchiveIterator(file, record_types=WarcRecordType.response, parse_http=True):
            record.reader.read()
            count += 1
    return count, time.perf_counter() - started


def measure_extraction(path: Path, sample: int) -> tuple[int, float, float]:
    """Return (pages, seconds, CPU seconds) of ``extract_article`` over ``sample`` pages of the WARC."""
    from warcio.archiveiterator import ArchiveIterator

    from newsbot.extraction import extract_article

    pages: list[tuple[str, str]] = []
    with path.open("rb") as file:
        for record in ArchiveIterator(file):
            if record.rec_type == "response":
                pages.append((record.content_stream().read().decode("utf-8"),
                              record.rec_headers.get_header("WARC-Target-URI")))
            if len(pages) >= sample:
                break
    extract_article(*pages[0])  # warm-up: lazy imports and caches
    started, cpu = time.perf_counter(), time.process_time()
    for html, url in pages:
        extract_article(html, url)
    return len(pages), time.perf_counter() - started, time.process_time() - cpu


def run_newsbot(args: list[str], stop: tuple[int, float] | None = None,
                sample_every: float = 0.2) -> tuple[int, float, str, int, list[int], tuple[float, float]]:
    """Run ``newsbot warc ARGS``; with ``stop=(signal, seconds)`` send that signal after that
    long. Return (exit code, seconds, stderr, peak RSS kB of the process tree, RSS kB of the
    process itself at 25, 50, 75 and 100 % of the run, CPU seconds of the process and of its workers)."""
    started = time.monotonic()
    proc = subprocess.Popen([str(NEWSBOT), "warc", *args, "-L", "INFO"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    sampler = MemorySampler(proc.pid, sample_every)
    sampler.start()
    if stop is not None:
        try:
            proc.wait(timeout=stop[1])
        except subprocess.TimeoutExpired:
            proc.send_signal(stop[0])
    _, stderr = proc.communicate(timeout=3600)
    sampler.stop()
    series = [parent for parent, _ in sampler.series] or [0]
    quarters = [series[min(len(series) - 1, len(series) * q // 4)] for q in (1, 2, 3, 4)]
    parent_cpu = sampler.cpu.get(proc.pid, 0.0)
    workers_cpu = sum(cpu for pid, cpu in sampler.cpu.items() if pid != proc.pid)
    return proc.returncode, time.monotonic() - started, stderr, sampler.peak_kb, quarters, (parent_cpu, workers_cpu)


def ids_of(*paths: Path) -> Counter[str]:
    """Return how often each record id appears in the complete output files that exist."""
    ids: Counter[str] = Counter()
    for path in paths:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                ids[json.loads(line)["id"]] += 1
    return ids


def resume_test(archive: Path, folder: Path) -> bool:
    """Run the resume test (see the module docstring); print one line per moment; return
    True when every moment gave every article exactly once."""
    clean = folder / "clean.jsonl"
    code, seconds, *_ = run_newsbot([str(archive), "--no-state", "-o", str(clean)])
    expected = set(ids_of(clean))
    print(f"(r) clean run: {len(expected)} articles in {seconds:.1f} s (exit {code})")
    ok = True
    for fraction in (0.2, 0.5, 0.9):
        run = folder / f"kill-{int(fraction * 100)}"
        run.mkdir(exist_ok=True)
        for old in run.iterdir():
            old.unlink()
        base = [str(archive), "--state", str(run / "state.sqlite")]
        first = run_newsbot([*base, "-o", str(run / "1.jsonl")], stop=(signal.SIGTERM, 0.3 * seconds))
        # the second run has the 70 % left to read: killed at that share of it
        second = run_newsbot([*base, "-o", str(run / "2.jsonl")], stop=(signal.SIGKILL, fraction * 0.7 * seconds))
        third = run_newsbot([*base, "-o", str(run / "3.jsonl")])
        ids = ids_of(run / "1.jsonl", run / "2.jsonl", run / "3.jsonl")
        lost, twice = len(expected - set(ids)), sum(n - 1 for n in ids.values() if n > 1)
        resumed = re.search(r"resuming \S+ at offset (\d+)", third[2])
        good = first[0] == 143 and second[0] == -signal.SIGKILL and third[0] == 0 and not lost and not twice
        ok = ok and good and resumed is not None
        print(f"(r) SIGTERM at 30 %: exit {first[0]}, {len(ids_of(run / '1.jsonl'))} articles delivered; "
              f"SIGKILL at {fraction:.0%} of the rest: exit {second[0]}, delivered {(run / '2.jsonl').exists()}; "
              f"rerun: exit {third[0]}, resumed at offset {resumed[1] if resumed else 'NONE'}, "
              f"{len(ids_of(run / '3.jsonl'))} articles; every article exactly once: "
              f"{'yes' if good else f'NO ({lost} lost, {twice} twice)'}")
    return ok


def memory_test(args: argparse.Namespace) -> int:
    """(m): peak RSS reading a big uncompressed WARC; return 0 when under 400 MB."""
    big = args.workdir / f"big-{args.big_gb:g}gb-{args.seed}.warc"
    size, records = write_big_archive(big, args.big_gb, args.pages, args.seed)
    out = args.workdir / "big-out.jsonl"
    code, seconds, stderr, peak_kb, quarters, _ = run_newsbot([str(big), "--no-state", "-o", str(out)])
    found = re.search(r"pages fetched: (\d+)", stderr)
    print(f"(m) {big.name}: {size / 1e9:.2f} GB, {records} response records; newsbot warc: exit {code}, "
          f"{found[1] if found else '?'} pages in {seconds:.0f} s ({records / seconds:.0f} records/s); "
          f"peak RSS of the process and its workers {peak_kb / 1024:.0f} MB; RSS of the process at "
          f"25/50/75/100 % of the run: {'/'.join(f'{q / 1024:.0f}' for q in quarters)} MB (target: peak under 400 MB)")
    return 0 if code == 0 and peak_kb < 400 * 1024 else 1


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; return 1 when the resume test failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--extract-sample", type=int, default=500)
    parser.add_argument("--resume-pages", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/newsbot-bench-warc"))
    parser.add_argument("--skip-resume", action="store_true")
    parser.add_argument("--resume-only", action="store_true", help="only (r)")
    parser.add_argument("--big-gb", type=float, default=0.0, help="only (m): a WARC of this many GB")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.big_gb:
        return memory_test(args)
    archive = args.workdir / f"synthetic-{args.pages}-{args.seed}.warc.gz"
    size = write_archive(archive, args.pages, args.seed)
    print(f"archive: {archive} ({args.pages} pages, {size / 1e6:.1f} MB gzipped); {os.cpu_count()} cores")

    if args.resume_only:
        small = args.workdir / f"synthetic-{args.resume_pages}-{args.seed}.warc.gz"
        write_archive(small, args.resume_pages, args.seed)
        return 0 if resume_test(small, args.workdir) else 1
    count, seconds = read_warcio(archive)
    print(f"(l) warcio:   {count} records in {seconds:.2f} s: {count / seconds:.0f} records/s")
    fast = read_fastwarc(archive)
    if fast:
        print(f"(l) fastwarc: {fast[0]} records in {fast[1]:.2f} s: {fast[0] / fast[1]:.0f} records/s "
              f"({seconds / fast[1]:.1f}x warcio)")
    else:
        print("(l) fastwarc: not installed (pip install fastwarc to compare)")

    pages, seconds, cpu = measure_extraction(archive, args.extract_sample)
    single, single_cpu = pages / seconds, cpu / pages
    print(f"(a) extract_article, one process: {pages} pages in {seconds:.1f} s: {single:.1f} pages/s "
          f"({1000 * single_cpu:.1f} ms CPU a page)")

    out = args.workdir / "out.jsonl"
    code, seconds, stderr, peak_kb, quarters, (parent_cpu, workers_cpu) = run_newsbot(
        [str(archive), "--no-state", "-o", str(out)]
    )
    found = re.search(r"pages fetched: (\d+)", stderr)
    extracted = int(found[1]) if found else 0
    rate = extracted / seconds
    print(f"(c) newsbot warc: exit {code}, {extracted} pages, {len(ids_of(out))} articles in {seconds:.1f} s: "
          f"{rate:.1f} pages/s; peak RSS of the process and its workers {peak_kb / 1024:.0f} MB; "
          f"RSS of the process at 25/50/75/100 % of the run: {'/'.join(f'{q / 1024:.0f}' for q in quarters)} MB")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (the machine has {os.cpu_count()} cores)")
    print(f"c/a = {rate / single:.2f} (target >= 1.6 on 2 cores)")
    if extracted:
        per_page = (parent_cpu + workers_cpu) / extracted
        print(f"CPU a page: the process {1000 * parent_cpu / extracted:.1f} ms (reading, decoding, pipelines, "
              f"output), its workers {1000 * workers_cpu / extracted:.1f} ms; at these costs, every core busy, "
              f"c/a could be {(os.cpu_count() or 1) * single_cpu / per_page:.2f}")

    if args.skip_resume:
        return 0
    small = args.workdir / f"synthetic-{args.resume_pages}-{args.seed}.warc.gz"
    write_archive(small, args.resume_pages, args.seed)
    return 0 if resume_test(small, args.workdir) else 1


if __name__ == "__main__":
    sys.exit(main())
