"""Memory of one API server process against catalog size: what a replica needs for N items
(docs/deploy.md, "Memory").

Synthetic bundles as bench/index_search.py makes them (11 types, D = 128, per_pair Flat
indices of every type, written by `write_bundle` as `lookbook build-index` writes them, no
model/), each served by `lookbook serve` with 1 worker. Once /healthz answers, one catalog
retrieval per type touches every index; then the server's resident memory (VmRSS) and its
peak (VmHWM, which includes loading: reading and hashing every file) are read from /proc.
A real bundle with its exported model (--model-bundle, e.g. the demo's) is served with and
without its model/ folder: the share of the upload model (EfficientNet-Lite0 and the head).

    python -m bench.serve_memory --sizes 10000 50000 200000 --model-bundle DIR \
        --docs docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from bench.docs import machine, replace_section, today, uptime
from bench.index_search import bundle_model, synthetic_catalog
from index.bundle import write_bundle

SECTION = "## API memory per catalog size (issue 6)"
MIB = 1 << 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values


def post(url: str, body: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
        return response.status


def serve_and_measure(bundle: Path) -> dict:
    port = free_port()
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "LOOKBOOK_ACCESS_LOG": "false",
           "LOOKBOOK_LOG_LEVEL": "warning"}
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--artifacts", str(bundle), "--host",
         "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    try:
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"server exited: {server.stderr.read()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        ready_s = time.perf_counter() - started
        items = json.loads((bundle / "items.json").read_text())
        first_of = {}
        for item in items:
            first_of.setdefault(item["type"], item["item_id"])
        types = list(first_of)
        for n, blank in enumerate(types):  # touch every type's index once
            other = first_of[types[(n + 1) % len(types)]]
            post(f"{base}/fitb", {"outfit": [{"item_id": other}], "blank_type": blank, "k": 10})
        memory = proc_status(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
    disk = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
    manifest = json.loads((bundle / "manifest.json").read_text())
    return {"n_items": len(items), "layout": manifest["layout"],
            "factory": manifest["index_config"]["factory"], "disk_bytes": disk,
            "rss_bytes": memory["VmRSS"],
            "peak_bytes": memory["VmHWM"], "ready_s": round(ready_s, 1)}


def synthetic_bundle(n: int, out: Path) -> Path:
    items, embeddings, masks, _ = synthetic_catalog(n, 128, 200, 0.6, seed=0)
    write_bundle(out, items=items, embeddings=embeddings, masks=masks,
                 model=bundle_model(True))
    return out


def fit(rows: list[dict]) -> tuple[float, float]:
    """Least squares rss = base + per_item * n over the synthetic sizes."""
    n = np.array([r["n_items"] for r in rows], dtype=float)
    rss = np.array([r["rss_bytes"] for r in rows], dtype=float)
    per_item, base = np.polyfit(n, rss, 1)
    return float(base), float(per_item)


def markdown(rows: list[dict], model_rows: dict | None, meta: dict) -> str:
    lines = [SECTION, "", "```bash", meta["command"], "```", "",
             f"Machine: {meta['machine']}. `uptime` before: `{meta['uptime_before']}`; "
             f"after: `{meta['uptime_after']}`. Date {meta['date']}.", "",
             "One `lookbook serve` process (1 worker), after one catalog retrieval per type. "
             "RSS = resident memory then; peak = VmHWM, the most it held, loading included. "
             "Synthetic bundles: indices of all 11 types with the default index config "
             "(layout as the bundle's manifest says), no model/. ready s = from start to the "
             "first /healthz answer.", "",
             "| bundle | items | index, layout | on disk MiB | RSS MiB | peak MiB | ready s |",
             "|---|---:|---|---:|---:|---:|---:|"]
    labelled = [("synthetic", r) for r in rows] + list((model_rows or {}).items())
    for label, r in labelled:
        lines.append(f"| {label} | {r['n_items']:,} | {r['factory']}, {r['layout']} | "
                     f"{r['disk_bytes'] / MIB:.1f} | {r['rss_bytes'] / MIB:.0f} | "
                     f"{r['peak_bytes'] / MIB:.0f} | {r['ready_s']} |")
    base, per_item = fit(rows)
    disk_per_item = np.mean([r["disk_bytes"] / r["n_items"] for r in rows])
    peak_base, peak_per_item = fit([{**r, "rss_bytes": r["peak_bytes"]} for r in rows])
    lines += ["", f"Linear fit over the synthetic sizes: RSS = {base / MIB:.0f} MiB + "
              f"{per_item:,.0f} bytes x items; peak = {peak_base / MIB:.0f} MiB + "
              f"{peak_per_item:,.0f} bytes x items. Bytes on disk per item: "
              f"{disk_per_item:,.0f}; RSS per item / disk per item = "
              f"{per_item / disk_per_item:.2f}."]
    if model_rows:
        with_model = model_rows["demo bundle, with model/"]["rss_bytes"]
        without = model_rows["demo bundle, without model/"]["rss_bytes"]
        lines.append(f"The upload model (model/) adds {(with_model - without) / MIB:.0f} MiB "
                     "of RSS to the same bundle.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--model-bundle", type=Path,
                        help="a real bundle with model/ (e.g. the demo's artifacts)")
    parser.add_argument("--docs", type=Path, help="write the section into this file")
    args = parser.parse_args(argv)
    meta = {"command": "python -m bench.serve_memory " + " ".join(sys.argv[1:] if argv is None
                                                                  else argv),
            "machine": machine(), "uptime_before": uptime(), "date": today()}
    rows, model_rows = [], None
    with tempfile.TemporaryDirectory(prefix="lookbook-mem-") as tmp:
        for n in args.sizes:
            bundle = synthetic_bundle(n, Path(tmp) / f"b{n}")
            row = serve_and_measure(bundle)
            print(json.dumps(row), flush=True)
            rows.append(row)
            shutil.rmtree(bundle)
        if args.model_bundle:
            with_model = Path(tmp) / "with"
            shutil.copytree(args.model_bundle, with_model)
            without = Path(tmp) / "without"
            shutil.copytree(args.model_bundle, without, ignore=shutil.ignore_patterns("model"))
            model_rows = {"demo bundle, with model/": serve_and_measure(with_model),
                          "demo bundle, without model/": serve_and_measure(without)}
            print(json.dumps(model_rows), flush=True)
    meta["uptime_after"] = uptime()
    text = markdown(rows, model_rows, meta)
    print(text)
    if args.docs:
        replace_section(args.docs, SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
