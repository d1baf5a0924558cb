//! The state of an update rule between two steps, as plain data: what a checkpoint stores
//! so that a run continues bit for bit ([`Optimizer::state`](super::Optimizer::state),
//! [`Optimizer::restore`](super::Optimizer::restore)).

use crate::train::RngState;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// An optimizer's state: its per-parameter buffers (moments, velocities, averages), its
/// running scalars (step counts, `beta^t` products), a random stream, and the state of the
/// optimizer it wraps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimizerState {
    /// The optimizer's own name (a wrapper's own name, not the one it reports).
    pub name: String,
    /// Steps taken since `init`, where the rule counts them.
    #[serde(default)]
    pub steps: u64,
    /// Running scalars, in the rule's order.
    #[serde(default, with = "crate::train::floats")]
    pub scalars: Vec<f64>,
    /// Per-parameter buffers, in the rule's order, each as long as the parameters.
    #[serde(default)]
    pub buffers: Vec<Vec<f64>>,
    /// A random stream (gradient noise).
    #[serde(default)]
    pub rng: Option<RngState>,
    /// The wrapped optimizer's state.
    #[serde(default)]
    pub inner: Option<Box<OptimizerState>>,
}

impl OptimizerState {
    /// A state named `name` with nothing in it yet.
    pub fn new(name: &str) -> Self {
        OptimizerState {
            name: name.to_string(),
            steps: 0,
            scalars: Vec::new(),
            buffers: Vec::new(),
            rng: None,
            inner: None,
        }
    }

    /// With these buffers.
    pub fn buffers(mut self, buffers: &[&[f64]]) -> Self {
        self.buffers = buffers.iter().map(|b| b.to_vec()).collect();
        self
    }

    /// With these scalars.
    pub fn scalars(mut self, scalars: &[f64]) -> Self {
        self.scalars = scalars.to_vec();
        self
    }

    /// With this step count.
    pub fn steps(mut self, steps: u64) -> Self {
        self.steps = steps;
        self
    }

    /// With the wrapped optimizer's state.
    pub fn inner(mut self, inner: OptimizerState) -> Self {
        self.inner = Some(Box::new(inner));
        self
    }

    /// Checks that this state belongs to optimizer `name` with `n_scalars` scalars and
    /// buffers as long as `into`, then copies the buffers into `into` (sized by `init`).
    pub fn restore_into(
        &self,
        name: &str,
        n_scalars: usize,
        into: &mut [&mut Vec<f64>],
    ) -> Result<()> {
        if self.name != name {
            return Err(Error::setting(
                "optimizer",
                format!("the saved state is {}'s, not {name}'s", self.name),
            ));
        }
        if self.scalars.len() != n_scalars || self.buffers.len() != into.len() {
            return Err(Error::setting(
                "optimizer",
                format!(
                    "the saved state of {name} has {} scalars and {} buffers, not {n_scalars} and {}",
                    self.scalars.len(),
                    self.buffers.len(),
                    into.len()
                ),
            ));
        }
        for (b, dst) in self.buffers.iter().zip(into.iter_mut()) {
            if b.len() != dst.len() {
                return Err(Error::Shape {
                    what: "saved optimizer state",
                    expected: dst.len(),
                    got: b.len(),
                });
            }
            dst.copy_from_slice(b);
        }
        Ok(())
    }

    /// The wrapped optimizer's state, or an error naming `name`.
    pub fn inner_state(&self, name: &str) -> Result<&OptimizerState> {
        self.inner.as_deref().ok_or_else(|| {
            Error::setting(
                "optimizer",
                format!("the saved state of {name} lacks the state of the optimizer it wraps"),
            )
        })
    }
}
