"""User management for administrators: find users, change roles, disable, delete.

Roles and the disabled flag live on the profile, which every request reads, so a change
takes effect on the caller's next request (tokens, API keys and share links alike).
There is always an active admin left: a change that would take the last one away (its
own role or its account) fails with 409. The check is race-free: the change is one
transaction with a ``Check`` that another active admin's profile is unchanged, so two
admins demoting themselves at once cannot both succeed.

Deleting an account disables it at once and queues ``delete_user``
(moderation/deletion.py), which removes the data in steps.
"""

from __future__ import annotations

from typing import Any

from soundshelf.core import audit
from soundshelf.core.audit import AuditRecorder
from soundshelf.core.users import (
    ADMINS_PK,
    ROLES,
    Principal,
    profile_key,
    roles_of,
    roles_update,
    usernames_pk,
)
from soundshelf.errors import Conflict, NotFound, ValidationFailed
from soundshelf.ports.clock import Clock, iso
from soundshelf.ports.identity import IdentityProvider
from soundshelf.ports.jobs import JobQueue
from soundshelf.ports.table import (
    AttributeEquals,
    Check,
    Item,
    ItemPresent,
    Table,
    TransactionFailed,
    Update,
    WriteOp,
)

DELETE_USER = "delete_user"
GRANTABLE = frozenset({"artist", "admin"})
ATTEMPTS = 5
ADMIN_PAGE = 50


class LastAdmin(Conflict):
    code, title = "last_admin", "The last admin cannot do this"


class UserAdmin:
    def __init__(
        self,
        *,
        table: Table,
        clock: Clock,
        identity: IdentityProvider,
        jobs: JobQueue,
        audit_log: AuditRecorder,
    ) -> None:
        self.table = table
        self.clock = clock
        self.identity = identity
        self.jobs = jobs
        self.audit = audit_log

    # --- reading -------------------------------------------------------------------------

    def list(
        self, *, q: str | None, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Users by username prefix (alphabetical), or everyone newest first."""
        prefix = (q or "").strip().lower()
        if prefix:
            page = self.table.query(
                usernames_pk(prefix), index="GSI2", begins_with=prefix, limit=limit, cursor=cursor
            )
        else:
            page = self.table.query(
                "USERS", index="GSI1", forward=False, limit=limit, cursor=cursor
            )
        return [user_view(p) for p in page.items], page.next_cursor

    def get(self, user_id: str) -> dict[str, Any]:
        return user_view(self._profile(user_id))

    def _profile(self, user_id: str) -> Item:
        profile = self.table.get(*profile_key(user_id)) if len(user_id) <= 64 else None
        if profile is None:
            raise NotFound("No such user")
        return profile

    # --- changing --------------------------------------------------------------------------

    def update(
        self,
        actor: Principal,
        user_id: str,
        *,
        roles: list[str] | None,
        disabled: bool | None,
    ) -> dict[str, Any]:
        """Set the granted roles (``listener`` is everyone's) and/or the disabled flag."""
        if roles is not None and (unknown := set(roles) - GRANTABLE - {"listener"}):
            raise ValidationFailed(f"Unknown role(s): {', '.join(sorted(unknown))}")
        if disabled and actor.user_id == user_id:
            raise Conflict("You cannot disable your own account")
        for _ in range(ATTEMPTS):
            before = self._profile(user_id)
            if before.get("deleting"):
                raise Conflict("This account is being deleted")
            new_roles = sorted(
                set(before.get("roles", [])) if roles is None else set(roles) & GRANTABLE
            )
            new_disabled = bool(before.get("disabled")) if disabled is None else disabled
            try:
                self.table.transact(self._update_ops(before, new_roles, new_disabled))
            except TransactionFailed:
                continue  # the profile or the other admin changed meanwhile: check again
            self._sync_identity(before, new_roles, new_disabled)
            after = self._profile(user_id)
            self.audit.record(
                audit.USER_UPDATED,
                actor=actor,
                target_type="user",
                target_id=user_id,
                details={"before": _access(before), "after": _access(after)},
            )
            return user_view(after)
        raise Conflict("The account is being changed right now; retry")

    def _update_ops(self, before: Item, roles: list[str], disabled: bool) -> list[WriteOp]:
        user_id = before["userId"]
        change = roles_update(user_id, roles)
        set_ = {**change["set"], "disabled": disabled}
        if disabled and not before.get("disabled"):
            # Sessions end for good, as with Cognito's global sign-out: re-enabling the
            # account does not bring its old access tokens back.
            set_["tokensValidAfter"] = self.clock.now()  # sub-second: accounts.token_times
        ops: list[WriteOp] = [
            Update(
                *profile_key(user_id),
                set=set_,
                remove=change.get("remove", []),
                condition=AttributeEquals("roles", before.get("roles", [])),
            )
        ]
        if _active_admin(before) and not ("admin" in roles and not disabled):
            ops.append(self._another_admin_check(user_id))
        return ops

    def _another_admin_check(self, user_id: str) -> Check:
        """A condition that some other active admin stays as read; 409 when none."""
        cursor = None
        while True:
            page = self.table.query(ADMINS_PK, index="GSI3", limit=ADMIN_PAGE, cursor=cursor)
            for other in page.items:
                if other["userId"] != user_id and _active_admin(other):
                    return Check(
                        *profile_key(other["userId"]),
                        condition=[
                            AttributeEquals("roles", other["roles"]),
                            AttributeEquals("disabled", other["disabled"]),
                        ],
                    )
            if (cursor := page.next_cursor) is None:
                raise LastAdmin("Make someone else an admin first: this is the last admin")

    def _sync_identity(self, before: Item, roles: list[str], disabled: bool) -> None:
        """The identity provider follows (Cognito groups, sign-in allowed); requests are
        already governed by the profile."""
        username = before["username"]
        if roles != sorted(before.get("roles", [])):
            self.identity.admin_set_groups(username=username, groups=set(roles))
        if disabled != bool(before.get("disabled")):
            self.identity.admin_set_enabled(username=username, enabled=not disabled)

    def delete(self, actor: Principal, user_id: str) -> dict[str, Any]:
        """Disable the account now and queue the deletion of everything it owns. Asking
        again queues again (the job is idempotent), so a lost enqueue is recoverable."""
        if actor.user_id == user_id:
            raise Conflict("You cannot delete your own account here")
        self._profile(user_id)  # 404 for an unknown user
        profile = self.table.update(
            *profile_key(user_id), set=self._deleting(), condition=ItemPresent()
        )
        return self._queue_deletion(actor, profile)

    def delete_own(self, principal: Principal) -> dict[str, Any]:
        """The account holder deletes their account (the caller checked the password);
        as ``delete`` does, except that the last active admin cannot leave (409)."""
        before = self._profile(principal.user_id)
        ops: list[WriteOp] = [
            Update(*profile_key(principal.user_id), set=self._deleting(), condition=ItemPresent())
        ]
        if _active_admin(before):
            ops.append(self._another_admin_check(principal.user_id))
        try:
            self.table.transact(ops)
        except TransactionFailed:
            raise LastAdmin("Make someone else an admin first: this is the last admin") from None
        return self._queue_deletion(principal, self._profile(principal.user_id))

    def _deleting(self) -> dict[str, Any]:
        now = self.clock.now()
        # tokensValidAfter: every session ends at once (sub-second: accounts.token_times).
        return {
            "disabled": True,
            "deleting": True,
            "deletionRequestedAt": now,
            "tokensValidAfter": now,
        }

    def _queue_deletion(self, actor: Principal, profile: Item) -> dict[str, Any]:
        self.identity.admin_set_enabled(username=profile["username"], enabled=False)
        self.jobs.enqueue(DELETE_USER, {"userId": profile["userId"]})
        self.audit.record(
            audit.ACCOUNT_DELETION_REQUESTED,
            actor=actor,
            target_type="user",
            target_id=profile["userId"],
            details={"username": profile["username"]},
        )
        return user_view(profile)


def _active_admin(profile: Item) -> bool:
    return (
        "admin" in roles_of(profile)
        and profile.get("disabled") is False
        and not profile.get("deleting")
    )


def _access(profile: Item) -> dict[str, Any]:
    return {"roles": sorted(profile.get("roles", [])), "disabled": bool(profile.get("disabled"))}


def user_view(profile: Item) -> dict[str, Any]:
    return {
        "userId": profile["userId"],
        "username": profile["username"],
        "email": profile["email"],
        "displayName": profile.get("displayName") or profile["username"],
        "roles": [r for r in ROLES if r in roles_of(profile)],
        "disabled": bool(profile.get("disabled")),
        "deleting": bool(profile.get("deleting")),
        "artistTakenDown": bool(profile.get("takenDown")),
        "createdAt": iso(profile["createdAt"]),
        "storageBytes": int(profile.get("storageBytes", 0)),
        "trackCount": int(profile.get("trackCount", 0)),
        "photoCount": int(profile.get("photoCount", 0)),
        "fileCount": int(profile.get("fileCount", 0)),
    }
