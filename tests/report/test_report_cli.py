import json
import shutil

import pytest

from app.cli import main


@pytest.fixture
def cache_env(reports, monkeypatch):
    monkeypatch.setenv("LOOKBOOK_CACHE", str(reports.cache.parent))


def _one_line_error(capsys, *words):
    err = capsys.readouterr().err
    assert err.startswith("lookbook: error: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, err


def test_report_from_the_command_line(reports, tmp_path, capsys, cache_env):
    out = tmp_path / "r"
    code = main(["report", "--run", str(reports.sat), "--data", str(reports.data), "--out",
                 str(out), "--ablation", str(reports.ablation), "--gallery", "3", "--quiet"])
    assert code == 0
    assert "wrote" in capsys.readouterr().err
    record = json.loads((out / "report.json").read_text())
    assert record["ablation"] == str(reports.ablation)
    assert len(record["sections"]["gallery"]) == 3
    assert (out / "index.html").is_file()


def test_missing_run(reports, tmp_path, capsys):
    assert main(["report", "--run", str(tmp_path / "none"), "--data", str(reports.data),
                 "--out", str(tmp_path / "r")]) == 1
    _one_line_error(capsys, "does not exist")
    assert not (tmp_path / "r").exists()


def test_a_run_folder_without_checkpoint(reports, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["report", "--run", str(tmp_path / "empty"), "--data", str(reports.data),
                 "--out", str(tmp_path / "r")]) == 1
    _one_line_error(capsys, "best.pt")


def test_missing_data_folder(reports, tmp_path, capsys):
    assert main(["report", "--run", str(reports.sat), "--data", str(tmp_path / "nowhere"),
                 "--out", str(tmp_path / "r")]) == 1
    _one_line_error(capsys, "nowhere", "does not exist")


def test_data_folder_without_the_runs_split(reports, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(reports.data, data, ignore=shutil.ignore_patterns("images", "nondisjoint"))
    assert main(["report", "--run", str(reports.sat), "--data", str(data), "--out",
                 str(tmp_path / "r")]) == 1
    _one_line_error(capsys, "no nondisjoint/ folder")


def test_wrong_split(reports, tmp_path, capsys):
    assert main(["report", "--run", str(reports.sat), "--data", str(reports.data), "--split",
                 "disjoint", "--out", str(tmp_path / "r")]) == 1
    _one_line_error(capsys, "trained on the nondisjoint split", "--split nondisjoint")


def test_a_missing_ablation_run(reports, tmp_path, capsys):
    assert main(["report", "--run", str(reports.sat), "--data", str(reports.data),
                 "--ablation", str(tmp_path / "none"), "--out", str(tmp_path / "r")]) == 1
    _one_line_error(capsys, "ablation run folder", "does not exist")


def test_an_out_folder_holding_other_things_is_never_replaced(reports, tmp_path, capsys):
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "thesis.txt").write_text("precious")
    assert main(["report", "--run", str(reports.sat), "--data", str(reports.data), "--out",
                 str(keep)]) == 1
    _one_line_error(capsys, "something other than a report")
    assert (keep / "thesis.txt").read_text() == "precious"


def test_a_bad_gallery_size(reports, tmp_path, capsys):
    assert main(["report", "--run", str(reports.sat), "--data", str(reports.data), "--out",
                 str(tmp_path / "r"), "--gallery", "-1"]) == 1
    _one_line_error(capsys, "--gallery")
