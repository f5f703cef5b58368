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

from soundshelf import client_origin
from soundshelf.accounts.service import Accounts
from soundshelf.adapters.jwt_verifier import JwtVerifier  # both identity providers' tokens
from soundshelf.catalog.albums import Albums
from soundshelf.catalog.artists import Artists
from soundshelf.catalog.browse import Browse, BrowseIndex
from soundshelf.catalog.listen_copies import LISTEN_COPY, ListenCopies
from soundshelf.catalog.tracklists import Tracklists
from soundshelf.catalog.tracks import Tracks
from soundshelf.config import Settings
from soundshelf.core.audit import AuditLog
from soundshelf.core.stats import PlatformStats
from soundshelf.events import ChangeEvents
from soundshelf.files.service import Files
from soundshelf.moderation.admin import DELETE_USER, UserAdmin
from soundshelf.moderation.deletion import RELEASE_USERNAME, DeleteUserJob, ReleaseUsernameJob
from soundshelf.moderation.export import EXPORT_USER, ExportJob, Exports
from soundshelf.moderation.reports import RESOLVE_REPORTS, Reports, ResolveReportsJob
from soundshelf.moderation.review import ReportedItems
from soundshelf.moderation.takedowns import Takedowns
from soundshelf.moderation.targets import Targets
from soundshelf.photos.service import Photos
from soundshelf.playlists import Playlists
from soundshelf.ports.blobs import BlobStore
from soundshelf.ports.clock import Clock, SystemClock
from soundshelf.ports.identity import IdentityProvider, JwksSource
from soundshelf.ports.jobs import JobHandler, JobQueue
from soundshelf.ports.mail import Mailer
from soundshelf.ports.table import Table
from soundshelf.ratelimit import RateLimiter
from soundshelf.search.documents import SearchIndexer
from soundshelf.search.index import SearchIndex
from soundshelf.search.reindex import Reindexer
from soundshelf.search.service import Search
from soundshelf.shares.service import Shares
from soundshelf.social.friends import Friends
from soundshelf.social.notifications import (
    FAN_OUT,
    FEED_BACKFILL,
    READ_ALL,
    FanOutJob,
    FeedBackfillJob,
    Notifications,
    ReadAllJob,
)
from soundshelf.social.requests import FriendRequests
from soundshelf.subsonic.app_passwords import AppPasswords, fernet_key
from soundshelf.uploads.service import PROCESS_UPLOAD, Uploads
from soundshelf.worker_status import WorkerStatusBoard

if TYPE_CHECKING:
    from starlette.types import ASGIApp


@dataclass
class Services:
    settings: Settings
    clock: Clock
    table: Table
    blobs: BlobStore
    identity: IdentityProvider
    mailer: Mailer | None
    jobs: JobQueue
    accounts: Accounts
    uploads: Uploads
    friends: Friends
    tracks: Tracks
    albums: Albums
    tracklists: Tracklists
    browse: Browse
    playlists: Playlists
    artists: Artists
    notifications: Notifications
    friend_requests: FriendRequests
    photos: Photos
    files: Files
    shares: Shares
    indexer: SearchIndexer
    reindexer: Reindexer
    search: Search
    audit: AuditLog
    reports: Reports
    reported_items: ReportedItems
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
    # Processing's scratch folders (embedded: swept when `serve` starts and a worker dies).
    scratch: Path | None = None
    # Embedded: the state of `serve`'s processing workers, for /api/health (on AWS the
    # processing Lambda's queue and alarms watch processing).
    worker_status: WorkerStatusBoard | None = None


@dataclass
class _Adapters:
    table: Table
    blobs: BlobStore
    identity: IdentityProvider
    mailer: Mailer | None
    jobs: JobQueue
    app_password_key: bytes | None = None
    # Where processing works on copies of originals (None: the system temp folder).
    scratch: Path | None = None
    worker_status: WorkerStatusBoard | None = None
    jwks_document: dict[str, Any] | None = None
    mounts: dict[str, ASGIApp] = field(default_factory=dict)


@dataclass
class _Base:
    """What every feature area is wired with."""

    settings: Settings
    clock: Clock
    adapters: _Adapters
    audit: AuditLog
    limiter: RateLimiter

    @property
    def table(self) -> Table:
        return self.adapters.table

    @property
    def blobs(self) -> BlobStore:
        return self.adapters.blobs

    @property
    def jobs(self) -> JobQueue:
        return self.adapters.jobs


@dataclass
class _Uploads:
    service: Uploads
    jobs: dict[str, JobHandler]


@dataclass
class _Social:
    friends: Friends
    notifications: Notifications
    friend_requests: FriendRequests
    jobs: dict[str, JobHandler]


@dataclass
class _Catalog:
    tracks: Tracks
    albums: Albums
    tracklists: Tracklists
    browse: Browse
    playlists: Playlists
    artists: Artists
    photos: Photos
    files: Files


@dataclass
class _Moderation:
    targets: Targets
    reports: Reports
    takedowns: Takedowns
    user_admin: UserAdmin
    platform_stats: PlatformStats
    exports: Exports
    jobs: dict[str, JobHandler]


def build(settings: Settings | None = None, *, clock: Clock | None = None) -> Services:
    settings = settings or Settings()
    clock = clock or SystemClock()
    adapters = _aws(settings) if settings.backend == "aws" else _local(settings, clock)
    base = _Base(
        settings,
        clock,
        adapters,
        audit=AuditLog(table=adapters.table, clock=clock),
        limiter=RateLimiter(adapters.table, clock),
    )
    accounts = _accounts(base)
    social = _social(base, accounts)
    index = SearchIndex(adapters.table)
    indexer = SearchIndexer(adapters.table, index)
    # What services announce after their writes: search re-indexes the item, the
    # item's audience hears of a newly visible track or photo.
    browse_index = BrowseIndex(adapters.table)
    events = ChangeEvents(indexer=indexer, notifications=social.notifications, browse=browse_index)
    catalog = _catalog(base, accounts, social, events)
    uploads = _uploads(base, events, catalog)
    moderation = _moderation(base, catalog, social, events)
    shares = _shares(base, catalog)
    return Services(
        settings=settings,
        clock=clock,
        table=adapters.table,
        blobs=adapters.blobs,
        identity=adapters.identity,
        mailer=adapters.mailer,
        jobs=adapters.jobs,
        accounts=accounts,
        uploads=uploads.service,
        friends=social.friends,
        notifications=social.notifications,
        friend_requests=social.friend_requests,
        tracks=catalog.tracks,
        albums=catalog.albums,
        tracklists=catalog.tracklists,
        browse=catalog.browse,
        playlists=catalog.playlists,
        artists=catalog.artists,
        photos=catalog.photos,
        files=catalog.files,
        shares=shares,
        indexer=indexer,
        reindexer=Reindexer(adapters.table, indexer, browse_index),
        search=_search(base, index, catalog),
        audit=base.audit,
        reports=moderation.reports,
        reported_items=ReportedItems(
            table=adapters.table,
            targets=moderation.targets,
            shares=shares,
            audit_log=base.audit,
        ),
        takedowns=moderation.takedowns,
        user_admin=moderation.user_admin,
        platform_stats=moderation.platform_stats,
        exports=moderation.exports,
        app_passwords=_app_passwords(base),
        job_handlers={**uploads.jobs, **social.jobs, **moderation.jobs},
        jwks_document=adapters.jwks_document,
        mounts=adapters.mounts,
        scratch=adapters.scratch,
        worker_status=adapters.worker_status,
    )


def _accounts(base: _Base) -> Accounts:
    identity = base.adapters.identity
    return Accounts(
        table=base.table,
        identity=identity,
        verifier=JwtVerifier(identity.token_settings, identity.jwks, clock=base.clock.now),
        clock=base.clock,
        limiter=base.limiter,
        api_key_requests_per_minute=base.settings.api_key_requests_per_minute,
        audit=base.audit,
        mailer=base.adapters.mailer,  # sign-in links
    )


def _uploads(base: _Base, events: ChangeEvents, catalog: _Catalog) -> _Uploads:
    uploads = Uploads(
        table=base.table,
        blobs=base.blobs,
        jobs=base.jobs,
        clock=base.clock,
        settings=base.settings,
    )
    # The embedded store tells us itself when an upload arrived (S3 does it by event), and
    # asks before taking bytes for one (S3 cannot ask: see Uploads.complete_by_key).
    base.blobs.watch_uploads(on_complete=uploads.complete_by_key, accepts=uploads.accepts_bytes)
    return _Uploads(
        service=uploads,
        jobs={
            PROCESS_UPLOAD: _Deferred(lambda: _upload_processor(base, events, catalog)),
            LISTEN_COPY: _Deferred(lambda: _listen_copy_job(base)),
        },
    )


def _upload_processor(base: _Base, events: ChangeEvents, catalog: _Catalog) -> JobHandler:
    # Made for the first job (``_Deferred``): the API Lambda never imports PyAV.
    from soundshelf.uploads.album_grouping import AlbumGrouping
    from soundshelf.uploads.processing import UploadProcessor

    return UploadProcessor(
        table=base.table,
        blobs=base.blobs,
        clock=base.clock,
        events=events,
        scratch=base.adapters.scratch,
        albums=AlbumGrouping(
            table=base.table, albums=catalog.albums, tracklists=catalog.tracklists
        ),
    )


def _listen_copy_job(base: _Base) -> JobHandler:
    from soundshelf.uploads.listen_copy import ListenCopyJob  # media stack: see _Deferred

    return ListenCopyJob(table=base.table, blobs=base.blobs, scratch=base.adapters.scratch)


def _social(base: _Base, accounts: Accounts) -> _Social:
    friends = Friends(base.table, base.clock)
    notifications = Notifications(table=base.table, jobs=base.jobs, clock=base.clock)
    return _Social(
        friends=friends,
        notifications=notifications,
        friend_requests=FriendRequests(
            table=base.table,
            clock=base.clock,
            jobs=base.jobs,
            accounts=accounts,
            friends=friends,
            notifications=notifications,
        ),
        jobs={
            FAN_OUT: FanOutJob(table=base.table, jobs=base.jobs, notifications=notifications),
            FEED_BACKFILL: FeedBackfillJob(table=base.table, friends=friends),
            READ_ALL: ReadAllJob(jobs=base.jobs, notifications=notifications),
        },
    )


def _catalog(base: _Base, accounts: Accounts, social: _Social, events: ChangeEvents) -> _Catalog:
    """Music (tracks, albums, playlists, artists), photos and files."""
    table, clock, friends = base.table, base.clock, social.friends
    tracks = Tracks(
        table=table,
        blobs=base.blobs,
        clock=clock,
        friends=friends,
        settings=base.settings,
        events=events,
    )
    albums = Albums(table=table, clock=clock, tracks=tracks, events=events)
    photos = Photos(
        table=table,
        blobs=base.blobs,
        friends=friends,
        settings=base.settings,
        events=events,
    )
    return _Catalog(
        tracks=tracks,
        albums=albums,
        tracklists=Tracklists(
            table=table, blobs=base.blobs, albums=albums, tracks=tracks, photo_of=photos.load
        ),
        browse=Browse(table=table, albums=albums, tracks=tracks),
        playlists=Playlists(table=table, clock=clock, tracks=tracks, events=events),
        artists=Artists(
            table=table,
            clock=clock,
            accounts=accounts,
            tracks=tracks,
            albums=albums,
            events=events,
        ),
        photos=photos,
        files=Files(table=table, blobs=base.blobs, settings=base.settings),
    )


def _search(base: _Base, index: SearchIndex, catalog: _Catalog) -> Search:
    return Search(
        table=base.table,
        index=index,
        tracks=catalog.tracks,
        albums=catalog.albums,
        playlists=catalog.playlists,
        photos=catalog.photos,
        friends=catalog.tracks.friends,
    )


def _shares(base: _Base, catalog: _Catalog) -> Shares:
    return Shares(
        table=base.table,
        clock=base.clock,
        settings=base.settings,
        limiter=base.limiter,
        tracks=catalog.tracks,
        albums=catalog.albums,
        playlists=catalog.playlists,
        photos=catalog.photos,
        files=catalog.files,
        listen_copies=ListenCopies(table=base.table, jobs=base.jobs, clock=base.clock),
        audit=base.audit,
    )


def _moderation(
    base: _Base, catalog: _Catalog, social: _Social, events: ChangeEvents
) -> _Moderation:
    """Reports, takedowns, user administration, statistics, exports, account deletion."""
    table, clock, jobs, identity = base.table, base.clock, base.jobs, base.adapters.identity
    targets = Targets(table=table, clock=clock, friends=social.friends)
    takedowns = Takedowns(
        table=table,
        clock=clock,
        targets=targets,
        notifications=social.notifications,
        audit_log=base.audit,
        events=events,
    )
    reports = Reports(
        table=table,
        clock=clock,
        jobs=jobs,
        targets=targets,
        takedowns=takedowns,
        audit_log=base.audit,
    )
    delete_user = DeleteUserJob(
        table=table,
        blobs=base.blobs,
        identity=identity,
        jobs=jobs,
        clock=clock,
        tracks=catalog.tracks,
        albums=catalog.albums,
        playlists=catalog.playlists,
        photos=catalog.photos,
        files=catalog.files,
        friends=social.friends,
        friend_requests=social.friend_requests,
        reports=reports,
        audit_log=base.audit,
        events=events,
    )
    return _Moderation(
        targets=targets,
        reports=reports,
        takedowns=takedowns,
        user_admin=UserAdmin(
            table=table, clock=clock, identity=identity, jobs=jobs, audit_log=base.audit
        ),
        platform_stats=PlatformStats(table=table, clock=clock),
        exports=Exports(
            table=table,
            blobs=base.blobs,
            jobs=jobs,
            clock=clock,
            settings=base.settings,
            audit_log=base.audit,
        ),
        jobs={
            RESOLVE_REPORTS: ResolveReportsJob(reports),
            DELETE_USER: delete_user,
            RELEASE_USERNAME: ReleaseUsernameJob(table=table, jobs=jobs, clock=clock),
            EXPORT_USER: ExportJob(table=table, blobs=base.blobs, clock=clock),
        },
    )


def _app_passwords(base: _Base) -> AppPasswords:
    """Subsonic clients sign in with app passwords, encrypted with a configured key or
    (embedded) one kept in the data dir."""
    key = base.settings.app_password_key
    return AppPasswords(
        table=base.table,
        clock=base.clock,
        key=fernet_key(key) if key else base.adapters.app_password_key,
    )


def _mailer(settings: Settings) -> Mailer | None:
    if not settings.smtp_url:
        return None
    from soundshelf.adapters.smtp_mail import SmtpMailer

    return SmtpMailer(settings.smtp_url)


def _local(settings: Settings, clock: Clock) -> _Adapters:
    # Imported here so the AWS Lambda never pays for the embedded adapters, and back.
    from soundshelf.adapters.fs_blob_server import BlobHttpApp
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
        base_url=lambda: client_origin.base_url(settings),
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
        scratch=data_dir / "tmp",
        worker_status=WorkerStatusBoard(table, clock),
        jwks_document=identity.jwks_document,
        mounts={"/blobs": BlobHttpApp(blobs)},
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
