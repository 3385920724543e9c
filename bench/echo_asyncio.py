"""echo_asyncio.py: the Python peer of the echo benchmark, asyncio streams.

    python3 echo_asyncio.py [--host HOST] [--port PORT]

Prints "listening on HOST:PORT" as its first line, echoes every byte it
reads back to its sender, and stops cleanly on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import resource
import signal


async def echo(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def serve(host, port):
    server = await asyncio.start_server(echo, host, port, backlog=4096)
    name = server.sockets[0].getsockname()
    print("listening on %s:%d" % (name[0], name[1]), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main():
    parser = argparse.ArgumentParser(description="asyncio echo server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    raise_fd_limit()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
