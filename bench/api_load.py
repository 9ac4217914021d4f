"""Load test of the API over loopback: a real `lookbook serve` subprocess, requests/s and
latency percentiles per endpoint, concurrency and load generator.

    python -m bench.api_load --artifacts lookbook-demo/artifacts --data lookbook-demo/data

Two load generators, both closed-loop keep-alive HTTP/1.1 clients on the same 2 cores as the
server: `wrk` (C, Debian package `wrk`, request bodies fed by a Lua script) and a small
asyncio client on raw sockets in this process. The client's own CPU use is part of what is
measured on a 2-core machine, so both are reported side by side.

The bundle must hold model/ for the upload scenario. Every cell runs --warmup seconds
uncounted, then --seconds counted; the server is started on a free loopback port per worker
count and stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from bench import api_report
from bench.docs import replace_section, run_header, uptime

HOST = "127.0.0.1"
HEADING = "## API (issue 5)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Request:
    path: str
    content_type: str
    body: bytes

    def raw(self) -> bytes:
        head = (f"POST {self.path} HTTP/1.1\r\nHost: {HOST}\r\n"
                f"Content-Type: {self.content_type}\r\nContent-Length: {len(self.body)}\r\n\r\n")
        return head.encode() + self.body


def json_request(path: str, payload: dict) -> Request:
    return Request(path, "application/json", json.dumps(payload).encode())


def multipart_request(path: str, image: bytes, type_name: str) -> Request:
    boundary = "lookbookbench"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\n"
            f"{type_name}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"item.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
    body += image + f"\r\n--{boundary}--\r\n".encode()
    return Request(path, f"multipart/form-data; boundary={boundary}", body)


def scenarios(data: Path, seed: int = 0) -> dict[str, list[Request]]:
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


async def _python_cell(requests: list[bytes], clients: int, seconds: float, warmup: float,
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


def python_cell(requests: list[Request], clients: int, seconds: float, warmup: float,
                port: int) -> dict:
    raw = [r.raw() for r in requests]
    return asyncio.run(_python_cell(raw, clients, seconds, warmup, port))


# wrk runs this in each of its threads: the bodies are read from files once, formatted into
# complete requests, and sent in turn; `done` prints the counted run's figures as JSON.
WRK_SCRIPT = """
local folder, count, path, content_type = %(folder)s, %(count)d, %(path)s, %(content_type)s
local requests, n = {}, 0
init = function(args)
  for i = 0, count - 1 do
    local f = assert(io.open(folder .. "/" .. i .. ".bin", "rb"))
    local body = f:read("*a")
    f:close()
    requests[#requests + 1] = wrk.format("POST", path, {["Content-Type"] = content_type}, body)
  end
end
request = function()
  n = n + 1
  return requests[(n %% #requests) + 1]
end
done = function(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    '\\n{"requests": %%d, "duration_us": %%d, "errors": %%d, "p50_us": %%d, "p99_us": %%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of plain ASCII is a valid Lua string literal


def wrk_cell(requests: list[Request], clients: int, seconds: float, warmup: float,
             port: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="lookbook-wrk-") as folder:
        for i, r in enumerate(requests):
            Path(folder, f"{i}.bin").write_bytes(r.body)
        script = Path(folder, "bench.lua")
        script.write_text(WRK_SCRIPT % {
            "folder": _lua_string(folder), "count": len(requests),
            "path": _lua_string(requests[0].path),
            "content_type": _lua_string(requests[0].content_type)})
        url = f"http://{HOST}:{port}"
        # one wrk thread: it is the C client's share of the 2 cores that matters here
        base = ["wrk", "-t1", f"-c{clients}", "--timeout", "10s", "-s", str(script)]
        if warmup > 0:
            subprocess.run([*base, f"-d{max(1, round(warmup))}s", url], check=True,
                           capture_output=True)
        out = subprocess.run([*base, f"-d{max(1, round(seconds))}s", url], check=True,
                             capture_output=True, text=True).stdout
    result = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    duration = result["duration_us"] / 1e6
    return {"clients": clients, "requests": result["requests"], "errors": result["errors"],
            "rps": round(result["requests"] / duration, 1),
            "p50_ms": round(result["p50_us"] / 1000, 2),
            "p99_ms": round(result["p99_us"] / 1000, 2)}


GENERATORS = {"wrk": wrk_cell, "python": python_cell}


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--workers", default="2", help="comma-separated worker counts")
    parser.add_argument("--generators", default="wrk,python",
                        help=f"comma-separated, of {', '.join(GENERATORS)}")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds over every cell; each cell reports its median round")
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--log", type=Path, default=Path("/tmp/lookbook-bench-server.log"))
    parser.add_argument("--docs", type=Path, default=None,
                        help="write the results as the API section of this file "
                             "(docs/benchmarks.md)")
    args = parser.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    generators = args.generators.split(",")
    if "wrk" in generators and shutil.which("wrk") is None:
        parser.error("wrk is not installed (apt-get install wrk), or pass --generators python")
    bodies = scenarios(args.data)
    if args.only:
        bodies = {k: v for k, v in bodies.items() if k in args.only.split(",")}
    header = run_header("bench.api_load", argv)
    print(json.dumps({"loadavg_before": os.getloadavg()}), flush=True)
    cells: list[dict] = []
    for workers in (int(w) for w in args.workers.split(",")):
        port = free_port()
        server = start_server(args.artifacts, port, workers, args.log)
        try:
            # whole rounds in turn, so that a change of machine load hits every cell alike
            for round_ in range(args.repeat):
                for name, requests in bodies.items():
                    for clients in (int(c) for c in args.clients.split(",")):
                        for generator in generators:
                            cell = GENERATORS[generator](requests, clients, args.seconds,
                                                         args.warmup, port)
                            cell = {"scenario": name, "workers": workers,
                                    "generator": generator, "round": round_, **cell}
                            cells.append(cell)
                            print(json.dumps(cell), flush=True)
        finally:
            stop_server(server)
    header["uptime_after"] = uptime()
    print(json.dumps({"loadavg_after": os.getloadavg()}), flush=True)
    if args.docs is not None:
        summary = summarize(cells)
        replace_section(args.docs, HEADING, api_report.section(
            HEADING, header, vars(args), summary, bundle_facts(args.artifacts)))
    return 0


def summarize(cells: list[dict]) -> list[dict]:
    """One row per (workers, scenario, clients, generator): the median over the rounds of
    req/s, p50 and p99, and every round's p99 and req/s beside them."""
    groups: dict[tuple, list[dict]] = {}
    for c in cells:
        groups.setdefault((c["workers"], c["scenario"], c["clients"], c["generator"]),
                          []).append(c)
    rows = []
    for (workers, scenario, clients, generator), runs in groups.items():
        rows.append({"workers": workers, "scenario": scenario, "clients": clients,
                     "generator": generator, "rounds": len(runs),
                     "errors": sum(r["errors"] for r in runs),
                     **{key: float(np.median([r[key] for r in runs]))
                        for key in ("rps", "p50_ms", "p99_ms")},
                     "p99_runs": [r["p99_ms"] for r in runs],
                     "rps_runs": [r["rps"] for r in runs]})
    return rows


def bundle_facts(artifacts: Path) -> dict:
    manifest = json.loads((artifacts / "manifest.json").read_text())
    return {"items": manifest.get("n_items"), "layout": manifest.get("layout"),
            "index": manifest.get("index_config", {}).get("factory")}


if __name__ == "__main__":
    sys.exit(main())
