//! The recorded path of a run: every step's parameters, value, gradient norm and rate.

use crate::train::{EpochInfo, Observer};
use std::ops::ControlFlow;

/// Every step of a run: parameters (flat), value, gradient norm and learning rate, the
/// start first. Kept by an observer, so that a run that diverges still has its path up to
/// where it went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// Parameters per step.
    pub dim: usize,
    /// Each step's parameters, one after the other.
    pub params: Vec<f64>,
    /// Each step's value.
    pub values: Vec<f64>,
    /// Each step's gradient norm (NaN on a diverging step: [`Trace::push_diverged`]).
    pub grad_norms: Vec<f64>,
    /// The learning rate of each step (for a solver, the step its line search chose).
    pub lrs: Vec<f64>,
    /// The last entry is the step the run diverged on ([`Trace::push_diverged`]).
    pub diverged_step: bool,
}

impl Trace {
    /// An empty trace of `dim` parameters per step.
    pub fn new(dim: usize) -> Self {
        Trace {
            dim,
            ..Trace::default()
        }
    }

    /// Recorded steps (the start included).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The parameters of step `k` (panics past the end, as slicing does).
    pub fn at(&self, k: usize) -> &[f64] {
        &self.params[k * self.dim..(k + 1) * self.dim]
    }

    /// Appends one step, as the training loop reports it.
    pub fn record(&mut self, info: &EpochInfo<'_>) {
        self.params.extend_from_slice(info.params);
        self.values.push(info.cost);
        self.grad_norms.push(info.grad_norm);
        self.lrs.push(info.lr);
    }

    /// The path in the plane of the first two parameters (empty below two).
    pub fn xy(&self) -> Vec<(f64, f64)> {
        if self.dim < 2 {
            return Vec::new();
        }
        self.params
            .chunks_exact(self.dim)
            .map(|p| (p[0], p[1]))
            .collect()
    }

    /// Adds the step a run diverged on, when its parameters are known and finite (it has
    /// no gradient norm), so the path shows where it went.
    pub fn push_diverged(&mut self, params: Option<Vec<f64>>, value: f64, lr: f64) {
        if let Some(p) = params.filter(|p| p.len() == self.dim) {
            if self.is_empty() || p != self.at(self.len() - 1) {
                self.params.extend_from_slice(&p);
                self.values.push(value);
                self.grad_norms.push(f64::NAN);
                self.lrs.push(lr);
                self.diverged_step = true;
            }
        }
    }

    /// The recorded steps up to the last finite one (the diverging step left out).
    pub fn finite_len(&self) -> usize {
        self.len() - usize::from(self.diverged_step)
    }

    /// Rewrites every recorded parameter vector (e.g. into original units).
    pub fn map_params(&mut self, f: impl FnMut(&mut [f64])) {
        if self.dim > 0 {
            self.params.chunks_exact_mut(self.dim).for_each(f);
        }
    }
}

/// Records every step into a [`Trace`], then hands it to another observer (a progress bar,
/// a Ctrl-C check), whose answer it passes on.
pub struct Recording<'a> {
    /// What has been recorded so far.
    pub trace: Trace,
    inner: &'a mut dyn Observer,
}

impl<'a> Recording<'a> {
    /// A recording of `dim` parameters per step, passing each step on to `inner`.
    pub fn new(dim: usize, inner: &'a mut dyn Observer) -> Self {
        Recording {
            trace: Trace::new(dim),
            inner,
        }
    }
}

impl Observer for Recording<'_> {
    fn observe(&mut self, info: &EpochInfo<'_>) -> ControlFlow<()> {
        self.trace.record(info);
        self.inner.observe(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diverging_step_is_kept_once_and_apart() {
        let mut t = Trace::new(2);
        for (k, p) in [[1.0, 2.0], [0.5, 1.0]].iter().enumerate() {
            t.record(&EpochInfo {
                epoch: k,
                max_epochs: 10,
                cost: 3.0 - k as f64,
                grad_norm: 1.0,
                lr: 0.1,
                validation_cost: None,
                params: p,
            });
        }
        assert_eq!(t.xy(), [(1.0, 2.0), (0.5, 1.0)]);
        // The same parameters as the last step are no new step.
        t.push_diverged(Some(vec![0.5, 1.0]), f64::INFINITY, 0.1);
        assert_eq!((t.len(), t.finite_len()), (2, 2));
        t.push_diverged(Some(vec![1e300, 1.0]), f64::INFINITY, 0.1);
        assert_eq!((t.len(), t.finite_len()), (3, 2));
        assert!(t.grad_norms[2].is_nan());
        t.map_params(|p| p[1] *= 2.0);
        assert_eq!(t.at(1), [0.5, 2.0]);
    }
}
