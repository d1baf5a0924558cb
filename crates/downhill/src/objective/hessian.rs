/// Second derivatives of a function of a flat parameter vector, for Newton's method.
///
/// The function is the one an [`Objective`](super::Objective) computes: for a model on data,
/// the full-batch cost (mean loss plus penalty), i.e. what
/// [`FullBatch`](super::FullBatch) of that model evaluates.
///
/// The trait does not require [`Objective`](super::Objective), so that a type can provide
/// the Hessian of an objective that another value computes (a solver gets both through
/// [`solver::Problem`](crate::solver::Problem)). For linear models it is implemented by
/// [`LinearSecondOrder`](crate::model::LinearSecondOrder), which is built on the same data as
/// a [`Linear`](crate::model::Linear) and gives it back with `model()`.
pub trait Hessian {
    /// Writes the Hessian at `params` into `out`, dense and row-major: `out[i * dim + j]` is
    /// `d2f / dparams_i dparams_j`, with `dim = params.len()` and `out.len() == dim * dim`.
    /// Every entry is overwritten.
    fn hessian(&self, params: &[f64], out: &mut [f64]);

    /// The cost at `params`, its gradient written into `grad` and the Hessian into `out`,
    /// in one pass over the data, with the bits of the objective's `cost_grad` beside this
    /// Hessian and of [`Hessian::hessian`]; `None` (the default), with nothing written,
    /// where the type has no such pass. A pass costs about what the Hessian alone does, so
    /// Newton's method asks for the Hessian with the cost at each point it tries first.
    fn cost_grad_hessian(
        &self,
        _params: &[f64],
        _grad: &mut [f64],
        _out: &mut [f64],
    ) -> Option<f64> {
        None
    }
}
