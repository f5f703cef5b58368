"""The ``soundshelf`` command line."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from soundshelf.config import Settings
from soundshelf.errors import DomainError

log = logging.getLogger("soundshelf.cli")

WILDCARD_HOSTS = {"0.0.0.0", "::", ""}  # noqa: S104 (compared with, never bound here)
GRACEFUL_SHUTDOWN_SECONDS = 5
HTTP_PROCESS_HEALTHCHECK_SECONDS = 30


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        name: value
        for name in ("host", "port", "data_dir", "http_processes")
        if (value := getattr(args, name, None)) is not None
    }
    return Settings(**overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    import signal

    from soundshelf.bootstrap import build
    from soundshelf.logs import configure_logging
    from soundshelf.scratch import sweep
    from soundshelf.supervisor import WorkerSupervisor

    # SIGTERM (systemd, docker stop, kill) stops the server as Ctrl-C does: through the
    # code below that stops the workers, not by ending this process alone.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    settings = _settings(args)
    configure_logging(settings.log_level)
    services = build(settings)
    supervisor: WorkerSupervisor | None = None
    try:
        if services.scratch is not None:
            sweep(services.scratch)  # what a crash left: copies of originals
        if args.demo:
            from soundshelf.demo import load_demo

            load_demo(services, starting=_say_preparing_demo)
        print(start_banner(settings, services, demo=args.demo), flush=True)
        supervisor = WorkerSupervisor(services, count=settings.workers)
        supervisor.start()
        log.info(
            "serving",
            extra={
                "url": settings.base_url,
                "dataDir": str(settings.resolved_data_dir),
                "httpProcesses": settings.http_processes,
                "workers": settings.workers,
            },
        )
        _serve_http(settings, services)
    except KeyboardInterrupt:
        pass  # Ctrl-C or SIGTERM before the HTTP server took over the signals
    finally:
        if supervisor is not None:
            supervisor.stop()
    return 0


def _say_preparing_demo() -> None:
    print("Preparing the demo catalog (first start only; about a minute)…", flush=True)


def _serve_http(settings: Settings, services: Any) -> None:
    import uvicorn

    from soundshelf.http.app import create_app

    server_options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "proxy_headers": False,
        "server_header": False,
        # Open connections (a player's stream) must not keep a stopping server alive.
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        # uvicorn kills an HTTP process that does not answer its ping in time (5 s by
        # default): on a busy machine, one still starting was killed again and again.
        "timeout_worker_healthcheck": HTTP_PROCESS_HEALTHCHECK_SECONDS,
    }
    if settings.http_processes == 1:
        uvicorn.run(create_app(services), **server_options)
    else:
        # Each process imports the app and builds its services from the environment.
        os.environ.update(_environment(settings))
        uvicorn.run(
            "soundshelf.http.asgi:app_from_environment",
            factory=True,
            workers=settings.http_processes,
            **server_options,
        )


def start_banner(settings: Settings, services: Any, *, demo: bool) -> str:
    """What a person reads first: where to open the app and how to sign in."""
    lines = ["", "Soundshelf is starting."]
    if settings.public_url:
        lines.append(f"  Open {settings.base_url} in a web browser.")
    elif settings.host in WILDCARD_HOSTS:
        lines.append(f"  Open http://127.0.0.1:{settings.port} in a web browser on this machine.")
        lines.append(
            f"  It listens on every network interface ({settings.host}): from another device,"
            f" open http://{_lan_address()}:{settings.port} (this machine's address)."
        )
    else:
        lines.append(f"  Open {settings.base_url} in a web browser.")
    from soundshelf.demo import has_demo, login_hint

    data_dir = settings.resolved_data_dir
    if demo and has_demo(services):
        lines.append(f"  Sign in with a demo account. {login_hint()}")
    else:
        lines.append(
            "  Sign in with your account; to make one: soundshelf user add NAME --email ADDRESS"
            f" --role admin --confirmed --data-dir {data_dir}"
        )
        if settings.smtp_url is None:
            outbox = data_dir / "outbox"
            lines.append(f"  (Sign-up in the web app works too: its codes go to {outbox}.)")
    lines += ["  Stop it with Ctrl-C. Logs follow.", ""]
    return "\n".join(lines)


def _lan_address() -> str:
    """This machine's address on its network, as other devices reach it."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # a UDP "connect" sends nothing; it picks a route
            return probe.getsockname()[0]
    except OSError:
        return socket.gethostname()


def _environment(settings: Settings) -> dict[str, str]:
    """The command-line choices, as the settings the HTTP processes read."""
    from soundshelf.http.asgi import SERVE_PID

    return {
        SERVE_PID: str(os.getpid()),
        "SOUNDSHELF_DATA_DIR": str(settings.resolved_data_dir),
        "SOUNDSHELF_HOST": settings.host,
        "SOUNDSHELF_PORT": str(settings.port),
    }


def cmd_user_add(args: argparse.Namespace) -> int:
    from soundshelf.bootstrap import build

    password = args.password or getpass.getpass(f"Password for {args.name}: ")
    services = build(_settings(args))
    profile = services.accounts.create_user(
        username=args.name,
        email=args.email,
        password=password,
        roles=args.role or [],
        confirmed=args.confirmed,
    )
    roles = ", ".join(["listener", *profile["roles"]])
    print(f"Created user {profile['username']} ({roles})")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from rich.console import Console

    from soundshelf.bootstrap import build
    from soundshelf.bulk_import import import_folder, print_summary

    services = build(_settings(args))
    try:
        summary = import_folder(
            services, root=args.path, username=args.user, include_all=args.all, jobs=args.jobs
        )
    except KeyboardInterrupt:
        print("soundshelf: import interrupted; run it again to resume", file=sys.stderr)
        return 130
    print_summary(summary, Console())
    return 1 if summary.failed else 0


def cmd_aws_publish_web(args: argparse.Namespace) -> int:
    from soundshelf.aws_tools import publish

    return publish.run(stack=args.stack, region=args.region, profile=args.profile)


def cmd_aws_cost(args: argparse.Namespace) -> int:
    from soundshelf.aws_tools import cost

    assumptions = {
        name: value
        for name in ("tracks_per_user", "uploads_per_user_month", "plays_per_user_day")
        if (value := getattr(args, name)) is not None
    }
    if args.media_via_cloudfront:
        assumptions["media_via_cloudfront"] = True
    try:
        assumptions = cost.parse_assumptions(args.assume or []) | assumptions
    except ValueError as exc:
        print(f"soundshelf: {exc}", file=sys.stderr)
        return 2
    return cost.run(users=args.users, assumptions=assumptions, as_json=args.json)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="soundshelf", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API, the web app and the workers")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--data-dir", type=Path, help="default: $SOUNDSHELF_DATA_DIR or ./var")
    serve.add_argument(
        "--processes",
        dest="http_processes",
        type=int,
        help="HTTP processes (default: one per core, up to 4)",
    )
    serve.add_argument(
        "--demo", action="store_true", help="load the demo catalog into an empty data dir"
    )
    serve.set_defaults(handler=cmd_serve)

    user = commands.add_parser("user", help="manage users").add_subparsers(
        dest="user_command", required=True
    )
    add = user.add_parser("add", help="create a user")
    add.add_argument("name")
    add.add_argument("--email", required=True)
    add.add_argument("--password", help="asked for when missing (keeps it out of the history)")
    add.add_argument("--role", action="append", choices=["artist", "admin"])
    add.add_argument("--confirmed", action="store_true", help="skip email confirmation")
    add.add_argument("--data-dir", type=Path)
    add.set_defaults(handler=cmd_user_add)

    bulk = commands.add_parser("import", help="bulk-import a folder of music and photos")
    bulk.add_argument("path", type=Path)
    bulk.add_argument("--user", required=True, help="the owner of the imported items")
    bulk.add_argument("--all", action="store_true", help="also import files that aren't media")
    bulk.add_argument(
        "--jobs", type=_positive, default=1, help="files processed at once (try the CPU count)"
    )
    bulk.add_argument("--data-dir", type=Path)
    bulk.set_defaults(handler=cmd_import)
    _add_aws_commands(commands)
    return parser


def _add_aws_commands(commands: argparse._SubParsersAction) -> None:
    aws = commands.add_parser("aws", help="the AWS deployment (docs/deploy-aws.md)")
    aws_commands = aws.add_subparsers(dest="aws_command", required=True)

    publish = aws_commands.add_parser(
        "publish-web", help="upload the web app to a deployed stack and refresh CloudFront"
    )
    publish.add_argument("--stack", required=True, help="the CloudFormation stack name")
    publish.add_argument("--region", help="default: the AWS profile's region")
    publish.add_argument("--profile", help="an AWS CLI profile")
    publish.set_defaults(handler=cmd_aws_publish_web)

    cost = aws_commands.add_parser("cost", help="estimate the monthly AWS bill")
    cost.add_argument(
        "--users", type=_count, nargs="+", required=True, help="monthly active users (one or more)"
    )
    cost.add_argument("--tracks-per-user", type=float, help="tracks stored per user (default 10)")
    cost.add_argument("--uploads-per-user-month", type=float, help="new tracks (default 1)")
    cost.add_argument("--plays-per-user-day", type=float, help="streams (default 5)")
    cost.add_argument(
        "--media-via-cloudfront",
        action="store_true",
        help="price media streams through CloudFront instead of presigned S3 URLs",
    )
    cost.add_argument(
        "--assume", action="append", metavar="NAME=VALUE", help="any other assumption"
    )
    cost.add_argument("--json", action="store_true", help="line items as JSON")
    cost.set_defaults(handler=cmd_aws_cost)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1")
    return int(value)


def _count(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError("must be a whole number")
    return int(value)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except DomainError as exc:
        print(f"soundshelf: {exc.detail}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
