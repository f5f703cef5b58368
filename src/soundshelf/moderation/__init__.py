"""Moderation and administration: reports, takedowns, reviewing reported items, user
management, account deletion and personal data exports. A feature like the others: what
every feature records or counts (the audit log, platform statistics, the user index keys)
lives below the features, in ``soundshelf.core``.
"""
