"""A stand-in for the `litellm` binary: same command line, behaviour chosen by the config.

The config's `fake_litellm` key picks it: `healthy` (default) serves /health/liveliness;
`exit` logs and exits 3; `hang` logs and never answers; `stubborn` serves but ignores
SIGTERM and leaves a grandchild in its process group. It prints its secrets to stdout so
tests can prove the log file never receives them.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import yaml


class Liveliness(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        ok = self.path == "/health/liveliness"
        body = b'"I\'m alive!"' if ok else b"{}"
        self.send_response(200 if ok else 404)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        print("fake-litellm:", format % args, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=4000)
    args = parser.parse_args()
    with open(args.config, encoding="utf-8") as handle:
        behaviour = (yaml.safe_load(handle) or {}).get("fake_litellm", "healthy")
    print(f"fake-litellm starting ({behaviour}) pid={os.getpid()}", flush=True)
    for name in ("LITELLM_MASTER_KEY", "ANTHROPIC_API_KEY", "AWS_SECRET_ACCESS_KEY"):
        print(f"fake-litellm {name}={os.environ.get(name, '')}", flush=True)
    print(f"fake-litellm cost map local={os.environ.get('LITELLM_LOCAL_MODEL_COST_MAP')}")
    sys.stdout.flush()
    if behaviour == "exit":
        print("fake-litellm: config rejected", flush=True)
        sys.exit(3)
    if behaviour == "hang":
        while True:
            time.sleep(1)
    if behaviour == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # A grandchild in the same process group, as a worker would be.
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    HTTPServer((args.host, args.port), Liveliness).serve_forever()


if __name__ == "__main__":
    main()
