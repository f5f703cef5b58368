"""Music: tracks, albums, artists, likes and plays."""
