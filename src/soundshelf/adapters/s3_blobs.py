"""S3 ``BlobStore`` (and S3-compatible stores through ``endpoint_url``: MinIO, R2, Ceph).

Clients upload with a presigned POST whose policy pins the exact size and the content
type, and download with presigned GET URLs; S3 itself enforces signatures, expiry and
the policy, so the API never proxies media bytes. Given a ``CloudFrontUrls`` (``cdn``),
downloads of the keys the distribution serves go through CloudFront signed URLs instead.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from soundshelf.adapters.content_disposition import content_disposition
from soundshelf.errors import RangeNotSatisfiable, ValidationFailed
from soundshelf.ports.blobs import (
    DOWNLOAD_URL_CACHE_SIZE,
    BlobInfo,
    BlobNotFound,
    CompletedPart,
    PresignedUpload,
    check_content_type,
    check_key,
    download_url_window,
)

if TYPE_CHECKING:
    from soundshelf.adapters.cloudfront_urls import CloudFrontUrls

CHUNK_SIZE = 256 * 1024
MAX_PARTS = 10_000
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})
_BAD_PARTS = frozenset({"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML"})


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _bare_etag(etag: str) -> str:
    return etag.strip().strip('"')


def _iter_body(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_SIZE)
    finally:
        body.close()


class S3BlobStore:
    """``BlobStore`` on one S3 bucket."""

    def __init__(
        self,
        bucket: str,
        *,
        region: str,
        endpoint_url: str | None = None,
        create_if_missing: bool = False,
        client: Any = None,
        cdn: CloudFrontUrls | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bucket = bucket
        self._region = region
        self._endpoint_url = endpoint_url
        self._create_if_missing = create_if_missing
        self._client = client
        self._ready = client is not None and not create_if_missing
        self._lock = threading.Lock()
        self._cdn = cdn
        self._clock = clock
        self._signed_download = functools.lru_cache(DOWNLOAD_URL_CACHE_SIZE)(self._sign_download)

    @property
    def client(self) -> Any:
        """Created on first use, so importing or building the app never calls AWS."""
        if not self._ready:
            with self._lock:
                if not self._ready:
                    if self._client is None:
                        self._client = self._new_client()
                    if self._create_if_missing:
                        self._ensure_bucket(self._client)
                    self._ready = True
        return self._client

    def _new_client(self) -> Any:
        config = Config(
            signature_version="s3v4",
            # Custom endpoints (MinIO, moto, Ceph) rarely have wildcard DNS for buckets.
            s3={"addressing_style": "path" if self._endpoint_url else "auto"},
            retries={"mode": "standard"},
        )
        return boto3.session.Session().client(
            "s3", region_name=self._region, endpoint_url=self._endpoint_url, config=config
        )

    def _ensure_bucket(self, client: Any) -> None:
        try:
            client.head_bucket(Bucket=self._bucket)
            return
        except ClientError as err:
            if _error_code(err) not in _NOT_FOUND and _error_code(err) != "NoSuchBucket":
                raise
        kwargs: dict[str, Any] = {"Bucket": self._bucket}
        if self._region != "us-east-1":  # the one region that refuses a LocationConstraint
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self._region}
        try:
            client.create_bucket(**kwargs)
        except ClientError as err:
            if _error_code(err) != "BucketAlreadyOwnedByYou":
                raise

    # -- objects

    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str) -> BlobInfo:
        check_key(key)
        check_content_type(content_type)
        if isinstance(data, bytes | bytearray | memoryview):
            body = bytes(data)
            response = self.client.put_object(
                Bucket=self._bucket, Key=key, Body=body, ContentType=content_type
            )
            return BlobInfo(key, len(body), content_type, _bare_etag(response["ETag"]))
        # Streams of unknown length: the transfer manager goes multipart when large.
        self.client.upload_fileobj(data, self._bucket, key, ExtraArgs={"ContentType": content_type})
        return self._head_or_raise(key)

    def open(self, key: str, *, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        check_key(key)
        if start < 0 or (end is not None and end < start):
            # S3 would silently ignore such a Range header and send everything.
            raise RangeNotSatisfiable(f"invalid byte range {start}-{end}")
        kwargs: dict[str, Any] = {"Bucket": self._bucket, "Key": key}
        if start or end is not None:  # no Range for a whole (maybe empty) object
            kwargs["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            response = self.client.get_object(**kwargs)
        except ClientError as err:
            if _error_code(err) in _NOT_FOUND:
                raise BlobNotFound(f"no object {key!r}") from None
            if _error_code(err) == "InvalidRange":
                raise RangeNotSatisfiable(f"byte {start} is past the end of {key!r}") from None
            raise
        return _iter_body(response["Body"])

    def read(self, key: str) -> bytes:
        return b"".join(self.open(key))

    def head(self, key: str) -> BlobInfo | None:
        check_key(key)
        try:
            response = self.client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as err:
            if _error_code(err) in _NOT_FOUND:
                return None
            raise
        return BlobInfo(
            key,
            int(response["ContentLength"]),
            response.get("ContentType", "application/octet-stream"),
            _bare_etag(response["ETag"]),
        )

    def _head_or_raise(self, key: str) -> BlobInfo:
        info = self.head(key)
        if info is None:
            raise BlobNotFound(f"no object {key!r}")
        return info

    def delete(self, key: str) -> None:
        check_key(key)
        self.client.delete_object(Bucket=self._bucket, Key=key)

    def move(self, source: str, target: str) -> BlobInfo:
        """A server-side copy (one request: up to 5 GB, above every kind's size limit;
        the content type goes along), then the delete of ``source``."""
        check_key(source)
        check_key(target)
        try:
            self.client.copy_object(
                Bucket=self._bucket,
                Key=target,
                CopySource={"Bucket": self._bucket, "Key": source},
            )
        except ClientError as err:
            if _error_code(err) in _NOT_FOUND:
                raise BlobNotFound(f"no object {source!r}") from None
            raise
        self.delete(source)
        return self._head_or_raise(target)

    def list(self, prefix: str = "") -> Iterator[str]:
        folder = prefix.rpartition("/")[0]
        if folder:
            check_key(folder)
        return self._list(prefix)

    def _list(self, prefix: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    # -- presigned URLs

    def presign_upload(
        self, key: str, *, content_type: str, size: int, ttl: int
    ) -> PresignedUpload:
        check_key(key)
        check_content_type(content_type)
        if size < 0 or ttl <= 0:
            raise ValueError("size must not be negative and ttl must be positive")
        post = self.client.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", size, size],
            ],
            ExpiresIn=ttl,
        )
        return PresignedUpload(
            method="POST",
            url=post["url"],
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl),
            fields=post["fields"],
        )

    def presign_download(
        self,
        key: str,
        *,
        ttl: int,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> str:
        # Made once per window and handed out again within it (SigV4 signing costs
        # ~100 us, RSA ~1 ms); botocore dates an S3 URL itself, so it lives at most ``ttl``.
        window = download_url_window(self._clock(), ttl)
        return self._signed_download(key, ttl, window, filename, content_type)

    def _sign_download(
        self, key: str, ttl: int, window: int, filename: str | None, content_type: str | None
    ) -> str:
        check_key(key)
        disposition = content_disposition(filename) if filename else None
        if content_type:
            check_content_type(content_type)
        if self._cdn is not None and self._cdn.serves(key):
            # Expiring at the window's start + ttl, like the filesystem store's URLs: the
            # same URL for the whole window, from every container, so browsers and the
            # edge cache see one URL per object and window.
            return self._cdn.sign(
                key,
                expires=window + ttl,
                content_disposition=disposition,
                content_type=content_type or None,
            )
        params: dict[str, Any] = {"Bucket": self._bucket, "Key": key}
        if disposition:
            params["ResponseContentDisposition"] = disposition
        if content_type:
            params["ResponseContentType"] = content_type
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=ttl)

    # -- multipart

    def create_multipart(self, key: str, *, content_type: str) -> str:
        check_key(key)
        check_content_type(content_type)
        response = self.client.create_multipart_upload(
            Bucket=self._bucket, Key=key, ContentType=content_type
        )
        return str(response["UploadId"])

    def presign_part(
        self, key: str, upload_id: str, part_number: int, *, size: int, ttl: int
    ) -> str:
        check_key(key)
        _check_part_number(part_number)
        if size <= 0 or ttl <= 0:
            raise ValueError("size and ttl must be positive")
        return self.client.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "UploadId": upload_id,
                "PartNumber": part_number,
                # Signed: S3 refuses a part of any other length.
                "ContentLength": size,
            },
            ExpiresIn=ttl,
        )

    def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[CompletedPart]
    ) -> BlobInfo:
        check_key(key)
        numbers = [part.part_number for part in parts]
        if not parts or numbers != sorted(set(numbers)):
            # S3 refuses this too; checked here so every S3 look-alike behaves the same.
            raise ValidationFailed("list each uploaded part once, in ascending order")
        for number in numbers:
            _check_part_number(number)
        listed = [{"PartNumber": p.part_number, "ETag": f'"{_bare_etag(p.etag)}"'} for p in parts]
        try:
            self.client.complete_multipart_upload(
                Bucket=self._bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": listed},
            )
        except ClientError as err:
            code = _error_code(err)
            if code == "NoSuchUpload":
                raise BlobNotFound(f"no multipart upload {upload_id!r} for {key!r}") from None
            if code in _BAD_PARTS:
                raise ValidationFailed(f"the parts were refused ({code})") from None
            raise
        return self._head_or_raise(key)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        check_key(key)
        try:
            self.client.abort_multipart_upload(Bucket=self._bucket, Key=key, UploadId=upload_id)
        except ClientError as err:
            if _error_code(err) != "NoSuchUpload":  # aborting twice is not an error
                raise

    def watch_uploads(
        self, *, on_complete: Callable[[str], None], accepts: Callable[[str], bool]
    ) -> None:
        """Nothing to do: S3 notifies the processing queue of uploads by itself, and
        cannot ask before taking bytes (``Uploads.complete_by_key``)."""


def _check_part_number(part_number: int) -> None:
    if not 1 <= part_number <= MAX_PARTS:
        raise ValidationFailed(f"part numbers go from 1 to {MAX_PARTS}")
