use super::{FiniteSum, Hessian, Objective, Rows};

/// An [`Objective`] with a Hessian by central differences of its exact gradient, so that
/// Newton's method runs on any function with a gradient (a test function, a typed formula).
///
/// Column `j` of the Hessian is `(g(x + h_j e_j) - g(x - h_j e_j)) / (2 h_j)` with
/// `h_j = eps^(1/3) * max(1, |x_j|)` (about `6e-6`, which balances the `h^2` truncation
/// error against rounding in the gradient), and the result is symmetrised. It costs `2 dim`
/// gradient evaluations, so it suits the few-parameter problems Newton's method is for.
///
/// It is also a [`FiniteSum`] of one row (as [`Single`](super::Single)) that says it has a
/// Hessian, so the training loop hands it to Newton's method directly:
///
/// ```
/// use downhill::objective::FdHessian;
/// use downhill::solver::{self, SolverOptions};
/// use downhill::train::{NoObserver, TrainConfig, Trainer};
/// use downhill::{functions, optim::Sgd};
///
/// let rosenbrock = functions::by_name("rosenbrock").unwrap();
/// let newton = solver::by_name("newton", &SolverOptions::default()).unwrap();
/// let mut trainer = Trainer::new(Box::new(Sgd::new()), 1.0).with_solver(newton);
/// let report = trainer
///     .run(&FdHessian(rosenbrock), vec![-1.2, 1.0], &mut NoObserver)
///     .unwrap();
/// assert!(report.params.iter().all(|p| (p - 1.0).abs() < 1e-8));
/// ```
#[derive(Debug, Clone)]
pub struct FdHessian<O>(pub O);

impl<O: Objective> FdHessian<O> {
    /// The wrapped objective.
    pub fn inner(&self) -> &O {
        &self.0
    }
}

impl<O: Objective> Objective for FdHessian<O> {
    fn dim(&self) -> usize {
        self.0.dim()
    }

    fn cost_grad(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        self.0.cost_grad(params, grad)
    }

    fn cost(&self, params: &[f64]) -> f64 {
        self.0.cost(params)
    }
}

impl<O: Objective> Hessian for FdHessian<O> {
    fn hessian(&self, params: &[f64], out: &mut [f64]) {
        let n = params.len();
        debug_assert_eq!(out.len(), n * n);
        // Allocating here is fine: Newton's own solve costs n^3 per call.
        let mut x = params.to_vec();
        let mut plus = vec![0.0; n];
        let mut minus = vec![0.0; n];
        let h0 = f64::EPSILON.cbrt();
        for j in 0..n {
            let xj = params[j];
            let h = h0 * xj.abs().max(1.0);
            // The step actually taken, after rounding of x +- h.
            let (up, down) = (xj + h, xj - h);
            x[j] = up;
            self.0.cost_grad(&x, &mut plus);
            x[j] = down;
            self.0.cost_grad(&x, &mut minus);
            x[j] = xj;
            let width = up - down;
            for i in 0..n {
                out[i * n + j] = (plus[i] - minus[i]) / width;
            }
        }
        // The exact Hessian is symmetric; averaging removes half the difference error.
        for i in 0..n {
            for j in i + 1..n {
                let m = 0.5 * (out[i * n + j] + out[j * n + i]);
                out[i * n + j] = m;
                out[j * n + i] = m;
            }
        }
    }
}

impl<O: Objective> FiniteSum for FdHessian<O> {
    fn n_rows(&self) -> usize {
        1
    }

    fn dim(&self) -> usize {
        self.0.dim()
    }

    fn accumulate(&self, params: &[f64], rows: Rows<'_>, grad: &mut [f64]) -> f64 {
        if rows.is_empty() {
            return 0.0;
        }
        // The objective overwrites and a FiniteSum adds: write in place when the slot
        // starts at zero (the training loop's way), else through a buffer.
        if grad.iter().all(|g| *g == 0.0) {
            self.0.cost_grad(params, grad)
        } else {
            let mut g = vec![0.0; grad.len()];
            let cost = self.0.cost_grad(params, &mut g);
            grad.iter_mut().zip(&g).for_each(|(a, b)| *a += b);
            cost
        }
    }

    fn loss_sum(&self, params: &[f64], rows: Rows<'_>) -> f64 {
        if rows.is_empty() {
            0.0
        } else {
            self.0.cost(params)
        }
    }

    fn has_hessian(&self) -> bool {
        true
    }

    fn hessian_sum(&self, params: &[f64], rows: Rows<'_>, out: &mut [f64]) {
        if rows.is_empty() {
            return;
        }
        let mut h = vec![0.0; out.len()];
        self.hessian(params, &mut h);
        out.iter_mut().zip(&h).for_each(|(o, v)| *o += v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions;

    /// f = x^2 y + 3 y^3 + exp(x): Hessian [[2y + e^x, 2x], [2x, 18y]].
    struct Cubic;

    impl Objective for Cubic {
        fn dim(&self) -> usize {
            2
        }
        fn cost_grad(&self, p: &[f64], g: &mut [f64]) -> f64 {
            let (x, y) = (p[0], p[1]);
            g[0] = 2.0 * x * y + x.exp();
            g[1] = x * x + 9.0 * y * y;
            self.cost(p)
        }
        fn cost(&self, p: &[f64]) -> f64 {
            let (x, y) = (p[0], p[1]);
            x * x * y + 3.0 * y.powi(3) + x.exp()
        }
    }

    #[test]
    fn matches_the_exact_hessian() {
        for p in [[0.3, -1.2], [2.0, 5.0], [-40.0, 1e3]] {
            let mut h = [0.0; 4];
            FdHessian(Cubic).hessian(&p, &mut h);
            let (x, y) = (p[0], p[1]);
            let exact = [2.0 * y + x.exp(), 2.0 * x, 2.0 * x, 18.0 * y];
            for (a, b) in h.iter().zip(&exact) {
                assert!(
                    (a - b).abs() <= 1e-7 * b.abs().max(1.0),
                    "{p:?}: {h:?} vs {exact:?}"
                );
            }
            assert_eq!(h[1], h[2]);
        }
    }

    #[test]
    fn rosenbrock_hessian_at_the_minimum() {
        // [[802, -400], [-400, 200]] at (1, 1).
        let f = FdHessian(functions::by_name("rosenbrock").unwrap());
        let mut h = [0.0; 4];
        f.hessian(&[1.0, 1.0], &mut h);
        for (a, b) in h.iter().zip(&[802.0, -400.0, -400.0, 200.0]) {
            assert!((a - b).abs() < 1e-6, "{h:?}");
        }
        assert!(f.has_hessian());
        let mut sum = [1.0; 4];
        f.hessian_sum(&[1.0, 1.0], Rows::Range(0..1), &mut sum);
        assert!((sum[0] - 803.0).abs() < 1e-6);
    }

    #[test]
    fn accumulate_adds_like_a_finite_sum() {
        let f = FdHessian(Cubic);
        let mut g = [0.0; 2];
        let c = f.accumulate(&[0.0, 1.0], Rows::Range(0..1), &mut g);
        assert_eq!((c, g), (4.0, [1.0, 9.0]));
        let mut g = [1.0, 1.0];
        f.accumulate(&[0.0, 1.0], Rows::Range(0..1), &mut g);
        assert_eq!(g, [2.0, 10.0]);
        assert_eq!(f.accumulate(&[0.0, 1.0], Rows::Range(0..0), &mut g), 0.0);
    }
}
