"""Search: word-prefix search over the catalogue, built on the Table port only (words come
from ``soundshelf.core.text``, shared with the catalogue)."""

from soundshelf.search.index import KINDS, SearchHit, SearchIndex

__all__ = ["KINDS", "SearchHit", "SearchIndex"]
