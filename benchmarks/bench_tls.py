"""TLS benchmark: bridge's listenSSL beside raw asyncio/uvloop TLS servers and real Twisted.

Each server implementation runs in its own subprocess (``--serve IMPL CERTFILE``) and echoes
over TLS. This process is the one fixed load generator (raw uvloop ``asyncio.Protocol`` code
with the stdlib ``ssl`` module) and measures, for each implementation:

* ``echo_rps``: round trips per second, 16 TLS connections, one 100-byte message in flight each;
* ``bulk_mbps``: MB/s echoed through one TLS connection (64 KiB writes, 1 MiB in flight);
* ``echo_cpu_us``: the server process's CPU microseconds per echo round trip (from ``/proc``).

Certificates come from trustme at run time (a throw-away CA; nothing is written to the
repository). The Twisted servers need pyOpenSSL.

Usage::

    python benchmarks/bench_tls.py                 # all implementations, ~1 minute
    python benchmarks/bench_tls.py --quick         # ~20 s
    python benchmarks/bench_tls.py --impl bridge-uvloop --impl uvloop -o tls.json
    python benchmarks/bench_tls.py --list-impls

The JSON written by ``-o`` is ``{"benchmark": "tls", "results": {IMPL: {...}}, "ratios": {...}}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

IMPLS = ["bridge-asyncio", "bridge-uvloop", "asyncio", "uvloop", "twisted-epoll"]
ECHO_CONNECTIONS = 16
ECHO_SIZE = 100
BULK_CHUNK = 64 * 1024
BULK_WINDOW = 1024 * 1024


# -- servers (run in a subprocess) ----------------------------------------------------------------


def _serve_bridge(backend: str, pem: bytes) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import bridge
    from bridge import protocol
    from bridge import ssl as bssl

    reactor = bridge.install(backend=backend)

    class Echo(protocol.Protocol):
        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

    factory = protocol.Factory.forProtocol(Echo)
    factory.noisy = False
    options = bssl.PrivateCertificate.loadPEM(pem).options()
    port = reactor.listenSSL(0, factory, options, backlog=1024, interface="127.0.0.1")
    print(port.getHost().port, flush=True)
    reactor.run()


def _serve_raw(backend: str, pem: bytes) -> None:
    if backend == "uvloop":
        import uvloop

        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.NamedTemporaryFile(suffix=".pem") as handle:
        handle.write(pem)
        handle.flush()
        context.load_cert_chain(handle.name)

    class Echo(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(data)

    server = loop.run_until_complete(
        loop.create_server(Echo, "127.0.0.1", 0, backlog=1024, ssl=context)
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    loop.run_forever()


def _serve_twisted(pem: bytes) -> None:
    from twisted.internet import epollreactor

    epollreactor.install()
    from twisted.internet import protocol, reactor
    from twisted.internet import ssl as tssl

    class Echo(protocol.Protocol):
        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

    factory = protocol.Factory.forProtocol(Echo)
    factory.noisy = False
    options = tssl.PrivateCertificate.loadPEM(pem).options()
    port = reactor.listenSSL(0, factory, options, backlog=1024, interface="127.0.0.1")
    print(port.getHost().port, flush=True)
    reactor.run()


def serve(impl: str, pem_path: str) -> None:
    """Run the echo server of *impl* with the key and certificate in *pem_path*."""
    pem = Path(pem_path).read_bytes()
    if impl.startswith("bridge-"):
        _serve_bridge(impl.removeprefix("bridge-"), pem)
    elif impl == "twisted-epoll":
        _serve_twisted(pem)
    else:
        _serve_raw(impl, pem)


# -- load generator -------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Echoer(asyncio.Protocol):
    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.got = 0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(b"x" * ECHO_SIZE)

    def data_received(self, data: bytes) -> None:
        self.got += len(data)
        while self.got >= ECHO_SIZE:
            self.got -= ECHO_SIZE
            self.state["count"] += 1
            if not self.state["stop"]:
                self.transport.write(b"x" * ECHO_SIZE)


async def _echo(port: int, context: ssl.SSLContext, seconds: float, pid: int) -> tuple[float, Any]:
    loop = asyncio.get_running_loop()
    state: dict[str, Any] = {"count": 0, "stop": False}
    transports = []
    for _ in range(ECHO_CONNECTIONS):
        t, _p = await loop.create_connection(
            lambda: _Echoer(state), "127.0.0.1", port, ssl=context, server_hostname="localhost"
        )
        transports.append(t)
    await asyncio.sleep(0.2)  # warm up
    count0, cpu0, t0 = state["count"], _cpu_seconds(pid), time.perf_counter()
    await asyncio.sleep(seconds)
    count, cpu1, elapsed = state["count"] - count0, _cpu_seconds(pid), time.perf_counter() - t0
    state["stop"] = True
    for t in transports:
        t.close()
    cpu_us = None if cpu0 is None or cpu1 is None or not count else (cpu1 - cpu0) / count * 1e6
    return count / elapsed, cpu_us


class _Bulk(asyncio.Protocol):
    def __init__(self) -> None:
        self.received = 0
        self.sent = 0
        self.chunk = os.urandom(BULK_CHUNK)
        self.paused = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.fill()

    def fill(self) -> None:
        while not self.paused and self.sent - self.received < BULK_WINDOW:
            self.transport.write(self.chunk)
            self.sent += BULK_CHUNK

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self.fill()

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        self.fill()


async def _bulk(port: int, context: ssl.SSLContext, seconds: float) -> float:
    loop = asyncio.get_running_loop()
    t, p = await loop.create_connection(
        _Bulk, "127.0.0.1", port, ssl=context, server_hostname="localhost"
    )
    await asyncio.sleep(0.2)
    r0, t0 = p.received, time.perf_counter()
    await asyncio.sleep(seconds)
    mbps = (p.received - r0) / (1 << 20) / (time.perf_counter() - t0)
    t.close()
    return mbps


def measure(impl: str, seconds: float, pem_path: str, ca_pem: str) -> dict[str, float | None]:
    """Start *impl*'s server in a subprocess and measure it with the load generator."""
    import uvloop

    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", impl, pem_path],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        context = ssl.create_default_context(cadata=ca_pem)

        async def run() -> dict[str, float | None]:
            echo_rps, cpu_us = await _echo(port, context, seconds, server.pid)
            bulk = await _bulk(port, context, seconds)
            return {"echo_rps": echo_rps, "echo_cpu_us": cpu_us, "bulk_mbps": bulk}

        loop = uvloop.new_event_loop()
        try:
            return loop.run_until_complete(run())
        finally:
            loop.close()
    finally:
        server.kill()
        server.wait()


def ratios(results: dict[str, dict[str, float | None]]) -> dict[str, float]:
    """Return bridge-vs-raw and bridge-vs-Twisted ratios for the implementations measured.

    Throughput ratios are bridge/other (higher is better); ``echo_cpu_us`` ratios are
    other/bridge, so above 1 also means bridge is cheaper.
    """
    out: dict[str, float] = {}
    pairs = [
        ("bridge-uvloop", "uvloop"),
        ("bridge-asyncio", "asyncio"),
        ("bridge-uvloop", "twisted-epoll"),
        ("bridge-asyncio", "twisted-epoll"),
    ]
    for a, b in pairs:
        for key in ("echo_rps", "bulk_mbps"):
            x = results.get(a, {}).get(key)
            y = results.get(b, {}).get(key)
            if x and y:
                out[f"{key} {a}/{b}"] = x / y
        x = results.get(a, {}).get("echo_cpu_us")
        y = results.get(b, {}).get("echo_cpu_us")
        if x and y:
            out[f"echo_cpu_us {b}/{a}"] = y / x
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--impl", action="append", choices=IMPLS, help="repeatable; default all")
    parser.add_argument("--list-impls", action="store_true", help="print the implementations")
    parser.add_argument("--quick", action="store_true", help="short phases (~20 s in total)")
    parser.add_argument("--seconds", type=float, help="seconds per measurement phase")
    parser.add_argument("--serve", nargs=2, metavar=("IMPL", "PEM"), help=argparse.SUPPRESS)
    parser.add_argument("-o", "--output", help="write the results as JSON to this file")
    args, _ = parser.parse_known_args(argv)
    if args.serve:
        serve(*args.serve)
        return 0
    if args.list_impls:
        print("\n".join(IMPLS))
        return 0
    import trustme

    seconds = args.seconds or (1.5 if args.quick else 4.0)
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    results: dict[str, dict[str, float | None]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        pem_path = os.path.join(tmp, "server.pem")
        leaf.private_key_and_cert_chain_pem.write_to_path(pem_path)
        for impl in args.impl or IMPLS:
            results[impl] = measure(impl, seconds, pem_path, ca.cert_pem.bytes().decode())
            shown = ", ".join(f"{k} {v:.1f}" for k, v in results[impl].items() if v is not None)
            print(f"{impl}: {shown}", flush=True)
    table = ratios(results)
    for name, value in table.items():
        print(f"{name}: {value:.2f}")
    if args.output:
        Path(args.output).write_text(
            json.dumps({"benchmark": "tls", "results": results, "ratios": table}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
