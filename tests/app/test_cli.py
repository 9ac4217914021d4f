import json
import shutil

from app.cli import main


def test_check_accepts_the_sample_and_rejects_a_broken_copy(tiny_catalog, tmp_path, capsys):
    assert main(["check", str(tiny_catalog)]) == 0
    broken = tmp_path / "broken"
    shutil.copytree(tiny_catalog, broken)
    (broken / "nondisjoint" / "test.json").write_text("[{")
    assert main(["check", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "test.json" in err and len(err.splitlines()) <= 25


def test_train_refuses_bad_data_with_one_reason(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lookbook: error:") and "Traceback" not in err
    assert not (tmp_path / "r").exists()  # nothing written for a run that cannot start


def test_train_refuses_a_bad_override(tiny_catalog, tmp_path, capsys):
    code = main(["train", "--data", str(tiny_catalog), "--out", str(tmp_path / "r"),
                 "--set", "loss.sat_lambda=lots"])
    assert code == 1
    assert "loss.sat_lambda" in capsys.readouterr().err


def test_evaluate_prints_one_json_object(pipeline, capsys, monkeypatch):
    monkeypatch.setenv("LOOKBOOK_CACHE", str(pipeline.cache.parent))
    code = main(["evaluate", "--run", str(pipeline.run), "--data", str(pipeline.data),
                 "--split", "nondisjoint", "--subset", "test", "--quiet"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert {"fitb_accuracy", "compatibility_auc", "n_fitb", "n_compatibility", "split",
            "subset"} <= set(result)
    assert result["split"] == "nondisjoint" and result["subset"] == "test"


def test_evaluate_reports_each_subset_of_the_runs_split(pipeline, capsys, monkeypatch):
    monkeypatch.setenv("LOOKBOOK_CACHE", str(pipeline.cache.parent))
    code = main(["evaluate", "--run", str(pipeline.run), "--data", str(pipeline.data),
                 "--subset", "valid", "--subset", "test", "--quiet"])
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["split"], r["subset"]) for r in rows] == [("nondisjoint", "valid"),
                                                         ("nondisjoint", "test")]
    assert all(0.0 <= r["fitb_accuracy"] <= 1.0 and r["fitb_accuracy_by_type"] for r in rows)


def test_evaluate_refuses_another_split_than_the_runs(pipeline, capsys, monkeypatch):
    monkeypatch.setenv("LOOKBOOK_CACHE", str(pipeline.cache.parent))
    code = main(["evaluate", "--run", str(pipeline.run), "--data", str(pipeline.data),
                 "--split", "disjoint", "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert "trained on the nondisjoint split" in err and err.count("\n") == 1


def test_evaluate_without_a_run_says_so(tiny_catalog, tmp_path, capsys):
    code = main(["evaluate", "--run", str(tmp_path / "none"), "--data", str(tiny_catalog)])
    assert code == 1
    assert "does not exist" in capsys.readouterr().err


def test_serve_refuses_a_missing_bundle(tmp_path, capsys):
    assert main(["serve", "--artifacts", str(tmp_path)]) == 1
    assert "manifest.json" in capsys.readouterr().err


def test_build_index_takes_an_ann_factory_and_refuses_a_bad_one(pipeline, tmp_path, capsys,
                                                                monkeypatch):
    monkeypatch.setenv("LOOKBOOK_CACHE", str(pipeline.cache.parent))
    out = tmp_path / "hnsw"
    args = ["build-index", "--run", str(pipeline.run), "--data", str(pipeline.data), "--out",
            str(out), "--quiet"]
    assert main([*args, "--factory", "HNSW32", "--ef-search", "64"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["indices"][0]["factory"] == "IDMap2,HNSW32"
    assert (out / "model" / "model.json").is_file()
    assert main([*args, "--factory", "IDMap,Flat"]) == 1
    assert "leave out IDMap" in capsys.readouterr().err


def test_ablate_trains_both_variants_with_each_seed(trained, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LOOKBOOK_CACHE", str(trained.cache.parent))
    code = main(["ablate", "--data", str(trained.data), "--out", str(tmp_path / "ab"),
                 "--seeds", "0", "--set", "train.epochs=1", "--set", "model.image_size=64"])
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    rows = [json.loads(line) for line in out if line.startswith("{")]
    assert [(r["variant"], r["seed"]) for r in rows] == [("SAT", 0), ("lambda=0", 0)]
    assert any(line.startswith("| SAT |") for line in out)
    assert any(line.startswith("| lambda=0 |") for line in out)
    assert (tmp_path / "ab" / "lambda0-seed0" / "best.pt").is_file()


def test_stock_changes_from_the_command_line(pipeline, tmp_path, capsys):
    import shutil

    import numpy as np

    from index.search import CatalogIndex

    bundle = tmp_path / "bundle"
    shutil.copytree(pipeline.bundle, bundle)
    before = CatalogIndex.load(bundle)
    item = before.items[3]
    assert main(["remove-items", "--artifacts", str(bundle), item["item_id"]]) == 0
    assert 3 in CatalogIndex.load(bundle).removed
    assert main(["remove-items", "--artifacts", str(bundle), "no-such-id"]) == 1
    assert "no-such-id" in capsys.readouterr().err

    # back in stock: embedded again from its photo by the bundle's model, under a new row
    assert main(["add-items", "--artifacts", str(bundle), "--data", str(pipeline.data),
                 item["item_id"]]) == 0
    after = CatalogIndex.load(bundle)
    row = after.row_of[item["item_id"]]
    assert row == len(before.items)
    np.testing.assert_allclose(after.scorer.embeddings[row].numpy(),
                               before.scorer.embeddings[3].numpy(), atol=1e-4)
    assert main(["add-items", "--artifacts", str(bundle), "--data", str(pipeline.data),
                 "999"]) == 1
    assert "no item '999'" in capsys.readouterr().err
