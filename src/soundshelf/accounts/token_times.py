"""Whether an access token was issued before its account's sessions were ended.

Logout, a disable, a password reset or change store ``tokensValidAfter``: the moment, to
the sub-second, after which only newer tokens count. A token's ``iat`` is whole seconds
(Cognito's and ours alike), so within that one second it cannot say which came first.
For that second only, we look up when we asked the provider for the token: every access
token handed out goes through ``Accounts`` (login, refresh), which records, under
the token's ``jti``, a time no later than its issue.
"""

from __future__ import annotations

from typing import Any

import jwt

from soundshelf.ports.table import Table


def _issue_key(jti: str) -> tuple[str, str]:
    return f"TOKENISSUE#{jti}", "TOKENISSUE"


def record_issue(table: Table, access_token: str, *, asked_at: float) -> None:
    """Remember that ``access_token`` was issued no earlier than ``asked_at``."""
    # Our own provider just signed it (or Cognito just returned it over TLS): no need to
    # verify it again to read two claims.
    claims = jwt.decode(access_token, options={"verify_signature": False})
    jti, expires = claims.get("jti"), claims.get("exp")
    if not isinstance(jti, str) or not jti or not isinstance(expires, int | float):
        return  # unrecorded: refused if it shares a second with an end of sessions
    pk, sk = _issue_key(jti)
    table.put({"PK": pk, "SK": sk, "askedAt": asked_at, "expiresAt": int(expires)})


def issued_before(table: Table, claims: dict[str, Any], valid_after: float) -> bool:
    iat = claims["iat"]
    if iat >= valid_after:
        return False
    if iat + 1 <= valid_after:
        return True
    # The same second: only a token we know was asked for afterwards survives.
    jti = claims.get("jti")
    record = table.get(*_issue_key(str(jti))) if isinstance(jti, str) and jti else None
    return record is None or float(record["askedAt"]) < valid_after
