"""newsbot: crawl news sites and write clean article records as JSONL."""

__version__ = "0.1.0"
