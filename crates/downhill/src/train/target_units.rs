//! A run on a scaled target ([`TargetScale`]), seen by observers and reported in the target's
//! own units, so that no caller meets the optimizer's private coordinates of the target.

use super::{EpochInfo, Observer, Report};
use crate::data::TargetScale;
use std::ops::ControlFlow;

/// How the scaled problem maps back: it is the original one divided by `factor`, its
/// parameters `[w.., b]` are the original ones through [`TargetScale::to_scaled`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct TargetUnits {
    pub target: TargetScale,
    pub factor: f64,
    pub intercept: bool,
}

impl TargetUnits {
    /// Gradients scale by `factor / scale`: the cost by `factor`, the parameters by `scale`.
    fn grad_factor(&self) -> f64 {
        self.factor / self.target.scale
    }

    /// An observer that shows `user` the target's units.
    pub fn observer<'a>(&self, user: &'a mut dyn Observer) -> UnitsObserver<'a> {
        UnitsObserver {
            units: *self,
            user,
            params: Vec::new(),
        }
    }

    /// The report's parameters, costs and gradient norms (history included) in the target's
    /// units.
    pub fn report(&self, report: &mut Report) {
        let (t, i, f, g) = (self.target, self.intercept, self.factor, self.grad_factor());
        t.to_original(&mut report.params, i);
        report.cost *= f;
        report.grad_norm *= g;
        report.validation_cost = report.validation_cost.map(|v| v * f);
        report.history.map_params(|p| t.to_original(p, i));
        report.history.map_records(|r| {
            r.cost *= f;
            r.grad_norm *= g;
            r.validation_cost = r.validation_cost.map(|v| v * f);
        });
    }
}

/// See [`TargetUnits::observer`].
pub(crate) struct UnitsObserver<'a> {
    units: TargetUnits,
    user: &'a mut dyn Observer,
    params: Vec<f64>,
}

impl Observer for UnitsObserver<'_> {
    fn checkpoints(&mut self) -> Option<&mut dyn super::Checkpoints> {
        self.user.checkpoints()
    }

    fn observe(&mut self, info: &EpochInfo<'_>) -> ControlFlow<()> {
        let u = &self.units;
        self.params.clear();
        self.params.extend_from_slice(info.params);
        u.target.to_original(&mut self.params, u.intercept);
        self.user.observe(&EpochInfo {
            cost: info.cost * u.factor,
            grad_norm: info.grad_norm * u.grad_factor(),
            validation_cost: info.validation_cost.map(|v| v * u.factor),
            params: &self.params,
            ..*info
        })
    }
}
