"""Composition root: the only place that chooses adapters.

``build(settings)`` returns the ``Services`` every entrypoint (HTTP app, CLI, Lambda
handlers) works with. Nothing else in the code base asks which backend it runs on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soundshelf.accounts.service import AccountsService
from soundshelf.catalog.albums import Albums
from soundshelf.catalog.artists import Artists
from soundshelf.catalog.tracks import Tracks
from soundshelf.config import Settings
from soundshelf.files.service import Files
from soundshelf.moderation.admin import DELETE_USER, UserAdmin
from soundshelf.moderation.audit import AuditLog
from soundshelf.moderation.deletion import RELEASE_USERNAME, DeleteUserJob, ReleaseUsernameJob
from soundshelf.moderation.export import EXPORT_USER, ExportJob, Exports
from soundshelf.moderation.reports import RESOLVE_REPORTS, Reports, ResolveReportsJob
from soundshelf.moderation.stats import PlatformStats
from soundshelf.moderation.takedowns import Takedowns
from soundshelf.moderation.targets import Targets
from soundshelf.photos.service import Photos
from soundshelf.playlists import Playlists
from soundshelf.ports.blobs import BlobStore
from soundshelf.ports.clock import Clock, SystemClock
from soundshelf.ports.identity import IdentityProvider, JwksSource
from soundshelf.ports.jobs import JobQueue
from soundshelf.ports.mail import Mailer
from soundshelf.ports.table import Table
from soundshelf.ratelimit import RateLimiter
from soundshelf.search.documents import SearchIndexer
from soundshelf.search.index import SearchIndex
from soundshelf.search.service import Search
from soundshelf.sharing.service import Shares
from soundshelf.social.friends import Friends
from soundshelf.social.notifications import (
    FAN_OUT,
    FEED_BACKFILL,
    READ_ALL,
    FanOutJob,
    FeedBackfillJob,
    NotificationService,
    ReadAllJob,
)
from soundshelf.social.requests import FriendRequests
from soundshelf.subsonic.app_passwords import AppPasswords, fernet_key
from soundshelf.uploads.service import PROCESS_UPLOAD, UploadsService

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from soundshelf.worker import JobHandler


@dataclass
class Services:
    settings: Settings
    clock: Clock
    table: Table
    blobs: BlobStore
    identity: IdentityProvider
    mailer: Mailer | None
    jobs: JobQueue
    accounts: AccountsService
    uploads: UploadsService
    friends: Friends
    tracks: Tracks
    albums: Albums
    playlists: Playlists
    artists: Artists
    notifications: NotificationService
    friend_requests: FriendRequests
    photos: Photos
    files: Files
    shares: Shares
    indexer: SearchIndexer
    search: Search
    audit: AuditLog
    reports: Reports
    takedowns: Takedowns
    user_admin: UserAdmin
    platform_stats: PlatformStats
    exports: Exports
    app_passwords: AppPasswords
    # What the workers (embedded) or the processing Lambda (AWS) run, by job kind.
    job_handlers: dict[str, JobHandler] = field(default_factory=dict)
    # The embedded identity provider publishes its keys at /.well-known/jwks.json.
    jwks_document: dict[str, Any] | None = None
    # Extra ASGI apps the HTTP server mounts (the local blob store's signed-URL endpoint).
    mounts: dict[str, ASGIApp] = field(default_factory=dict)


@dataclass
class _Adapters:
    table: Table
    blobs: BlobStore
    identity: IdentityProvider
    mailer: Mailer | None
    jobs: JobQueue
    app_password_key: bytes | None = None
    jwks_document: dict[str, Any] | None = None
    mounts: dict[str, ASGIApp] = field(default_factory=dict)


def build(settings: Settings | None = None, *, clock: Clock | None = None) -> Services:
    settings = settings or Settings()
    clock = clock or SystemClock()
    adapters = _aws(settings) if settings.backend == "aws" else _local(settings, clock)
    limiter = RateLimiter(adapters.table, clock)
    audit = AuditLog(table=adapters.table, clock=clock)
    uploads = UploadsService(
        table=adapters.table,
        blobs=adapters.blobs,
        jobs=adapters.jobs,
        clock=clock,
        settings=settings,
    )
    # The embedded store tells us itself when an upload arrived (S3 does it by event).
    if hasattr(adapters.blobs, "on_upload_complete"):
        adapters.blobs.on_upload_complete = uploads.complete_by_key
    accounts = AccountsService(
        table=adapters.table,
        identity=adapters.identity,
        clock=clock,
        limiter=limiter,
        api_key_requests_per_minute=settings.api_key_requests_per_minute,
        audit=audit,
    )
    friends = Friends(adapters.table, clock)
    tracks = Tracks(
        table=adapters.table, blobs=adapters.blobs, clock=clock, friends=friends, settings=settings
    )
    albums = Albums(table=adapters.table, clock=clock, tracks=tracks)
    notifications = NotificationService(table=adapters.table, jobs=adapters.jobs, clock=clock)
    tracks.on_published = notifications.item_published
    playlists = Playlists(table=adapters.table, clock=clock, tracks=tracks)
    index = SearchIndex(adapters.table)
    indexer = SearchIndexer(adapters.table, index)
    photos = Photos(
        table=adapters.table,
        blobs=adapters.blobs,
        friends=friends,
        notifications=notifications,
        settings=settings,
    )
    files = Files(table=adapters.table, blobs=adapters.blobs, settings=settings)
    artists = Artists(
        table=adapters.table, clock=clock, accounts=accounts, tracks=tracks, albums=albums
    )
    for service in (tracks, albums, artists, playlists, photos):
        service.on_change = indexer.refresh
    friend_requests = FriendRequests(
        table=adapters.table,
        clock=clock,
        jobs=adapters.jobs,
        accounts=accounts,
        friends=friends,
        notifications=notifications,
    )
    targets = Targets(table=adapters.table, clock=clock, friends=friends)
    takedowns = Takedowns(
        table=adapters.table,
        clock=clock,
        targets=targets,
        notifications=notifications,
        audit_log=audit,
    )
    takedowns.on_change = indexer.refresh
    reports = Reports(
        table=adapters.table,
        clock=clock,
        jobs=adapters.jobs,
        targets=targets,
        takedowns=takedowns,
        audit_log=audit,
    )
    delete_user = DeleteUserJob(
        table=adapters.table,
        blobs=adapters.blobs,
        identity=adapters.identity,
        jobs=adapters.jobs,
        clock=clock,
        tracks=tracks,
        albums=albums,
        playlists=playlists,
        photos=photos,
        files=files,
        friends=friends,
        friend_requests=friend_requests,
        reports=reports,
        audit_log=audit,
    )
    delete_user.on_change = indexer.refresh
    return Services(
        settings=settings,
        clock=clock,
        table=adapters.table,
        blobs=adapters.blobs,
        identity=adapters.identity,
        mailer=adapters.mailer,
        jobs=adapters.jobs,
        accounts=accounts,
        uploads=uploads,
        friends=friends,
        tracks=tracks,
        albums=albums,
        playlists=playlists,
        artists=artists,
        indexer=indexer,
        search=Search(
            table=adapters.table,
            index=index,
            tracks=tracks,
            albums=albums,
            playlists=playlists,
            photos=photos,
        ),
        notifications=notifications,
        friend_requests=friend_requests,
        photos=photos,
        files=files,
        shares=Shares(
            table=adapters.table,
            clock=clock,
            settings=settings,
            limiter=limiter,
            tracks=tracks,
            albums=albums,
            playlists=playlists,
            photos=photos,
            files=files,
            audit=audit,
        ),
        audit=audit,
        reports=reports,
        takedowns=takedowns,
        user_admin=UserAdmin(
            table=adapters.table,
            clock=clock,
            identity=adapters.identity,
            jobs=adapters.jobs,
            audit_log=audit,
        ),
        platform_stats=PlatformStats(table=adapters.table, clock=clock),
        exports=Exports(
            table=adapters.table,
            blobs=adapters.blobs,
            jobs=adapters.jobs,
            clock=clock,
            settings=settings,
            audit_log=audit,
        ),
        app_passwords=AppPasswords(
            table=adapters.table,
            clock=clock,
            key=(
                fernet_key(settings.app_password_key)
                if settings.app_password_key
                else adapters.app_password_key
            ),
        ),
        job_handlers={
            PROCESS_UPLOAD: _Deferred(
                lambda: _upload_processor(adapters, clock, notifications, indexer)
            ),
            FAN_OUT: FanOutJob(
                table=adapters.table, jobs=adapters.jobs, notifications=notifications
            ),
            FEED_BACKFILL: FeedBackfillJob(table=adapters.table, friends=friends),
            READ_ALL: ReadAllJob(jobs=adapters.jobs, notifications=notifications),
            RESOLVE_REPORTS: ResolveReportsJob(reports),
            DELETE_USER: delete_user,
            RELEASE_USERNAME: ReleaseUsernameJob(
                table=adapters.table, jobs=adapters.jobs, clock=clock
            ),
            EXPORT_USER: ExportJob(table=adapters.table, blobs=adapters.blobs, clock=clock),
        },
        jwks_document=adapters.jwks_document,
        mounts=adapters.mounts,
    )


def _mailer(settings: Settings) -> Mailer | None:
    if not settings.smtp_url:
        return None
    from soundshelf.adapters.smtp_mail import SmtpMailer

    return SmtpMailer(settings.smtp_url)


def _local(settings: Settings, clock: Clock) -> _Adapters:
    # Imported here so the AWS Lambda never pays for the embedded adapters, and back.
    from soundshelf.adapters.fs_blobs import FsBlobStore
    from soundshelf.adapters.local_identity import LocalIdentityProvider
    from soundshelf.adapters.outbox_mail import OutboxMailer
    from soundshelf.adapters.sqlite_table import SqliteTable
    from soundshelf.adapters.table_jobs import TableJobQueue
    from soundshelf.keyfiles import load_or_create_file

    data_dir = settings.resolved_data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    keys = data_dir / "keys"
    table = SqliteTable(data_dir / "soundshelf.db")
    mailer = _mailer(settings) or OutboxMailer(data_dir / "outbox")
    identity = LocalIdentityProvider(
        table,
        mailer,
        clock,
        key_dir=keys,
        issuer=settings.base_url,
        access_ttl=settings.access_token_ttl,
    )
    blobs = FsBlobStore(
        data_dir / "media",
        base_url=settings.base_url,
        secret=load_or_create_file(keys / "blob-signing.key"),
        mount_path="/blobs",
        clock=clock.now,
    )
    return _Adapters(
        table=table,
        blobs=blobs,
        identity=identity,
        mailer=mailer,
        jobs=TableJobQueue(table, clock),
        app_password_key=fernet_key(load_or_create_file(keys / "app-passwords.key")),
        jwks_document=identity.jwks_document,
        mounts={"/blobs": blobs.asgi_app},
    )


def _aws(settings: Settings) -> _Adapters:
    from soundshelf.adapters.cloudfront_urls import cloudfront_urls
    from soundshelf.adapters.cognito_identity import CognitoIdentityProvider
    from soundshelf.adapters.dynamodb_table import DynamoDbTable
    from soundshelf.adapters.s3_blobs import S3BlobStore
    from soundshelf.adapters.sqs_jobs import SqsJobQueue

    return _Adapters(
        table=DynamoDbTable(
            settings.table_name,
            region=settings.aws_region,
            endpoint_url=settings.dynamodb_endpoint,
            create_if_missing=settings.create_resources,
        ),
        blobs=S3BlobStore(
            settings.media_bucket,
            region=settings.aws_region,
            endpoint_url=settings.s3_endpoint,
            create_if_missing=settings.create_resources,
            # Downloads through CloudFront signed URLs when configured (docs/deploy-aws.md).
            cdn=cloudfront_urls(
                domain=settings.media_cdn_domain,
                key_pair_id=settings.media_cdn_key_pair_id,
                private_key_secret=settings.media_cdn_private_key_secret,
                region=settings.aws_region,
            ),
        ),
        identity=CognitoIdentityProvider(
            settings.cognito_user_pool_id,
            settings.cognito_client_id,
            region=settings.aws_region,
            jwks=_static_jwks(settings.cognito_jwks_file),
        ),
        mailer=_mailer(settings),  # Cognito mails the codes itself
        jobs=SqsJobQueue(
            settings.sqs_queue_url,
            dead_letter_url=settings.sqs_dead_letter_url or None,
            region=settings.aws_region,
        ),
    )


def _static_jwks(path: Path | None) -> JwksSource | None:
    if path is None:
        return None  # the adapter fetches the pool's keys over HTTPS
    from soundshelf.adapters.jwt_verifier import StaticJwks

    return StaticJwks(json.loads(path.read_text()))


def _upload_processor(
    adapters: _Adapters, clock: Clock, notifications: NotificationService, indexer: SearchIndexer
) -> JobHandler:
    from soundshelf.uploads.processing import UploadProcessor

    processor = UploadProcessor(table=adapters.table, blobs=adapters.blobs, clock=clock)

    def ready(kind: str, item: dict[str, Any]) -> None:
        if kind in {"track", "photo"}:
            indexer.refresh(kind, item[f"{kind}Id"])  # the owner finds it at once
        # A ready track or photo that is already public/friends-visible fans out.
        notifications.item_published(kind, item)

    processor.on_ready = ready
    return processor


class _Deferred:
    """A job handler made for its first job, so that processes that never run jobs (the
    API Lambda) do not import the media stack (PyAV, NumPy, Pillow)."""

    def __init__(self, make: Callable[[], JobHandler]) -> None:
        self._make = make
        self._handler: JobHandler | None = None

    def _get(self) -> JobHandler:
        if self._handler is None:
            self._handler = self._make()
        return self._handler

    def handle(self, payload: dict[str, Any]) -> None:
        self._get().handle(payload)

    def give_up(self, payload: dict[str, Any], error: str) -> None:
        self._get().give_up(payload, error)
