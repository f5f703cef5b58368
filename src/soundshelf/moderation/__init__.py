"""Moderation and administration: reports, takedowns, user management, the audit log,
platform statistics and personal data exports.

Modules are imported directly (``soundshelf.moderation.audit``...): ``audit``, ``stats``
and ``users`` are used by the accounts and catalog services, so this package must not
import the services that import it.
"""
