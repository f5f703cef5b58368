"""Files: any other upload, private to its owner."""
