"""Share links: expiring, revocable, optionally password-protected links to one item."""
