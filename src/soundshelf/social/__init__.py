"""People: friends and follows."""
