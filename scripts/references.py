#!/usr/bin/env python3
"""Reference solutions for downhill's model tests, computed with scikit-learn.

Writes, next to the data they come from:

- data/reference/iris_softmax.json: multinomial logistic regression on iris with an L2
  penalty (scikit-learn's LogisticRegression, lbfgs, multinomial);
- data/reference/stackloss_lasso.json: the Lasso on stackloss (scikit-learn's Lasso,
  coordinate descent), strong enough to set some weights to exactly zero;
- data/reference/breast_cancer_polished.json: the exact optimum of the objective of
  data/breast_cancer.reference.json (L2 logistic regression), reached by Newton steps from
  that file's scikit-learn solution, whose gradient is ~1e-8 and which is therefore up to
  ~1.1e-6 away from the optimum in some weights. Both are written so that tests can tell
  the reference's own error from theirs.

Both standardise the features first the way downhill's Standardizer does: subtract the mean
and divide by the *population* standard deviation (ddof=0), which is what scikit-learn's
StandardScaler does. The coefficients written are those of the standardised features (the
optimizer's coordinates in downhill).

Objectives, and how they map onto downhill's:

- softmax: scikit-learn's lbfgs stops with a gradient near 1e-8, so its solution is polished
  by Newton steps on the exact objective below (the difference is recorded, ~1e-7).
  scikit-learn minimises C * sum_i CE_i + 1/2 ||W||^2 (intercepts unpenalised).
  Divided by C*N this is mean CE + lambda/2 ||W||^2 with lambda = 1/(C*N): downhill's
  SoftmaxRegression with Penalty { l2: lambda }.
- lasso: scikit-learn minimises 1/(2N) ||y - Xw - b||^2 + alpha ||w||_1. downhill's least
  squares is 1/N ||y - Xw - b||^2 + l1 ||w||_1, twice scikit-learn's smooth part, so the
  same minimiser needs l1 = 2 * alpha.

Each solution is checked against the optimality conditions of the exact objective above
(gradient, or the Lasso's subgradient conditions) and the residual is written into the JSON.

Usage (from the repository root):
    python3 -m venv /tmp/venv-ref && /tmp/venv-ref/bin/pip install scikit-learn numpy
    /tmp/venv-ref/bin/python scripts/references.py
"""

import csv
import json
import os

import numpy as np
import sklearn
from sklearn.linear_model import Lasso, LogisticRegression

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "data", "reference")


def read_csv(path):
    with open(os.path.join(ROOT, path), newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def standardise(x):
    mean = x.mean(axis=0)
    scale = x.std(axis=0, ddof=0)
    return (x - mean) / scale, mean, scale


def iris_softmax():
    header, rows = read_csv("data/iris.csv")
    x = np.array([[float(v) for v in r[:4]] for r in rows])
    names = [r[4] for r in rows]
    classes = sorted(set(names))
    y = np.array([classes.index(n) for n in names])
    z, mean, scale = standardise(x)
    n = len(y)
    c = 1.0
    lam = 1.0 / (c * n)
    model = LogisticRegression(C=c, tol=1e-12, max_iter=100_000, solver="lbfgs")
    model.fit(z, y)
    w_sk, b_sk = model.coef_, model.intercept_
    k, d = w_sk.shape

    # lbfgs stops with a gradient around 1e-8. A few Newton steps on the same objective,
    # mean CE + lam/2 ||W||^2, bring it to rounding level. Parameters: theta[c] = [w_c, b_c].
    zt = np.hstack([z, np.ones((n, 1))])
    onehot = np.eye(k)[y]
    reg = np.diag(np.tile(np.r_[np.full(d, lam), 0.0], k))

    def proba_of(theta):
        s = zt @ theta.T
        s -= s.max(axis=1, keepdims=True)
        e = np.exp(s)
        return e / e.sum(axis=1, keepdims=True)

    def gradient(theta):
        p = proba_of(theta)
        return ((p - onehot).T @ zt / n).ravel() + reg @ theta.ravel()

    theta = np.hstack([w_sk, b_sk[:, None]])
    for _ in range(5):
        p = proba_of(theta)
        h = np.zeros((k * (d + 1), k * (d + 1)))
        for i in range(n):
            a = np.diag(p[i]) - np.outer(p[i], p[i])
            h += np.kron(a, np.outer(zt[i], zt[i]))
        h = h / n + reg
        # The common intercept shift is a null direction: least squares picks the step
        # orthogonal to it, so the intercepts keep sklearn's sum.
        step = np.linalg.lstsq(h, gradient(theta), rcond=None)[0]
        theta = theta - step.reshape(k, d + 1)
    w, b = theta[:, :d], theta[:, d]
    proba = proba_of(theta)
    grad_max = float(np.abs(gradient(theta)).max())
    mean_ce = float(-np.log(proba[np.arange(n), y]).mean())
    cost = mean_ce + 0.5 * lam * float((w**2).sum())
    assert grad_max < 1e-14, grad_max
    shift = (b_sk - b_sk.mean()) - (b - b.mean())
    sklearn_diff = float(max(np.abs(w - w_sk).max(), np.abs(shift).max()))
    assert sklearn_diff < 1e-5, sklearn_diff

    return {
        "dataset": "iris.csv",
        "target": "species",
        "classes": classes,
        "class_index": "classes sorted by name, index 0..K-1",
        "preprocessing": "each feature standardised with its mean and population standard deviation (ddof=0)",
        "objective": (
            "mean cross-entropy + (lambda/2)*||W||^2 over all class weights (intercepts not penalised), "
            "lambda = 1/(C*N)"
        ),
        "C": c,
        "n": n,
        "lambda": lam,
        "feature_mean": mean.tolist(),
        "feature_scale": scale.tolist(),
        "weights": w.tolist(),
        "intercepts": b.tolist(),
        "intercepts_note": (
            "softmax is invariant to a common shift of the intercepts; compare them after subtracting their mean"
        ),
        "probabilities": proba.tolist(),
        "mean_cross_entropy": mean_ce,
        "cost": cost,
        "max_abs_gradient": grad_max,
        "max_abs_difference_from_sklearn": sklearn_diff,
        "reference": (
            f"scikit-learn {sklearn.__version__} LogisticRegression(C={c}, tol=1e-12, max_iter=100000, "
            "lbfgs; multinomial), then 5 Newton steps on the same objective (numpy) to bring the gradient "
            "from ~1e-8 to rounding level"
        ),
    }


def stackloss_lasso():
    header, rows = read_csv("data/stackloss.csv")
    data = np.array([[float(v) for v in r] for r in rows])
    y, x = data[:, 0], data[:, 1:]
    z, mean, scale = standardise(x)
    n = len(y)
    alpha = 1.0
    model = Lasso(alpha=alpha, fit_intercept=True, tol=1e-15, max_iter=10_000_000)
    model.fit(z, y)
    w, b = model.coef_, float(model.intercept_)
    zeros = [header[1 + j] for j in range(len(w)) if w[j] == 0.0]
    assert zeros, "alpha too weak: no weight is exactly zero"

    # Subgradient conditions of 1/(2N)||r||^2 + alpha ||w||_1, r = y - Zw - b:
    # g = -Z^T r / N; g_j = -alpha sign(w_j) where w_j != 0, |g_j| <= alpha where w_j = 0.
    r = y - z @ w - b
    g = -z.T @ r / n
    kkt = [abs(g[j] + alpha * np.sign(w[j])) if w[j] != 0.0 else max(0.0, abs(g[j]) - alpha) for j in range(len(w))]
    kkt_max = float(max(max(kkt), abs(r.mean())))
    assert kkt_max < 1e-10, kkt_max
    mse = float((r**2).mean())

    return {
        "dataset": "stackloss.csv",
        "target": header[0],
        "features": header[1:],
        "preprocessing": (
            "each feature standardised with its mean and population standard deviation (ddof=0); target not transformed"
        ),
        "objective_sklearn": "1/(2N)*||y - Zw - b||^2 + alpha*||w||_1",
        "objective_downhill": "1/N*||y - Zw - b||^2 + l1*||w||_1 with l1 = 2*alpha (same minimiser)",
        "alpha": alpha,
        "l1": 2.0 * alpha,
        "n": n,
        "feature_mean": mean.tolist(),
        "feature_scale": scale.tolist(),
        "weights": w.tolist(),
        "intercept": b,
        "zero_weights": zeros,
        "downhill_cost": mse + 2.0 * alpha * float(np.abs(w).sum()),
        "max_kkt_violation": kkt_max,
        "reference": f"scikit-learn {sklearn.__version__} Lasso(alpha={alpha}, tol=1e-15, max_iter=10000000)",
    }


def breast_cancer_polished():
    ref = json.load(open(os.path.join(ROOT, "data", "breast_cancer.reference.json")))
    header, rows = read_csv("data/breast_cancer.csv")
    names = header[:30]
    x = np.array([[float(v) for v in r[:30]] for r in rows])
    y = np.array([1.0 if r[30] == ref["positive_class"] else 0.0 for r in rows])
    z, _, _ = standardise(x)
    n = len(y)
    lam = ref["lambda"]
    zt = np.hstack([z, np.ones((n, 1))])
    reg = np.diag(np.r_[np.full(30, lam), 0.0])
    shipped = np.r_[[ref["weights"][k] for k in names], ref["intercept"]]

    def sigmoid(t):
        e = np.exp(-np.abs(t))
        return np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def gradient(theta):
        return zt.T @ (sigmoid(zt @ theta) - y) / n + reg @ theta

    theta = shipped.copy()
    for _ in range(5):
        p = sigmoid(zt @ theta)
        h = (zt * (p * (1 - p))[:, None]).T @ zt / n + reg
        theta = theta - np.linalg.solve(h, gradient(theta))
    grad_max = float(np.abs(gradient(theta)).max())
    assert grad_max < 1e-15, grad_max
    t = zt @ theta
    # Stable log-loss: softplus(t) - y t, softplus(t) = max(t, 0) + log1p(exp(-|t|)).
    mean_ll = float((np.maximum(t, 0) + np.log1p(np.exp(-np.abs(t))) - y * t).mean())
    diff = np.abs(theta - shipped)
    worst = int(diff.argmax())
    return {
        "dataset": "breast_cancer.csv",
        "objective": ref["objective"],
        "lambda": lam,
        "preprocessing": ref["preprocessing"],
        "intercept": float(theta[30]),
        "weights": {k: float(theta[j]) for j, k in enumerate(names)},
        "mean_log_loss": mean_ll,
        "max_abs_gradient": grad_max,
        "shipped_reference_max_abs_gradient": float(np.abs(gradient(shipped)).max()),
        "shipped_reference_max_abs_difference": float(diff.max()),
        "shipped_reference_worst_coefficient": (names + ["intercept"])[worst],
        "reference": (
            "5 Newton steps (numpy) on the objective above, from the solution in data/breast_cancer.reference.json"
        ),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, fn in [
        ("iris_softmax.json", iris_softmax),
        ("stackloss_lasso.json", stackloss_lasso),
        ("breast_cancer_polished.json", breast_cancer_polished),
    ]:
        ref = fn()
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(ref, f, indent=1)
            f.write("\n")
        print(f"wrote data/reference/{name}")


if __name__ == "__main__":
    main()
