"""Soundshelf: a music-first media sharing platform."""

__version__ = "0.1.0"
