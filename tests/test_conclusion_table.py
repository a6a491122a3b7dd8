"""benchmarks/conclusion_table.py: the schema of its JSON, and determinism.

The full table (chapter 11) takes about half a minute; here the reduced
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
            "test_std", "train_mean", "gap"}
EXPECTED_ROWS = ["none (SGD)", "L1 (proximal)", "L2 penalty", "SGD weight decay", "none (Adam)",
                 "Adam + L2", "AdamW", "dropout", "batch norm", "layer norm", "early stopping",
                 "dropout + L2 + early stop"]


def _module():
    spec = importlib.util.spec_from_file_location("conclusion_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_schema(result: dict) -> None:
    assert [r["name"] for r in result["rows"]] == EXPECTED_ROWS
    n_seeds = len(result["protocol"]["seeds"])
    for row in result["rows"]:
        assert set(row) == ROW_KEYS
        assert 0 <= row["selected"] < len(row["grid"])
        chosen = row["grid"][row["selected"]]
        assert chosen["hp"] == row["hp"]
        for key in ("train", "val", "test", "epochs_run"):
            assert len(chosen[key]) == n_seeds
        # the selection uses validation accuracy only (mean over seeds, first on ties)
        means = [np.mean(g["val"]) for g in row["grid"]]
        assert row["selected"] == int(np.argmax(means))
        assert row["test_mean"] == pytest.approx(np.mean(chosen["test"]), abs=1e-15)
        assert row["test_std"] == pytest.approx(np.std(chosen["test"], ddof=1), abs=1e-15)
        assert row["gap"] == pytest.approx(row["train_mean"] - row["test_mean"], abs=1e-15)
        assert all(0.0 <= a <= 1.0 for g in row["grid"] for a in g["test"])


def test_committed_table_has_the_schema_and_the_full_protocol():
    result = json.loads(COMMITTED.read_text())
    assert result["protocol"]["quick"] is False
    assert len(result["protocol"]["seeds"]) >= 3
    check_schema(result)


def test_quick_table_is_deterministic(tmp_path):
    out = tmp_path / "quick.json"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(out)],
                   check=True, capture_output=True, text=True, env=env, cwd=tmp_path)
    from_cli = json.loads(out.read_text())
    check_schema(from_cli)
    assert from_cli["protocol"]["quick"] is True
    from_import = json.loads(json.dumps(_module().run(quick=True)))
    assert from_import == from_cli
