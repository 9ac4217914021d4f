"""`lookbook demo`: the whole path on the built-in sample catalog, ending in a serving API."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

SPLIT = "nondisjoint"


def _say(message: str) -> None:
    print(f"[demo] {message}", file=sys.stderr, flush=True)


def run_demo(workdir: Path, *, host: str, port: int, serve: bool = True, seed: int = 0) -> int:
    from app.cli import main as cli

    started = time.perf_counter()
    data, run, artifacts = workdir / "data", workdir / "run", workdir / "artifacts"
    workdir.mkdir(parents=True, exist_ok=True)
    if not (data / "polyvore_item_metadata.json").exists():
        _say(f"writing the sample catalog to {data}")
        if code := cli(["sample", "--out", str(data), "--seed", str(seed)]):
            return code
    else:
        _say(f"reusing the sample catalog in {data}")
    # The demo always trains afresh: its run folder is its own, not a user's.
    shutil.rmtree(run, ignore_errors=True)
    _say("training (EfficientNet-Lite0 features, cached after the first run)")
    # offline even where a GPU is visible: the demo must not need torchvision's download
    if code := cli(["train", "--data", str(data), "--split", SPLIT, "--out", str(run),
                    "--preset", "offline"]):
        return code
    _say("evaluating on the test split")
    if code := cli(["evaluate", "--run", str(run), "--data", str(data), "--split", SPLIT,
                    "--quiet"]):
        return code
    _say("building the FAISS bundle")
    if code := cli(["build-index", "--run", str(run), "--data", str(data), "--out",
                    str(artifacts), "--quiet"]):
        return code
    _say(f"ready in {time.perf_counter() - started:.0f} s")
    example = _example_request(artifacts)
    if example:
        _say(f"try: curl -s -X POST http://{host}:{port}/compatibility "
             f"-H 'content-type: application/json' -d '{example}'")
    if not serve:
        return 0
    # the page at / shows the catalog's pictures from the sample's own image folder
    os.environ.setdefault("LOOKBOOK_IMAGES_DIR", str(data / "images"))
    _say(f"the demo page: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    return cli(["serve", "--artifacts", str(artifacts), "--host", host, "--port", str(port)])


def _example_request(artifacts: Path) -> str | None:
    """The docs' example outfit (a real test outfit of the seed-0 catalog the demo writes),
    or else the first top, bottoms and shoes of the catalog."""
    from app.schemas import EXAMPLE_BOTTOM, EXAMPLE_SHOES, EXAMPLE_TOP

    try:
        items = json.loads((artifacts / "items.json").read_text())
    except (OSError, ValueError):
        return None
    picks = [EXAMPLE_TOP, EXAMPLE_BOTTOM, EXAMPLE_SHOES[0]]
    if not set(picks) <= {item["item_id"] for item in items}:
        by_type: dict[str, str] = {}
        for item in items:
            by_type.setdefault(item["type"], item["item_id"])
        picks = [by_type[t] for t in ("tops", "bottoms", "shoes") if t in by_type]
    return json.dumps({"outfit": [{"item_id": i} for i in picks]})
