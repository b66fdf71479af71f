"""Discovery parsing: robots.txt, sitemaps and feeds, bytes in, URLs out. Pure functions
that fetch nothing; the site spider (:mod:`newsbot.spiders.site`) fetches and follows."""
