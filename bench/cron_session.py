"""A scripted three-run cron session against the fixture site on 127.0.0.1.

Run 1 writes every article; run 2 (nothing new) writes no file; between runs 2 and 3 the
site publishes two articles, and run 3 writes exactly those. Prints each command, its exit
code, its summary lines, and the output folder after each run.

    .venv/bin/python bench/cron_session.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsbot.fixture_server import FixtureServer  # noqa: E402

SITE = ROOT / "fixtures" / "site"
NEWSBOT = Path(sys.executable).parent / "newsbot"


def publish(server: FixtureServer, slug: str, headline: str) -> str:
    """Serve a new article made from a fixture article, listed in the RSS feed; return its path."""
    expected = json.loads(next((ROOT / "fixtures" / "expected").glob("[a-z]*.json")).read_text())
    path = f"/2025/11/25/{slug}/"
    page = (SITE / expected["path"].strip("/") / "index.html").read_text(encoding="utf-8")
    page = page.replace(expected["path"], path).replace(expected["title"], headline)
    for number, paragraph in enumerate(expected["body"].split("\n\n")):
        page = page.replace(paragraph, f"{headline}: part {number} of a new report on {slug}, "
                                       f"with fresh figures from the council and the harbour board.")
    server.add_page(path, page)
    feed = server.extra.get("/feed.xml", ((SITE / "feed.xml").read_bytes(), ""))[0].decode("utf-8")
    item = f"<item><title>{headline}</title><link>__ORIGIN__{path}</link></item>"
    server.add_page("/feed.xml", re.sub(r"<item>", item + "<item>", feed, count=1), "application/xml; charset=utf-8")
    return path


def run(args: list[str], folder: Path) -> None:
    """Run one crawl, print the command, its exit code, summary lines and the output folder."""
    print("$ newsbot " + " ".join(args))
    proc = subprocess.run([str(NEWSBOT), *args], capture_output=True, text=True, cwd=folder)
    summary = [line for line in proc.stderr.splitlines() if not re.match(r"^\d{4}-\d{2}-\d{2} ", line)
               and not line.startswith((" ", "{", "}", "[", "]"))]
    for line in summary:
        print("  " + line)
    print(f"  exit code {proc.returncode}")
    for path in sorted((folder / "out").glob("*")):
        lines = len(path.read_text().splitlines()) if path.suffix == ".jsonl" else "-"
        print(f"  out/{path.name}  ({lines} records)" if path.suffix == ".jsonl" else f"  out/{path.name}")
    print()


def main() -> int:
    """Serve the fixture site and run the three crawls; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in this folder instead of a temporary one")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="newsbot-cron-"))
    folder.mkdir(parents=True, exist_ok=True)
    with FixtureServer(SITE) as server:
        (folder / "sites.toml").write_text(
            f'output = "out/%(time)s.jsonl"\nstate = "{folder}/state.sqlite"\n\n[[sites]]\n'
            f'name = "Harborview Courier (fixture)"\nurls = ["{server.origin}/"]\n', encoding="utf-8")
        print(f"# fixture site at {server.origin}/, working folder {folder}\n")
        crawl = ["crawl", "--config", "sites.toml"]
        print("# run 1 (hour 1)")
        run(crawl, folder)
        time.sleep(1.1)
        print("# run 2 (hour 2): nothing new")
        run(crawl, folder)
        time.sleep(1.1)
        a = publish(server, "ferry-timetable-doubles", "Ferry timetable doubles for winter")
        b = publish(server, "night-market-moves-indoors", "Night market moves indoors")
        print(f"# the site publishes {a} and {b}\n# run 3 (hour 3)")
        run(crawl, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
