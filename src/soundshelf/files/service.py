"""File use cases: list, read (with a signed download link), delete.

Files are private to their owner, admins included: a file is whatever someone keeps for
themselves, and moderation acts on reports, not on reading people's files. Anyone else
gets 404, as for an id that does not exist. Sharing goes through share links (later).
"""

from __future__ import annotations

from typing import Any

from soundshelf.config import Settings
from soundshelf.core.stored import delete_blobs, removal_ops
from soundshelf.core.users import Principal
from soundshelf.errors import NotFound
from soundshelf.ports.blobs import BlobStore
from soundshelf.ports.clock import iso
from soundshelf.ports.table import Key, Table, TransactionFailed


def file_key(file_id: str) -> Key:
    return f"FILE#{file_id}", "FILE"


class Files:
    def __init__(self, *, table: Table, blobs: BlobStore, settings: Settings) -> None:
        self.table = table
        self.blobs = blobs
        self.settings = settings

    def _mine(self, viewer: Principal, file_id: str) -> dict[str, Any]:
        item = self.table.get(*file_key(file_id))
        if item is None or item["ownerId"] != viewer.user_id:
            raise NotFound("No such file")
        return item

    def list(
        self, viewer: Principal, *, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The caller's files, newest first."""
        page = self.table.query(
            f"USER#{viewer.user_id}#FILES", index="GSI1", forward=False, limit=limit, cursor=cursor
        )
        return [self.view(f) for f in page.items], page.next_cursor

    def get(self, viewer: Principal, file_id: str) -> dict[str, Any]:
        """The file with a short-lived link that downloads it under its original name
        (the stores build a safe ``Content-Disposition`` from it)."""
        item = self._mine(viewer, file_id)
        return {**self.view(item), "downloadUrl": self.download_url(item)}

    def load(self, file_id: str) -> dict[str, Any] | None:
        return self.table.get(*file_key(file_id))

    def download_url(self, item: dict[str, Any]) -> str:
        return self.blobs.presign_download(
            item["originalKey"],
            ttl=self.settings.media_url_ttl,
            filename=item["filename"],
            content_type=item["mime"],
        )

    @staticmethod
    def view(item: dict[str, Any]) -> dict[str, Any]:
        return {
            "fileId": item["fileId"],
            "filename": item["filename"],
            "size": item["size"],
            "contentType": item["mime"],
            # Files are their owner's alone; a taken-down one can no longer be shared.
            "status": "taken_down" if item.get("takenDown") else "ready",
            "createdAt": iso(item["createdAt"]),
        }

    def delete(self, viewer: Principal, file_id: str) -> None:
        item = self._mine(viewer, file_id)
        try:
            self.table.transact(removal_ops("file", file_key(file_id), item))
        except TransactionFailed:
            raise NotFound("No such file") from None
        delete_blobs(self.blobs, item["originalKey"])  # a file has no derivatives
