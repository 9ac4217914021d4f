"""Wait until a bundle passes the checks `lookbook serve` makes at start-up (files and hashes
against the manifest, the model against the bundle, a smoke query), then exit 0.

    python docker/wait_for_bundle.py [ARTIFACTS] [--timeout S] [--interval S] [--once]

The API container runs it before serving, so that a container started beside a trainer that
is still writing, or before any bundle exists, waits instead of crash-looping. Bundles are
swapped into place atomically (index/bundle.py), so a half-written one is never seen; what is
waited for is the first complete one. --once checks a single time (the trainer uses it to
skip a job whose bundle is already built).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

log = logging.getLogger("lookbook.wait")


def bundle_problem(artifacts: Path) -> str | None:
    """None when the bundle at `artifacts` can be served, else the reason it cannot."""
    if not (artifacts / "manifest.json").is_file():
        return f"no bundle at {artifacts} yet (no manifest.json)"
    from app.state import load_served

    try:
        load_served(artifacts)
    except Exception as exc:  # any failure of the load is the answer, with its message
        return f"{artifacts} is not servable: {type(exc).__name__}: {exc}"
    return None


def wait_for_bundle(artifacts: Path, *, timeout: float, interval: float,
                    clock=time.monotonic, sleep=time.sleep) -> str | None:
    """Poll until the bundle is servable (None) or `timeout` seconds pass (the last reason);
    timeout <= 0 waits for ever."""
    deadline = clock() + timeout
    last = None
    while True:
        problem = bundle_problem(artifacts)
        if problem is None:
            return None
        if problem != last:  # say each new reason once, not every poll
            log.warning("waiting: %s", problem)
            last = problem
        if timeout > 0 and clock() >= deadline:
            return problem
        sleep(interval)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifacts", nargs="?",
                        default=os.environ.get("LOOKBOOK_ARTIFACTS", "artifacts"))
    parser.add_argument("--timeout", type=float,
                        default=float(os.environ.get("LOOKBOOK_WAIT_TIMEOUT", "0")),
                        help="give up after this many seconds; 0: wait for ever (default)")
    parser.add_argument("--interval", type=float,
                        default=float(os.environ.get("LOOKBOOK_WAIT_INTERVAL", "10")))
    parser.add_argument("--once", action="store_true", help="check once, do not wait")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    artifacts = Path(args.artifacts)
    if args.once:
        problem = bundle_problem(artifacts)
    else:
        problem = wait_for_bundle(artifacts, timeout=args.timeout, interval=args.interval)
    if problem:
        sys.stderr.write(f"lookbook: error: {problem}\n")
        return 1
    log.info("%s is servable", artifacts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
