"""Accounts: sign-up, sessions, profiles, roles, API keys."""
