"""Photos: galleries, the friends' feed, tags, edit and delete."""
