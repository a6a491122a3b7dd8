"""What each exercise is worth, how long it takes and how it is graded.

One table for ``tools/add_nbgrader_metadata.py`` (points of the graded cells,
the rubric in each manually graded answer cell), ``tools/assignments.py``
(the nbgrader course) and the instructors' guide.  Keys are the ``grade_id``s
the metadata script gives the cells:

* ``chNN-<check>`` for an autograded test cell, from the self-check it runs
  (``checks.check_l1_grad`` -> ``ch03-l1-grad``) or, for a test written out in
  the chapter, from the function it tests (``ista`` -> ``ch03-ista``);
* ``chNN-<label>`` for a written exercise, from its sphinx-exercise label
  (``ex-ch03-1d`` -> ``ch03-1d``).

An exercise missing here gets the defaults below; the test suite lists the
exercises of the chapters that carry metadata, so a new one is noticed.
"""
from __future__ import annotations

DEFAULT_TEST_POINTS = 1
DEFAULT_WRITTEN_POINTS = 2
DEFAULT_CODING_MINUTES = 20
DEFAULT_WRITTEN_MINUTES = 15

# autograded test cells whose check needs more work than one formula
TEST_POINTS: dict[str, int] = {
    "ch01-cross-entropy": 2,
    "ch02-bias-variance": 2,
    "ch03-ista": 2,
    "ch04-ridge-closed-form": 2,
    "ch05-adamw-step": 2,
    "ch06-dropout-penalty": 2,
    "ch07-batchnorm-backward": 3,
    "ch09-patience": 2,
    "ch10-diagnose": 2,
    "ch11-select-on-validation": 1,
}

# minutes a strong student needs for the coding exercise whose first check this is
CODING_MINUTES: dict[str, int] = {
    "ch01-cross-entropy": 20, "ch02-poly-features": 10, "ch02-bias-variance": 20,
    "ch03-l1-grad": 15, "ch03-ista": 25, "ch04-l2-grad": 25, "ch04-map-lambda": 15,
    "ch05-sgd-weight-decay-step": 10, "ch05-adamw-step": 25, "ch06-dropout-forward": 15,
    "ch06-dropout-penalty": 15, "ch07-batchnorm-forward": 15, "ch07-batchnorm-backward": 40,
    "ch08-layernorm-forward": 15, "ch09-patience": 20, "ch09-quadratic-closed-form": 15,
    "ch10-diagnose": 15, "ch11-select-on-validation": 10,
}

# hidden tests for test cells that are written out in the chapter (not a checks.check_* call);
# {grade_id} is replaced by the cell's grade_id.  The inputs come from the grader's seed.
HIDDEN_TESTS: dict[str, str] = {
    "ch03-ista": """\
_rng = np.random.default_rng(checks.grader_seed("{grade_id}"))
_w = np.r_[_rng.normal(0.0, 2.0, size=3), np.zeros(5)]
_X, _y = linear_regression(50, _w, rng=_rng)
_lam = float(_rng.uniform(0.05, 0.5))
_w_mine = ista(_X, _y[:, 0], _lam, steps=3000)
_w_ref = Lasso(alpha=_lam / 2, fit_intercept=False, tol=1e-14, max_iter=100_000).fit(_X, _y[:, 0]).coef_
assert np.max(np.abs(_w_mine - _w_ref)) < 1e-8 and np.array_equal(_w_mine == 0, _w_ref == 0)""",
}

# Written exercises: (points, minutes, rubric).  The rubric names what earns the points;
# the model answer is the exercise's folded solution in the book, which the nbgrader
# course puts next to the rubric in the instructor's copy.
WRITTEN: dict[str, tuple[int, int, str]] = {
    # chapter 1
    "ch01-knots": (2, 15, "1 point: a construction (or count) of the hidden units needed, with the "
                   "reason each unit adds one kink; 1 point: the resulting number stated and checked "
                   "against the chapter's network."),
    "ch01-scale": (2, 15, "1 point: the loss of a correct prediction written as a function of the logit "
                   "margin; 1 point: the margin needed for the stated loss, solved for correctly."),
    "ch01-metrics": (2, 10, "1 point: accuracy counts only the argmax, the loss also the confidence; "
                     "1 point: confidently wrong predictions on the noisy labels make the loss grow "
                     "without bound while accuracy moves by at most 1/n per sample."),
    # chapter 2
    "ch02-constant": (2, 10, '1 point: the mean prediction is 0 (odd target, symmetric inputs), so '
                  'the bias is -sin(pi x) and the squared bias averages sin^2(pi x) over '
                  'the grid; 1 point: the variance sigma^2/n at every x, with the '
                  "chapter's numbers."),
    "ch02-even": (2, 15, '1 point: for symmetric inputs the even and odd blocks of Phi^T Phi '
                  'decouple and Phi^T f has zero even entries, so the expected even '
                  'coefficients vanish and the bias is unchanged; 1 point: the fitted '
                  'even coefficients still respond to the noise, so the variance goes up '
                  '(adding a column never lowers ||s(x)||^2).'),
    "ch02-ridge-variance": (3, 20, '1 point: the smoother S = Phi (Phi^T Phi + n lam I)^{-1} Phi^T in the '
                  'SVD basis, factors d_j^2/(d_j^2 + n lam); 1 point: the average '
                  'variance (sigma^2/n) sum_j (d_j^2/(d_j^2 + n lam))^2, each term '
                  'decreasing in lam from 1; 1 point: the penalty shrinks most the '
                  'directions with small d_j, the ones the noise excites.'),
    "ch02-cp": (3, 20, '1 point: E C_p equals the expected in-sample error (from the optimism '
                  'formula); 1 point: sigma^2 must be known or estimated (e.g. from a '
                  'flexible least-squares fit, ||y - Hy||^2/(n - p)); 1 point: minimise '
                  'C_p over lam, and it estimates the error at the training inputs only.'),
    # chapter 3
    "ch03-1d": (2, 15, "1 point: the minimiser sign(c) max(|c| - lam/2, 0), exactly 0 for |c| <= lam/2; "
                "1 point: the L2 minimiser c/(1 + lam), which is 0 only for c = 0."),
    "ch03-lambda-max": (3, 20, "1 point: w = 0 optimal iff lam >= ||grad L(0)||_inf, from the KKT "
                        "condition; 1 point: lam_max = (2/n)||X^T y||_inf and alpha_max = lam_max/2; "
                        "1 point: the first weight to leave 0 is the one attaining the maximum, and no "
                        "optimisation is needed above lam_max."),
    "ch03-decreasing": (2, 15, "1 point: a coordinate whose optimum is 0 still takes a step of length "
                        "about eta_t*lam towards and past 0, landing exactly on 0 only by accident; "
                        "1 point: practitioners threshold after training or use a proximal optimiser."),
    "ch03-centring": (3, 25, "1 point: a prediction stated before running; 1 point: the gradient split "
                      "into a bias-like term (0.5 times the bias gradient) and a noise term; 1 point: "
                      "the comparison of zero fractions with and without centring over paired seeds."),
    # chapter 4
    "ch04-decay": (2, 10, "1 point: one step multiplies theta by (1 - 2*eta*lam) before the data "
                   "gradient; 1 point: the condition 0 < 2*eta*lam < 1 (or < 2 for oscillating "
                   "shrinkage) stated with its reason."),
    "ch04-intercept": (2, 15, "1 point: penalising the intercept makes the fit depend on the origin "
                       "of y; 1 point: centring X and y (or an unpenalised column) recovers the "
                       "intercept exactly."),
    "ch04-dof": (3, 20, "1 point: df(lam) = tr(X (X^T X + n lam I)^{-1} X^T); 1 point: in the SVD basis, "
                 "sum_i s_i^2/(s_i^2 + n lam); 1 point: its limits d at lam = 0 and 0 as lam grows."),
    # chapter 5
    "ch05-sgdw": (3, 20, "1 point: with momentum, the L2 gradient enters the velocity and is amplified "
                  "by about 1/(1 - beta); 1 point: decoupled decay shrinks by lr*wd per step "
                  "regardless; 1 point: the two are equivalent only after the rescaling named in "
                  "the model answer, and differ in transients."),
    "ch05-translate": (2, 15, "1 point each for two of the conversions between the libraries' "
                       "conventions (torch weight_decay = 2 lam for SGD; AdamW's decay multiplied by "
                       "lr), with the factor stated."),
    "ch05-blank-pixels": (2, 15, "1 point: a weight whose input is always 0 gets no data gradient; "
                          "1 point: L2 inside Adam still normalises the penalty gradient (step "
                          "about lr), whereas AdamW shrinks it geometrically by (1 - lr*wd)."),
    # chapter 6
    "ch06-masks": (2, 15, "1 point: the standard error of a Monte-Carlo mean shrinks as 1/sqrt(M); "
                   "1 point: the number of masks for the stated tolerance, computed from the "
                   "variance of one masked output."),
    "ch06-noninverted": (3, 20, "1 point: without rescaling, the expected prediction is (1 - p) X w; "
                         "1 point: the expected loss splits into a shrunk fit plus p(1 - p) times the "
                         "data-weighted L2 term; 1 point: the minimiser rescaled by 1/(1 - p) "
                         "matches inverted dropout."),
    "ch06-orthogonal": (2, 15, "1 point: with orthogonal columns the penalty is a plain L2 per "
                        "coordinate weighted by ||x_j||^2; 1 point: the closed-form shrinkage factor "
                        "per coefficient."),
    "ch06-additive": (2, 15, "1 point: additive Gaussian noise gives a penalty sigma^2 ||w||^2 "
                      "independent of the data; 1 point: dropout's penalty scales with each "
                      "feature's energy, so it is not plain L2."),
    # chapter 7
    "ch07-invariance": (3, 20, '1 point: (a) z -> a z + b gives sign(a) zhat: unchanged for a > 0; 1 '
                  'point: (b) both derivatives of L vanish, giving the zero column sum '
                  'and sum_k zhat_k dL/dz_k = 0; 1 point: (c) with eps > 0 scale '
                  'invariance fails (the remainder is stated) while shift invariance and '
                  'the zero column sums survive.'),
    "ch07-unbiased": (3, 15, '1 point: (a) E sum (z_i - mu_B)^2 = (m - 1) sigma^2; 1 point: (b) a '
                  'biased running_var makes the activations too large by 1/sqrt(3/4) '
                  '(about 15 %) in every BN layer; 1 point: (c) m = 1 gives 0/0, both '
                  'libraries refuse a one-sample batch in training mode, evaluation mode '
                  'is fine.'),
    "ch07-fold": (3, 20, "1 point: (a) r = gamma/sqrt(running_var + eps), W' = diag(r) W, b' = r"
                  ' (b - running_mean) + beta; 1 point: (b) a check that the folded layer'
                  ' equals Linear followed by BN in eval mode; 1 point: (c) in training '
                  'mode the statistics depend on the batch, so no fixed fold exists.'),
    "ch07-momentum": (2, 10, "1 point: (a) torch momentum 0.99 keeps essentially the last batch's "
                  "statistics, and (b) the Keras value 0.99 corresponds to torch's 0.01 "
                  '(Keras weighs the old value); 1 point: (c) evaluation then uses one '
                  "batch's noisy statistics, so predictions depend on which batch came "
                  'last.'),
    # chapter 8
    "ch08-invariance": (3, 20, "1 point: BN is invariant to per-feature scaling and shift over the "
                        "batch, LN to per-sample scaling and shift over the features; 1 point: "
                        "consequences for rescaling weights of the preceding layer; 1 point: stated "
                        "with the correct axis in each case."),
    "ch08-narrow": (2, 15, "1 point: with H features LN's statistics are noisy and for H = 1 the output "
                    "is beta alone; 1 point: the normalised vector always has norm sqrt(H), which "
                    "removes one degree of freedom per sample."),
    "ch08-online": (2, 10, "1 point: with one sample per step BN cannot use batch statistics "
                    "(and torch raises in training); 1 point: LN normalises each sample alone, so "
                    "it is unaffected."),
    # chapter 9
    "ch09-one-step": (2, 15, '1 point: lam = (1 - alpha a)/(2 alpha), from the equivalent-strength '
                  'formula at t = 1 or directly from b/(a + 2 lam) = alpha b; 1 point: as'
                  " alpha a -> 1, lam -> 0 (Newton's step lands on b/a)."),
    "ch09-convention": (2, 10, '1 point: alpha_tilde = 2 lam (= wd), from comparing gradients; 1 '
                  'point: the rule alpha_tilde ~ 1/(alpha t) = 0.2, i.e. lam ~ 0.1 here, '
                  'and it overstates the decay where alpha a t >~ 1.'),
    # chapter 10
    "ch10-independence": (2, 15, "1 point: the cross term vanishes because the test noise is "
                          "independent of the training set (hence of the prediction) and has mean 0; "
                          "1 point: the step where it is used named exactly."),
    "ch10-plugin": (3, 20, "1 point: E[(mean prediction - f)^2] = bias^2 + Var/D; 1 point: hence the "
                    "plug-in overstates by Var/D; 1 point: the unbiased correction "
                    "bias2 - variance/(D - 1)."),
    "ch10-trace": (3, 20, "1 point: for a linear smoother the training cross term is "
                   "-2 sigma^2 tr(S)/n; 1 point: derived from E[eps^T S eps] = sigma^2 tr(S); "
                   "1 point: the conclusion that training error is optimistic by that amount."),
    "ch10-tune": (2, 15, "1 point: the validation-chosen strength is itself a random variable; "
                  "1 point: its validation error is optimistic, so a fresh test set (or nested "
                  "validation) is needed to report performance."),
    # chapter 11
    "ch11-paired": (2, 15, "1 point: the paired differences share the seed's data split and "
                    "initialisation, which cancels their common variance; 1 point: the paired t "
                    "statistic computed from the differences and its conclusion."),
    "ch11-optimism": (2, 10, "1 point: choosing the best of several on the test set selects a noise "
                      "fluctuation, so the reported score is biased upwards; 1 point: the size of "
                      "the effect grows with the number of candidates and shrinks with the test "
                      "set size."),
    "ch11-scope": (2, 15, "1 point each for two concrete limits of the table's protocol (one "
                   "dataset and architecture; tuned grid ranges; few seeds; test-set size)."),
}


def test_points(grade_id: str) -> int:
    return TEST_POINTS.get(grade_id, DEFAULT_TEST_POINTS)


def written(grade_id: str) -> tuple[int, int, str]:
    """(points, minutes, rubric) of a written exercise."""
    if grade_id in WRITTEN:
        return WRITTEN[grade_id]
    points = DEFAULT_WRITTEN_POINTS
    return (points, DEFAULT_WRITTEN_MINUTES,
            f"{points} points: the argument is complete and reaches the model answer's conclusion; "
            "1 point: the right idea with a gap or a wrong constant; 0: otherwise.")


# ------------------------------------------------------------------------------------------
# Simulated students (tests/test_nbgrader.py, `make grade-demo`).  A wrong answer is a
# typical mistake the check names; a delegating answer calls the regcore reference.

WRONG_ANSWERS: dict[str, str] = {
    "cross_entropy": "def cross_entropy(logits, y):\n"
                     "    return float(np.sum(np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(len(y)), y]))\n",
    "poly_features": "def poly_features(x, degree):\n    return np.vander(x, degree + 1)\n",
    "bias_variance": "def bias_variance(predictions, f_true):\n"
                     "    m = predictions.mean(axis=0)\n"
                     "    return float(np.mean(m - f_true) ** 2), float(predictions.var(axis=0, ddof=1).mean())\n",
    "l1_grad": "def l1_grad(theta, lam):\n    return 2 * lam * np.sign(theta)\n",
    "soft_threshold": "def soft_threshold(theta, step, lam):\n    return theta - step * lam * np.sign(theta)\n",
    "l2_grad": "def l2_grad(theta, lam):\n    return lam * theta\n",
    "ridge_closed_form": "def ridge_closed_form(X, y, lam):\n"
                         "    return np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)\n",
    "map_lambda": "def map_lambda(sigma2, tau2, n):\n    return sigma2 / tau2\n",
    "sgd_l2_step": "def sgd_l2_step(theta, grad, lr, lam):\n    return (1 - lr * lam) * theta - lr * grad\n",
    "adamw_step": "def adamw_step(theta, grad, m, v, t, lr, betas, eps, weight_decay):\n"
                  "    b1, b2 = betas\n    g = grad + weight_decay * theta\n"
                  "    m = b1 * m + (1 - b1) * g\n    v = b2 * v + (1 - b2) * g * g\n"
                  "    return theta - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps), m, v\n",
    "dropout_forward_masked": "def dropout_forward_masked(x, mask, p):\n    return x * mask * (1 - p)\n",
    "dropout_backward_masked": "def dropout_backward_masked(dout, mask, p):\n    return dout\n",
    "dropout_penalty": "def dropout_penalty(X, w, p):\n    return p / (1 - p) * float(np.sum(w ** 2))\n",
    "batchnorm_forward": "def batchnorm_forward(x, gamma, beta, eps):\n"
                         "    return gamma * (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + eps) + beta\n",
    "batchnorm_backward": "def batchnorm_backward(dout, x, gamma, eps):\n"
                          "    s = np.sqrt(x.var(axis=0) + eps)\n    xhat = (x - x.mean(axis=0)) / s\n"
                          "    return dout * gamma / s, (dout * xhat).sum(axis=0), dout.sum(axis=0)\n",
    "layernorm_forward": "def layernorm_forward(x, gamma, beta, eps):\n"
                         "    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta\n",
    "stopping_rule": "def stopping_rule(values, patience, min_delta=0.0):\n"
                     "    best, best_epoch, wait = float('inf'), None, 0\n"
                     "    for epoch, value in enumerate(values):\n"
                     "        if value <= best - min_delta:\n"
                     "            best, best_epoch, wait = value, epoch, 0\n"
                     "        else:\n            wait += 1\n"
                     "            if wait > patience:\n                return best_epoch, epoch\n"
                     "    return best_epoch, None\n",
    "closed_form": "def closed_form(a, b, lr, t, theta0=0.0):\n    return b / a * (1 - (1 - lr * a) ** t)\n",
    "diagnose": "def diagnose(train_err, val_err, noise_var, tol=0.5):\n"
                "    high, gap = train_err > noise_var, val_err - train_err > tol * noise_var\n"
                "    return {(0, 0): 'good', (1, 0): 'underfit', (0, 1): 'overfit', (1, 1): 'both'}[(high, gap)]\n",
    "select_on_validation": "def select_on_validation(val_acc, test_acc):\n"
                            "    return int(np.argmax(test_acc.mean(axis=1)))\n",
}

DELEGATIONS: dict[str, str] = {
    "cross_entropy": "def cross_entropy(logits, y):\n    from regcore import functional\n"
                     "    return functional.cross_entropy(logits, y)[0]\n",
    "bias_variance": "def bias_variance(predictions, f_true):\n"
                     "    from regcore.bias_variance import decompose\n"
                     "    d = decompose(predictions, f_true)\n    return d.bias2, d.variance\n",
    "l1_grad": "def l1_grad(theta, lam):\n    from regcore import L1, Parameter\n"
               "    return L1(lam).grad([Parameter(theta)])[0]\n",
    "soft_threshold": "def soft_threshold(theta, step, lam):\n    from regcore import L1, Parameter\n"
                      "    p = Parameter(theta.copy())\n    L1(lam).prox([p], step)\n    return p.data\n",
    "l2_grad": "def l2_grad(theta, lam):\n    from regcore import L2, Parameter\n"
               "    return L2(lam).grad([Parameter(theta)])[0]\n",
    "sgd_l2_step": "def sgd_l2_step(theta, grad, lr, lam):\n    from regcore import SGD, Parameter\n"
                   "    p = Parameter(theta.copy())\n    p.grad = grad.copy()\n"
                   "    SGD([p], lr=lr, weight_decay=2 * lam).step()\n    return p.data\n",
    "adamw_step": "def adamw_step(theta, grad, m, v, t, lr, betas, eps, weight_decay):\n"
                  "    from regcore import AdamW, Parameter\n"
                  "    p = Parameter(theta.copy())\n    p.grad = grad.copy()\n"
                  "    opt = AdamW([p], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)\n"
                  "    opt.state[0].update(step=t - 1, exp_avg=m.copy(), exp_avg_sq=v.copy())\n"
                  "    opt.step()\n    return p.data, opt.state[0]['exp_avg'], opt.state[0]['exp_avg_sq']\n",
    "dropout_forward_masked": "def dropout_forward_masked(x, mask, p):\n"
                              "    from regcore import functional\n"
                              "    return functional.dropout_backward(x, (mask / (1 - p), x.shape))\n",
    "dropout_backward_masked": "def dropout_backward_masked(dout, mask, p):\n"
                               "    from regcore import functional\n"
                               "    return functional.dropout_backward(dout, (mask / (1 - p), dout.shape))\n",
    "batchnorm_forward": "def batchnorm_forward(x, gamma, beta, eps):\n"
                         "    from regcore import functional\n"
                         "    return functional.batch_norm_forward(x, gamma, beta, eps)[0]\n",
    "batchnorm_backward": "def batchnorm_backward(dout, x, gamma, eps):\n"
                          "    from regcore import functional\n"
                          "    _, cache = functional.batch_norm_forward(x, gamma, 0 * gamma, eps)\n"
                          "    return functional.batch_norm_backward(dout, cache)\n",
    "layernorm_forward": "def layernorm_forward(x, gamma, beta, eps):\n"
                         "    from regcore import functional\n"
                         "    return functional.layer_norm_forward(x, gamma, beta, eps)[0]\n",
    "stopping_rule": "def stopping_rule(values, patience, min_delta=0.0):\n"
                     "    from regcore import EarlyStopping\n"
                     "    stopper = EarlyStopping(patience=patience, min_delta=min_delta)\n"
                     "    for v in values:\n        if stopper.step(v):\n            break\n"
                     "    return stopper.best_epoch, stopper.stopped_epoch\n",
    "closed_form": "def closed_form(a, b, lr, t, theta0=0.0):\n"
                   "    from regcore.early_stopping import quadratic_closed_form\n"
                   "    return float(quadratic_closed_form(a, b, lr, t, theta0))\n",
    "diagnose": "def diagnose(train_err, val_err, noise_var, tol=0.5):\n"
                "    from regcore.checks.learning_curves import reference_diagnose\n"
                "    return reference_diagnose(train_err, val_err, noise_var, tol)\n",
    # the checks' own references (regcore has no public function for these)
    "poly_features": "def poly_features(x, degree):\n    from regcore.checks import capacity\n"
                     "    return capacity._poly_reference(x, degree)\n",
    "ridge_closed_form": "def ridge_closed_form(X, y, lam):\n    from regcore.checks import ridge\n"
                         "    return ridge._ridge(X, y, len(y) * lam)\n",
    "map_lambda": "def map_lambda(sigma2, tau2, n):\n    from regcore.checks import ridge\n"
                  "    return ridge._map_lambda(sigma2, tau2, n)\n",
    "dropout_penalty": "def dropout_penalty(X, w, p):\n    from regcore.checks import dropout\n"
                       "    return dropout._penalty_reference(X, w, p)\n",
    "select_on_validation": "def select_on_validation(val_acc, test_acc):\n"
                            "    from regcore.checks import protocol\n"
                            "    return protocol._reference(val_acc, test_acc)\n",
}

# the exercise function the partial student gets wrong (default: the first one of the chapter)
PARTIAL_WRONG: dict[int, str] = {3: "soft_threshold", 4: "l2_grad", 7: "batchnorm_forward"}
