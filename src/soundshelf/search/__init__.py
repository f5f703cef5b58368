"""Search: word-prefix search over the catalogue, built on the Table port only."""

from soundshelf.search.index import KINDS, SearchHit, SearchIndex
from soundshelf.search.text import normalize, tokens

__all__ = ["KINDS", "SearchHit", "SearchIndex", "normalize", "tokens"]
