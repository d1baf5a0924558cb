import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
import tomllib
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import downhill
from downhill import GDClassifier, GDRegressor


def test_version_is_the_crates():
    cargo = Path(__file__).resolve().parents[3] / "Cargo.toml"
    with open(cargo, "rb") as f:
        version = tomllib.load(f)["workspace"]["package"]["version"]
    assert downhill.__version__ == version


def test_public_names_have_docstrings():
    names = list(downhill.__all__) + [f"optim.{n}" for n in downhill.optim.__all__]
    for name in names:
        obj = downhill
        for part in name.split("."):
            obj = getattr(obj, part)
        if name == "__version__":
            continue
        assert obj.__doc__ and obj.__doc__.strip(), name
    for cls in (GDRegressor, GDClassifier):
        for m in ("fit", "predict", "save"):
            assert getattr(cls, m).__doc__, f"{cls.__name__}.{m}"
    for m in ("predict_proba", "predict_log_proba", "decision_function"):
        assert getattr(GDClassifier, m).__doc__, m


def test_rust_errors_are_value_errors_with_the_cli_message(stackloss):
    X, y = stackloss
    with pytest.raises(ValueError, match="--optimizer: unknown optimizer"):
        GDRegressor(optimizer="adamm").fit(X, y)
    with pytest.raises(ValueError, match="--rho"):
        GDRegressor(optimizer="adam", rho=0.9).fit(X, y)
    with pytest.raises(ValueError, match="--lr does not apply to --optimizer lbfgs"):
        GDRegressor(optimizer="lbfgs", lr=0.1).fit(X, y)


def test_not_converging_warns_and_says_so(stackloss):
    X, y = stackloss
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        est = GDRegressor(max_iter=5).fit(X, y)
    assert not est.converged_
    assert est.stop_reason_ == "max_epochs"
    assert est.n_iter_ == 5
    assert len(est.loss_curve_) == 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = GDRegressor().fit(X, y)
    assert est.converged_ and est.stop_reason_ == "gradient_tolerance"
    # The cost falls along the curve.
    assert est.loss_curve_[-1] < est.loss_curve_[0]


def test_auto_says_what_it_picked(stackloss, breast_cancer):
    X, y = stackloss
    assert GDRegressor(optimizer="auto").fit(X, y).optimizer_ == "newton"
    assert GDRegressor(optimizer="auto", penalty="l1", alpha=0.1).fit(X, y).optimizer_ == "gd"
    Xc, yc = breast_cancer
    est = GDClassifier(optimizer="auto", penalty="l2", alpha=0.01).fit(Xc, yc)
    assert est.optimizer_ == "newton"


def test_feature_names_from_a_dataframe(stackloss):
    X, y = stackloss
    est = GDRegressor().fit(X, y)
    assert list(est.feature_names_in_) == list(X.columns)
    assert est.n_features_in_ == 3
    est = GDRegressor().fit(X.to_numpy(), y.to_numpy())
    assert not hasattr(est, "feature_names_in_")


def test_early_stopping_keeps_a_validation_curve(breast_cancer):
    X, y = breast_cancer
    est = GDClassifier(
        optimizer="adam", batch_size=32, early_stopping=True, penalty="l2", alpha=1e-3
    ).fit(X, y)
    assert len(est.validation_curve_) == est.n_iter_ == len(est.loss_curve_)
    assert est.stop_reason_ in ("early_stopping", "cost_tolerance")


def test_three_classes_by_softmax(iris):
    X, y = iris
    est = GDClassifier(optimizer="lbfgs", penalty="l2", alpha=0.01).fit(X, y)
    assert list(est.classes_) == sorted(set(y))
    assert est.coef_.shape == (3, 4) and est.intercept_.shape == (3,)
    p = est.predict_proba(X)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.log(p), est.predict_log_proba(X), atol=1e-10)
    assert est.score(X, y) > 0.95


def test_hinge_has_no_probabilities(breast_cancer):
    X, y = breast_cancer
    est = GDClassifier(loss="hinge", penalty="l2", alpha=0.01, max_iter=2000)
    assert not hasattr(est, "predict_proba")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert est.score(X, y) > 0.9


def test_warm_start_starts_where_the_last_fit_ended(stackloss):
    X, y = stackloss
    est = GDRegressor(warm_start=True).fit(X, y)
    cost = est.loss_curve_[-1]
    cold = GDRegressor(max_iter=1).fit(X, y).loss_curve_[0]
    est.set_params(max_iter=1)
    with warnings.catch_warnings():
        # The gradient tolerance is relative to the start: at the optimum it cannot hold.
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert est.loss_curve_[0] == pytest.approx(cost, rel=1e-9)
    assert cold > 2 * cost


def test_pipeline_clone_pickle_and_grid_search(breast_cancer):
    X, y = breast_cancer
    pipe = make_pipeline(StandardScaler(), GDClassifier(penalty="l2", alpha=0.01))
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.95
    again = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(again.predict_proba(X), pipe.predict_proba(X))
    c = clone(pipe)
    assert not hasattr(c[-1], "coef_")
    grid = GridSearchCV(
        GDClassifier(penalty="l2", optimizer="lbfgs"),
        {"alpha": [0.001, 0.1]},
        cv=3,
        n_jobs=2,
    ).fit(X, y)
    assert grid.best_params_["alpha"] in (0.001, 0.1)
    assert grid.best_estimator_.score(X, y) > 0.9


def test_ctrl_c_stops_a_long_fit():
    import _thread
    import threading
    import time

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100_000, 10))
    y = X @ rng.normal(size=10) + rng.normal(size=100_000)
    est = GDRegressor(optimizer="adam", gtol=0.0, max_iter=10**9, time_limit=60)
    # Ctrl-C pressed after 0.5 s, and again every second (as a user does) until the fit
    # returns: on a loaded machine a press may land before the fit has started.
    done = threading.Event()

    def press():
        if not done.wait(0.5):
            _thread.interrupt_main()
            while not done.wait(1.0):
                _thread.interrupt_main()

    presser = threading.Thread(target=press)
    began = time.monotonic()
    presser.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            est.fit(X, y)
    finally:
        done.set()
        presser.join()
    assert time.monotonic() - began < 10
    assert not hasattr(est, "coef_")
