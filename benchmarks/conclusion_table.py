"""Every technique of the book on the digits benchmark, under one protocol.

Computes the table of chapter 11 and writes it to
``benchmarks/results/conclusion_table.json`` (committed).  The chapter loads
the JSON, and re-runs part of one row live to show it is reproducible.

The protocol (the same for every row):

* data: ``regcore.data.digits(rng=default_rng(DATA_SEED))`` -- one fixed
  stratified split into a training *pool* (1079 images) and the usual
  validation and test sets (359 images each);
* replicates ``s = 0, ..., n_sets - 1``: replicate ``s`` draws its own
  training set of ``N_TRAIN`` images from the pool (stratified, ``n_train /
  10`` per class, generator ``default_rng([s, 2026])``) **and** its own
  initial weights, shuffles and dropout masks (``default_rng([s, 2025])``).
  Every row uses the same replicates, so two rows differ only in the
  technique: comparisons are paired by ``s``;
* network: ``MLP([64, 64, 10])`` (one hidden ReLU layer of 64 units); the
  same number of epochs and the same batch size for every row;
* each technique has a small grid of hyper-parameter values; for each value
  every replicate is trained; the value with the highest **mean validation
  accuracy over the replicates** is selected (ties: the first in the grid);
  the test set is read only for the reports;
* reported per run: accuracies, losses, the weights' squared norm, their
  fraction of exact zeros, their distance from the initial weights, the
  co-adaptation probe (below) and the Brier score; per grid value the
  squared-error (Brier) bias-variance decomposition of the predicted test
  probabilities over the replicates; for the selected value also the
  predicted test labels (for chapter 11's 0-1 decomposition) and the
  leave-one-replicate-out (jackknife) values of the decomposition.

The co-adaptation probe: the increase of the test cross-entropy, and the fall
of the test accuracy, when half of the hidden units, chosen at random, are
removed at test time (the others scaled by 2, as inverted dropout does),
averaged over ``n_probe`` masks (the same masks for every row of a
replicate).  A network whose units work only in the presence of particular
other units loses more.

Usage::

    python benchmarks/conclusion_table.py            # full table (several minutes)
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
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from regcore import MLP, SGD, Adam, AdamW, EarlyStopping, L1, L2, fit  # noqa: E402
from regcore.bias_variance import decompose  # noqa: E402
from regcore.data import digits  # noqa: E402
from regcore.functional import cross_entropy  # noqa: E402
from regcore.layers import Linear  # noqa: E402

OUT = HERE / "results" / "conclusion_table.json"

FULL = dict(data_seed=0, n_train=300, sizes=[64, 64, 10], epochs=30, batch_size=32,
            sgd_lr=0.1, sgd_momentum=0.9, adam_lr=0.003, n_sets=50, n_probe=10)
QUICK = dict(data_seed=0, n_train=150, sizes=[64, 32, 10], epochs=4, batch_size=32,
             sgd_lr=0.1, sgd_momentum=0.9, adam_lr=0.003, n_sets=3, n_probe=2)

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
PER_RUN = ("train", "val", "test", "epochs_run", "best_epoch", "train_loss", "test_loss",
           "brier", "weight_sq", "zero_frac", "dist_init", "coadapt", "coadapt_acc")


def load(cfg: dict):
    """The fixed split: the training pool, the validation and the test set."""
    return digits(rng=np.random.default_rng(cfg["data_seed"]))


def training_set(data, s: int, n_train: int):
    """Replicate s's training set: n_train / 10 images of each class drawn from the pool."""
    rng = np.random.default_rng([s, 2026])
    per_class = n_train // 10
    idx = np.concatenate([rng.choice(np.flatnonzero(data.y_train == k), per_class, replace=False)
                          for k in range(10)])
    idx = rng.permutation(idx)
    return data.X_train[idx], data.y_train[idx]


def _sig(x: float) -> float:
    """Six significant digits: what the chapter can use, and a smaller file."""
    return float(f"{float(x):.6g}")


def probabilities(model, X) -> np.ndarray:
    model.eval()
    z = model(X)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def coadaptation(model, X, y, n_masks: int, s: int) -> tuple[float, float]:
    """Mean increase of the test cross-entropy, and mean fall of the test accuracy, when
    half of the hidden units (the same masks for every row) are removed and the rest doubled."""
    model.eval()
    hidden = model[:-1](X)                             # after the ReLU (dropout is off in eval)
    logits = model[-1](hidden)
    base_loss, base_acc = cross_entropy(logits, y)[0], np.mean(np.argmax(logits, 1) == y)
    rng = np.random.default_rng([s, 7])
    losses, accs = [], []
    for _ in range(n_masks):
        keep = rng.permutation(hidden.shape[1]) < hidden.shape[1] // 2
        z = model[-1](hidden * keep * 2.0)
        losses.append(cross_entropy(z, y)[0])
        accs.append(np.mean(np.argmax(z, 1) == y))
    return float(np.mean(losses) - base_loss), float(base_acc - np.mean(accs))


def linear_weights(model) -> list[np.ndarray]:
    return [m.weight.data for m in model if isinstance(m, Linear)]


def train_one(name: str, hp: dict, s: int, data, cfg: dict) -> dict:
    """Train replicate s of row ``name`` with hyper-parameters ``hp``; return its measurements."""
    X, y = training_set(data, s, cfg["n_train"])
    rng = np.random.default_rng([s, 2025])
    norm = {"batch norm": "batch", "layer norm": "layer"}.get(name)
    model = MLP(cfg["sizes"], norm=norm, dropout=hp.get("p", 0.0), rng=rng)
    w0 = [w.copy() for w in linear_weights(model)]
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
    hist = fit(model, opt, X, y, epochs=cfg["epochs"], batch_size=cfg["batch_size"], rng=rng,
               X_val=data.X_val, y_val=data.y_val, penalty=penalty, prox=prox,
               early_stopping=stopper)
    p_test, p_train = probabilities(model, data.X_test), probabilities(model, X)
    onehot = np.eye(10)[data.y_test]
    W = linear_weights(model)
    probe = coadaptation(model, data.X_test, data.y_test, cfg["n_probe"], s)
    return {"train": float(np.mean(np.argmax(p_train, 1) == y)),
            "val": float(np.mean(np.argmax(probabilities(model, data.X_val), 1) == data.y_val)),
            "test": float(np.mean(np.argmax(p_test, 1) == data.y_test)),
            "epochs_run": hist.epochs_run,
            "best_epoch": hist.best_epoch if stopper is not None else None,
            "train_loss": _sig(-np.mean(np.log(p_train[np.arange(len(y)), y]))),
            "test_loss": _sig(-np.mean(np.log(p_test[np.arange(len(data.y_test)), data.y_test]))),
            "brier": _sig(np.mean(np.sum((p_test - onehot) ** 2, axis=1))),
            "weight_sq": _sig(sum(np.sum(w ** 2) for w in W)),
            "zero_frac": _sig(sum(np.sum(w == 0) for w in W) / sum(w.size for w in W)),
            "dist_init": _sig(np.sqrt(sum(np.sum((w - v) ** 2) for w, v in zip(W, w0)))),
            "coadapt": _sig(probe[0]), "coadapt_acc": _sig(probe[1]),
            "_p_test": p_test, "_pred": np.argmax(p_test, 1)}


def brier_terms(P: np.ndarray, onehot: np.ndarray) -> dict:
    """Squared-error decomposition of the predicted probabilities, per test image.

    ``P`` has shape (n_sets, n_test, 10).  regcore's decompose averages over the
    n_test * 10 (image, class) entries; times 10 it is per image (the Brier score
    sums over the classes).  ``variance_unbiased`` uses ddof = 1, so that
    ``bias2_unbiased + variance_unbiased == bias2 + variance``.
    """
    S = P.shape[0]
    d = decompose(P.reshape(S, -1), onehot.ravel())
    return {"bias2": _sig(10 * d.bias2), "bias2_unbiased": _sig(10 * d.bias2_unbiased),
            "variance": _sig(10 * d.variance),
            "variance_unbiased": _sig(10 * d.variance * S / (S - 1))}


def jackknife(P: np.ndarray, onehot: np.ndarray) -> dict:
    """brier_terms with replicate s left out, for every s (paired jackknife in chapter 11)."""
    S = P.shape[0]
    reps = [brier_terms(np.delete(P, s, axis=0), onehot) for s in range(S)]
    return {k: [r[k] for r in reps] for k in ("bias2_unbiased", "variance_unbiased")}


def select(values: list[dict]) -> int:
    """Index of the grid value with the highest mean validation accuracy (first on ties)."""
    means = [float(np.mean(v["val"])) for v in values]
    return int(np.argmax(means))


def run_row(name: str, cfg: dict, data=None, grid=None, sets=None) -> dict:
    """All grid values x all replicates of one row, the selection and the summary."""
    data = load(cfg) if data is None else data
    description, full_grid = TECHNIQUES[name]
    grid = full_grid if grid is None else grid
    sets = list(range(cfg["n_sets"])) if sets is None else list(sets)
    onehot = np.eye(10)[data.y_test]
    values, probs, preds = [], [], []
    for hp in grid:
        runs = [train_one(name, hp, s, data, cfg) for s in sets]
        P = np.stack([r["_p_test"] for r in runs])
        probs.append(P)
        preds.append(["".join(map(str, r["_pred"])) for r in runs])
        values.append({"hp": hp, **{k: [r[k] for r in runs] for k in PER_RUN},
                       "brier_terms": brier_terms(P, onehot) if len(sets) > 1 else None})
    best = select(values)
    chosen = values[best]
    test = np.array(chosen["test"])
    return {"name": name, "description": description, "grid": values, "selected": best,
            "hp": chosen["hp"],
            "val_mean": float(np.mean(chosen["val"])),
            "test_mean": float(test.mean()), "test_std": float(test.std(ddof=1)),
            "train_mean": float(np.mean(chosen["train"])),
            "gap": float(np.mean(chosen["train"]) - test.mean()),
            "test_pred": preds[best],
            "jackknife": jackknife(probs[best], onehot) if len(sets) > 2 else None}


def run(quick: bool = False) -> dict:
    cfg = QUICK if quick else FULL
    data = load(cfg)
    rows = []
    for name, (_, grid) in TECHNIQUES.items():
        rows.append(run_row(name, cfg, data, grid[:2] if quick else grid))
    return {"protocol": {**cfg, "quick": quick, "seeds": list(range(cfg["n_sets"])),
                         "n_pool": int(len(data.y_train)), "n_val": int(len(data.y_val)),
                         "n_test": int(len(data.y_test)),
                         "replicate": "training set s drawn from the pool and seed s",
                         "selection": "max mean validation accuracy over replicates, first on ties",
                         "std": "ddof=1 over replicates"},
            "y_test": "".join(map(str, data.y_test)),
            "rows": rows}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced protocol (seconds)")
    parser.add_argument("--out", type=Path, default=None, help=f"output JSON (default {OUT})")
    args = parser.parse_args(argv)
    start = time.process_time()
    result = run(quick=args.quick)
    cpu = time.process_time() - start
    result["protocol"]["cpu_seconds"] = round(cpu)      # the only entry that is not reproducible
    out = args.out or (OUT if not args.quick else OUT.with_name("conclusion_table_quick.json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=None, separators=(",", ":")) + "\n")
    print(f"{'technique':28s} {'hyper-parameter':22s} {'test acc':>16s}")
    for r in result["rows"]:
        hp = ", ".join(f"{k}={v:g}" for k, v in r["hp"].items()) or "-"
        print(f"{r['name']:28s} {hp:22s} {r['test_mean']:.3f} ± {r['test_std']:.3f}")
    print(f"written to {out} ({cpu:.0f} s of CPU time)")


if __name__ == "__main__":
    main()
