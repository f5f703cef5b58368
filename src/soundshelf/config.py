"""Settings read from the environment (prefix ``SOUNDSHELF_``).

The embedded mode needs no variables at all; the AWS mode needs the resource names
that the SAM template passes to the functions.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOUNDSHELF_", extra="ignore")

    backend: Literal["local", "aws"] = "local"
    data_dir: Path = Path("./var")
    host: str = "127.0.0.1"
    port: int = 8000
    # `serve`'s HTTP processes: one per core (up to 4) uses the machine; SQLite in WAL
    # mode, the job queue and the rate limiter all work across processes.
    http_processes: int = Field(default_factory=lambda: min(os.cpu_count() or 1, 4), ge=1, le=32)
    # Where browsers reach this server; signed local URLs are built on it.
    public_url: str | None = None
    web_origins: list[str] = Field(default_factory=list)
    # Reverse proxies (addresses or networks, e.g. "127.0.0.1" or "10.0.0.0/8") whose
    # X-Forwarded-Proto is believed: HSTS is sent when they say the client used https.
    trusted_proxies: list[str] = Field(default_factory=list)
    log_level: str = "INFO"

    # AWS resources (names come from the SAM template's environment).
    aws_region: str = "us-east-1"
    table_name: str = "soundshelf"
    media_bucket: str = "soundshelf-media"
    dynamodb_endpoint: str | None = None
    s3_endpoint: str | None = None
    create_resources: bool = False  # create table/bucket if missing (development only)
    cognito_user_pool_id: str = ""
    cognito_client_id: str = ""
    # Trust this JWKS document instead of fetching the pool's (emulators and tests only).
    cognito_jwks_file: Path | None = None
    # Media downloads through CloudFront signed URLs (all three, or none: presigned S3
    # URLs). The distribution's domain (no scheme), the id of its trusted public key, and
    # the Secrets Manager secret (name or ARN) holding the PEM private key, read on first
    # use; the key itself is never a setting.
    media_cdn_domain: str = ""
    media_cdn_key_pair_id: str = ""
    media_cdn_private_key_secret: str = ""

    # Accounts
    smtp_url: str | None = None  # e.g. smtp+starttls://user:pass@mail.example.com:587
    access_token_ttl: int = Field(default=3600, ge=900, le=3600)
    api_key_requests_per_minute: int = 600
    # Encrypts app passwords (Subsonic clients): base64 of 32 random bytes. The embedded
    # mode keeps its own in <data-dir>/keys; on AWS app passwords are off without it.
    app_password_key: str = ""

    # Uploads and processing
    max_audio_bytes: int = 500 * 1000**2
    max_image_bytes: int = 50 * 1000**2
    max_file_bytes: int = 2 * 1000**3
    storage_quota_bytes: int = 20 * 1000**3  # per user
    multipart_threshold_bytes: int = 64 * 1000**2
    multipart_part_bytes: int = 16 * 1024**2
    upload_url_ttl: int = 900  # upload URLs (and part URLs) live 15 minutes
    media_url_ttl: int = 900  # signed stream/download/photo URLs
    share_default_ttl: int = 24 * 3600
    share_max_ttl: int = 30 * 24 * 3600
    workers: int = Field(default=1, ge=0, le=16)  # processing worker processes for `serve`
    # Memory one job may use on top of an idle worker (its address-space limit): a file
    # that needs more fails with a reason instead of getting the worker killed. 1 GiB
    # fits the largest image allowed (100 MP RGBA needs ~800 MiB).
    worker_job_memory_mib: int = Field(default=1024, ge=64, le=1024 * 1024)
    # A job still running after this long is stalled: its worker is killed and restarted.
    worker_job_timeout: int = Field(default=300, ge=1, le=3600)
    sqs_queue_url: str = ""  # AWS: the fan-out jobs queue
    sqs_dead_letter_url: str = ""

    @cached_property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()
