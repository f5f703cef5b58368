"""OpenSubsonic-compatible API under ``/rest/`` for existing music apps."""
