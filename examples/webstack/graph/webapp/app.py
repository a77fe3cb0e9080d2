"""A web application instance: it greets, and counts its visits in the shared Redis.

Everything comes from the environment rbcc gives the container (Roboconf's script-plug-in names):
``port`` and ``greeting`` are this instance's exports, ``cache_0_ip``/``cache_0_port`` the cache it
imports, ``ROBOCONF_INSTANCE_NAME`` its name. Redis is spoken directly (two RESP commands), so the
image needs nothing beyond Python's standard library.
"""

import os
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME = os.environ.get("ROBOCONF_INSTANCE_NAME", "webapp")
CACHE = (os.environ["cache_0_ip"], int(os.environ["cache_0_port"]))


def incr(key: str) -> int:
    """INCR ``key`` in Redis and return the new value."""
    with socket.create_connection(CACHE, timeout=2) as s:
        s.sendall(f"*2\r\n$4\r\nINCR\r\n${len(key)}\r\n{key}\r\n".encode())
        reply = s.makefile("rb").readline()
    if not reply.startswith(b":"):
        raise OSError(f"unexpected Redis reply {reply!r}")
    return int(reply[1:])


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/healthz":
            body = "ok\n"
        else:
            total, mine = incr("visits"), incr(f"visits:{NAME}")
            body = f"{os.environ.get('greeting', 'Hello')} from {NAME}: visit {total} ({mine} here)\n"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    print(f"{NAME} listening on {os.environ['port']}, cache at {CACHE[0]}:{CACHE[1]}", flush=True)
    ThreadingHTTPServer(("", int(os.environ["port"])), Handler).serve_forever()
