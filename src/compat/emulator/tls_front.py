"""Stand in for provider hosts the proxy reaches by fixed name, as a TLS-intercepting HTTPS proxy.

Some LiteLLM routes take no endpoint setting: its Vertex AI pass-through always sends to
`https://{location}-aiplatform.googleapis.com`. Offline, the proxy is told to reach the
internet through this forward proxy (`HTTPS_PROXY`, honoured by LiteLLM's HTTP clients, as
behind a corporate proxy) and to trust a CA made per boot (`SSL_CERT_FILE`). A `CONNECT`
to a host the emulator stands in for is answered with a certificate for that host, and the
decrypted bytes go to the emulator's own port; any other host is refused, so nothing
leaves the machine.

Written here because no well-kept library offers an embeddable intercepting proxy
(mitmproxy is an application with its own event loop and addon system).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import fnmatch
import ipaddress
import ssl
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# Hosts the emulator answers for. Vertex AI's regional and global endpoints:
# https://cloud.google.com/vertex-ai/docs/reference/rest#service-endpoint
STAND_IN_HOSTS: tuple[str, ...] = ("*-aiplatform.googleapis.com", "aiplatform.googleapis.com")
_HEADER_LIMIT = 16 * 1024
_PIPE_CHUNK = 64 * 1024


def stands_in_for(host: str) -> bool:
    return any(fnmatch.fnmatchcase(host.lower(), pattern) for pattern in STAND_IN_HOSTS)


@dataclass(frozen=True)
class _Authority:
    """The per-boot CA: its key, its certificate, and the PEM file clients trust."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    pem_path: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _new_authority(directory: Path) -> _Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("compat emulator CA"))
        .issuer_name(_name("compat emulator CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_path = directory / "compat-emulator-ca.pem"
    pem_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return _Authority(key, cert, pem_path)


def _leaf_context(authority: _Authority, host: str, directory: Path) -> ssl.SSLContext:
    """A server context presenting a certificate for `host`, signed by the per-boot CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(authority.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()),
            critical=False,
        )
        .sign(authority.key, hashes.SHA256())
    )
    chain = directory / f"{host}.pem"
    chain.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain)
    return context


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(_PIPE_CHUNK):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class TlsFront:
    """The forward proxy on a loopback port, in its own thread; stand-in hosts go to `target`."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._dir = Path(tempfile.mkdtemp(prefix="compat-tls-front-"))
        self._authority = _new_authority(self._dir)
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self.refused: list[str] = []
        """Hosts a CONNECT asked for that the emulator does not stand in for."""

    @property
    def ca_file(self) -> Path:
        """The PEM file a client must trust (its `SSL_CERT_FILE`)."""
        return self._authority.pem_path

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("the TLS front is not running; call start() first")
        return f"http://127.0.0.1:{self._port}"

    def _context_for(self, host: str) -> ssl.SSLContext:
        if host not in self._contexts:
            self._contexts[host] = _leaf_context(self._authority, host, self._dir)
        return self._contexts[host]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
        authority = rest.split(" ", 1)[0]
        host, _, _port = authority.rpartition(":")
        if method.upper() != "CONNECT" or not stands_in_for(host):
            self.refused.append(authority)
            writer.write(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            with contextlib.suppress(Exception):
                await writer.drain()
            writer.close()
            return
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        try:
            await writer.drain()
            await writer.start_tls(self._context_for(host))
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except (ConnectionError, ssl.SSLError, OSError):
            writer.close()
            return
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    def start(self) -> Self:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(
                asyncio.start_server(self._serve, "127.0.0.1", 0, limit=_HEADER_LIMIT)
            )
            self._port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=run, name="compat-tls-front", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the emulator's TLS front did not start within 10 s")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
        self._loop = self._thread = None
        for path in self._dir.iterdir():
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self._dir.rmdir()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
