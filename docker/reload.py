"""Ask the API server in this container to load a bundle (POST /admin/reload on 127.0.0.1),
with the admin token from LOOKBOOK_ADMIN_TOKEN; print the answer, exit 1 if it was refused.

    python docker/reload.py [ARTIFACTS]

Behind a load balancer a reload sent from outside reaches one replica; run this in each one
(`docker compose exec --index N api python /opt/lookbook/reload.py ...`, docs/deploy.md).
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request


def reload(base_url: str, token: str, artifacts: str | None, timeout: float) -> tuple[int, dict]:
    body = json.dumps({"artifacts": artifacts} if artifacts else {}).encode()
    request = urllib.request.Request(
        f"{base_url}/admin/reload", data=body, method="POST",
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:  # 401, 404 (no admin route), 409 (refused), 422
        try:
            return exc.code, json.loads(exc.read())
        except ValueError:
            return exc.code, {"error": {"code": "http", "message": exc.reason}}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        sys.stderr.write("usage: reload.py [ARTIFACTS]\n")
        return 2
    token = os.environ.get("LOOKBOOK_ADMIN_TOKEN", "")
    if not token:
        sys.stderr.write("lookbook: error: LOOKBOOK_ADMIN_TOKEN is not set, so the server "
                         "has no /admin/reload; set it (ADMIN_TOKEN in .env) and recreate\n")
        return 1
    port = os.environ.get("LOOKBOOK_PORT", "8000")
    base = os.environ.get("LOOKBOOK_RELOAD_URL", f"http://127.0.0.1:{port}")
    try:
        status, answer = reload(base, token, argv[0] if argv else None, timeout=300)
    except OSError as exc:
        sys.stderr.write(f"lookbook: error: {base} did not answer: {exc}\n")
        return 1
    sys.stdout.write(json.dumps(answer, indent=2) + "\n")
    if status != 200:
        message = answer.get("error", {}).get("message", answer)
        sys.stderr.write(f"lookbook: error: reload refused ({status}): {message}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
