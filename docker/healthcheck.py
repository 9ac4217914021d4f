"""Container health check: GET /healthz on this container's own server; exit 0 when it answers
200 with status "ok", else 1 with the reason (Docker keeps the last lines in `docker inspect`).

Standard library only: the slim image has no curl, and the check must not import the app.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request


def check(url: str, timeout: float) -> str | None:
    """None when healthy, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return f"{url} answered {exc.code}"
    except (OSError, ValueError) as exc:  # refused, timed out, not JSON
        return f"{url}: {exc}"
    if body.get("status") != "ok":
        return f"{url} answered {body!r}"
    return None


def main() -> int:
    port = os.environ.get("LOOKBOOK_PORT", "8000")
    url = os.environ.get("LOOKBOOK_HEALTH_URL", f"http://127.0.0.1:{port}/healthz")
    problem = check(url, timeout=float(os.environ.get("LOOKBOOK_HEALTH_TIMEOUT", "4")))
    if problem:
        sys.stderr.write(f"unhealthy: {problem}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
