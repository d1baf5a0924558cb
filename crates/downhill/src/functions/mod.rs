//! Named test functions for optimizers, each with a hand-written gradient and what is known
//! about it: the usual start, the minima, whether it is bounded below.
//!
//! Each one's [`formula`](TestFunction::formula) is written in the syntax of
//! [`expr`](crate::expr), so the same function can also be compiled with automatic
//! differentiation (and the two gradients compared).
//!
//! ```
//! use downhill::functions;
//! use downhill::Objective;
//!
//! let f = functions::by_name("rosenbrock").unwrap();
//! assert_eq!(f.start(), [-1.2, 1.0]);
//! assert_eq!(f.cost(f.minima()[0]), 0.0);
//! ```

mod ackley;
mod beale;
mod booth;
mod bowl;
mod goldstein_price;
mod himmelblau;
mod matyas;
mod rastrigin;
mod rosenbrock;
mod saddle;
mod three_hump_camel;

use crate::Objective;

/// A named test function: a hand-written cost and gradient, and what is known about it.
/// A small `Copy` value; it implements [`Objective`], so `Single(f)` trains on it.
#[derive(Clone, Copy)]
pub struct TestFunction {
    name: &'static str,
    description: &'static str,
    formula: &'static str,
    start: &'static [f64],
    minima: &'static [&'static [f64]],
    min_value: Option<f64>,
    gd_lr: f64,
    gd_epochs: usize,
    unbounded_below: bool,
    cost: fn(&[f64]) -> f64,
    cost_grad: fn(&[f64], &mut [f64]) -> f64,
}

impl TestFunction {
    /// The name users type, e.g. `goldstein-price`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// One line about its shape and why it is a test.
    pub fn description(&self) -> &'static str {
        self.description
    }

    /// The function in the syntax of [`expr`](crate::expr), its variables named `x` and
    /// `y` (in that order once sorted).
    pub fn formula(&self) -> &'static str {
        self.formula
    }

    /// The usual starting point.
    pub fn start(&self) -> &'static [f64] {
        self.start
    }

    /// The global minima (empty when there is none).
    pub fn minima(&self) -> &'static [&'static [f64]] {
        self.minima
    }

    /// The value at the global minima, when there are some.
    pub fn min_value(&self) -> Option<f64> {
        self.min_value
    }

    /// A learning rate at which plain gradient descent is stable all the way from the usual
    /// start to the minimum it finds there (with about a factor of two to spare against the
    /// largest curvature met), so a run with no rate given reaches a minimum. For the
    /// unbounded saddle, the rate of every other gradient descent (0.1).
    pub fn gd_lr(&self) -> f64 {
        self.gd_lr
    }

    /// Enough steps for gradient descent at [`gd_lr`](Self::gd_lr) to bring the gradient
    /// norm from the usual start down by the training loop's default `gtol` (1e-13),
    /// with room to spare: 10 000 (the loop's default) except where a slow valley needs
    /// more.
    pub fn gd_epochs(&self) -> usize {
        self.gd_epochs
    }

    /// True when the function decreases without bound (a run on it diverges or stops at
    /// its epoch limit).
    pub fn unbounded_below(&self) -> bool {
        self.unbounded_below
    }

    /// The global minimum nearest to `params` (Euclidean) and the distance to it; `None`
    /// when there is no minimum.
    pub fn nearest_minimum(&self, params: &[f64]) -> Option<(&'static [f64], f64)> {
        self.minima
            .iter()
            .map(|m| {
                let d2: f64 = m.iter().zip(params).map(|(a, b)| (a - b) * (a - b)).sum();
                (*m, d2.sqrt())
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

impl Objective for TestFunction {
    fn dim(&self) -> usize {
        self.start.len()
    }

    fn cost_grad(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        debug_assert_eq!(params.len(), self.dim());
        debug_assert_eq!(grad.len(), self.dim());
        (self.cost_grad)(params, grad)
    }

    fn cost(&self, params: &[f64]) -> f64 {
        debug_assert_eq!(params.len(), self.dim());
        (self.cost)(params)
    }
}

impl std::fmt::Debug for TestFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestFunction")
            .field("name", &self.name)
            .field("formula", &self.formula)
            .field("start", &self.start)
            .field("minima", &self.minima)
            .field("min_value", &self.min_value)
            .field("gd_lr", &self.gd_lr)
            .field("gd_epochs", &self.gd_epochs)
            .field("unbounded_below", &self.unbounded_below)
            .finish()
    }
}

/// Every test function, in the order `downhill` lists them.
pub const ALL: &[TestFunction] = &[
    rosenbrock::ROSENBROCK,
    beale::BEALE,
    booth::BOOTH,
    himmelblau::HIMMELBLAU,
    matyas::MATYAS,
    goldstein_price::GOLDSTEIN_PRICE,
    three_hump_camel::THREE_HUMP_CAMEL,
    rastrigin::RASTRIGIN,
    ackley::ACKLEY,
    saddle::SADDLE,
    bowl::BOWL,
];

/// The test function called `name`. Case does not matter, and `_` or a space may stand for
/// `-` (`Goldstein_Price` finds `goldstein-price`).
pub fn by_name(name: &str) -> Option<TestFunction> {
    let wanted: String = name
        .trim()
        .chars()
        .map(|c| match c {
            '_' | ' ' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    ALL.iter().find(|f| f.name == wanted).copied()
}

/// The names of all test functions, for help texts and error messages.
pub fn names() -> impl Iterator<Item = &'static str> {
    ALL.iter().map(|f| f.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_forgiving_about_case_and_separators() {
        assert_eq!(
            by_name("Goldstein_Price").unwrap().name(),
            "goldstein-price"
        );
        assert_eq!(
            by_name(" three hump camel ").unwrap().name(),
            "three-hump-camel"
        );
        assert!(by_name("rosenbrok").is_none());
        assert_eq!(names().count(), ALL.len());
    }

    #[test]
    fn metadata_is_consistent() {
        for f in ALL {
            assert_eq!(f.dim(), 2, "{}", f.name);
            assert_eq!(f.unbounded_below, f.minima.is_empty(), "{}", f.name);
            assert_eq!(f.unbounded_below, f.min_value.is_none(), "{}", f.name);
            for m in f.minima {
                assert_eq!(m.len(), f.dim(), "{}", f.name);
            }
            assert!(by_name(f.name).is_some());
        }
    }

    #[test]
    fn minima_are_flat_and_have_the_minimum_value() {
        for f in ALL {
            let mut g = [f64::NAN; 2];
            for m in f.minima {
                let v = f.cost_grad(m, &mut g);
                let want = f.min_value.unwrap();
                assert!((v - want).abs() < 1e-13, "{}: {v}", f.name);
                assert_eq!(f.cost(m), v, "{}", f.name);
                // The irrational minima are rounded to f64, so the gradient is tiny, not 0.
                assert!(g.iter().all(|gi| gi.abs() < 1e-12), "{}: {g:?}", f.name);
            }
        }
    }

    #[test]
    fn nearest_minimum() {
        let h = by_name("himmelblau").unwrap();
        let (m, d) = h.nearest_minimum(&[3.0, 2.5]).unwrap();
        assert_eq!(m, [3.0, 2.0]);
        assert!((d - 0.5).abs() < 1e-15);
        assert!(by_name("saddle")
            .unwrap()
            .nearest_minimum(&[0.0, 0.0])
            .is_none());
    }
}
