"""``load``: a model file of ``downhill fit -o`` (or ``save``) as a fitted estimator."""

import json
from typing import Any, List, Union

import numpy as np

from downhill import _core
from downhill._estimators import GDClassifier, GDRegressor


def _labels(classes: List[str]) -> np.ndarray:
    """Class labels as numbers when they all are (as ``fit`` on numeric labels saw them)."""
    for kind in (int, float):
        try:
            return np.asarray([kind(c) for c in classes])
        except ValueError:
            continue
    return np.asarray(classes, dtype=object)


def load(path: Any) -> Union[GDRegressor, GDClassifier]:
    """Read a model file and return the fitted estimator it describes.

    A ``linear`` model becomes a ``GDRegressor``, a ``logistic`` or ``softmax`` one a
    ``GDClassifier``, with ``coef_``, ``intercept_``, ``classes_``, ``feature_names_in_``
    and the training outcome (``n_iter_``, ``stop_reason_``, ``converged_``,
    ``optimizer_``) set: it predicts what ``downhill predict`` predicts with the file. A
    model with polynomial terms is refused (the estimators take no ``degree``).
    """
    model = json.loads(_core.load(str(path)))
    if model.get("polynomial") is not None:
        raise ValueError(
            f"{path}: the model has polynomial terms ({', '.join(model['terms'])}); "
            "downhill.load reads models without them: use `downhill predict` for this one"
        )
    training = model["training"]
    if model["model"] == "linear":
        est: Union[GDRegressor, GDClassifier] = GDRegressor(
            loss={"squared": "squared_error", "absolute": "absolute_error"}.get(
                model["loss"], model["loss"].replace("-", "_")
            )
        )
    else:
        est = GDClassifier(loss="log_loss" if model["loss"] == "log" else model["loss"])
        est.classes_ = _labels(model["classes"])
    est.fit_intercept = bool(model["fit_intercept"])
    est._set_fitted(
        {
            "model": model,
            "n_iter": training["epochs"],
            "stop_reason": training["stop_reason"],
            "converged": training.get("converged", False),
            "optimizer": training["optimizer"],
        }
    )
    est.n_features_in_ = len(model["features"])
    features = model["features"]
    # Names the estimators give columns of an array without names are no names at all.
    if features != [f"x{j}" for j in range(len(features))]:
        est.feature_names_in_ = np.asarray(features, dtype=object)
    return est
