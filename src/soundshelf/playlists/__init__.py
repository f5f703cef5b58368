"""Playlists: ordered, editable lists of tracks with optimistic concurrency."""

from soundshelf.playlists.service import MAX_ENTRIES, Playlists

__all__ = ["MAX_ENTRIES", "Playlists"]
