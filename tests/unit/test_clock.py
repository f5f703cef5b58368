from __future__ import annotations

from soundshelf.ports.clock import iso


def test_iso_is_utc_seconds_with_a_z() -> None:
    assert iso(0) == "1970-01-01T00:00:00Z"
    assert iso(1_731_059_638.96) == "2024-11-08T09:53:58Z"  # truncated, not rounded
    assert iso(951_782_400) == "2000-02-29T00:00:00Z"
