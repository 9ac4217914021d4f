"""Wall time of `lookbook demo` from nothing (no sample catalog, no feature cache) to a
serving API that answers /healthz and a /compatibility request.

    python bench/demo_wall.py [--port 8765]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "LOOKBOOK_CACHE": str(Path(tmp) / "cache")}
        started = time.perf_counter()
        proc = subprocess.Popen(
            ["lookbook", "demo", "--workdir", str(Path(tmp) / "demo"), "--port", str(args.port)],
            env=env, stdout=open(Path(tmp) / "demo.log", "w"), stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{args.port}"
        try:
            while time.perf_counter() - started < args.timeout:
                if proc.poll() is not None:
                    sys.exit(f"demo exited with {proc.returncode}: "
                             f"{(Path(tmp) / 'demo.log').read_text()[-2000:]}")
                try:
                    health = httpx.get(f"{url}/healthz", timeout=1.0)
                    if health.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
            else:
                sys.exit("demo did not serve within the timeout")
            ready = time.perf_counter() - started
            items = json.loads((Path(tmp) / "demo" / "artifacts" / "items.json").read_text())
            outfit = [{"item_id": items[i]["item_id"]} for i in (0, 1, 2)]
            answer = httpx.post(f"{url}/compatibility", json={"outfit": outfit}).json()
            log = (Path(tmp) / "demo.log").read_text()
            evaluation = next(line for line in log.splitlines() if line.startswith('{"fitb'))
            print(json.dumps({"seconds_to_serving": round(ready, 1),
                              "compatibility_answer": answer,
                              "demo_test_metrics": json.loads(evaluation)}))
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
