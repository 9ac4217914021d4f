import json

from model.report.curves import read_curves


def _write(path, records, tail=""):
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail)


def test_steps_and_epochs_are_told_apart(tmp_path):
    _write(tmp_path / "metrics.jsonl", [
        {"step": 20, "epoch": 0, "loss": 0.5, "sat_loss": 0.4},
        {"epoch": 0, "step": 30, "train_loss": 0.45, "valid_fitb_accuracy": 0.6,
         "valid_compatibility_auc": 0.7},
        {"step": 40, "epoch": 1, "loss": 0.3},
        {"epoch": 1, "step": 60, "train_loss": 0.31, "valid_fitb_accuracy": 0.8,
         "valid_compatibility_auc": 0.9},
        {"epoch": 2, "step": 90, "train_loss": 0.2, "valid_fitb_accuracy": 0.8,
         "valid_compatibility_auc": 0.95},
    ], tail='{"step": 100, "lo')  # the torn line a killed run leaves
    c = read_curves(tmp_path)
    assert (c.steps, c.step_loss) == ([20, 40], [0.5, 0.3])
    assert c.epochs == [1, 2, 3] and c.epoch_end_steps == [30, 60, 90]
    assert c.train_loss == [0.45, 0.31, 0.2]
    assert c.valid_fitb == [0.6, 0.8, 0.8] and c.valid_auc == [0.7, 0.9, 0.95]
    # training keeps the first epoch that reaches the best FITB (a strict improvement)
    assert c.best_epoch() == 2


def test_a_run_without_a_log_has_empty_curves(tmp_path):
    c = read_curves(tmp_path)
    assert c.empty and c.best_epoch() is None
