"""Property-based fuzzing of the HTTP API from its own OpenAPI schema (schemathesis over the
app in-process, ASGI): every operation, schema-valid and schema-invalid requests, each answer
checked for 5xx, undocumented status codes, content types, headers and body schema.

    python bench/fuzz_api.py --artifacts lookbook-demo/artifacts --examples 1000

Purely random ids would only ever reach the 404 path, so a share of the valid requests gets
real catalog ids, types and a real image in place of the generated ones (`_realistic`). The
`x-request-id` header (read by the middleware of every route) is fuzzed on every request,
which also gives the operations without parameters (GET /types ...) distinct requests.
tests/reliability/test_fuzz_api.py runs the same driver with a few examples per operation.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# Before torch loads (through the app): busy-waiting OpenMP threads stall a shared machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import schemathesis  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import checks  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402

ADMIN_TOKEN = "fuzz-token"
# What every answer must satisfy. positive_data_acceptance is left out on purpose: a
# schema-valid body may still name an unknown item or break a configured limit, and the API
# rightly answers those with a documented 4xx.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]
# Header values a client can send: latin-1 without control characters (HTTP forbids them)
# and without leading whitespace (the HTTP client refuses it before sending).
HEADER_CHARS = [chr(c) for c in [*range(0x20, 0x7F), *range(0xA0, 0x100)]]
HEADER_TEXT = st.text(st.sampled_from(HEADER_CHARS), max_size=200).map(str.lstrip)


@dataclass(frozen=True)
class RealValues:
    """Values of the served catalog swapped into generated requests."""

    item_ids: list[str]
    types: list[str]
    image_base64: str

    @classmethod
    def from_bundle(cls, bundle: Path) -> RealValues:
        from PIL import Image

        items = json.loads((Path(bundle) / "items.json").read_text(encoding="utf-8"))
        out = io.BytesIO()
        Image.new("RGB", (48, 64), (180, 40, 40)).save(out, "PNG")
        return cls(item_ids=[i["item_id"] for i in items],
                   types=sorted({i["type"] for i in items}),
                   image_base64=base64.b64encode(out.getvalue()).decode())


@dataclass
class Report:
    operation: str
    mode: str
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # "check title [status]" -> count
    examples: list[str] = field(default_factory=list)  # the first failing answers, shortened
    note: str = ""

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def as_dict(self) -> dict:
        return {"operation": self.operation, "mode": self.mode, "requests": self.requests,
                "seconds": round(self.seconds, 1), "server_errors": self.server_errors,
                "failures": sum(self.failures.values()),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                **({"failed_checks": dict(self.failures)} if self.failures else {}),
                **({"examples": self.examples} if self.examples else {}),
                **({"note": self.note} if self.note else {})}


def _realistic(case, rnd: random.Random, real: RealValues) -> None:
    """Swap real catalog values into a schema-valid case, in place, at random."""

    def item(value):
        # OutfitItem's schema cannot say "exactly one of item_id / image_base64 + type"; most
        # generated items break that rule, so most are made into one of the two valid shapes
        if not isinstance(value, dict) or rnd.random() < 0.05:
            return value
        if rnd.random() < 0.85:
            return {"item_id": rnd.choice(real.item_ids)}
        return {"image_base64": real.image_base64, "type": rnd.choice(real.types)}

    def swap(value):
        if isinstance(value, dict):
            for key, v in list(value.items()):
                if key in ("outfit", "candidates") and isinstance(v, list):
                    value[key] = [item(x) for x in v]
                    if not v and rnd.random() < 0.5:
                        value[key] = [item({}) for _ in range(rnd.randint(1, 4))]
                elif key == "item_id" and isinstance(v, str) and rnd.random() < 0.7:
                    value[key] = rnd.choice(real.item_ids)
                elif key in ("type", "blank_type") and isinstance(v, str) and rnd.random() < 0.7:
                    value[key] = rnd.choice(real.types)
                elif key == "image_base64" and isinstance(v, str) and rnd.random() < 0.5:
                    value[key] = real.image_base64
                elif key in ("exclude", "restrict_to") and isinstance(v, list):
                    value[key] = [rnd.choice(real.item_ids) if rnd.random() < 0.5 else x
                                  for x in v]
                elif key == "file" and rnd.random() < 0.5:
                    value[key] = base64.b64decode(real.image_base64)
                else:
                    swap(v)
        elif isinstance(value, list):
            for v in value:
                swap(v)

    swap(case.body)
    if case.path_parameters and "item_id" in case.path_parameters and rnd.random() < 0.7:
        case.path_parameters["item_id"] = rnd.choice(real.item_ids)
    if case.query and isinstance(case.query.get("type"), str) and rnd.random() < 0.7:
        case.query["type"] = rnd.choice(real.types)


def fuzz_operation(operation, mode: GenerationMode, examples: int, real: RealValues, *,
                   seed: int | None = None, derandomize: bool = False) -> Report:
    report = Report(f"{operation.method.upper()} {operation.path}", mode.value)
    admin = operation.path.startswith("/admin")

    # true_random: Hypothesis' own Random leans to the edges, and the swaps want even odds
    @given(case=operation.as_strategy(mode), request_id=HEADER_TEXT,
           rnd=st.randoms(use_true_random=True))
    @settings(max_examples=examples, deadline=None, database=None, derandomize=derandomize,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case, request_id: str, rnd: random.Random) -> None:
        if mode is GenerationMode.POSITIVE:
            _realistic(case, rnd, real)
        headers = {"x-request-id": request_id}
        if admin and rnd.random() < 0.8:
            headers["authorization"] = f"Bearer {ADMIN_TOKEN}"
        response = case.call(headers=headers)
        report.requests += 1
        report.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                report.failures[f"{failure.title} [{response.status_code}]"] += 1
            if len(report.examples) < 3:
                report.examples.append(f"{case.method} {case.formatted_path} "
                                       f"body={case.body!r:.200} -> {response.status_code} "
                                       f"{response.text[:200]}")

    if seed is not None:
        run = hypothesis_seed(seed)(run)
    started = time.perf_counter()
    try:
        run()
    except Unsatisfiable:
        # nothing the schema forbids can be sent (no parameters, or free-form strings only)
        report.note = "no schema-invalid request exists for this operation"
    report.seconds = time.perf_counter() - started
    return report


def fuzz_app(app, real: RealValues, examples: int, *, seed: int | None = None,
             derandomize: bool = False, progress=None) -> list[Report]:
    """Fuzz every operation of `app`'s OpenAPI schema, valid then invalid requests."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    reports = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            report = fuzz_operation(operation, mode, examples, real, seed=seed,
                                    derandomize=derandomize)
            reports.append(report)
            if progress is not None:
                progress(report)
    return reports


def make_app(artifacts: Path, images_dir: Path | None):
    from app.core.config import Settings
    from app.main import create_app

    return create_app(Settings(artifacts=artifacts, images_dir=images_dir,
                               admin_token=ADMIN_TOKEN, access_log=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, required=True, help="a bundle with model/")
    parser.add_argument("--images", type=Path, help="the dataset's images/ folder")
    parser.add_argument("--examples", type=int, default=1000,
                        help="generated requests per operation and mode")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import logging

    logging.getLogger("lookbook").setLevel(logging.ERROR)  # refused reloads log a warning each
    app = make_app(args.artifacts, args.images)
    real = RealValues.from_bundle(args.artifacts)
    started = time.perf_counter()
    reports = fuzz_app(app, real, args.examples, seed=args.seed,
                       progress=lambda r: print(json.dumps(r.as_dict()), flush=True))
    per_op = Counter()
    for r in reports:
        per_op[r.operation] += r.requests
    summary = {"operations": len(per_op), "requests": sum(per_op.values()),
               "min_requests_per_operation": min(per_op.values()),
               "server_errors": sum(r.server_errors for r in reports),
               "schema_failures": sum(sum(r.failures.values()) for r in reports),
               "seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps({"summary": summary}), flush=True)
    return 0 if summary["server_errors"] == summary["schema_failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
