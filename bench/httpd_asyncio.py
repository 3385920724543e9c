"""httpd_asyncio.py: the Python peer of stage 5's httpd, asyncio streams.

    python3 httpd_asyncio.py --root DIR [--host HOST] [--port PORT]

Serves the files under DIR to GET and HEAD over HTTP/1.1, keeping
connections alive unless the client asks to close. It does per request
what httpd does: decodes the path, resolves it under the root (a ".."
segment or a link that leads out is 403, a directory means its
index.html), opens and reads the file, and sends a head with its Date,
Content-Type and Content-Length. Prints "listening on HOST:PORT" as its
first line and stops cleanly on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import email.utils
import os
import resource
import signal
import urllib.parse

MAX_HEADER = 16384
TYPES = {"html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
         "txt": "text/plain; charset=utf-8", "png": "image/png"}
REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed"}


def head(status, length, content_type, keep_alive):
    return ("HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: %s\r\n"
            "Content-Length: %d\r\n%s\r\n" % (
                status, REASONS[status], email.utils.formatdate(usegmt=True),
                content_type, length,
                "" if keep_alive else "Connection: close\r\n")).encode("ascii")


def wants_keep_alive(version, headers):
    connection = headers.get("connection", "").lower()
    if version == "HTTP/1.0":
        return connection == "keep-alive"
    return connection != "close"


def parse_request(raw):
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split()
    if len(parts) != 3 or not parts[1].startswith("/"):
        return None
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return parts[0], parts[1], parts[2], headers


def find_file(root, target):
    """(status, real path): the file target names under root, as httpd
    finds it."""
    path = urllib.parse.unquote(target.split("?", 1)[0])
    if "\0" in path or ".." in path.split("/"):
        return 403, None
    real = os.path.realpath(root + path)
    if real != root and not real.startswith(root + "/"):
        return 403, None
    if os.path.isdir(real):
        real = os.path.realpath(os.path.join(real, "index.html"))
        if not real.startswith(root + "/"):
            return 403, None
    return (200, real) if os.path.isfile(real) else (404, None)


def respond(root, method, target, keep):
    """The bytes of the response."""
    if method not in ("GET", "HEAD"):
        status, real = 405, None
    else:
        status, real = find_file(root, target)
    if status != 200:
        body = ("%d %s\n" % (status, REASONS[status])).encode("ascii")
        kind = "text/plain; charset=utf-8"
    else:
        try:
            with open(real, "rb") as f:
                body = f.read()
        except OSError:
            status, body, kind = 404, b"404 Not Found\n", "text/plain; charset=utf-8"
        else:
            ext = real.rsplit(".", 1)[-1].lower() if "." in real else ""
            kind = TYPES.get(ext, "application/octet-stream")
    data = head(status, len(body), kind, keep)
    return data if method == "HEAD" else data + body


def make_handler(root):
    async def handle(reader, writer):
        try:
            while True:
                try:
                    raw = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    break
                request = parse_request(raw)
                if request is None:
                    writer.write(head(400, 0, "text/plain", False))
                    break
                method, target, version, headers = request
                keep = wants_keep_alive(version, headers)
                writer.write(respond(root, method, target, keep))
                await writer.drain()
                if not keep:
                    break
        except ConnectionError:
            pass
        finally:
            writer.close()
    return handle


async def serve(host, port, root):
    server = await asyncio.start_server(make_handler(root), host, port,
                                        backlog=4096, limit=MAX_HEADER)
    name = server.sockets[0].getsockname()
    print("listening on %s:%d" % (name[0], name[1]), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main():
    parser = argparse.ArgumentParser(description="asyncio httpd")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--root", required=True)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(serve(args.host, args.port, os.path.realpath(args.root)))


if __name__ == "__main__":
    main()
