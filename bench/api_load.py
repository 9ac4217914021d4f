"""Load test of the API over loopback: a real `lookbook serve` subprocess, a small keep-alive
HTTP/1.1 load generator (asyncio, raw sockets, so the client costs little of the CPU it shares
with the server), requests/s and latency percentiles per endpoint and concurrency.

    python bench/api_load.py --artifacts lookbook-demo/artifacts --data lookbook-demo/data

The bundle must hold model/ for the upload scenario. Every loop is bounded by --seconds per
cell; the server is started on a free loopback port and stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def request_bytes(path: str, body: bytes, content_type: str) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def json_request(path: str, payload: dict) -> bytes:
    return request_bytes(path, json.dumps(payload).encode(), "application/json")


def multipart_request(path: str, image: bytes, type_name: str) -> bytes:
    boundary = "lookbookbench"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\n"
            f"{type_name}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"item.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
    body += image + f"\r\n--{boundary}--\r\n".encode()
    return request_bytes(path, body, f"multipart/form-data; boundary={boundary}")


def scenarios(data: Path, seed: int = 0) -> dict[str, list[bytes]]:
    """Request bodies drawn from the sample catalog's test split, 64 of each kind."""
    rng = random.Random(seed)
    meta = json.loads((data / "polyvore_item_metadata.json").read_text())
    outfits = json.loads((data / "nondisjoint" / "test.json").read_text())
    fitb = json.loads((data / "nondisjoint" / "fill_in_blank_test.json").read_text())
    # FITB tokens are "<set_id>_<index>", the index field of the outfit's item
    item_at = {f"{o['set_id']}_{i['index']}": i["item_id"] for o in outfits for i in o["items"]}
    item_of = item_at.__getitem__

    compat, fitb4, top10 = [], [], []
    five = [o for o in outfits if len(o["items"]) >= 5]
    for o in rng.sample(five, min(64, len(five))):
        compat.append(json_request("/compatibility", {
            "outfit": [{"item_id": i["item_id"]} for i in o["items"][:5]]}))
    for q in rng.sample(fitb, min(64, len(fitb))):
        question = [{"item_id": item_of(t)} for t in q["question"]]
        answers = [{"item_id": item_of(t)} for t in q["answers"][:4]]
        fitb4.append(json_request("/fitb", {"outfit": question, "candidates": answers}))
        blank = meta[item_of(q["answers"][0])]["semantic_category"]
        top10.append(json_request("/fitb", {"outfit": question, "blank_type": blank, "k": 10}))
    images = sorted((data / "images").glob("*.jpg"))[:16]
    uploads = []
    for path in images:
        out = io.BytesIO()
        Image.open(path).convert("RGB").resize((300, 300)).save(out, "JPEG", quality=90)
        uploads.append(multipart_request("/embed", out.getvalue(),
                                         meta[path.stem]["semantic_category"]))
    return {"compatibility_5": compat, "fitb_4_candidates": fitb4, "fitb_top10": top10,
            "embed_300px_jpeg": uploads}


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def _client(requests: list[bytes], deadline: float, start_at: float, port: int,
                  latencies: list[float], errors: list[int], offset: int) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    i = offset
    try:
        while (now := time.perf_counter()) < deadline:
            t0 = now
            writer.write(requests[i % len(requests)])
            status = await _read_response(reader)
            if t0 >= start_at:  # the warm-up's requests are not counted
                latencies.append(time.perf_counter() - t0)
                if status != 200:
                    errors.append(status)
            i += 1
    finally:
        writer.close()


async def run_cell(requests: list[bytes], clients: int, seconds: float, warmup: float,
                   port: int) -> dict:
    latencies: list[float] = []
    errors: list[int] = []
    start_at = time.perf_counter() + warmup
    deadline = start_at + seconds
    await asyncio.gather(*[_client(requests, deadline, start_at, port, latencies, errors, c * 7)
                           for c in range(clients)])
    lat = np.asarray(latencies) * 1000
    return {"clients": clients, "requests": len(lat), "errors": len(errors),
            "rps": round(len(lat) / seconds, 1),
            "p50_ms": round(float(np.percentile(lat, 50)), 2) if len(lat) else None,
            "p99_ms": round(float(np.percentile(lat, 99)), 2) if len(lat) else None}


def start_server(artifacts: Path, port: int, workers: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "LOOKBOOK_WORKERS": str(workers), "OMP_WAIT_POLICY": "PASSIVE"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--artifacts", str(artifacts),
         "--host", HOST, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=log.open("w"), env=env, start_new_session=True)
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; see {log}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2) as s:
                s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
                if b" 200 " in s.recv(64):
                    time.sleep(1.0)  # let every worker finish loading
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not become ready within 60 s")


def stop_server(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--log", type=Path, default=Path("/tmp/lookbook-bench-server.log"))
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    bodies = scenarios(args.data)
    if args.only:
        bodies = {k: v for k, v in bodies.items() if k in args.only.split(",")}
    port = free_port()
    server = start_server(args.artifacts, port, args.workers, args.log)
    results = []
    try:
        for name, requests in bodies.items():
            for clients in (int(c) for c in args.clients.split(",")):
                cell = asyncio.run(run_cell(requests, clients, args.seconds, args.warmup, port))
                cell = {"scenario": name, "workers": args.workers, **cell}
                results.append(cell)
                print(json.dumps(cell), flush=True)
    finally:
        stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
