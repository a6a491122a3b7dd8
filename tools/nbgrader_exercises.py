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

# Written exercises: (points, minutes, rubric), each rubric written from the exercise's
# model answer.  The rubric names what earns the points;
# the model answer is the exercise's folded solution in the book, which the nbgrader
# course puts next to the rubric in the instructor's copy.
WRITTEN: dict[str, tuple[int, int, str]] = {
    # chapter 1
    "ch01-knots": (3, 20, '1 point: each unit is piecewise linear with one kink, so k units give '
                  'a continuous function affine between k kinks; 1 point: such functions '
                  'form a (k + 2)-dimensional space, so fitting n arbitrary values needs '
                  'k + 2 >= n; 1 point: with k + 1 affine pieces through points in '
                  'general position, 2(k + 1) >= n.'),
    "ch01-scale": (2, 15, "1 point: log(1 + 9 e^{-c}) < 1e-3 solved for c (the chapter's c_min); "
                  '1 point: the loss vanishes only as the margin grows without bound, so '
                  'on separable data the weights keep growing unless a penalty such as L2'
                  ' makes the minimum finite.'),
    "ch01-metrics": (2, 10, '1 point: accuracy counts each error once, the loss also how far on the'
                  ' wrong side (-log 0.3 vs -log 1e-4); 1 point: memorising wrong labels '
                  'makes the outputs extreme, so digits wrong at both epochs become '
                  "confidently wrong and carry the loss, with the chapter's numbers."),
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
    "ch03-1d": (2, 15, '1 point: the minimiser sign(c) max(|c| - lam/2, 0) from the '
                  'subgradient condition, exactly 0 for |c| <= lam/2; 1 point: the L2 '
                  'minimiser c/(1 + lam), which is 0 only for c = 0.'),
    "ch03-lambda-max": (3, 20, '1 point: w = 0 is optimal iff lam >= ||grad L(0)||_inf, from the '
                  'optimality condition; 1 point: lam_max = (2/n)||X^T y||_inf and '
                  'alpha_max = lam_max/2; 1 point: the first weight to leave 0 is the one'
                  ' attaining the maximum, and a path solver needs no optimisation above '
                  'lam_max.'),
    "ch03-decreasing": (2, 15, '1 point: a coordinate whose optimum is 0 keeps taking steps of length '
                  'at least eta_t (lam - |dL/dw|) and lands on 0 only by accident, then '
                  'leaves it again; 1 point: in practice one thresholds after training '
                  '(an extra hyper-parameter) or uses a proximal optimiser.'),
    "ch03-centring": (3, 25, '1 point: a prediction stated before running (fewer noise weights '
                  'exactly 0 without centring); 1 point: the gradient split into 0.5 '
                  'times the bias gradient plus a noise term, the first kicking the '
                  'weights away from 0; 1 point: the test: zero fractions with and '
                  'without centring at each lam, over several paired seeds.'),
    # chapter 4
    "ch04-decay": (2, 10, '1 point: theta_t = (1 - 2 alpha lam)^t theta_0 with the regimes: '
                  'monotone decay, 0 in one step, alternating decay, no decay at 2 alpha '
                  'lam = 2, divergence beyond; 1 point: with alpha = 0.1, monotone for '
                  'lam < 5, i.e. weight_decay 2 lam = 10.'),
    "ch04-intercept": (2, 15, '1 point: setting the derivative in b to 0 gives b = ybar - xbar^T w, '
                  'and substituting leaves ridge on the centred data; 1 point: penalising'
                  ' b would shrink predictions towards 0 instead of the mean and break '
                  'equivariance to shifting y.'),
    "ch04-dof": (3, 20, '1 point: in the SVD basis the hat matrix has eigenvalues s_k/(s_k + '
                  "lam') with lam' = n lam; 1 point: its trace is sum_k s_k/(s_k + lam'),"
                  ' d for least squares (a projection) and the sensitivity sum_i d '
                  'yhat_i/d y_i in general; 1 point: each direction counts as a fraction '
                  "of a parameter, going to 0 as lam' grows."),
    # chapter 5
    "ch05-sgdw": (3, 20, '1 point: SGDW decays by (1 - alpha w) per step and the decay never '
                  'enters the momentum buffer; 1 point: SGD + L2 feeds w theta into the '
                  'buffer, which settles at w theta/(1 - mu), so the decay is about 1/(1 '
                  '- mu) = 10 times larger for mu = 0.9; 1 point: hence with momentum L2 '
                  "and decoupled decay are different algorithms, and PyTorch's "
                  'SGD(weight_decay) is the L2 one.'),
    "ch05-translate": (3, 15, '1 point: (a) lr = alpha = 1e-3 and weight_decay = lam/alpha = 0.1; 1 '
                  "point: (b) lam = lr * w = 1.5e-5; 1 point: (c) PyTorch's per-step "
                  "decay lr * w halves with the learning rate, the paper's does not, so "
                  'PyTorch needs weight_decay doubled.'),
    "ch05-blank-pixels": (3, 20, "1 point: (a) a blank pixel's gradient is the penalty w theta alone, "
                  "and Adam's update is scale-invariant, so its path does not depend on "
                  'w; 1 point: it moves towards 0 by at most about lr per step (slower, '
                  'as v remembers earlier gradients), yet faster than the other weights; '
                  '1 point: (b) with AdamW m = v = 0 and the weight decays geometrically '
                  'by (1 - lr w).'),
    # chapter 6
    "ch06-masks": (2, 15, '1 point: the standard error |h_i| sqrt(p/((1-p)K)), so K >= 1e4 '
                  'p/(1-p): about 1,112, 10,000 and 90,000 masks for p = 0.1, 0.5, 0.9; 1'
                  ' point: p/(1-p) diverges as p -> 1 (rare kept units scaled by '
                  '1/(1-p)), the same variance that makes training noisy at large p.'),
    "ch06-noninverted": (3, 20, '1 point: with E[M] = 1 - p and Var[M] = p(1 - p), the expected loss is'
                  ' ||y - (1-p)Xw||^2 + p(1-p) sum_j w_j^2 sum_i x_ij^2; 1 point: '
                  "substituting w = v/(1 - p) gives inverted dropout's objective with "
                  'coefficient p/(1-p); 1 point: so the test-time predictions are the '
                  'same, the conventions differ only in how the parameters are named.'),
    "ch06-orthogonal": (3, 20, '1 point: with X^T X = D diagonal, w_drop = (1 - p) w_OLS; 1 point: a '
                  'numerical check (as in the model answer); 1 point: the penalty per '
                  "weight grows with the column's squared length like the fit's "
                  'curvature, so every weight is shrunk by the same factor, unlike ridge '
                  'with a common lam.'),
    "ch06-additive": (2, 15, '1 point: additive noise of variance sigma^2 gives N sigma^2 ||w||^2, '
                  'ordinary L2, independent of X (so not scale-aware); 1 point: the two '
                  'penalties coincide when every column has squared length N sigma^2 '
                  '(1-p)/p, e.g. standardised features with sigma^2 = p/(1-p).'),
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
    "ch08-invariance": (3, 25, '1 point: (a) a common positive scale: both BN and LN invariant; (b) '
                  'one row scaled: BN invariant, LN not; (c) a per-sample shift: LN '
                  'invariant, BN not; 1 point: invariance along a direction makes the '
                  'gradient orthogonal to it; 1 point: the identities, e.g. sum W dL/dW +'
                  ' sum b dL/db = 0 for (a), and the per-row or column-sum identities for'
                  ' (b) and (c).'),
    "ch08-narrow": (3, 15, '1 point: (a) with one feature zhat = 0, the output is beta and no '
                  'gradient flows; 1 point: (b) with two features zhat = '
                  '+-sigma/sqrt(sigma^2 + eps), essentially +-1, the degeneracy of BN '
                  'with a batch of two; 1 point: (c) LN needs enough features, as BN '
                  'needs enough samples.'),
    "ch08-online": (3, 15, '1 point: (a) BN in training mode raises for one sample (the batch '
                  'variance is 0), in PyTorch and regcore; 1 point: (b) LN uses each '
                  "sample's own features, so batch size 1 is no different and train and "
                  'eval agree; 1 point: (c) gradient accumulation does not help BN: its '
                  'forward pass still sees one sample at a time.'),
    # chapter 9
    "ch09-one-step": (2, 15, '1 point: lam = (1 - alpha a)/(2 alpha), from the equivalent-strength '
                  'formula at t = 1 or directly from b/(a + 2 lam) = alpha b; 1 point: as'
                  " alpha a -> 1, lam -> 0 (Newton's step lands on b/a)."),
    "ch09-convention": (2, 10, '1 point: alpha_tilde = 2 lam (= wd), from comparing gradients; 1 '
                  'point: the rule alpha_tilde ~ 1/(alpha t) = 0.2, i.e. lam ~ 0.1 here, '
                  'and it overstates the decay where alpha a t >~ 1.'),
    # chapter 10
    "ch10-independence": (2, 15, '1 point: with noise of mean mu the cross term 2 mu (f - fbar) no '
                  'longer vanishes, and the decomposition holds with f replaced by E[y|x]'
                  ' = f + mu and noise variance sigma^2; 1 point: so mean zero is a '
                  'convention about f, and independence of the training set D is the real'
                  ' assumption.'),
    "ch10-plugin": (3, 20, '1 point: E[(fbar_hat - f)^2] = (mu - f)^2 + V/R; 1 point: E[s^2] = V '
                  '(R - 1)/R, hence s^2/(R - 1) estimates the excess V/R; 1 point: bias2 '
                  '- s^2/(R-1) + s^2 R/(R-1) = bias2 + s^2, and the estimate can fall '
                  'below 0 (clipping would bias it upwards again).'),
    "ch10-trace": (3, 20, '1 point: f - Hy = (I - H)f - H eps, and the cross term is -sigma^2 tr '
                  'H because E[eps eps^T] = sigma^2 I; 1 point: for kernel ridge tr H = '
                  'sum_k s_k/(s_k + n lam), each factor between 0 and 1; 1 point: tr H = '
                  'p for least squares, so the trace generalises the number of '
                  'parameters.'),
    "ch10-tune": (2, 15, '1 point: the validation error added to train_blocks and the loop over '
                  'the four strengths, with the observed choice; 1 point: validation '
                  'error is unbiased but noisy, so it usually picks the best strength (a '
                  'coin toss between close ones), and choosing on the test error would '
                  'make the reported error optimistic.'),
    # chapter 11
    "ch11-paired": (3, 20, '1 point: the computation (np.cov of the two rows; var(a - b) = var_a +'
                  ' var_b - 2 cov); 1 point: a weak L2 penalty barely changes the '
                  'trajectory, so the correlation with the baseline is near 1 and the '
                  'paired test is sharp; 1 point: batch norm changes the whole '
                  'trajectory, so pairing removes less variance.'),
    "ch11-optimism": (2, 15, '1 point: the report is biased upwards by the expected maximum of three'
                  ' noises, 3 sigma/(2 sqrt(pi)) ~ 0.85 sigma, and by about sigma sqrt(2 '
                  'ln K) for K values; 1 point: choosing on validation moves the optimism'
                  ' into the validation number and leaves the test accuracy of the choice'
                  ' unbiased.'),
    "ch11-scope": (2, 15, '1 point each, up to 2, for a concrete limit of the table with its '
                  'consequence, e.g. clean labels and a short budget (effects seen with '
                  "label noise in chapter 1), one learning rate per optimiser (BN's "
                  'advantage at high rates), batch size 32 (BN at batch 2), a grid whose '
                  'best value is its edge.'),
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
