"""The command line and the package: the same fit to 1e-12, one model file both ways."""

import json
import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import DATA

import downhill
from downhill import GDClassifier, GDRegressor


def _cli(bin_, *args):
    out = subprocess.run([bin_, *args], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout


FITS = [
    ("stackloss.csv", "STACKLOSS", [], {}),
    (
        "stackloss.csv",
        "STACKLOSS",
        ["--optimizer", "adam", "--batch-size", "4", "--seed", "7", "--l1", "0.05"],
        {"optimizer": "adam", "batch_size": 4, "random_state": 7, "penalty": "l1", "alpha": 0.05},
    ),
    (
        "stackloss.csv",
        "STACKLOSS",
        ["--loss", "huber", "--huber-delta", "2", "--schedule", "step:100:0.5"],
        {"loss": "huber", "epsilon": 2.0, "schedule": "step:100:0.5"},
    ),
    (
        "breast_cancer.csv",
        "diagnosis",
        ["--model", "logistic", "--l2", "0.01", "--optimizer", "momentum", "--epochs", "3000"],
        {"penalty": "l2", "alpha": 0.01, "optimizer": "momentum", "max_iter": 3000},
    ),
    (
        "iris.csv",
        "species",
        ["--model", "softmax", "--penalty", "0.01", "--l1-ratio", "0.5"],
        {"penalty": "elasticnet", "alpha": 0.01, "l1_ratio": 0.5},
    ),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(("data", "target", "flags", "params"), FITS)
def test_same_data_and_flags_give_the_same_coefficients(
    downhill_bin, tmp_path, data, target, flags, params
):
    model = tmp_path / "cli.json"
    _cli(downhill_bin, "fit", str(DATA / data), "-t", target, "-q", "-o", str(model), *flags)
    cli = json.loads(model.read_text())
    df = pd.read_csv(DATA / data)
    X, y = df.drop(columns=target), df[target]
    cls = GDRegressor if cli["model"] == "linear" else GDClassifier
    est = cls(**params).fit(X, y)
    np.testing.assert_allclose(np.atleast_2d(est.coef_), cli["weights"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(est.intercept_, cli["intercept"], rtol=1e-12, atol=1e-14)
    assert est.n_iter_ == cli["training"]["epochs"]


def test_a_model_saved_in_python_predicts_the_same_with_the_cli(downhill_bin, tmp_path, iris):
    X, y = iris
    est = GDClassifier(optimizer="lbfgs", penalty="l2", alpha=0.01).fit(X, y)
    path = tmp_path / "py.json"
    est.save(path)
    out = _cli(downhill_bin, "predict", str(path), str(DATA / "iris.csv"))
    predicted = pd.read_csv(pd.io.common.StringIO(out))
    assert list(predicted.iloc[:, 0]) == list(est.predict(X))
    proba = predicted[[f"p_{c}" for c in est.classes_]].to_numpy()
    np.testing.assert_allclose(proba, est.predict_proba(X), rtol=1e-12, atol=1e-15)


def test_a_regression_saved_in_python_predicts_the_same_numbers(downhill_bin, tmp_path, stackloss):
    X, y = stackloss
    est = GDRegressor().fit(X, y)
    path = tmp_path / "py.json"
    est.save(path)
    out = _cli(downhill_bin, "predict", str(path), str(DATA / "stackloss.csv"))
    predicted = pd.read_csv(pd.io.common.StringIO(out))
    np.testing.assert_allclose(predicted.iloc[:, 0], est.predict(X), rtol=1e-12)


def test_a_model_the_cli_wrote_loads_in_python(downhill_bin, tmp_path, breast_cancer):
    path = tmp_path / "cli.json"
    _cli(
        downhill_bin,
        "fit",
        str(DATA / "breast_cancer.csv"),
        "-t",
        "diagnosis",
        "--model",
        "logistic",
        "--l2",
        "0.01",
        "--optimizer",
        "newton",
        "-q",
        "-o",
        str(path),
    )
    est = downhill.load(path)
    assert isinstance(est, GDClassifier)
    X, y = breast_cancer
    out = _cli(downhill_bin, "predict", str(path), str(DATA / "breast_cancer.csv"))
    predicted = pd.read_csv(pd.io.common.StringIO(out))
    assert list(predicted.iloc[:, 0]) == list(est.predict(X))
    assert est.converged_ and est.optimizer_ == "newton"
    assert list(est.classes_) == ["benign", "malignant"]


def test_a_damaged_model_file_is_a_value_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "downhill-model", "version": 1}')
    with pytest.raises(ValueError, match="damaged downhill model file"):
        downhill.load(path)
