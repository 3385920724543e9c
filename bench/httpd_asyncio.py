"""httpd_asyncio.py: the Python peer of stage 5's httpd, asyncio streams.

    python3 httpd_asyncio.py --file PATH [--host HOST] [--port PORT]

Serves the one file PATH for every GET (HEAD too) over HTTP/1.1, keeping
connections alive unless the client asks to close. Prints "listening on
HOST:PORT" as its first line and stops cleanly on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import resource
import signal

MAX_HEADER = 16384


def response(status, body, keep_alive, content_type="text/html"):
    head = ("HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
            "Connection: %s\r\n\r\n" % (status, content_type, len(body),
                                        "keep-alive" if keep_alive else "close"))
    return head.encode("ascii")


def wants_keep_alive(version, headers):
    connection = headers.get("connection", "").lower()
    if version == "HTTP/1.0":
        return connection == "keep-alive"
    return connection != "close"


def parse_request(raw):
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split()
    if len(parts) != 3:
        return None
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return parts[0], parts[2], headers


def make_handler(body):
    async def handle(reader, writer):
        try:
            while True:
                try:
                    raw = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    break
                request = parse_request(raw)
                if request is None:
                    writer.write(response("400 Bad Request", b"", False))
                    break
                method, version, headers = request
                keep = wants_keep_alive(version, headers)
                if method not in ("GET", "HEAD"):
                    writer.write(response("405 Method Not Allowed", b"", keep))
                else:
                    writer.write(response("200 OK", body, keep))
                    if method == "GET":
                        writer.write(body)
                await writer.drain()
                if not keep:
                    break
        except ConnectionError:
            pass
        finally:
            writer.close()
    return handle


async def serve(host, port, body):
    server = await asyncio.start_server(make_handler(body), host, port,
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
    parser = argparse.ArgumentParser(description="asyncio one-file httpd")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--file", required=True)
    args = parser.parse_args()
    with open(args.file, "rb") as f:
        body = f.read()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(serve(args.host, args.port, body))


if __name__ == "__main__":
    main()
