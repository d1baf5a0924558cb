"""``GDRegressor`` and ``GDClassifier``: scikit-learn estimators fitted by downhill's core."""

import json
import warnings
from typing import Any, Dict, List, Optional

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from downhill import _core
from downhill._spec import CLASSIFICATION_LOSSES, REGRESSION_LOSSES, run_spec

# Methods that keep no state between epochs: partial_fit refuses them.
_SOLVERS = {"cg", "lbfgs", "newton"}

# What fit reads in place: C-contiguous float64 or float32 arrays (and DataFrames whose values
# are one). Other input is converted once, to C-contiguous float64, as scikit-learn does.
_DTYPES = [np.float64, np.float32]

# Rows per block when a column statistic needs a row mask (no copy of X as a whole).
_BLOCK_ROWS = 65536


class _GDBase(BaseEstimator):
    """What both estimators share: parameters, the call into the core, the model file."""

    def _fit(
        self,
        X: Any,
        y: np.ndarray,
        model: str,
        loss: str,
        classes: Optional[List[str]],
        sample_weight: Any = None,
    ):
        sw = _weights(sample_weight, X)
        if X.shape[0] < 2:
            raise ValueError(f"n_samples={X.shape[0]}: a fit needs at least 2 rows")
        # A fit starts a new run: a later partial_fit starts afresh too.
        for name in ("_state", "_pf_mean", "_pf_scale", "_pf_batch"):
            self.__dict__.pop(name, None)
        spec = run_spec(self, model, loss)
        if spec.get("batch_size", 0) > X.shape[0]:
            # As scikit-learn's MLP: a batch larger than the data is the whole data.
            spec["batch_size"] = int(X.shape[0])
        names = getattr(self, "feature_names_in_", None)
        features = (
            [str(n) for n in names] if names is not None else [f"x{j}" for j in range(X.shape[1])]
        )
        keep = self._informative(X, sw)
        if not keep.any():
            raise ValueError(
                "every feature is constant, so none can be standardised: "
                "use standardize=False or other features"
            )
        if self.warm_start and hasattr(self, "coef_"):
            spec["init"] = self._init_params(keep)
        # X is C-contiguous float64 or float32 (validate_data): the core reads it in place.
        # Constant columns are left out by one copy of the others.
        Xk = X if keep.all() else np.ascontiguousarray(X[:, keep])
        y = np.ascontiguousarray(y, dtype=np.float64)
        kept = [f for f, k in zip(features, keep) if k]
        out = json.loads(_core.fit(Xk, y, json.dumps(spec), kept, self._target_name, classes, sw))
        if not keep.all():
            row = 0 if sw is None else int(np.argmax(sw > 0))
            self._restore_constant(out["model"], X[row], keep, features)
        self._set_fitted(out)
        if not self.converged_:
            warnings.warn(
                f"{type(self).__name__} did not converge: {out['stop_text']} "
                f"(max_iter={self.max_iter or 10000}) with the gradient norm at "
                f"{out['grad_fraction']:.1e} of its start (gtol={self.gtol}); try "
                "optimizer='auto', a larger max_iter, or another lr",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _partial_fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        model: str,
        loss: str,
        classes: Optional[List[str]],
        sample_weight: Any,
    ):
        """One epoch on the rows ``X``, continuing the run the previous call left off."""
        if self.optimizer in _SOLVERS or self.line_search is not None:
            raise ValueError(
                f"optimizer={self.optimizer!r} (line_search={self.line_search!r}): partial_fit "
                "needs a first-order optimizer that keeps its state between epochs (gd, sgd, "
                "momentum, adam, ...), without line_search; use fit for cg, lbfgs or newton"
            )
        if self.early_stopping:
            raise ValueError(
                "early_stopping=True: partial_fit holds out no rows; use fit, or "
                "early_stopping=False"
            )
        first = getattr(self, "_state", None) is None
        sw = _weights(sample_weight, X)
        spec = run_spec(self, model, loss)
        spec.pop("epochs", None)
        if spec.get("optimizer") == "auto":
            # auto picks a solver for these models; partial_fit steps as the default does.
            spec["optimizer"] = "gd"
        if spec.get("batch_size") is None and self.penalty in ("l1", "elasticnet"):
            raise ValueError(
                f"penalty={self.penalty!r} with batch_size=None: a full-batch L1 fit cannot be "
                "continued epoch by epoch; give batch_size, or use fit"
            )
        if first:
            self._pf_batch = spec.get("batch_size")
            if self._pf_batch is not None and self._pf_batch > X.shape[0]:
                self._pf_batch = int(X.shape[0])
            self._pf_mean, self._pf_scale = self._first_statistics(X, sw)
        spec["batch_size"] = self._pf_batch
        # The features are standardised here, with the first call's statistics, so that
        # every call fits the same basis; the core then sees them as they are.
        spec["standardize"] = False
        Xs = np.ascontiguousarray((X - self._pf_mean) / self._pf_scale, dtype=np.float64)
        if first and hasattr(self, "coef_"):
            # After fit, as scikit-learn's SGD: continue from its coefficients (the
            # optimizer's and schedule's state start afresh), in the standardised basis.
            coef = np.atleast_2d(self.coef_) * self._pf_scale
            b = (
                np.asarray(self.intercept_, dtype=np.float64)
                + coef / self._pf_scale @ self._pf_mean
            )
            init: List[float] = []
            for k in range(coef.shape[0]):
                init.extend(float(v) for v in coef[k])
                if self.fit_intercept:
                    init.append(float(b[k]))
            spec["init"] = init
        features = self._feature_list(X.shape[1])
        y = np.ascontiguousarray(y, dtype=np.float64)
        state = getattr(self, "_state", None)
        out = json.loads(
            _core.partial_fit(
                Xs, y, json.dumps(spec), features, self._target_name, classes, sw, state
            )
        )
        self._state = out.pop("state")
        self._to_original_units(out["model"])
        self._set_fitted(out)
        return self

    def _first_statistics(self, X: np.ndarray, sw: Optional[np.ndarray]):
        """Column means and scales of the first call's rows (0 and 1 without standardising).

        As the core's: weighted means and population deviations, only the scale without an
        intercept; a constant column keeps scale 1.
        """
        d = X.shape[1]
        if not self.standardize:
            return np.zeros(d), np.ones(d)
        w = np.ones(X.shape[0]) if sw is None else sw
        if self.fit_intercept:
            mean = np.average(X, axis=0, weights=w)
            scale = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=w))
        else:
            mean = np.zeros(d)
            scale = np.sqrt(np.average(X**2, axis=0, weights=w))
        scale[~(scale > 0)] = 1.0
        return mean, scale

    def _to_original_units(self, model: Dict[str, Any]) -> None:
        """Weights of the standardised features back to the data's units, in place."""
        w = np.asarray(model["weights"], dtype=np.float64) / self._pf_scale
        b = np.asarray(model["intercept"], dtype=np.float64) - w @ self._pf_mean
        model["weights"] = [[float(v) for v in row] for row in w]
        model["intercept"] = [float(v) for v in b]

    def _feature_list(self, d: int) -> List[str]:
        names = getattr(self, "feature_names_in_", None)
        return [str(n) for n in names] if names is not None else [f"x{j}" for j in range(d)]

    def _informative(self, X: np.ndarray, sw: Optional[np.ndarray]) -> np.ndarray:
        """The columns the fit can standardise (all without standardisation).

        A constant column (over the rows of positive weight) cannot be standardised; as in
        scikit-learn's ``StandardScaler`` followed by a linear model, it gets weight 0 (the
        intercept absorbs it).
        """
        if not self.standardize:
            return np.ones(X.shape[1], dtype=bool)
        lo, hi = _column_range(X, None if sw is None else sw > 0)
        if self.fit_intercept:
            return hi > lo
        return (lo != 0) | (hi != 0)

    def _restore_constant(
        self, model: Dict[str, Any], row: np.ndarray, keep: np.ndarray, features: List[str]
    ) -> None:
        """Put the constant columns back into the model file, with weight 0.

        ``row`` is a row of the data that counts: its values are the constant columns' means.
        """

        def full(values: List[float], fill: np.ndarray) -> List[float]:
            out = np.array(fill, dtype=np.float64)
            out[keep] = values
            return [float(v) for v in out]

        model["weights"] = [full(w, np.zeros(len(keep))) for w in model["weights"]]
        std = model.get("standardization")
        if std is not None:
            mean = row if self.fit_intercept else np.zeros(len(keep))
            std["mean"] = full(std["mean"], mean)
            std["scale"] = full(std["scale"], np.ones(len(keep)))
        model["features"] = list(features)
        model["terms"] = list(features)

    def _set_fitted(self, out: Dict[str, Any]) -> None:
        """Fitted attributes from the core's answer (or a model file's)."""
        model = out["model"]
        self._model = model
        weights = np.asarray(model["weights"], dtype=np.float64)
        self.coef_ = self._shape_coef(weights)
        self.intercept_ = np.asarray(model["intercept"], dtype=np.float64)
        self.n_iter_ = int(out["n_iter"])
        self.loss_curve_ = list(out.get("loss_curve", []))
        self.validation_curve_ = list(out.get("validation_curve", []))
        self.stop_reason_ = out["stop_reason"]
        self.converged_ = bool(out["converged"])
        self.optimizer_ = out["optimizer"]

    def _init_params(self, keep: np.ndarray) -> List[float]:
        """The fitted parameters as ``init`` takes them: per output, weights then intercept."""
        coef = np.atleast_2d(self.coef_)[:, keep]
        out: List[float] = []
        for k in range(coef.shape[0]):
            out.extend(float(v) for v in coef[k])
            if self.fit_intercept:
                out.append(float(self.intercept_[k]))
        return out

    def _decision(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X @ np.atleast_2d(self.coef_).T + self.intercept_

    def save(self, path: str) -> None:
        """Write the fitted model as the model file of ``downhill fit -o`` (JSON).

        ``downhill predict MODEL DATA`` then predicts the numbers this estimator predicts on
        data whose columns are named as ``feature_names_in_`` (``x0``, ``x1``, ... when the
        estimator was fitted on an array without names).
        """
        check_is_fitted(self)
        _core.save(str(path), json.dumps(self._model))

    def __sklearn_tags__(self):
        """Tags for scikit-learn's checks: dense float input, no sparse matrices."""
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


_COMMON_DOC = """
    Parameters use scikit-learn's names where it has one and downhill's for the rest; each
    becomes the ``downhill fit`` flag of the same name (``_`` for ``-``), with that flag's
    default when left at ``None``.

    Parameters
    ----------
    loss : str
        The per-row loss.
    penalty : {None, 'l2', 'l1', 'elasticnet'}
        The penalty, of strength ``alpha`` (``--l2``, ``--l1``, or ``--penalty`` with
        ``--l1-ratio``). ``GDRegressor``: none by default (least squares, as ``downhill
        fit``); ``GDClassifier``: ``'l2'`` by default, as scikit-learn's classifiers, since
        on classes a hyperplane separates an unpenalised fit has no optimum.
    alpha : float
        Penalty strength (``l2``: ``alpha/2 * ||w||^2``; ``l1``: ``alpha * ||w||_1``).
    l1_ratio : float
        The L1 share of the elastic net.
    fit_intercept : bool
        Fit an intercept.
    max_iter : int or None
        Most epochs (iterations for cg, lbfgs, newton); ``None``: 10000.
    tol : float or None
        Stop when the cost has not improved by this fraction for ``n_iter_no_change``
        epochs; ``None``: off (1e-4 with mini-batches).
    n_iter_no_change : int
        Patience of ``tol`` and of early stopping.
    early_stopping : bool
        Hold out ``validation_fraction`` of the rows and stop when their cost stops
        improving, keeping the best epoch's parameters.
    validation_fraction : float
        The share held out with ``early_stopping``.
    shuffle : bool
        Reshuffle the rows every epoch (mini-batches).
    random_state : None, int or RandomState
        The seed of every random choice (``None``: 0, so fits repeat).
    warm_start : bool
        Start from the previous fit's parameters.
    average : bool or int
        Report the average of the iterates (from step ``average`` when an int).
    verbose : int
        Unused: the core prints nothing.
    optimizer : str
        ``gd``, ``sgd``, ``momentum``, ``nesterov``, ``adagrad``, ``adadelta``, ``rmsprop``,
        ``adam``, ``adamax``, ``nadam``, ``amsgrad``, ``adamw``, ``cg``, ``lbfgs``,
        ``newton`` or ``auto`` (the most accurate method the model allows).
    lr : float or None
        Learning rate (the starting one under a schedule).
    schedule : str
        ``constant``, ``step:STEP[:GAMMA]``, ``exp:GAMMA``, ``invscaling[:POWER]``,
        ``cosine:T[:LR_MIN]``, ``plateau[:PATIENCE[:FACTOR]]``, ``warmup:N+SPEC``.
    batch_size : int or None
        Rows per mini-batch; ``None``: full batch.
    momentum, beta1, beta2, eps, rho, weight_decay : float or None
        The optimizer's hyper-parameters (one it does not take is an error).
    line_search : {None, 'armijo', 'wolfe'}
        Steepest descent with a line search (with ``optimizer='gd'``).
    history_size : int
        L-BFGS memory.
    clip_norm : float or None
        Clip the gradient to this global norm.
    gradient_noise : float or None
        Gaussian gradient noise of variance ``eta/(1+t)^0.55``.
    standardize : bool
        Fit on z-scores of the features (and a regression's target); results are reported
        in original units, and penalties apply to the standardised weights.
    gtol : float
        Stop when the gradient norm has fallen to this fraction of its start.
    time_limit : float or None
        Stop after this many seconds.
    threads : int
        Threads for full-batch passes (0: one per core).
    precision : {'f64', 'f32'}
        Storage precision of the data inside the fit.
"""

_FITTED_DOC = """
    Attributes
    ----------
    coef_ : ndarray
        Weights, in the units of the data.
    intercept_ : ndarray
        Intercepts.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
        Columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` was given a DataFrame.
    loss_curve_ : list of float
        The training cost after every epoch.
    validation_curve_ : list of float
        The held-out cost after every epoch (with ``early_stopping``).
    stop_reason_ : str
        ``gradient_tolerance``, ``cost_tolerance``, ``early_stopping``, ``max_epochs``,
        ``time_limit`` or ``interrupted``.
    converged_ : bool
        Whether a tolerance ended the run (a ``ConvergenceWarning`` says so when not).
    optimizer_ : str
        The method run (what ``optimizer='auto'`` picked).
"""


class GDRegressor(RegressorMixin, _GDBase):
    """Linear regression fitted by gradient descent (or L-BFGS, Newton, ...) in Rust."""

    __doc__ = (
        "Linear regression fitted by gradient descent (or L-BFGS, Newton, ...) in Rust.\n"
        + _COMMON_DOC
        + "    epsilon : float\n        Huber's delta, or the epsilon-insensitive tube's "
        "half-width.\n" + _FITTED_DOC
    )

    _target_name = "y"

    def __init__(
        self,
        loss="squared_error",
        *,
        penalty=None,
        alpha=0.0001,
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=None,
        tol=None,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        warm_start=False,
        average=False,
        verbose=0,
        epsilon=0.1,
        optimizer="gd",
        lr=None,
        schedule="constant",
        batch_size=None,
        momentum=None,
        beta1=None,
        beta2=None,
        eps=None,
        rho=None,
        weight_decay=None,
        line_search=None,
        history_size=10,
        clip_norm=None,
        gradient_noise=None,
        standardize=True,
        gtol=1e-13,
        time_limit=None,
        threads=0,
        precision="f64",
    ):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.average = average
        self.verbose = verbose
        self.epsilon = epsilon
        self.optimizer = optimizer
        self.lr = lr
        self.schedule = schedule
        self.batch_size = batch_size
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.rho = rho
        self.weight_decay = weight_decay
        self.line_search = line_search
        self.history_size = history_size
        self.clip_norm = clip_norm
        self.gradient_noise = gradient_noise
        self.standardize = standardize
        self.gtol = gtol
        self.time_limit = time_limit
        self.threads = threads
        self.precision = precision

    def _shape_coef(self, weights: np.ndarray) -> np.ndarray:
        return weights[0].copy()

    def fit(self, X, y, sample_weight=None):
        """Fit the model to the rows ``X`` and targets ``y``; returns ``self``.

        ``sample_weight`` (one finite, non-negative number per row, or one for all): the cost
        is then the weighted mean ``sum w_i l_i / sum w_i`` of the rows' losses, and the
        standardisation uses weighted means and deviations (as ``StandardScaler``).
        """
        if self.loss not in REGRESSION_LOSSES:
            raise ValueError(
                f"loss={self.loss!r}: give one of {', '.join(sorted(REGRESSION_LOSSES))}"
            )
        X, y = validate_data(self, X, y, dtype=_DTYPES, order="C", y_numeric=True)
        return self._fit(X, y, "linear", REGRESSION_LOSSES[self.loss], None, sample_weight)

    def partial_fit(self, X, y, sample_weight=None):
        """Run one more epoch on the rows ``X`` and targets ``y``; returns ``self``.

        The optimizer's state (moments, velocity), the schedule's position, the random stream
        of the mini-batches and the loss history carry over from the previous call (kept in
        the picklable attribute ``_state``), so ``k`` calls on the same data give the
        coefficients of ``fit`` with ``max_iter=k``; later calls may bring other rows. Each
        call runs its epoch, whatever ``tol`` said before. Settings:

        - ``optimizer``: a first-order one; ``cg``, ``lbfgs``, ``newton`` and ``line_search``
          keep no state between epochs and raise a ``ValueError``. ``'auto'`` steps as
          ``'gd'`` (what it picks for ``fit`` is a solver).
        - ``standardize=True``: the features are standardised with the means and deviations
          of the first call's rows, kept for the later calls; the target is not scaled. The
          fit then takes other steps than ``fit``'s (which also scales a regression's target)
          to the same minimum: ``partial_fit`` equals ``fit`` epoch for epoch with
          ``standardize=False``.
        - ``early_stopping=True`` and a full-batch L1 penalty raise a ``ValueError``.
        - A batch larger than the first call's rows is that many rows, for every call.

        After ``fit``, the first ``partial_fit`` continues from its
        coefficients with a fresh optimizer and schedule (as scikit-learn's SGD); a ``fit``
        after ``partial_fit`` starts a new run.
        """
        if self.loss not in REGRESSION_LOSSES:
            raise ValueError(
                f"loss={self.loss!r}: give one of {', '.join(sorted(REGRESSION_LOSSES))}"
            )
        first = getattr(self, "_state", None) is None
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True, reset=first)
        return self._partial_fit(X, y, "linear", REGRESSION_LOSSES[self.loss], None, sample_weight)

    def predict(self, X):
        """Predict targets for the rows ``X``."""
        return self._decision(X)[:, 0]


class GDClassifier(ClassifierMixin, _GDBase):
    """Logistic (two classes) or softmax (more) regression fitted by downhill in Rust."""

    __doc__ = (
        "Logistic (two classes) or softmax (more) regression fitted by downhill in Rust.\n"
        + _COMMON_DOC
        + _FITTED_DOC
        + "    classes_ : ndarray\n        The class labels, sorted.\n"
    )

    _target_name = "y"

    def __init__(
        self,
        loss="log_loss",
        *,
        penalty="l2",
        alpha=0.0001,
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=None,
        tol=None,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        warm_start=False,
        average=False,
        verbose=0,
        optimizer="gd",
        lr=None,
        schedule="constant",
        batch_size=None,
        momentum=None,
        beta1=None,
        beta2=None,
        eps=None,
        rho=None,
        weight_decay=None,
        line_search=None,
        history_size=10,
        clip_norm=None,
        gradient_noise=None,
        standardize=True,
        gtol=1e-13,
        time_limit=None,
        threads=0,
        precision="f64",
    ):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.average = average
        self.verbose = verbose
        self.optimizer = optimizer
        self.lr = lr
        self.schedule = schedule
        self.batch_size = batch_size
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.rho = rho
        self.weight_decay = weight_decay
        self.line_search = line_search
        self.history_size = history_size
        self.clip_norm = clip_norm
        self.gradient_noise = gradient_noise
        self.standardize = standardize
        self.gtol = gtol
        self.time_limit = time_limit
        self.threads = threads
        self.precision = precision

    def _shape_coef(self, weights: np.ndarray) -> np.ndarray:
        return weights.copy()

    def fit(self, X, y, sample_weight=None):
        """Fit the model to the rows ``X`` and class labels ``y``; returns ``self``.

        ``sample_weight`` as in ``GDRegressor.fit``: a weighted mean of the rows' losses.
        """
        if self.loss not in CLASSIFICATION_LOSSES:
            raise ValueError(
                f"loss={self.loss!r}: give one of {', '.join(sorted(CLASSIFICATION_LOSSES))}"
            )
        X, y = validate_data(self, X, y, dtype=_DTYPES, order="C")
        check_classification_targets(y)
        # The class indices as the core reads them, with fewer temporaries than
        # np.unique(return_inverse=True) makes (a few numbers per row, next to no copy of X).
        classes = np.unique(y)
        index = np.searchsorted(classes, y).astype(np.float64)
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                f"but the data contain only one class: {classes[0]!r}"
            )
        loss = CLASSIFICATION_LOSSES[self.loss]
        model = "logistic" if len(classes) == 2 else "softmax"
        if model == "softmax" and loss == "hinge":
            raise ValueError("loss='hinge' goes with two classes; use loss='log_loss'")
        self._fit(X, index, model, loss, [str(c) for c in classes], sample_weight)
        self.classes_ = classes
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one more epoch on the rows ``X`` and labels ``y``; returns ``self``.

        ``classes`` (every label the calls will bring) is required on the first call, as in
        scikit-learn (after ``fit``, its ``classes_``), and must not change after it. Unlike
        scikit-learn, each call's rows must hold every one of the classes (the core counts a
        fit's classes from its rows).
        Everything else as ``GDRegressor.partial_fit``: the optimizer's and the schedule's
        state carry over, ``k`` calls on the same data equal ``fit`` with ``max_iter=k``
        (with ``standardize=False``), solvers raise, ``'auto'`` steps as ``'gd'``.
        """
        if self.loss not in CLASSIFICATION_LOSSES:
            raise ValueError(
                f"loss={self.loss!r}: give one of {', '.join(sorted(CLASSIFICATION_LOSSES))}"
            )
        first = getattr(self, "_state", None) is None
        if first and classes is None and hasattr(self, "classes_"):
            classes = self.classes_  # after fit, as scikit-learn's SGDClassifier
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            all_classes = np.unique(classes)
            if len(all_classes) < 2:
                raise ValueError(
                    f"classes={list(all_classes)!r}: {type(self).__name__} needs at least 2"
                )
        else:
            all_classes = self.classes_
            if classes is not None and not np.array_equal(np.unique(classes), all_classes):
                raise ValueError(
                    f"classes={classes!r} is not classes_={all_classes!r} of the first call"
                )
        X, y = validate_data(self, X, y, dtype=np.float64, reset=first)
        check_classification_targets(y)
        seen = np.unique(y)
        unseen = np.setdiff1d(seen, all_classes)
        if len(unseen):
            raise ValueError(
                f"labels {unseen.tolist()!r} are not in classes {all_classes.tolist()!r}"
            )
        if len(seen) < len(all_classes):
            # The core counts a fit's classes from its rows (and needs both of a logistic's).
            missing = np.setdiff1d(all_classes, seen).tolist()
            raise ValueError(
                f"the rows of this partial_fit call have no label {missing!r}: each call needs "
                f"rows of every class in classes_={all_classes.tolist()!r}"
            )
        loss = CLASSIFICATION_LOSSES[self.loss]
        model = "logistic" if len(all_classes) == 2 else "softmax"
        if model == "softmax" and loss == "hinge":
            raise ValueError("loss='hinge' goes with two classes; use loss='log_loss'")
        index = np.searchsorted(all_classes, y)
        labels = [str(c) for c in all_classes]
        self._partial_fit(X, index, model, loss, labels, sample_weight)
        self.classes_ = all_classes
        return self

    def decision_function(self, X):
        """Scores of the rows ``X``: the positive class's for two classes, one per class."""
        scores = self._decision(X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Predict class labels for the rows ``X``."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def _has_proba(self) -> bool:
        return CLASSIFICATION_LOSSES.get(self.loss) == "log"

    @available_if(_has_proba)
    def predict_proba(self, X):
        """Class probabilities of the rows ``X`` (log loss only), columns as ``classes_``."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = 0.5 * (1.0 + np.tanh(0.5 * scores))
            return np.column_stack([1.0 - p, p])
        z = scores - scores.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        """Logarithms of the class probabilities of the rows ``X`` (log loss only)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([-np.logaddexp(0.0, scores), -np.logaddexp(0.0, -scores)])
        z = scores - scores.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _column_range(X: np.ndarray, rows: Optional[np.ndarray]):
    """Column minima and maxima of ``X`` (of the rows where ``rows`` is true), as float64.

    Reductions over ``X`` itself, or over blocks of rows when masked: never a copy of ``X``.
    """
    if rows is None:
        return X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64)
    lo = np.full(X.shape[1], np.inf)
    hi = np.full(X.shape[1], -np.inf)
    for start in range(0, X.shape[0], _BLOCK_ROWS):
        block = X[start : start + _BLOCK_ROWS][rows[start : start + _BLOCK_ROWS]]
        if block.shape[0]:
            lo = np.minimum(lo, block.min(axis=0))
            hi = np.maximum(hi, block.max(axis=0))
    return lo, hi


def _weights(sample_weight: Any, X: np.ndarray) -> Optional[np.ndarray]:
    """``sample_weight`` as one float64 per row, or ``None`` when not given.

    scikit-learn's checks: a scalar is every row's weight; the length must match, and NaN,
    infinite or negative weights, or all zero, are a ``ValueError``.
    """
    if sample_weight is None:
        return None
    sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    return np.ascontiguousarray(sw)
