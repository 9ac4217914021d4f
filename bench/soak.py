"""Soak test: a real `lookbook serve` on loopback under a steady request rate for minutes,
with admin reloads (alternating between two copies of the bundle) while the load runs.
Reports every non-200 answer and connection error, latency percentiles, and the server's
resident memory (RSS) at the start, the end and its peak.

    python -m bench.soak --artifacts lookbook-demo/artifacts --data lookbook-demo/data \
        --minutes 5 --rate 40

The request mix is bench/api_load.py's: compatibility of 5 items, FITB over 4 candidates,
top-10 catalog retrieval and uploaded 300 px photos embedded by the CNN.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from bench.api_load import (
    HOST,
    _read_response,
    free_port,
    json_request,
    scenarios,
    start_server,
    stop_server,
)

ADMIN_TOKEN = "soak-token"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def _client(requests: list[bytes], k: int, clients: int, rate: float, t0: float,
                  deadline: float, port: int, out: dict) -> None:
    """Sends its share of a fixed schedule (request i of the whole run at t0 + i / rate), on
    one keep-alive connection; a late request goes at once, none is skipped."""
    reader, writer = await asyncio.open_connection(HOST, port)
    i = k
    try:
        while (due := t0 + i / rate) < deadline:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            started = time.perf_counter()
            try:
                writer.write(requests[i % len(requests)])
                status = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError) as exc:
                out["errors"].append(f"connection: {type(exc).__name__}")
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
                i += clients
                continue
            out["latency"].append(time.perf_counter() - started)
            out["statuses"][status] += 1
            if status != 200:
                out["errors"].append(f"status {status}")
            i += clients
    finally:
        writer.close()


async def _reloader(targets: list[Path], every: float, deadline: float, port: int,
                    out: dict) -> None:
    n = 0
    while time.perf_counter() + every < deadline:
        await asyncio.sleep(every)
        request = json_request("/admin/reload", {"artifacts": str(targets[n % 2])})
        raw = request.raw().replace(b"\r\n\r\n",
                                    f"\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\r\n".encode(), 1)
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            writer.write(raw)
            out["reloads"][await _read_response(reader)] += 1
        finally:
            writer.close()
        n += 1


async def _rss_sampler(pid: int, every: float, deadline: float, out: dict) -> None:
    while time.perf_counter() < deadline:
        out["rss"].append(round(rss_mib(pid), 1))
        await asyncio.sleep(every)


async def soak(requests: list[bytes], *, clients: int, rate: float, seconds: float,
               reload_every: float, targets: list[Path], port: int, pid: int) -> dict:
    out = {"statuses": Counter(), "errors": [], "latency": [], "reloads": Counter(), "rss": []}
    rss_start = rss_mib(pid)
    t0 = time.perf_counter()
    deadline = t0 + seconds
    await asyncio.gather(
        *[_client(requests, k, clients, rate, t0, deadline, port, out) for k in range(clients)],
        _reloader(targets, reload_every, deadline, port, out),
        _rss_sampler(pid, 10.0, deadline, out),
    )
    elapsed = time.perf_counter() - t0
    lat = np.asarray(out["latency"]) * 1000
    return {
        "seconds": round(elapsed, 1), "target_rate": rate,
        "requests": int(sum(out["statuses"].values())),
        "achieved_rate": round(sum(out["statuses"].values()) / elapsed, 1),
        "errors": len(out["errors"]), "error_kinds": dict(Counter(out["errors"])),
        "statuses": {str(k): v for k, v in out["statuses"].items()},
        "reloads": {str(k): v for k, v in out["reloads"].items()},
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p99_ms": round(float(np.percentile(lat, 99)), 1),
        "max_ms": round(float(lat.max()), 1),
        "rss_start_mib": round(rss_start, 1), "rss_end_mib": round(rss_mib(pid), 1),
        "rss_peak_mib": max(out["rss"]), "rss_samples_mib": out["rss"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=40.0, help="requests per second")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--reload-every", type=float, default=15.0, help="seconds")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds, not counted")
    parser.add_argument("--log", type=Path, default=Path("/tmp/lookbook-soak-server.log"))
    args = parser.parse_args()
    bodies = scenarios(args.data)
    requests = [r.raw() for group in bodies.values() for r in group]
    requests = [requests[i] for i in np.random.default_rng(0).permutation(len(requests))]
    with tempfile.TemporaryDirectory(prefix="lookbook-soak-") as tmp:
        # two bundles to alternate between, so that every reload really swaps one in
        targets = [Path(tmp) / "a", Path(tmp) / "b"]
        for target in targets:
            shutil.copytree(args.artifacts, target)
        os.environ["LOOKBOOK_ADMIN_TOKEN"] = ADMIN_TOKEN
        os.environ["LOOKBOOK_ACCESS_LOG"] = "false"
        port = free_port()
        server = start_server(targets[0], port, 1, args.log)
        try:
            warm = asyncio.run(soak(requests, clients=args.clients, rate=args.rate,
                                    seconds=args.warmup, reload_every=1e9, targets=targets,
                                    port=port, pid=server.pid))
            print(json.dumps({"warmup": {k: warm[k] for k in ("requests", "errors")}}),
                  flush=True)
            result = asyncio.run(soak(requests, clients=args.clients, rate=args.rate,
                                      seconds=args.minutes * 60,
                                      reload_every=args.reload_every, targets=targets,
                                      port=port, pid=server.pid))
        finally:
            stop_server(server)
    print(json.dumps(result), flush=True)
    return 0 if result["errors"] == 0 and set(result["reloads"]) == {"200"} else 1


if __name__ == "__main__":
    sys.exit(main())
