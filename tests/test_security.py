"""Secrets and network: credentials in URLs are used for basic auth and never shown; the
public suffix list is read offline; no remote-control or telnet server listens."""

from __future__ import annotations

import base64
import json
import logging
import socket
from pathlib import Path
from typing import Any

import pytest

from newsbot import settings
from newsbot.credentials import mask, split_credentials
from tests.crawling import crawl
from tests.faultserver import Scenario, article_html, send

SECRET = "s3cr3t-Pa55"


def test_credentials_are_used_for_basic_auth_and_never_shown(tmp_path: Path) -> None:
    scenario = Scenario()
    srv = scenario.server()
    page = article_html("private", "A story behind basic auth").encode()
    expected = "Basic " + base64.b64encode(f"reader:{SECRET}".encode()).decode()

    def guarded(h: Any) -> None:
        if h.headers.get("Authorization") == expected:
            send(h, 200, page)
        else:
            send(h, 401, b"<html><body>who are you</body></html>", headers={"WWW-Authenticate": "Basic"})

    srv.routes["/private/"] = guarded
    srv.routes["/missing/"] = guarded
    host = srv.origin.removeprefix("http://")
    urls = tmp_path / "urls.txt"
    urls.write_text(f"http://reader:{SECRET}@{host}/private/\nhttp://reader:{SECRET}@{host}/gone/\n")
    with scenario:
        result = crawl("urls", {"AUTOTHROTTLE_ENABLED": False, "NEWSBOT_EXTRACT_WORKERS": 1}, file=str(urls))
    assert [i["source_url"] for i in result.items] == [f"{srv.origin}/private/"]
    dump = "\n".join(result.log) + json.dumps(result.stats, default=str) + json.dumps(result.items)
    assert SECRET not in dump
    assert result.stat("newsbot/errors/http_404") == 1


def test_mask_and_split() -> None:
    assert mask(f"fetch failed: https://u:{SECRET}@news.example/x") == "fetch failed: https://u:***@news.example/x"
    assert split_credentials(f"https://u:{SECRET}@news.example:8443/x?q=1") == "https://news.example:8443/x?q=1"
    assert split_credentials("https://news.example/x") == "https://news.example/x"


def test_log_lines_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("newsbot.test").info("site %s failed", f"https://u:{SECRET}@news.example/")
    assert SECRET not in caplog.text and "u:***@news.example" in caplog.text


def test_public_suffix_list_is_read_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(self: socket.socket, address: Any) -> None:
        raise AssertionError(f"network access: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    import newsbot.offline  # noqa: F401 - configures Scrapy's cookie code
    from scrapy.downloadermiddlewares.cookies import _is_public_domain

    assert _is_public_domain("co.uk")
    assert not _is_public_domain("news.co.uk")
    assert not list(tmp_path.rglob("*"))  # nothing cached either


def test_no_remote_control_or_telnet_server() -> None:
    assert settings.TELNETCONSOLE_ENABLED is False
    assert settings.REMOTE_CONTROL_ENABLED is False
    assert settings.DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.cookies.CookiesMiddleware"] is None
