"""Estimator parameters to downhill's run description (``downhill::spec::RunSpec``).

Every key is a field of the run description, named as the ``downhill fit`` flag with ``_``
for ``-``; a value left at ``None`` is left out, so the command line's default applies.
"""

import numbers
from typing import Any, Dict, Optional

import numpy as np

# scikit-learn's loss names, and downhill's own, to the run description's.
REGRESSION_LOSSES = {
    "squared_error": "squared",
    "squared": "squared",
    "absolute_error": "absolute",
    "absolute": "absolute",
    "huber": "huber",
    "epsilon_insensitive": "epsilon-insensitive",
    "epsilon-insensitive": "epsilon-insensitive",
}
CLASSIFICATION_LOSSES = {"log_loss": "log", "log": "log", "hinge": "hinge"}


def seed_of(random_state: Any) -> int:
    """Turn ``random_state`` (None, an int, a ``RandomState``) into the run's seed."""
    if random_state is None:
        return 0
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    raise ValueError(f"random_state={random_state!r}: give None, an int or a RandomState")


def penalty_fields(penalty: Optional[str], alpha: float, l1_ratio: float) -> Dict[str, Any]:
    """scikit-learn's ``penalty``/``alpha``/``l1_ratio`` as ``l2``, ``l1`` or the elastic net."""
    if penalty is None or penalty == "none":
        return {}
    if penalty == "l2":
        return {"l2": float(alpha)}
    if penalty == "l1":
        return {"l1": float(alpha)}
    if penalty == "elasticnet":
        return {"penalty": float(alpha), "l1_ratio": float(l1_ratio)}
    raise ValueError(f"penalty={penalty!r}: give None, 'l2', 'l1' or 'elasticnet'")


def run_spec(est: Any, model: str, loss: str) -> Dict[str, Any]:
    """The run description of estimator ``est`` fitting ``model`` with ``loss``."""
    average = est.average
    if isinstance(average, (bool, np.bool_)):
        average = 0 if average else None
    fields: Dict[str, Any] = {
        "model": model,
        "loss": loss,
        "fit_intercept": bool(est.fit_intercept),
        "standardize": bool(est.standardize),
        "precision": est.precision,
        "optimizer": est.optimizer,
        "lr": est.lr,
        "momentum": est.momentum,
        "beta1": est.beta1,
        "beta2": est.beta2,
        "eps": est.eps,
        "rho": est.rho,
        "weight_decay": est.weight_decay,
        "line_search": est.line_search,
        "history_size": est.history_size,
        "schedule": est.schedule,
        "clip_norm": est.clip_norm,
        "gradient_noise": est.gradient_noise,
        "average": average,
        "batch_size": est.batch_size,
        "shuffle": bool(est.shuffle),
        "epochs": est.max_iter,
        "gtol": est.gtol,
        "tol": est.tol,
        "patience": est.n_iter_no_change,
        "validation_fraction": est.validation_fraction if est.early_stopping else None,
        "time_limit": est.time_limit,
        "seed": seed_of(est.random_state),
        "threads": est.threads,
    }
    if loss == "huber":
        fields["huber_delta"] = est.epsilon
    if loss == "epsilon-insensitive":
        fields["epsilon"] = est.epsilon
    fields.update(penalty_fields(est.penalty, est.alpha, est.l1_ratio))
    spec = {k: v for k, v in fields.items() if v is not None}
    for k in ("batch_size", "epochs", "patience", "history_size", "threads", "average"):
        if k in spec:
            spec[k] = int(spec[k])
    for k in ("lr", "momentum", "beta1", "beta2", "eps", "rho", "weight_decay", "gtol", "tol"):
        if k in spec:
            spec[k] = float(spec[k])
    return spec
