"""`lookbook`: the command-line entry point. Each subcommand is a thin call into model/,
index/ or app/; every failure the user can fix ends with a one-line reason and exit 1."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

EXIT_OK, EXIT_ERROR = 0, 1


def _fail(message: str) -> int:
    print(f"lookbook: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def cmd_sample(args: argparse.Namespace) -> int:
    from model.sample import write_sample

    summary = write_sample(Path(args.out), seed=args.seed)
    print(f"wrote the sample catalog to {args.out}: {summary}", file=sys.stderr)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from model.data.check import check_dataset

    splits = tuple(args.split) if args.split else ("nondisjoint", "disjoint")
    problems = check_dataset(Path(args.dir), splits=splits)
    if problems:
        # the first problem on the error line itself (often it is the only one), the rest below
        _fail(f"{args.dir} is not usable: {problems[0]}")
        for line in problems[1:]:
            print(f"  - {line}", file=sys.stderr)
        return EXIT_ERROR
    print(f"{args.dir}: ok ({', '.join(splits)})")
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from model.config import RunConfig, load_config
    from model.train import train

    run_config = Path(args.out) / "config.json"
    if args.resume and run_config.is_file() and not (args.config or args.set or args.preset):
        # a resumed run keeps the config it started with, whatever machine it resumes on
        config = RunConfig.model_validate(json.loads(run_config.read_text())["config"])
    else:
        config = load_config(Path(args.config) if args.config else None, args.set or [],
                             preset=args.preset or "auto")
    result = train(Path(args.data), args.split, Path(args.out), config, resume=args.resume,
                   progress=not args.quiet)
    if os.environ.get("RANK", "0") != "0":
        return EXIT_OK  # under torchrun, rank 0 reports for all
    print(json.dumps({"run": str(result.run_dir), "best_epoch": result.best_epoch,
                      "seconds": round(result.seconds, 1),
                      **{f"valid_{k}": v for k, v in result.best_valid.items()}}))
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from model.evaluate import evaluate_run

    # one JSON object per subset (a line each), every one naming its split and subset
    for subset in dict.fromkeys(args.subset or ["test"]):
        result = evaluate_run(Path(args.run), Path(args.data), args.split, subset,
                              progress=not args.quiet)
        print(json.dumps(result), flush=True)
    return EXIT_OK


def cmd_ablate(args: argparse.Namespace) -> int:
    from model.ablation import run_ablation, side_by_side

    rows = run_ablation(Path(args.data), args.split, Path(args.out), seeds=args.seeds,
                        overrides=args.set or [], subset=args.subset, preset=args.preset,
                        report=lambda row: print(json.dumps(row), flush=True))
    print(side_by_side(rows))
    return EXIT_OK


def cmd_build_index(args: argparse.Namespace) -> int:
    from index.build import build_index
    from index.config import IndexConfig

    fields = {"factory": args.factory, "nprobe": args.nprobe, "ef_search": args.ef_search,
              "refine": args.refine, "layout": args.layout}
    config = IndexConfig(**{k: v for k, v in fields.items() if v is not None})
    manifest = build_index(Path(args.run), Path(args.data), Path(args.out),
                           progress=not args.quiet, index_config=config)
    print(f"wrote {args.out}: {manifest.n_items} items, {len(manifest.indices)} indices, "
          f"model {manifest.model_hash}", file=sys.stderr)
    return EXIT_OK


def cmd_add_items(args: argparse.Namespace) -> int:
    from index.stock import add_from_folder

    manifest = add_from_folder(Path(args.artifacts), Path(args.data), args.item_ids)
    print(f"added {len(args.item_ids)} item(s): {manifest.n_items} rows, "
          f"{manifest.n_removed} removed", file=sys.stderr)
    return EXIT_OK


def cmd_remove_items(args: argparse.Namespace) -> int:
    from index.mutate import remove_items

    try:
        manifest = remove_items(Path(args.artifacts), args.item_ids)
    except KeyError as exc:
        return _fail(str(exc.args[0]))
    print(f"removed {len(args.item_ids)} item(s): {manifest.n_removed} removed in all",
          file=sys.stderr)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    import shutil
    import tempfile

    import uvicorn

    from app.core.config import Settings
    from app.core.logging import configure_logging
    from app.state import load_served

    given = {"artifacts": args.artifacts, "host": args.host, "port": args.port,
             "workers": args.workers}
    given = {name: value for name, value in given.items() if value is not None}
    settings = Settings(**given)  # the command line wins over LOOKBOOK_* variables
    load_served(settings.artifacts)  # fail here, with the reason, before binding a port
    configure_logging(settings.log_level)
    # worker processes read their settings from the environment: hand the winners on
    for name, value in given.items():
        os.environ[f"LOOKBOOK_{name.upper()}"] = str(value)
    made = []  # folders this command creates for its workers, removed when it stops
    if settings.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # each worker counts into files here; /metrics sums them over the workers
        made.append(tempfile.mkdtemp(prefix="lookbook-metrics-"))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = made[-1]
    if settings.workers > 1 and settings.reload_dir is None:
        # an admin reload answered by one worker is followed by the others through here
        made.append(tempfile.mkdtemp(prefix="lookbook-reload-"))
        os.environ["LOOKBOOK_RELOAD_DIR"] = made[-1]
    url = f"http://{settings.host}:{settings.port}"
    print(f"serving {settings.artifacts} on {url} with {settings.workers} worker(s)  "
          f"(OpenAPI docs: {url}/docs)", file=sys.stderr)
    try:
        # no `server: uvicorn` header: it tells a scanner what runs here and nothing to a shop
        uvicorn.run("app.main:create_app_from_env", factory=True, host=settings.host,
                    port=settings.port, workers=settings.workers, log_config=None,
                    access_log=False, proxy_headers=False, server_header=False)
    finally:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from model.report.config import ReportConfig
    from model.report.write import write_report

    try:
        config = ReportConfig(gallery_size=args.gallery, section_size=args.gallery)
    except ValidationError as exc:
        return _fail(f"--gallery: {exc.errors()[0]['msg']}")
    summary = write_report(Path(args.run), Path(args.data), Path(args.out), split=args.split,
                           subset=args.subset,
                           ablation_dir=Path(args.ablation) if args.ablation else None,
                           auto_ablation=not args.no_ablation, config=config,
                           progress=not args.quiet)
    against = f", against {summary.ablation}" if summary.ablation else ""
    print(f"wrote {summary.out / 'index.html'}: {summary.n_questions} FITB questions{against}, "
          f"{summary.seconds:.1f} s", file=sys.stderr)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from app.demo import run_demo

    return run_demo(Path(args.workdir), host=args.host, port=args.port, serve=not args.no_serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lookbook", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str):
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    p = add("sample", cmd_sample, "write the built-in sample catalog (Polyvore Outfits layout)")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)

    p = add("check", cmd_check, "validate a dataset folder of the Polyvore Outfits layout")
    p.add_argument("dir")
    p.add_argument("--split", action="append", choices=["nondisjoint", "disjoint"],
                   help="split(s) to check; both by default")

    p = add("train", cmd_train, "train a SAT model")
    p.add_argument("--data", required=True)
    p.add_argument("--split", default="nondisjoint", choices=["nondisjoint", "disjoint"])
    p.add_argument("--out", required=True, help="run folder")
    p.add_argument("--preset", choices=["auto", "offline", "paper"],
                   help="starting config: offline (frozen EfficientNet-Lite0, cached features), "
                   "paper (VGG13 fine-tuned at 112 px); auto (default): paper where a CUDA "
                   "device is visible, else offline")
    p.add_argument("--config", help="a TOML or JSON RunConfig file, applied over the preset")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a config value, e.g. loss.sat_lambda=0 (repeatable)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out (with its stored config unless overridden)")
    p.add_argument("--quiet", action="store_true")

    p = add("evaluate", cmd_evaluate, "FITB accuracy and compatibility AUC of a run, as JSON")
    p.add_argument("--run", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--split", choices=["nondisjoint", "disjoint"],
                   help="the split the run was trained on (the default); another is refused")
    p.add_argument("--subset", action="append", choices=["train", "valid", "test"],
                   help="subset(s) to score, one JSON line each (repeatable; default test)")
    p.add_argument("--quiet", action="store_true")

    p = add("ablate", cmd_ablate, "train SAT and its lambda = 0 ablation with the same seeds "
            "and print them side by side")
    p.add_argument("--data", required=True)
    p.add_argument("--split", default="nondisjoint", choices=["nondisjoint", "disjoint"])
    p.add_argument("--out", required=True, help="folder for the runs (resumed if present)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--subset", default="test", choices=["train", "valid", "test"])
    p.add_argument("--preset", default="auto", choices=["auto", "offline", "paper"],
                   help="starting config of both variants (see train --preset)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="config override for both variants (repeatable)")

    p = add("build-index", cmd_build_index, "embed the catalog and write a serving bundle")
    p.add_argument("--run", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--factory", help="faiss index_factory string: Flat (exact, default), "
                   "HNSW32, IVF1024,Flat, IVF1024,PQ64 ...")
    p.add_argument("--nprobe", type=int, help="IVF lists visited per query")
    p.add_argument("--ef-search", type=int, help="HNSW candidate list size when searching")
    p.add_argument("--refine", type=int, help="re-score this many ANN hits exactly")
    p.add_argument("--layout", choices=["auto", "per_pair", "collapsed", "factored"])
    p.add_argument("--quiet", action="store_true")

    p = add("add-items", cmd_add_items, "embed new items of a Polyvore-layout folder with the "
            "bundle's model and add them, without a rebuild")
    p.add_argument("--artifacts", required=True)
    p.add_argument("--data", required=True, help="folder with the items' metadata and images")
    p.add_argument("item_ids", nargs="+")

    p = add("remove-items", cmd_remove_items, "withdraw items from a bundle (out of stock)")
    p.add_argument("--artifacts", required=True)
    p.add_argument("item_ids", nargs="+")

    p = add("serve", cmd_serve, "serve an artifact bundle over HTTP (settings: LOOKBOOK_*)")
    p.add_argument("--artifacts", help="bundle folder (default: LOOKBOOK_ARTIFACTS)")
    p.add_argument("--host", help="default: LOOKBOOK_HOST or 127.0.0.1")
    p.add_argument("--port", type=int, help="default: LOOKBOOK_PORT or 8000")
    p.add_argument("--workers", type=int, help="processes (default: LOOKBOOK_WORKERS or 1)")

    p = add("report", cmd_report, "an HTML report of a run: training curves, metrics (beside "
            "its lambda = 0 ablation when present) and galleries of FITB questions")
    p.add_argument("--run", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True, help="report folder (index.html); an old report "
                   "there is replaced")
    p.add_argument("--split", choices=["nondisjoint", "disjoint"],
                   help="default: the split the run was trained on (the only one allowed)")
    p.add_argument("--subset", default="test", choices=["train", "valid", "test"])
    p.add_argument("--ablation", help="the lambda = 0 run to compare with; by default the "
                   "twin `lookbook ablate` wrote beside --run, if any")
    p.add_argument("--no-ablation", action="store_true", help="do not look for the twin")
    p.add_argument("--gallery", type=int, default=12, help="questions per gallery section")
    p.add_argument("--quiet", action="store_true")

    p = add("demo", cmd_demo, "sample catalog -> train -> evaluate -> build-index -> serve")
    p.add_argument("--workdir", default="lookbook-demo")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-serve", action="store_true", help="stop after building the bundle")
    return parser


def main(argv: list[str] | None = None) -> int:
    # torch's OpenMP threads busy-wait by default; on a shared 2-core machine that stalls
    # feature extraction several-fold. Read once, when torch loads, so set before any import.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    args = build_parser().parse_args(argv)
    from app.errors_cli import user_error_message

    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        message = user_error_message(exc)
        if message is None:
            raise
        return _fail(message)


if __name__ == "__main__":
    sys.exit(main())
