"""``minimize`` and ``compare``: descend a function with any of downhill's methods."""

import json
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from downhill import _core


class OptimizeResult(dict):
    """The outcome of ``minimize``, shaped like scipy's ``OptimizeResult``.

    Keys (also attributes): ``x``, ``fun``, ``jac``, ``nit``, ``nfev``, ``success``,
    ``status`` (0 converged, 1 epoch limit, 2 other), ``message``, ``stop_reason``,
    ``optimizer`` (what ``auto`` picked), and with ``path=True`` ``path`` (every iterate,
    the start first, one row each) and ``path_values``.
    """

    def __getattr__(self, name: str) -> Any:
        """Read a key as an attribute."""
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    def __repr__(self) -> str:
        """Show the keys as scipy does, one a line."""
        return "\n".join(f"{k:>12}: {v!r}" for k, v in self.items() if k != "path")


def _spec(
    optimizer: str,
    lr: Optional[float],
    max_iter: Optional[int],
    tol: Optional[float],
    options: Dict[str, Any],
) -> str:
    spec: Dict[str, Any] = {"optimizer": optimizer}
    if lr is not None:
        spec["lr"] = float(lr)
    if max_iter is not None:
        spec["epochs"] = int(max_iter)
    if tol is not None:
        spec["gtol"] = float(tol)
    spec.update({k: v for k, v in options.items() if v is not None})
    return json.dumps(spec)


def minimize(
    fun: Union[str, Callable[..., Any]],
    x0: Optional[Sequence[float]] = None,
    *,
    jac: Union[bool, Callable[..., Any], None] = None,
    optimizer: str = "lbfgs",
    lr: Optional[float] = None,
    max_iter: Optional[int] = None,
    tol: Optional[float] = None,
    vars: Optional[Sequence[str]] = None,
    path: bool = False,
    **options: Any,
) -> OptimizeResult:
    """Minimise ``fun`` from ``x0`` with one of downhill's methods.

    Parameters
    ----------
    fun : callable or str
        A Python function of a float64 array (with ``jac=True`` returning ``(value,
        gradient)``), or a formula such as ``"(1-x)^2 + 100*(y-x^2)^2"`` or a named test
        function (``"rosenbrock"``), differentiated exactly and evaluated in Rust with the
        interpreter released.
    x0 : sequence of float
        The start (for a formula: zeros, or a named function's usual start, when omitted).
    jac : bool or callable
        ``True`` when ``fun`` returns its gradient too, or a function returning it.
    optimizer : str
        Any name ``downhill minimize --optimizer`` takes, or ``auto``.
    lr : float
        Learning rate of a first-order optimizer.
    max_iter : int
        Most steps (default 10000).
    tol : float
        Stop when the gradient norm has fallen to this fraction of its start (1e-13).
    vars : sequence of str
        The order of a formula's variables (sorted by name otherwise).
    path : bool
        Keep every iterate in ``result.path``.
    **options
        More settings of the run description: ``momentum``, ``beta1``, ``schedule``,
        ``clip_norm``, ``time_limit``, ...

    Returns
    -------
    OptimizeResult
        Where the run ended and why. A Python exception raised inside ``fun`` propagates
        unchanged; a bad setting or a divergence raises ``ValueError``.

    """
    spec = _spec(optimizer, lr, max_iter, tol, options)
    if isinstance(fun, str):
        x = None if x0 is None else [float(v) for v in np.ravel(x0)]
        out = _core.minimize_formula(fun, x, spec, None if vars is None else list(vars), path)
    else:
        if x0 is None:
            raise ValueError("minimize needs x0, the start, for a Python function")
        x = [float(v) for v in np.ravel(np.asarray(x0, dtype=np.float64))]
        out = _core.minimize_callable(fun, x, spec, jac, path)
    result = OptimizeResult(json.loads(out))
    result["x"] = np.asarray(result["x"], dtype=np.float64)
    result["jac"] = np.asarray(result["jac"], dtype=np.float64)
    if path:
        result["path"] = np.asarray(result["path"], dtype=np.float64)
        result["path_values"] = np.asarray(result["path_values"], dtype=np.float64)
    return result


def compare(
    fun: str,
    optimizers: Sequence[str],
    x0: Optional[Sequence[float]] = None,
    *,
    lrs: Optional[Sequence[Optional[float]]] = None,
    lr: Optional[float] = None,
    max_iter: Optional[int] = None,
    tol: Optional[float] = None,
    target_tol: float = 1e-6,
    vars: Optional[Sequence[str]] = None,
    **options: Any,
) -> Dict[str, Any]:
    """Race several optimizers on a formula or named function, as ``downhill compare``.

    ``lrs`` gives one learning rate per optimizer (``None`` for its default) or, with one
    optimizer, several rates to race. The answer is the report ``downhill compare --json``
    prints: ``function``, ``start``, ``minimum``, and ``runs``, one dict per contestant
    (``label``, ``value``, ``point``, ``steps``, ``steps_to_reach``, ``converged``, ...).
    """
    spec = _spec("gd", lr, max_iter, tol, options)
    x = None if x0 is None else [float(v) for v in np.ravel(x0)]
    rates: Optional[List[Optional[float]]] = (
        None if lrs is None else [None if r is None else float(r) for r in lrs]
    )
    out = _core.compare(
        fun,
        list(optimizers),
        spec,
        x,
        rates,
        None if vars is None else list(vars),
        float(target_tol),
    )
    return json.loads(out)
