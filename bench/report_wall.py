"""Wall time of `lookbook report` on a run of `lookbook ablate`, against `lookbook evaluate`
of the same run (the report evaluates each run it shows, then draws and renders).

    lookbook sample --out /tmp/report-bench/data --seed 0
    lookbook ablate --data /tmp/report-bench/data --out /tmp/report-bench/ab --seeds 0
    python -m bench.report_wall --run /tmp/report-bench/ab/SAT-seed0 \
        --data /tmp/report-bench/data [--repeats 5]

Features are cached by `ablate`, so this times the report, not feature extraction. One
warm-up round is not counted; the variants then alternate within each round, so a change in
the machine's load falls on all of them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads (see app/cli.py)


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    from model.evaluate import evaluate_run
    from model.report.write import write_report

    parser = argparse.ArgumentParser()
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    trained_split = json.loads((args.run / "config.json").read_text())["split"]

    with tempfile.TemporaryDirectory() as tmp:
        variants = {
            "evaluate (one run)": lambda: evaluate_run(args.run, args.data, trained_split,
                                                       "test"),
            "report, run alone": lambda: write_report(args.run, args.data, Path(tmp) / "alone",
                                                      auto_ablation=False),
            "report, run + lambda=0 twin": lambda: write_report(args.run, args.data,
                                                                Path(tmp) / "both"),
        }
        print(f"uptime before: {_uptime()}")
        times: dict[str, list[float]] = {name: [] for name in variants}
        for round_ in range(args.repeats + 1):
            for name, work in variants.items():
                started = time.perf_counter()
                work()
                if round_ > 0:  # round 0 warms imports, caches and the page cache
                    times[name].append(time.perf_counter() - started)
        print(f"uptime after:  {_uptime()}")
        both = Path(tmp) / "both"
        record = json.loads((both / "report.json").read_text())
        floor = statistics.median(times["evaluate (one run)"])
        print(f"catalog: {len(json.loads((args.data / 'polyvore_item_metadata.json').read_text()))}"
              f" items; test FITB questions: {record['counts']['questions']}; "
              f"ablation found: {record['ablation'] is not None}")
        print(f"index.html with the twin: {(both / 'index.html').stat().st_size / 1e6:.2f} MB; "
              f"without: {(Path(tmp) / 'alone' / 'index.html').stat().st_size / 1e6:.2f} MB")
        print("| what | median s | min s | max s | / evaluate |")
        print("|---|---|---|---|---|")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"| {name} | {median:.2f} | {min(values):.2f} | {max(values):.2f} | "
                  f"{median / floor:.2f} |")


if __name__ == "__main__":
    main()
