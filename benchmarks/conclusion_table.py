"""Every technique of the book on the digits benchmark, under one protocol.

Computes the table of chapter 11 and writes it to
``benchmarks/results/conclusion_table.json`` (small; committed).  The chapter
loads the JSON, and re-runs one cheap row live to show it is reproducible.

The protocol (the same for every row):

* data: ``regcore.data.digits(rng=default_rng(DATA_SEED), n_train=N_TRAIN)``
  -- one fixed stratified split, a small training subset so that the network
  can overfit, the usual validation and test sets (359 images each);
* network: ``MLP([64, 64, 10])`` (one hidden ReLU layer of 64 units), initial
  weights from the seed; the same number of epochs and the same batch size;
* each technique has a small grid of hyper-parameter values; for each value
  every seed is trained; the value with the highest **mean validation
  accuracy over the seeds** is selected (ties: the first in the grid);
  the test set is read only for the selected value's report;
* reported: test accuracy mean and standard deviation (``ddof=1``) over the
  seeds, the mean training accuracy and the train - test gap.

Usage::

    python benchmarks/conclusion_table.py            # full table (a few minutes)
    python benchmarks/conclusion_table.py --quick    # reduced protocol (seconds)
    python benchmarks/conclusion_table.py --out other.json

Set ``OPENBLAS_NUM_THREADS=1`` (the script does so before importing NumPy) so
that the numbers are bitwise reproducible.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from regcore import MLP, SGD, Adam, AdamW, EarlyStopping, L1, L2, fit  # noqa: E402
from regcore.data import digits  # noqa: E402

OUT = HERE / "results" / "conclusion_table.json"

FULL = dict(data_seed=0, n_train=300, sizes=[64, 64, 10], epochs=30, batch_size=32,
            sgd_lr=0.1, sgd_momentum=0.9, adam_lr=0.003, seeds=[0, 1, 2, 3, 4])
QUICK = dict(data_seed=0, n_train=150, sizes=[64, 32, 10], epochs=4, batch_size=32,
             sgd_lr=0.1, sgd_momentum=0.9, adam_lr=0.003, seeds=[0, 1])

# name -> (description, grid).  Each grid entry is a dict of hyper-parameters.
TECHNIQUES = {
    "none (SGD)": ("SGD with momentum, no regularization", [{}]),
    "L1 (proximal)": ("SGD + proximal L1 step on the weights, lam",
                      [{"lam": 1e-4}, {"lam": 1e-3}, {"lam": 1e-2}]),
    "L2 penalty": ("SGD + L2 penalty lam * sum(w^2) on the weights",
                   [{"lam": 1e-4}, {"lam": 1e-3}, {"lam": 1e-2}]),
    "SGD weight decay": ("SGD(weight_decay=w) on all parameters (biases too)",
                         [{"wd": 2e-4}, {"wd": 2e-3}, {"wd": 2e-2}]),
    "none (Adam)": ("Adam, no regularization (reference for the two Adam rows)", [{}]),
    "Adam + L2": ("Adam + L2 penalty lam * sum(w^2) on the weights",
                  [{"lam": 1e-4}, {"lam": 1e-3}, {"lam": 1e-2}]),
    "AdamW": ("AdamW(weight_decay=w), decoupled, on all parameters",
              [{"wd": 1e-2}, {"wd": 1e-1}, {"wd": 1.0}]),
    "dropout": ("SGD + dropout after the hidden layer, drop probability p",
                [{"p": 0.1}, {"p": 0.3}, {"p": 0.5}]),
    "batch norm": ("SGD + BatchNorm1d before the ReLU (nothing to tune)", [{}]),
    "layer norm": ("SGD + LayerNorm before the ReLU (nothing to tune)", [{}]),
    "early stopping": ("SGD + early stopping on the validation loss, patience; best weights restored",
                       [{"patience": 2}, {"patience": 5}, {"patience": 10}]),
    "dropout + L2 + early stop": ("SGD + dropout p + L2 lam + early stopping (patience 5)",
                                  [{"p": 0.1, "lam": 1e-4}, {"p": 0.1, "lam": 1e-3},
                                   {"p": 0.3, "lam": 1e-4}, {"p": 0.3, "lam": 1e-3}]),
}


def load(cfg: dict):
    return digits(rng=np.random.default_rng(cfg["data_seed"]), n_train=cfg["n_train"])


def accuracy(model, X, y) -> float:
    model.eval()
    return float(np.mean(np.argmax(model(X), axis=1) == y))


def train_one(name: str, hp: dict, seed: int, data, cfg: dict) -> dict:
    """Train one network of row ``name`` with hyper-parameters ``hp``; return its accuracies."""
    rng = np.random.default_rng([seed, 2025])
    norm = {"batch norm": "batch", "layer norm": "layer"}.get(name)
    model = MLP(cfg["sizes"], norm=norm, dropout=hp.get("p", 0.0), rng=rng)
    params = model.parameters()
    if name in ("none (Adam)", "Adam + L2"):
        opt = Adam(params, lr=cfg["adam_lr"])
    elif name == "AdamW":
        opt = AdamW(params, lr=cfg["adam_lr"], weight_decay=hp["wd"])
    else:
        opt = SGD(params, lr=cfg["sgd_lr"], momentum=cfg["sgd_momentum"],
                  weight_decay=hp.get("wd", 0.0))
    penalty = L2(hp["lam"]) if "lam" in hp and name != "L1 (proximal)" else None
    prox = L1(hp["lam"]) if name == "L1 (proximal)" else None
    stopper = None
    if name == "early stopping":
        stopper = EarlyStopping(patience=hp["patience"])
    elif name == "dropout + L2 + early stop":
        stopper = EarlyStopping(patience=5)
    hist = fit(model, opt, data.X_train, data.y_train, epochs=cfg["epochs"],
               batch_size=cfg["batch_size"], rng=rng, X_val=data.X_val, y_val=data.y_val,
               penalty=penalty, prox=prox, early_stopping=stopper)
    return {"train": accuracy(model, data.X_train, data.y_train),
            "val": accuracy(model, data.X_val, data.y_val),
            "test": accuracy(model, data.X_test, data.y_test),
            "epochs_run": hist.epochs_run}


def select(values: list[dict]) -> int:
    """Index of the grid value with the highest mean validation accuracy (first on ties)."""
    means = [float(np.mean(v["val"])) for v in values]
    return int(np.argmax(means))


def run_row(name: str, cfg: dict, data=None, grid=None) -> dict:
    """All grid values x all seeds of one row, the selection and the summary."""
    data = load(cfg) if data is None else data
    description, full_grid = TECHNIQUES[name]
    grid = full_grid if grid is None else grid
    values = []
    for hp in grid:
        runs = [train_one(name, hp, s, data, cfg) for s in cfg["seeds"]]
        values.append({"hp": hp, **{k: [r[k] for r in runs]
                                    for k in ("train", "val", "test", "epochs_run")}})
    best = select(values)
    chosen = values[best]
    test = np.array(chosen["test"])
    return {"name": name, "description": description, "grid": values, "selected": best,
            "hp": chosen["hp"],
            "val_mean": float(np.mean(chosen["val"])),
            "test_mean": float(test.mean()), "test_std": float(test.std(ddof=1)),
            "train_mean": float(np.mean(chosen["train"])),
            "gap": float(np.mean(chosen["train"]) - test.mean())}


def run(quick: bool = False) -> dict:
    cfg = QUICK if quick else FULL
    data = load(cfg)
    rows = []
    for name, (_, grid) in TECHNIQUES.items():
        rows.append(run_row(name, cfg, data, grid[:2] if quick else grid))
    return {"protocol": {**cfg, "quick": quick, "n_val": int(len(data.y_val)),
                         "n_test": int(len(data.y_test)),
                         "selection": "max mean validation accuracy over seeds, first on ties",
                         "std": "ddof=1 over seeds"},
            "rows": rows}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced protocol (seconds)")
    parser.add_argument("--out", type=Path, default=None, help=f"output JSON (default {OUT})")
    args = parser.parse_args(argv)
    result = run(quick=args.quick)
    out = args.out or (OUT if not args.quick else OUT.with_name("conclusion_table_quick.json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{'technique':28s} {'hyper-parameter':22s} {'test acc':>16s} {'gap':>7s}")
    for r in result["rows"]:
        hp = ", ".join(f"{k}={v:g}" for k, v in r["hp"].items()) or "-"
        print(f"{r['name']:28s} {hp:22s} {r['test_mean']:.3f} ± {r['test_std']:.3f}"
              f"      {r['gap']:+.3f}")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
