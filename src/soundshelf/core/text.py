"""Text → search words, the same way for what is indexed and for what is asked.

``normalize`` folds case and accents and keeps only letters and digits: "Beyoncé" →
"beyonce", "AC/DC" → "ac dc", "Sigur Rós" → "sigur ros", "Straße" → "strasse". Apostrophes
join rather than split ("Don't" → "dont"), so a query typed with or without one matches.
Letters that Unicode does not decompose but people type without their stroke (ø, æ, ł,
đ, þ) are spelled out, so "bjork" finds "Bjørk".
"""

from __future__ import annotations

import unicodedata

MAX_TOKENS = 30  # per item: bounds the index entries one item can create
MAX_TOKEN_LENGTH = 40  # longer words are cut; both sides are cut alike, so they still match
MAX_INPUT_CHARS = 4_000  # only the start of a long text is read: keeps the work bounded

# Apostrophes inside words ("don't", "rock ’n’ roll") vanish instead of splitting words.
_APOSTROPHES = frozenset("'’ʼ`´")
# Letters without a Unicode decomposition that users type as plain Latin letters.
_SPELLED_OUT = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)


def normalize(text: str) -> str:
    """Lower-case, accent-free words of ``text`` separated by single spaces."""
    # casefold first (ß → ss, İ → i̇), then NFKD so that every accent, including those
    # produced by casefolding, becomes a separate combining mark we can drop.
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPELLED_OUT))
    chars = []
    for ch in decomposed:
        if unicodedata.combining(ch) or ch in _APOSTROPHES:
            continue
        chars.append(ch if ch.isalnum() else " ")
    return " ".join("".join(chars).split())


def tokens(text: str, *, limit: int = MAX_TOKENS) -> list[str]:
    """The distinct words of ``text`` in order of first appearance, at most ``limit``.

    One-character words are kept ("Symphony No. 5", "Guns N' Roses") so that a query can
    use them to narrow results, but the index only makes entries for words of two or more
    characters (see ``index.MIN_ENTRY_LENGTH``). Words are cut to ``MAX_TOKEN_LENGTH``
    and only the first ``MAX_INPUT_CHARS`` characters of ``text`` are read.
    """
    seen: dict[str, None] = {}
    for word in normalize(text[:MAX_INPUT_CHARS]).split():
        seen.setdefault(word[:MAX_TOKEN_LENGTH])
        if len(seen) >= limit:
            break
    return list(seen)
