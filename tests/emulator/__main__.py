"""Run the emulator: ``python -m tests.emulator --cert-dir DIR [--port N]``.

Prints one JSON line ``{"port": N, "cert": PATH}`` once it listens, then serves until terminated.
"""
import argparse
import json
import signal
import sys

from .server import EmulatorServer


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cert-dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = EmulatorServer(args.cert_dir, port=args.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(json.dumps({"port": server.port, "cert": server.cert_path}), flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
