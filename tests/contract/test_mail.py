"""One contract for every ``Mailer``: the outbox folder and SMTP against a real local
server (aiosmtpd). Each adapter fixture also knows how to read back what was delivered,
so the same assertions run against both."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from soundshelf.adapters.outbox_mail import (
    DEFAULT_SENDER,
    OutboxMailer,
    latest_message_to,
    read_message,
    recipients_of,
)
from soundshelf.adapters.smtp_mail import SmtpMailer
from soundshelf.ports.mail import Mailer, Message

HOST = "127.0.0.1"
USER = "soundshelf"
PASSWORD = "s3cr&t:p@ss/w%rd#?"  # needs percent-encoding in a URL, so unquoting is tested
CODE = "048213"  # the leading zero must survive too
CODE_RE = re.compile(r"\b(\d{6})\b")


def verification(to: str = "zoe@example.com", code: str = CODE) -> Message:
    return Message(to=to, subject="Vérifiez votre compte", body=f"Bonjour Zoë — code {code}")


def body_of(email: EmailMessage) -> str:
    # Both transports use CRLF on the wire; compare text, not line endings.
    return cast(str, email.get_content()).replace("\r\n", "\n")


# --- Rigs: an adapter plus a way to read back what it delivered ------------------------


@dataclass(frozen=True)
class Delivered:
    recipients: list[str]
    email: EmailMessage


@dataclass
class Rig:
    mailer: Mailer
    delivered: Callable[[], list[Delivered]]  # in delivery order


@dataclass
class Collector:
    """aiosmtpd handler that keeps every accepted envelope and the session state."""

    envelopes: list[Envelope] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        self.sessions.append(
            {
                "authenticated": session.authenticated,
                "auth": session.auth_data,
                # Set for both STARTTLS and implicit TLS (session.ssl only for STARTTLS).
                "tls": server.transport.get_extra_info("ssl_object"),
            }
        )
        return "250 Message accepted for delivery"

    def delivered(self) -> list[Delivered]:
        return [
            Delivered(
                [r.lower() for r in env.rcpt_tos],
                cast(
                    EmailMessage,
                    message_from_bytes(env.original_content or b"", policy=policy.default),
                ),
            )
            for env in self.envelopes
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return cast(int, s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[int, Collector]]]:
    """Starts aiosmtpd servers (with the given SMTP options) and stops them at teardown."""
    controllers: list[Controller] = []

    def start(**options: Any) -> tuple[int, Collector]:
        collector = Collector()
        port = free_port()
        controller = Controller(collector, hostname=HOST, port=port, **options)
        controller.start()
        controllers.append(controller)
        return port, collector

    yield start
    for controller in controllers:
        controller.stop()


def outbox_rig(tmp_path: Path) -> Rig:
    folder = tmp_path / "outbox"

    def delivered() -> list[Delivered]:
        emails = [read_message(p) for p in sorted(folder.glob("*.eml"))]
        return [Delivered(recipients_of(e), e) for e in emails]

    return Rig(OutboxMailer(folder), delivered)


def smtp_rig(start: Callable[..., tuple[int, Collector]]) -> Rig:
    port, collector = start()
    return Rig(SmtpMailer(f"smtp://{HOST}:{port}"), collector.delivered)


@pytest.fixture(params=["outbox", "smtp"])
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Rig:
    if request.param == "outbox":
        return outbox_rig(tmp_path)
    return smtp_rig(request.getfixturevalue("smtp_server"))


# --- The contract ------------------------------------------------------------------------


def test_delivers_subject_recipient_and_headers(rig: Rig) -> None:
    rig.mailer.send(Message(to="zoe@example.com", subject="Welcome", body="Hello"))

    [delivered] = rig.delivered()
    assert delivered.recipients == ["zoe@example.com"]
    email = delivered.email
    assert email["To"] == "zoe@example.com"
    assert email["Subject"] == "Welcome"
    assert email["From"] == DEFAULT_SENDER
    assert email["Message-ID"].endswith("@soundshelf.local>")
    assert email["Date"].datetime.tzinfo is not None


def test_utf8_subject_and_body_survive(rig: Rig) -> None:
    rig.mailer.send(verification())

    email = rig.delivered()[0].email
    assert email.get_content_type() == "text/plain"
    assert email.get_content_charset() == "utf-8"
    assert email["Subject"] == "Vérifiez votre compte"
    assert body_of(email).rstrip("\n") == f"Bonjour Zoë — code {CODE}"


def test_code_can_be_found_in_body(rig: Rig) -> None:
    rig.mailer.send(verification(code="907153"))

    match = CODE_RE.search(body_of(rig.delivered()[0].email))
    assert match is not None
    assert match.group(1) == "907153"


def test_two_messages_are_delivered_in_order(rig: Rig) -> None:
    rig.mailer.send(Message(to="a@example.com", subject="first", body="1"))
    rig.mailer.send(Message(to="b@example.com", subject="second", body="2"))

    delivered = rig.delivered()
    assert [d.email["Subject"] for d in delivered] == ["first", "second"]
    assert [d.recipients for d in delivered] == [["a@example.com"], ["b@example.com"]]
    assert delivered[0].email["Message-ID"] != delivered[1].email["Message-ID"]


def test_header_injection_is_refused(rig: Rig) -> None:
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        rig.mailer.send(Message(to="zoe@example.com", subject="Hi\r\nBcc: x@evil.test", body="b"))

    assert rig.delivered() == []


def test_logs_one_line_without_the_body(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="soundshelf.mail")

    rig.mailer.send(verification())

    [record] = [r for r in caplog.records if r.name == "soundshelf.mail"]
    assert record.levelno == logging.INFO
    assert record.to == "zoe@example.com"  # type: ignore[attr-defined]
    everything = record.getMessage() + repr(vars(record))
    assert CODE not in everything
    assert "Bonjour" not in everything


# --- Outbox only -------------------------------------------------------------------------

EML_NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{8}\.eml$")


def test_outbox_writes_one_parseable_eml_file(tmp_path: Path) -> None:
    OutboxMailer(tmp_path).send(verification())

    [path] = list(tmp_path.iterdir())  # no temp file left behind
    assert EML_NAME.match(path.name), path.name
    raw = path.read_bytes()
    assert b"\r\n\r\n" in raw  # CRLF, as RFC 5322 wants
    email = read_message(path)
    assert email.defects == []
    for header in ("From", "To", "Subject", "Date", "Message-ID", "Content-Transfer-Encoding"):
        assert email[header], header
    assert CODE in body_of(email)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_outbox_file_is_private(tmp_path: Path) -> None:
    OutboxMailer(tmp_path).send(verification())

    [path] = list(tmp_path.glob("*.eml"))
    assert path.stat().st_mode & 0o077 == 0


def test_outbox_file_names_sort_by_time(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path)
    for i in range(20):  # several land in one clock tick; names must still increase
        mailer.send(Message(to="a@example.com", subject=f"n{i:02d}", body="x"))

    names = sorted(p.name for p in tmp_path.glob("*.eml"))
    assert [read_message(tmp_path / n)["Subject"] for n in names] == [
        f"n{i:02d}" for i in range(20)
    ]
    stamps = [n.split("-")[0] for n in names]
    assert len(set(stamps)) == 20


def test_outbox_log_says_where_the_message_went(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="soundshelf.mail")

    OutboxMailer(tmp_path).send(verification())

    [path] = list(tmp_path.glob("*.eml"))
    [record] = caplog.records
    assert record.path == str(path)  # type: ignore[attr-defined]
    assert str(path) in record.getMessage()
    assert CODE not in caplog.text


def test_outbox_creates_missing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "outbox"
    assert not folder.exists()

    OutboxMailer(folder).send(verification())

    assert len(list(folder.glob("*.eml"))) == 1


def test_latest_message_to_picks_newest_for_that_address(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path)
    mailer.send(verification(to="zoe@example.com", code="111111"))
    mailer.send(verification(to="zoe@example.com", code="222222"))
    mailer.send(verification(to="max@example.com", code="333333"))

    latest = latest_message_to(tmp_path, "Zoe@Example.com")  # case-insensitive
    assert latest is not None
    assert "222222" in body_of(latest)
    named = latest_message_to(tmp_path, "Max <max@example.com>")
    assert named is not None
    assert "333333" in body_of(named)


def test_latest_message_to_returns_none_when_nothing_matches(tmp_path: Path) -> None:
    assert latest_message_to(tmp_path / "missing", "zoe@example.com") is None
    OutboxMailer(tmp_path).send(verification(to="max@example.com"))
    assert latest_message_to(tmp_path, "zoe@example.com") is None


# --- SMTP only ---------------------------------------------------------------------------


def check_login(
    server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def auth_url(scheme: str, port: int, password: str = PASSWORD) -> str:
    return f"{scheme}://{USER}:{quote(password, safe='')}@{HOST}:{port}"


# aiosmtpd warns about AUTH without TLS; that is what a plain smtp:// relay does.
plain_text_auth = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def auth_server(smtp_server: Callable[..., tuple[int, Collector]]) -> tuple[int, Collector]:
    return smtp_server(authenticator=check_login, auth_required=True, auth_require_tls=False)


@plain_text_auth
def test_smtp_logs_in_with_credentials_from_url(auth_server: tuple[int, Collector]) -> None:
    port, collector = auth_server

    SmtpMailer(auth_url("smtp", port)).send(verification())

    [session] = collector.sessions
    assert session["authenticated"] is True
    assert session["auth"].password == PASSWORD.encode()
    assert collector.delivered()[0].recipients == ["zoe@example.com"]


@plain_text_auth
def test_smtp_wrong_password_fails_loudly(auth_server: tuple[int, Collector]) -> None:
    port, collector = auth_server

    with pytest.raises(smtplib.SMTPAuthenticationError):
        SmtpMailer(auth_url("smtp", port, password="wrong")).send(verification())
    assert collector.envelopes == []


@plain_text_auth
def test_smtp_never_logs_password(
    auth_server: tuple[int, Collector], caplog: pytest.LogCaptureFixture
) -> None:
    port, _ = auth_server
    caplog.set_level(logging.DEBUG)
    mailer = SmtpMailer(auth_url("smtp", port))

    mailer.send(verification())

    assert PASSWORD not in caplog.text
    assert quote(PASSWORD, safe="") not in caplog.text
    assert PASSWORD not in repr(mailer)


@pytest.mark.parametrize(
    "url", ["http://host", "smtpx://host:25", "mailto:zoe@example.com", "host:25", ""]
)
def test_smtp_url_with_bad_scheme_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="scheme"):
        SmtpMailer(url)


def test_smtp_url_errors_do_not_echo_the_password() -> None:
    with pytest.raises(ValueError, match="scheme") as error:
        SmtpMailer("imap://user:hunter2@host")
    assert "hunter2" not in str(error.value)


def test_smtp_non_ascii_credentials_are_refused_without_echo() -> None:
    # smtplib can only send ASCII credentials; fail at startup, not at the first sign-up.
    with pytest.raises(ValueError, match="ASCII") as error:
        SmtpMailer(f"smtp://{USER}:{quote('wörd-secret')}@{HOST}")
    assert "secret" not in repr(error.value)


def test_smtp_url_without_host_is_refused() -> None:
    with pytest.raises(ValueError, match="no host"):
        SmtpMailer("smtp://user:pw@:25")


@pytest.mark.parametrize(
    ("url", "security", "port"),
    [
        ("smtp://mail.test", "plain", 25),
        ("smtp+starttls://mail.test", "starttls", 587),
        ("smtps://mail.test", "tls", 465),
        ("SMTPS://mail.test:2465", "tls", 2465),
    ],
)
def test_smtp_url_sets_security_and_default_port(url: str, security: str, port: int) -> None:
    mailer = SmtpMailer(url)
    assert (mailer.host, mailer.security, mailer.port) == ("mail.test", security, port)
    assert mailer.username is None


# TLS: a throwaway self-signed certificate for 127.0.0.1, trusted only by the tests.


@dataclass(frozen=True)
class TlsPair:
    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsPair:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "soundshelf test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    return TlsPair(server, ssl.create_default_context(cadata=cert_pem.decode()))


def test_smtp_starttls_encrypts_before_login(
    smtp_server: Callable[..., tuple[int, Collector]], tls: TlsPair
) -> None:
    # aiosmtpd's default auth_require_tls=True: login succeeds only on an encrypted link.
    port, collector = smtp_server(
        tls_context=tls.server, require_starttls=True, authenticator=check_login, auth_required=True
    )

    SmtpMailer(auth_url("smtp+starttls", port), ssl_context=tls.client).send(verification())

    [session] = collector.sessions
    assert session["tls"] is not None
    assert session["authenticated"] is True


def test_smtp_starttls_refuses_server_without_it(
    smtp_server: Callable[..., tuple[int, Collector]],
) -> None:
    port, collector = smtp_server()

    with pytest.raises(smtplib.SMTPNotSupportedError):
        SmtpMailer(f"smtp+starttls://{USER}:pw@{HOST}:{port}").send(verification())
    assert collector.envelopes == []


def test_smtps_uses_tls_from_the_start(
    smtp_server: Callable[..., tuple[int, Collector]], tls: TlsPair
) -> None:
    port, collector = smtp_server(ssl_context=tls.server)

    SmtpMailer(f"smtps://{HOST}:{port}", ssl_context=tls.client).send(verification())

    assert collector.sessions[0]["tls"] is not None
    assert body_of(collector.delivered()[0].email).rstrip("\n").endswith(CODE)


def test_smtps_default_context_verifies_the_certificate(
    smtp_server: Callable[..., tuple[int, Collector]], tls: TlsPair
) -> None:
    port, collector = smtp_server(ssl_context=tls.server)

    with pytest.raises(ssl.SSLCertVerificationError):
        SmtpMailer(f"smtps://{HOST}:{port}").send(verification())
    assert collector.envelopes == []
