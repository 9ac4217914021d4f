"""`lookbook report`: gather, draw, render, and put the folder in place atomically.

OUT/index.html     the report, one self-contained file (plots and item pictures embedded)
OUT/plots/*.png    the same plots as files, for slides and notes
OUT/report.json    the numbers behind the page: metrics per run, the questions each section
                   shows, the counts they were cut from
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from model.io import atomic_directory
from model.report import plots, views
from model.report.config import ReportConfig
from model.report.gather import Gathered, ReportError, ScoredRun, gather
from model.report.images import Thumbnails, data_uri
from model.report.render import render_html

REPORT_FILES = ("index.html", "report.json")


@dataclass(frozen=True)
class ReportSummary:
    out: Path
    n_questions: int
    sections: dict[str, int]  # questions shown per section
    ablation: Path | None
    seconds: float


def _check_out(out: Path) -> None:
    """The out folder is replaced whole: refuse one that holds anything but a report, so a
    mistyped --out never deletes someone's data."""
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {out} is a file: give a folder for the report")
    if out.is_dir() and any(out.iterdir()) and not (out / "report.json").is_file():
        raise ReportError(f"--out {out} is a folder that holds something other than a report: "
                          "give a new or empty folder (an old report there is replaced)")


def _run_view(r: ScoredRun) -> dict:
    m, t = r.trained.config.model, r.trained.config.train
    best = r.curves.best_epoch()
    summary = (f"backbone {m.backbone} at {m.image_size} px"
               f"{' + colour histogram' if m.color_features else ''}, embedding {m.embedding_dim}, "
               f"λ = {r.sat_lambda:g}, {len(r.curves.epochs) or '?'} of {t.epochs} epochs, "
               f"best epoch {best if best is not None else '?'}, seed {t.seed}")
    return {"name": r.run_dir.name, "path": str(r.run_dir), "model_hash": r.metrics["model_hash"],
            "summary": summary}


def _plots(g: Gathered) -> dict[str, tuple[str, bytes]]:
    """file name -> (alt text, PNG)."""
    series = [(r.label, r.curves) for r in views.runs_of(g)]
    out = {}
    if any(not c.empty for _, c in series):
        out["loss.png"] = ("training loss per step and per epoch", plots.loss_plot(series))
        out["valid_fitb.png"] = ("validation FITB accuracy per epoch",
                                 plots.epoch_plot(series, "fitb"))
        out["valid_auc.png"] = ("validation compatibility AUC per epoch",
                                plots.epoch_plot(series, "auc"))
    out["fitb_by_type.png"] = ("FITB accuracy by the blank's type",
                               plots.by_type_plot(*views.by_type_values(g)))
    return out


def _sections(g: Gathered, picked: dict, cards: views.Cards, counts: dict) -> list[dict]:
    model = g.model.label
    ablation = g.ablation.label if g.ablation is not None else ""
    text = {
        "gallery": ("Gallery", "FITB questions",
                    f"{len(picked['gallery'])} questions drawn at random (fixed seed) from "
                    f"{counts['questions']}; the model gets {counts['model_right']} of all "
                    f"{counts['questions']} right. Green frame: the right answer; red frame: "
                    "the model's choice when wrong; a double green frame: chosen and right."),
        "right_where_ablation_wrong": (
            "SAT right, ablation wrong",
            f"Questions {model} gets right and {ablation} gets wrong",
            f"{counts.get('right_where_ablation_wrong', 0)} questions (the other way round: "
            f"{counts.get('wrong_where_ablation_right', 0)}); those the ablation misses most "
            "confidently first."),
        "hard_misses": ("Hard misses", "Hard questions the model still misses",
                        f"{counts['hard_misses']} of the {counts['hard']} hard questions; the "
                        "most confidently wrong first (largest distance gap between its choice "
                        "and the right answer)."),
    }
    return [{"id": name.replace("_", "-"), "nav": text[name][0], "title": text[name][1],
             "intro": text[name][2],
             "questions": [views.question_view(g, int(q), cards) for q in indices]}
            for name, indices in picked.items()]


def write_report(run_dir: Path, data_root: Path, out: Path, *, split: str | None = None,
                 subset: str = "test", ablation_dir: Path | None = None,
                 auto_ablation: bool = True, config: ReportConfig | None = None,
                 cache_dir: Path | None = None, progress: bool = False) -> ReportSummary:
    started = time.perf_counter()
    config, out = config or ReportConfig(), Path(out)
    _check_out(out)
    g = gather(run_dir, data_root, split=split, subset=subset, ablation_dir=ablation_dir,
               auto_ablation=auto_ablation, cache_dir=cache_dir, progress=progress)
    cards = views.Cards(g, Thumbnails(Path(data_root) / "images", config.thumbnail_px,
                                      config.jpeg_quality))
    picked = views.question_sections(g, config)
    counts = views.section_counts(g)
    pngs = _plots(g)

    def plot(name: str) -> dict:
        alt, png = pngs[name]
        return {"file": f"plots/{name}", "alt": alt, "src": data_uri(png, "image/png")}

    context = {
        "run": _run_view(g.model), "ablation": _run_view(g.ablation) if g.ablation else None,
        "data_path": str(data_root), "split": g.split, "subset": g.subset,
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "plots": {"curves": [plot(n) for n in pngs if n != "fitb_by_type.png"],
                  "by_type": plot("fitb_by_type.png")},
        "metrics": views.metrics_table(g), "by_type": views.by_type_table(g),
        "sections": _sections(g, picked, cards, counts),
        "least_compatible": views.least_compatible_views(g, config, cards),
        "calibrated": g.calibration is not None,
    }
    record = {
        "run": str(g.model.run_dir), "ablation": str(g.ablation.run_dir) if g.ablation else None,
        "data": str(data_root), "split": g.split, "subset": g.subset,
        "metrics": {"model": g.model.metrics,
                    **({"ablation": g.ablation.metrics} if g.ablation else {})},
        "sections": {name: [int(q) for q in idx] for name, idx in picked.items()},
        "counts": counts,
        "least_compatible": [o["set_id"] for o in context["least_compatible"]],
        "config": config.model_dump(),
    }
    html = render_html(context)
    with atomic_directory(out) as staging:
        (staging / "plots").mkdir()
        for name, (_, png) in pngs.items():
            (staging / "plots" / name).write_bytes(png)
        (staging / "index.html").write_text(html, encoding="utf-8")
        (staging / "report.json").write_text(json.dumps(record, indent=2) + "\n",
                                             encoding="utf-8")
    return ReportSummary(out=out, n_questions=counts["questions"],
                         sections={k: len(v) for k, v in picked.items()},
                         ablation=g.ablation.run_dir if g.ablation else None,
                         seconds=time.perf_counter() - started)
