"""Where a response sends the crawler next: an HTTP ``Location`` or an HTML meta refresh.

:func:`redirect_target` returns the URL a response redirects to the way Scrapy's redirect
middlewares would follow it (``Location`` on a 3xx; ``<meta http-equiv="refresh">`` on an
HTML page whose delay is under ``METAREFRESH_MAXDELAY``), so that
:class:`newsbot.middlewares.RedirectGuardMiddleware` can check both kinds the same way
(loops, chain length, leaving the site) before Scrapy follows or silently drops them.
"""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.response import get_meta_refresh


def redirect_target(request: Request, response: Response, ignore_tags: list[str], max_delay: float) -> tuple[str, str]:
    """Return ``(kind, absolute URL)`` of the redirect ``response`` asks for (kind
    ``redirect`` or ``meta refresh``), or ``("", "")`` when Scrapy would not follow one."""
    if request.meta.get("dont_redirect") or response.status in request.meta.get("handle_httpstatus_list", ()):
        return "", ""
    if 300 <= response.status < 400 and b"Location" in response.headers:
        location = (response.headers.get(b"Location") or b"").decode("latin-1").strip()
        return "redirect", urljoin(request.url, location)
    if request.method == "HEAD" or not isinstance(response, HtmlResponse) or response.status != 200:
        return "", ""
    if b"refresh" not in response.body[:65536].lower():
        return "", ""  # cheap test first: most pages have no meta refresh
    interval, url = get_meta_refresh(response, ignore_tags=ignore_tags)
    if not url or interval is None or float(interval) >= max_delay:
        return "", ""
    return "meta refresh", url
