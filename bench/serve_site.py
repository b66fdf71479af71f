"""Serve a site folder on 127.0.0.1 until standard input closes (a benchmark's server process).

    python bench/serve_site.py ROOT

Prints the origin (``http://127.0.0.1:PORT``) as its first line of standard output. Uses
:class:`newsbot.fixture_server.FixtureServer`, so ``__ORIGIN__`` in files is replaced.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newsbot.fixture_server import FixtureServer  # noqa: E402


def main() -> int:
    """Serve ``sys.argv[1]`` until standard input reaches end of file; return 0."""
    with FixtureServer(Path(sys.argv[1])) as server:
        print(server.origin, flush=True)
        sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
