"""Uploads: direct-to-storage transfers and the processing that turns them into items."""
