"""Running the app: bind the address (refusing an open one without a token), then uvicorn until stopped.

The socket is bound here, before uvicorn starts, so an address in use or not allowed is one clear line
(exit 3), not a log record from inside the server.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from repub.errors import ConfigError, RepubError

LOOPBACK_NAMES = ("localhost",)


class OpenWithoutToken(RepubError):
    """An address other computers can reach was asked for without a token."""


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host`` (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise OpenWithoutToken(f"serving on {host} lets other computers read the database: give --token "
                               "(or set REPUB_TOKEN), which every request must then carry")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (ConfigError when it cannot be had)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def allowed_hosts(host: str) -> list[str] | None:
    """The Host header names answered: this machine's on loopback (a page of another site whose name
    resolves to 127.0.0.1 cannot read the database: DNS rebinding), any behind a token elsewhere."""
    if not is_loopback(host):
        return None
    return sorted({"127.0.0.1", "localhost", "::1", "[::1]", host.strip("[]").lower()})


def run(app: object, sock: socket.socket, *, on_started: Callable[[], None] | None = None,
        access_log: bool = False) -> None:
    """Serve ``app`` on ``sock`` until SIGINT/SIGTERM (uvicorn's own graceful shutdown)."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=access_log, lifespan="off",  # type: ignore[arg-type]
                            server_header=False, proxy_headers=False)
    server = uvicorn.Server(config)
    if on_started is not None:
        on_started()
    server.run(sockets=[sock])
