"""The package layout: extraction is pure (no Scrapy, no Twisted), the process pool is
generic, and imports point only down the stages of the data flow (docs/architecture.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "newsbot"

# Stages in the order data flows; a module may import from its own stage or an earlier one.
STAGES: list[tuple[str, ...]] = [
    ("newsbot", "newsbot.settings", "newsbot.urls", "newsbot.items", "newsbot.identity", "newsbot.procpool",
     "newsbot.schema", "newsbot.statskeys", "newsbot.engine", "newsbot.outputs", "newsbot.settingscheck"),
    ("newsbot.extraction", "newsbot.discovery"),
    ("newsbot.state", "newsbot.state.sqlite", "newsbot.state.redis", "newsbot.state.redis_store",
     "newsbot.errors", "newsbot.stats", "newsbot.warc"),
    ("newsbot.spiders",),
    ("newsbot.pipelines", "newsbot.exporters", "newsbot.feedstorage", "newsbot.logformatter"),
    ("newsbot.middlewares", "newsbot.extensions", "newsbot.addons", "newsbot.state.scheduler",
     "newsbot.state.spider", "newsbot.fixture_server", "newsbot.hostguard", "newsbot.http11"),
    ("newsbot.config",),
    ("newsbot.cli", "newsbot.__main__", "newsbot.api"),
]
# The top-level package re-exports the public API (``newsbot.extract_article``) lazily: a
# facade, not a stage.
FACADES = ("newsbot",)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> int:
    """Return the stage of a newsbot module: that of the longest stage entry it is, or is in."""
    best, best_len = -1, -1
    for index, names in enumerate(STAGES):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best_len:
                best, best_len = index, len(name)
    assert best >= 0, f"{module} is in no stage of tests/test_layout.py"
    return best


def imports_of(path: Path) -> list[str]:
    """Return every module ``path`` imports (at module level or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", [p for p in MODULES if module_name(p) not in FACADES], ids=module_name)
def test_imports_point_down_the_stages(path: Path) -> None:
    module = module_name(path)
    own = stage_of(module)
    later = sorted({name for name in imports_of(path) if name.startswith("newsbot.") and stage_of(name) > own
                    and importable(name)})
    assert not later, f"{module} (stage {own}) imports from later stages: {later}"


def importable(name: str) -> bool:
    """Return True when ``name`` is a module of the package (not a name imported from one)."""
    relative = Path(*name.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative / "__init__.py").exists()


@pytest.mark.parametrize("package", ["extraction", "discovery"])
def test_pure_packages_never_import_the_crawler(package: str) -> None:
    for path in sorted((PACKAGE / package).rglob("*.py")):
        for name in imports_of(path):
            assert not name.startswith(("twisted", "scrapy.crawler", "scrapy.http", "scrapy.spiders",
                                        "newsbot.spiders", "newsbot.pipelines", "newsbot.state")), (path, name)
            if package == "extraction":
                assert not name.startswith("scrapy"), (path, name)


def test_the_process_pool_imports_nothing_from_newsbot() -> None:
    for path in sorted((PACKAGE / "procpool").rglob("*.py")):
        assert not [n for n in imports_of(path) if n.startswith("newsbot") and not n.startswith("newsbot.procpool")]


def test_extraction_runs_with_scrapy_and_twisted_unimportable() -> None:
    """A process in which ``import scrapy`` and ``import twisted`` fail still extracts a page."""
    code = (
        "import sys\n"
        "sys.modules['scrapy'] = None\n"
        "sys.modules['twisted'] = None\n"
        "from newsbot import extract_article\n"
        "html = '<html><head><title>Harbour board backs ferry plan</title>"
        "<meta property=\"og:type\" content=\"article\"></head><body><article><h1>Harbour board backs ferry plan</h1>'"
        " + ''.join(f'<p>Paragraph {n}: the harbour board voted on Tuesday to keep the winter ferry running '"
        "'twice a day, after residents of the outer islands asked for a later crossing on weekday evenings.</p>' "
        "for n in ('one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'))"
        " + '</article></body></html>'\n"
        "article = extract_article(html, 'https://news.example/2025/ferry')\n"
        "assert article.drop_reason is None, article.drop_reason\n"
        "assert 'winter ferry' in article.body\n"
        "assert not [m for m in sys.modules if m.startswith(('scrapy.', 'twisted.'))]\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_no_module_is_much_over_400_lines() -> None:
    long = {module_name(p): n for p in MODULES if (n := len(p.read_text(encoding="utf-8").splitlines())) > 430}
    assert not long, long
