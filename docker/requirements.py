"""Print the project's requirements from pyproject.toml, one per line, without the project
itself: the images install them in a layer of their own, before the code is copied, so that a
code change does not reinstall torch.

    python docker/requirements.py [--extra NAME ...] [--without NAME ...] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def requirements(pyproject: Path, extras: list[str], without: list[str],
                 only: list[str]) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    optional = project.get("optional-dependencies", {})
    unknown = [extra for extra in extras if extra not in optional]
    if unknown:
        raise SystemExit(f"requirements.py: no extra {unknown} in {pyproject} "
                         f"(there are: {', '.join(sorted(optional))})")
    lines = list(project["dependencies"])
    for extra in extras:
        lines += optional[extra]
    dropped = {canonicalize_name(name) for name in without}
    kept = {canonicalize_name(name) for name in only}
    out = []
    for line in lines:
        name = canonicalize_name(Requirement(line).name)
        if name in dropped or (kept and name not in kept):
            continue
        out.append(line)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyproject", type=Path, default=PYPROJECT)
    parser.add_argument("--extra", action="append", default=[], help="add an extra's list")
    parser.add_argument("--without", action="append", default=[],
                        help="leave this distribution out (e.g. faiss-cpu where faiss-gpu "
                        "replaces it)")
    parser.add_argument("--only", action="append", default=[],
                        help="print only these distributions (e.g. torch, from its own index)")
    args = parser.parse_args(argv)
    sys.stdout.write("".join(f"{line}\n" for line in
                             requirements(args.pyproject, args.extra, args.without, args.only)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
