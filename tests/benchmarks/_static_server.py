"""``python -m tests.benchmarks._static_server ANSWERS.json``: the standard library's HTTP
server answering canned bytes, the floor under any server built on it.

``ANSWERS.json`` maps a request target (path and query, as the client sends it) to
``{"status": int, "headers": [[name, value], ...], "body": base64}``. Every ``GET`` of a known
target gets that answer, on a keep-alive HTTP/1.1 connection, from a
:class:`http.server.ThreadingHTTPServer` set up as ``cvatfn_fake``'s HTTP front sets up its own
(``TCP_NODELAY``, no logging, the head and the body in one write); anything else is a 404.
Prints ``listening on http://HOST:PORT`` once bound, then serves until terminated.
"""

from __future__ import annotations

import base64
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar, cast


class _Canned(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    answers: ClassVar[dict[str, tuple[int, list[tuple[str, str]], bytes]]] = {}

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        status, headers, body = self.answers.get(self.path, (404, [], b""))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        # The head and the body in one write (one system call), as cvatfn_fake sends them.
        self._headers_buffer.append(b"\r\n" + body)  # type: ignore[attr-defined]
        self.flush_headers()


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as file:
        raw = json.load(file)
    _Canned.answers = {
        target: (
            int(answer["status"]),
            [(str(k), str(v)) for k, v in answer["headers"]],
            base64.b64decode(answer["body"]),
        )
        for target, answer in raw.items()
    }
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    httpd.daemon_threads = True
    host, port = cast(tuple[str, int], httpd.server_address)[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
