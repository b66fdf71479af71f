"""newsbot's spiders: ``site`` (whole-site discovery) and ``urls`` (URL lists)."""
