"""What every benchmark writes beside its figures: its own section of docs/benchmarks.md,
replaced in place, and the machine state it ran under."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from model.io import atomic_write_text


def replace_section(path: Path, heading: str, section: str) -> None:
    """Put `section` (starting with `heading`, a `## ...` line) in place of that section of
    the file, or append it; the other sections are left as they are. Written atomically:
    other benchmarks update the same file."""
    if not section.startswith(heading):
        raise ValueError(f"section must start with its heading {heading!r}")
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start = text.find(heading + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    else:
        end = text.find("\n## ", start + len(heading))
        rest = "" if end < 0 else "\n" + text[end + 1:]
        text = text[:start] + section.rstrip("\n") + "\n" + rest
    atomic_write_text(path, text.rstrip("\n") + "\n")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, Python {platform.python_version()}"


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def run_header(module: str, argv: list[str] | None = None) -> dict[str, str]:
    """What a benchmark states about its run before it starts: its command, the machine, the
    OpenMP wait policy (spinning threads collapse when other processes share the cores), the
    load and the date. `argv`: the arguments, when not the process's own."""
    args = sys.argv[1:] if argv is None else argv
    return {"command": f"python -m {module} " + " ".join(args), "cpu": machine(),
            "omp": os.environ.get("OMP_WAIT_POLICY", "unset"), "uptime_before": uptime(),
            "date": today()}
