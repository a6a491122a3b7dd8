"""benchmarks/conclusion_table.py: the schema of its JSON, its internal consistency, and determinism.

The full table (chapter 11) takes a few minutes of CPU time; here the reduced
``--quick`` protocol runs twice, once through the command line in a
subprocess and once by import, and the two results must be equal.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from book_utils import ROOT

SCRIPT = ROOT / "benchmarks" / "conclusion_table.py"
COMMITTED = ROOT / "benchmarks" / "results" / "conclusion_table.json"
ROW_KEYS = {"name", "description", "grid", "selected", "hp", "val_mean", "test_mean",
            "test_std", "train_mean", "gap", "test_pred", "jackknife"}
PER_RUN = {"train", "val", "test", "epochs_run", "best_epoch", "train_loss", "test_loss",
           "brier", "weight_sq", "zero_frac", "dist_init", "coadapt", "coadapt_acc"}
TERMS = {"bias2", "bias2_unbiased", "variance", "variance_unbiased"}
EXPECTED_ROWS = ["none (SGD)", "L1 (proximal)", "L2 penalty", "SGD weight decay", "none (Adam)",
                 "Adam + L2", "AdamW", "dropout", "batch norm", "layer norm", "early stopping",
                 "dropout + L2 + early stop"]
EARLY_STOPPING_ROWS = {"early stopping", "dropout + L2 + early stop"}


def _module():
    spec = importlib.util.spec_from_file_location("conclusion_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_schema(result: dict) -> None:
    assert [r["name"] for r in result["rows"]] == EXPECTED_ROWS
    protocol = result["protocol"]
    n_sets = len(protocol["seeds"])
    assert protocol["seeds"] == list(range(protocol["n_sets"]))
    y_test = np.array([int(c) for c in result["y_test"]])
    assert len(y_test) == protocol["n_test"]
    for row in result["rows"]:
        assert set(row) == ROW_KEYS
        assert 0 <= row["selected"] < len(row["grid"])
        chosen = row["grid"][row["selected"]]
        assert chosen["hp"] == row["hp"]
        for g in row["grid"]:
            assert set(g) == PER_RUN | {"hp", "brier_terms"}
            for key in PER_RUN:
                assert len(g[key]) == n_sets, key
            assert all((b is None) == (row["name"] not in EARLY_STOPPING_ROWS) for b in g["best_epoch"])
            assert all(0.0 <= a <= 1.0 for a in g["test"])
            terms = g["brier_terms"]
            assert set(terms) == TERMS
            # the unbiased terms move Var/(S - 1) from bias^2 to the variance; the sum is kept
            assert terms["bias2_unbiased"] + terms["variance_unbiased"] == pytest.approx(
                terms["bias2"] + terms["variance"], rel=1e-5)
            # the mean Brier score of the runs is bias^2 + variance (six-digit rounding)
            assert np.mean(g["brier"]) == pytest.approx(terms["bias2"] + terms["variance"], rel=1e-4)
        # the selection uses validation accuracy only (mean over replicates, first on ties)
        means = [np.mean(g["val"]) for g in row["grid"]]
        assert row["selected"] == int(np.argmax(means))
        assert row["test_mean"] == pytest.approx(np.mean(chosen["test"]), abs=1e-15)
        assert row["test_std"] == pytest.approx(np.std(chosen["test"], ddof=1), abs=1e-15)
        assert row["gap"] == pytest.approx(row["train_mean"] - row["test_mean"], abs=1e-15)
        # the stored test labels are the ones the accuracies were computed from
        labels = np.array([[int(c) for c in p] for p in row["test_pred"]])
        assert labels.shape == (n_sets, len(y_test))
        np.testing.assert_array_equal(np.mean(labels == y_test, axis=1), chosen["test"])
        jack = row["jackknife"]
        assert set(jack) == {"bias2_unbiased", "variance_unbiased"}
        assert all(len(v) == n_sets for v in jack.values())


def test_committed_table_has_the_schema_and_the_full_protocol():
    result = json.loads(COMMITTED.read_text())
    assert result["protocol"]["quick"] is False
    assert len(result["protocol"]["seeds"]) >= 30
    assert result["protocol"]["cpu_seconds"] > 0          # how long the table took to compute
    check_schema(result)


def test_training_sets_are_stratified_and_shared_by_every_row():
    module = _module()
    data = module.load(module.QUICK)
    X0, y0 = module.training_set(data, 0, 150)
    X0b, y0b = module.training_set(data, 0, 150)
    X1, _ = module.training_set(data, 1, 150)
    np.testing.assert_array_equal(X0, X0b)                 # replicate s is the same for every row
    assert not np.array_equal(X0, X1)                      # and differs between replicates
    assert np.all(np.bincount(y0, minlength=10) == 15)     # n_train / 10 of each class
    pool = {row.tobytes() for row in data.X_train}
    assert all(row.tobytes() in pool for row in X0)        # drawn from the training pool only


def test_quick_table_is_deterministic(tmp_path):
    out = tmp_path / "quick.json"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(out)],
                   check=True, capture_output=True, text=True, env=env, cwd=tmp_path)
    from_cli = json.loads(out.read_text())
    assert from_cli["protocol"].pop("cpu_seconds") >= 0    # a measurement, not reproducible
    check_schema(from_cli)
    assert from_cli["protocol"]["quick"] is True
    from_import = json.loads(json.dumps(_module().run(quick=True)))
    assert from_import == from_cli
