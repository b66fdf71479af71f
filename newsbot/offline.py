"""No network access but the crawled sites: the public suffix list ships with the code.

Scrapy's cookie middleware asks ``tldextract`` whether a cookie's domain is a public
suffix, and ``tldextract`` by default downloads the public suffix list from the internet
on first use (and caches it in the user's home). Importing this module configures
Scrapy's cookie code to use the snapshot bundled with ``tldextract`` instead: no download,
no cache file. :class:`CookiesMiddleware` is Scrapy's, loaded through this module so the
configuration is in place before the first cookie is seen.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares import cookies as _scrapy_cookies
from tldextract import TLDExtract

# the bundled snapshot only: no suffix list URL to fetch, no cache directory to write
OFFLINE_EXTRACT = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)
_scrapy_cookies._split_domain = OFFLINE_EXTRACT  # the module attribute Scrapy reads (no setting exists)


class CookiesMiddleware(_scrapy_cookies.CookiesMiddleware):
    """Scrapy's cookie middleware, with the public suffix list read offline."""
