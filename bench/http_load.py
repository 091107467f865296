"""A small HTTP/1.1 load generator for the benchmarks: N threads, each with its own connection, kept alive
when the server allows it (gunicorn's sync workers close every connection, so each request then connects
anew, as a browser behind no proxy would).

It speaks just enough HTTP for our own server (Content-Length, chunked, or read to close) over plain
sockets: http.client costs several times more CPU per request, and on a 2-core machine every cycle the
client spends is one the server under test does not get.
"""
from __future__ import annotations

import socket
import statistics
import threading
import time
from dataclasses import dataclass, field
from itertools import cycle


@dataclass
class Response:
    """One answer as it came over the wire: the bytes counted are the bytes sent (never decompressed)."""

    status: int
    headers: dict[str, str]  # names in lower case; a repeated header keeps its last value
    body: bytes
    header_bytes: int  # the status line and the headers, with their line ends

    @property
    def wire_bytes(self) -> int:
        return self.header_bytes + len(self.body)


@dataclass
class Load:
    """What one measurement saw: requests per second over the whole window and the latencies."""

    path: str
    concurrency: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)  # "HTTP 500", "ConnectionResetError", …

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ranked = sorted(self.latencies_ms)
        return ranked[min(len(ranked) - 1, int(fraction * len(ranked)))]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p95_ms(self) -> float:
        return self.percentile_ms(0.95)

    def as_dict(self) -> dict:
        return {"path": self.path, "concurrency": self.concurrency, "seconds": round(self.seconds, 3),
                "requests": self.requests, "rps": round(self.rps, 1), "median_ms": round(self.median_ms, 2),
                "p95_ms": round(self.p95_ms, 2), "errors": self.errors}


class Connection:
    """One client connection to host:port, reopened whenever the server closes it."""

    def __init__(self, host: str, port: int, timeout: float = 120.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.sock: socket.socket | None = None
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""

    def request(self, path: str, headers: dict[str, str] | None = None) -> Response:
        """GET path; retried once on a fresh connection if a kept-alive one turns out to be closed."""
        raw = _request_bytes(self.host, self.port, path, headers or {})
        for attempt in (1, 2):
            reused = self.sock is not None
            if self.sock is None:
                self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self.sock.sendall(raw)
                response = self._read_response()
            except (ConnectionError, _Closed):
                self.close()
                if reused and attempt == 1:
                    continue
                raise
            if response.headers.get("connection", "").lower() == "close":
                self.close()
            return response
        raise AssertionError("unreachable")

    def _recv(self) -> bytes:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise _Closed
        return chunk

    def _read_response(self) -> Response:
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = self._read_exactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked()
        elif status in (204, 304):
            body = b""
        else:  # no length: the body runs to the end of the connection
            body = self.buffer
            try:
                while True:
                    body += self._recv()
            except _Closed:
                pass
            self.close()
            headers["connection"] = "close"
        return Response(status, headers, body, len(head) + 4)

    def _read_exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self.buffer += self._recv()
        body, self.buffer = self.buffer[:size], self.buffer[size:]
        return body

    def _read_chunked(self) -> bytes:
        body = b""
        while True:
            while b"\r\n" not in self.buffer:
                self.buffer += self._recv()
            size_line, self.buffer = self.buffer.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            chunk = self._read_exactly(size + 2)
            if size == 0:
                return body
            body += chunk[:-2]


class _Closed(Exception):
    """The server closed the connection."""


def _request_bytes(host: str, port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "User-Agent: social-window-bench"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def get(host: str, port: int, path: str, headers: dict[str, str] | None = None) -> Response:
    """One request on a connection of its own."""
    connection = Connection(host, port)
    try:
        return connection.request(path, headers)
    finally:
        connection.close()


def hammer(host: str, port: int, paths: list[str], *, seconds: float, concurrency: int,
           warmup: float = 1.0, min_requests: int = 0, max_seconds: float | None = None,
           headers: dict[str, str] | None = None) -> Load:
    """Requests from `concurrency` threads, cycling through `paths` (each thread from its own offset),
    counted over a window of `seconds` that opens after `warmup` seconds: the requests that end inside it,
    whenever they began, so that a slow page's throughput is not biased by where the window cuts. With
    `min_requests` the window lasts until that many have ended, so a slow page still gets a few samples
    for its median, but never past `max_seconds`."""
    label = paths[0] if len(paths) == 1 else f"{paths[0]} (+{len(paths) - 1} more)"
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    start_at = time.perf_counter() + warmup
    stop = threading.Event()

    def worker(offset: int) -> None:
        connection = Connection(host, port)
        targets = cycle(paths[offset % len(paths):] + paths[:offset % len(paths)])
        try:
            while not stop.is_set():
                path = next(targets)
                began = time.perf_counter()
                try:
                    response = connection.request(path, headers)
                    problem = None if response.status < 400 else f"HTTP {response.status}"
                except OSError as error:
                    connection.close()
                    problem = type(error).__name__
                ended = time.perf_counter()
                if ended < start_at:
                    continue
                with lock:
                    if problem is None:
                        latencies.append((ended - began) * 1000)
                    else:
                        errors[problem] = errors.get(problem, 0) + 1
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i * max(1, len(paths) // concurrency),), daemon=True)
               for i in range(concurrency)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, start_at - time.perf_counter()))
    window_start = time.perf_counter()
    deadline = window_start + seconds
    cutoff = window_start + max(seconds, max_seconds or seconds)
    while True:
        now = time.perf_counter()
        with lock:
            enough = len(latencies) >= min_requests
        if (now >= deadline and enough) or now >= cutoff:
            break
        time.sleep(min(0.05, max(0.001, deadline - now)) if now < deadline else 0.01)
    with lock:
        # Requests still in flight when the window closes are not counted.
        load = Load(label, concurrency, time.perf_counter() - window_start, list(latencies), dict(errors))
        stop.set()
    for thread in threads:
        thread.join(timeout=120)
    return load
