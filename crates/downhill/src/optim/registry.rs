//! Optimizers by name, for the command line: [`build`], [`default_lr`], [`wrap`] and the
//! [`CATALOG`] behind `downhill optimizers`.

use super::{
    Adadelta, Adagrad, Adam, AdamW, Adamax, AmsGrad, Averaged, ClipNorm, GradientNoise, Momentum,
    Nadam, Nesterov, Optimizer, RmsProp, Sgd,
};
use crate::{Error, Result};

/// Hyperparameters given on the command line; `None` keeps the optimizer's default. Each
/// field is named after its flag (`--lr`, `--momentum`, `--beta1`, `--beta2`, `--eps`,
/// `--rho`, `--weight-decay`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Hyper {
    /// Learning rate (`--lr`): positive. Not held by the optimizer but by the schedule; see
    /// [`Hyper::lr_for`].
    pub lr: Option<f64>,
    /// Momentum term `gamma` of `momentum` and `nesterov` (`--momentum`), in `[0, 1)`.
    pub momentum: Option<f64>,
    /// First-moment decay of the Adam family (`--beta1`), in `[0, 1)`.
    pub beta1: Option<f64>,
    /// Second-moment decay of the Adam family (`--beta2`), in `[0, 1)`.
    pub beta2: Option<f64>,
    /// Smoothing term (`--eps`), positive.
    pub eps: Option<f64>,
    /// Decay of the running averages of `adadelta` and `rmsprop` (`--rho`), in `[0, 1)`.
    pub rho: Option<f64>,
    /// Decoupled weight decay of `adamw` (`--weight-decay`), at least 0.
    pub weight_decay: Option<f64>,
}

/// One optimizer as `downhill optimizers` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptimizerInfo {
    /// The name [`build`] accepts.
    pub name: &'static str,
    /// The update rule on one line (`g` the gradient, `t` the step count from 1).
    pub rule: &'static str,
    /// The defaults, learning rate first.
    pub defaults: &'static str,
    /// Which published form this is, where there is more than one.
    pub note: &'static str,
}

/// Every optimizer [`build`] knows, in the order of Ruder's overview (arXiv:1609.04747).
///
/// On the stackloss data (full batch, standardised features and target, default `gtol`)
/// every one reaches the least-squares solution to 1e-4 relative in every coefficient
/// (`tests/optimizers.rs`, `every_optimizer_fits_stackloss`, which says why):
///
/// | optimizer | lr | schedule | epochs |
/// |---|---|---|---|
/// | gd, sgd | 0.1 (default) | constant | 629 |
/// | momentum | 0.01 (default) | constant | 527 |
/// | nesterov | 0.01 (default) | constant | 479 |
/// | adagrad | 1 | constant | 209 |
/// | adadelta | 0.1 (default) | constant | 2097 |
/// | rmsprop | 0.1 | `exp:0.995` | 1586 |
/// | adam | 0.001 (default) | constant | 7255 |
/// | adamax | 0.002 (default) | constant | 4043 |
/// | nadam | 0.002 | `exp:0.9995` | 18202 |
/// | amsgrad | 0.03 | constant | 559 |
/// | adamw | 0.001 (default, weight decay 0.01) | constant | 60000 (limit; error 4e-6) |
///
/// At a constant rate rmsprop hovers at a distance of about lr, and nadam crawls at a
/// distance proportional to lr (1.8e-3 relative at 0.002), which is why both decay; the
/// cost is within 2e-5 of the optimum either way. At their default rates adagrad (error 3e-5
/// at 50,000 epochs) and amsgrad (40,599 epochs) get there slowly.
pub const CATALOG: &[OptimizerInfo] = &[
    OptimizerInfo {
        name: "gd",
        rule: "theta -= lr * g",
        defaults: "lr 0.1",
        note: "batch gradient descent; the same rule as sgd (full batch unless --batch-size)",
    },
    OptimizerInfo {
        name: "sgd",
        rule: "theta -= lr * g",
        defaults: "lr 0.1",
        note: "stochastic / mini-batch gradient descent with --batch-size; the same rule as gd",
    },
    OptimizerInfo {
        name: "momentum",
        rule: "v = gamma*v + lr*g; theta -= v",
        defaults: "lr 0.01, momentum 0.9",
        note: "Ruder's form (lr inside v); PyTorch's buf = gamma*buf + g; theta -= lr*buf \
               is the same at a constant lr",
    },
    OptimizerInfo {
        name: "nesterov",
        rule: "v = gamma*v + lr*grad(theta - gamma*v); theta -= v",
        defaults: "lr 0.01, momentum 0.9",
        note: "holds the look-ahead point phi = theta - gamma*v and steps \
               phi -= gamma^2*v + (1+gamma)*lr*g, then v = gamma*v + lr*g (PyTorch's \
               nesterov=True); reports phi",
    },
    OptimizerInfo {
        name: "adagrad",
        rule: "G += g^2; theta -= lr / sqrt(G + eps) * g",
        defaults: "lr 0.01, eps 1e-8",
        note: "eps inside the root as in Ruder (PyTorch adds it outside)",
    },
    OptimizerInfo {
        name: "adadelta",
        rule: "E[g2] = rho*E[g2] + (1-rho)*g^2; dx = -sqrt(E[dx2]+eps)/sqrt(E[g2]+eps)*g; \
               E[dx2] = rho*E[dx2] + (1-rho)*dx^2; theta += lr*dx",
        defaults: "lr 0.1, rho 0.9, eps 1e-6",
        note: "lr is a multiplier as in PyTorch; --lr 1 is Zeiler's rule, but near the optimum \
               eps dominates both roots and the rule becomes gradient descent with step lr, \
               which drifts away where lr exceeds 2 / (the Hessian's largest eigenvalue): so \
               gd's default 0.1",
    },
    OptimizerInfo {
        name: "rmsprop",
        rule: "E[g2] = rho*E[g2] + (1-rho)*g^2; theta -= lr / sqrt(E[g2] + eps) * g",
        defaults: "lr 0.001, rho 0.9, eps 1e-8",
        note: "Ruder's form and defaults, eps inside the root (PyTorch: outside, alpha 0.99)",
    },
    OptimizerInfo {
        name: "adam",
        rule: "m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; \
               theta -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)",
        defaults: "lr 0.001, beta1 0.9, beta2 0.999, eps 1e-8",
        note: "Kingma & Ba, bias-corrected, eps outside the root",
    },
    OptimizerInfo {
        name: "adamax",
        rule: "m = b1*m + (1-b1)*g; u = max(b2*u, |g|); theta -= (lr/(1-b1^t)) * m/u",
        defaults: "lr 0.002, beta1 0.9, beta2 0.999",
        note: "no eps (as the paper); a component with u = 0 has had only zero gradients \
               and does not move",
    },
    OptimizerInfo {
        name: "nadam",
        rule: "m, v as adam; theta -= lr / (sqrt(v/(1-b2^t)) + eps) * \
               (b1*m/(1-b1^t) + (1-b1)*g/(1-b1^t))",
        defaults: "lr 0.002, beta1 0.9, beta2 0.999, eps 1e-8",
        note: "Ruder's form (eq. 24), constant b1; PyTorch's NAdam adds a momentum-decay \
               schedule",
    },
    OptimizerInfo {
        name: "amsgrad",
        rule: "m, v as adam; vmax = max(vmax, v); \
               theta -= lr * (m/(1-b1^t)) / (sqrt(vmax/(1-b2^t)) + eps)",
        defaults: "lr 0.001, beta1 0.9, beta2 0.999, eps 1e-8",
        note: "PyTorch's Adam(amsgrad=True): bias-corrected; Ruder's eq. 27 has no bias \
               correction",
    },
    OptimizerInfo {
        name: "adamw",
        rule: "theta -= lr*wd*theta; then the adam step with the gradient of the cost",
        defaults: "lr 0.001, beta1 0.9, beta2 0.999, eps 1e-8, weight-decay 0.01",
        note: "PyTorch's AdamW: decoupled decay scaled by lr, applied to every parameter \
               (intercept included); not an L2 penalty in the cost",
    },
];

/// The names [`build`] accepts, in catalog order.
pub fn names() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().map(|i| i.name)
}

/// The catalog entry of `name`.
pub fn info(name: &str) -> Option<&'static OptimizerInfo> {
    CATALOG.iter().find(|i| i.name == name)
}

/// The default learning rate of optimizer `name` (`None` for an unknown name): 0.1 for
/// `gd`/`sgd` (the estimator's default, for standardised features), 0.01 for `momentum`,
/// `nesterov` and `adagrad`, 0.1 for `adadelta` (a multiplier: near the optimum its step is
/// gd's with step lr, so gd's default; Zeiler's rule is 1), 0.001 for `rmsprop`, `adam`,
/// `amsgrad`, `adamw`, and 0.002 for `adamax` and `nadam`.
pub fn default_lr(name: &str) -> Option<f64> {
    Some(match name {
        "gd" | "sgd" => 0.1,
        "momentum" | "nesterov" | "adagrad" => 0.01,
        "adadelta" => 0.1,
        "rmsprop" | "adam" | "amsgrad" | "adamw" => 0.001,
        "adamax" | "nadam" => 0.002,
        _ => return None,
    })
}

/// Which [`Hyper`] fields an optimizer takes (besides `lr`, which all take).
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Momentum,
    Beta1,
    Beta2,
    Eps,
    Rho,
    WeightDecay,
}

impl Field {
    fn setting(self) -> &'static str {
        match self {
            Field::Momentum => "momentum",
            Field::Beta1 => "beta1",
            Field::Beta2 => "beta2",
            Field::Eps => "eps",
            Field::Rho => "rho",
            Field::WeightDecay => "weight decay",
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Field::Momentum => "--momentum",
            Field::Beta1 => "--beta1",
            Field::Beta2 => "--beta2",
            Field::Eps => "--eps",
            Field::Rho => "--rho",
            Field::WeightDecay => "--weight-decay",
        }
    }

    fn get(self, h: &Hyper) -> Option<f64> {
        match self {
            Field::Momentum => h.momentum,
            Field::Beta1 => h.beta1,
            Field::Beta2 => h.beta2,
            Field::Eps => h.eps,
            Field::Rho => h.rho,
            Field::WeightDecay => h.weight_decay,
        }
    }

    /// Checks a value against the field's range.
    fn check(self, v: f64) -> Result<f64> {
        let (ok, range) = match self {
            Field::Momentum | Field::Beta1 | Field::Beta2 | Field::Rho => {
                ((0.0..1.0).contains(&v), "must be in [0, 1)")
            }
            Field::Eps => (v > 0.0 && v.is_finite(), "must be positive and finite"),
            Field::WeightDecay => (v >= 0.0 && v.is_finite(), "must be at least 0 and finite"),
        };
        if ok {
            Ok(v)
        } else {
            Err(Error::setting(
                self.setting(),
                format!("{} {v} {range}", self.flag()),
            ))
        }
    }
}

const ALL_FIELDS: [Field; 6] = [
    Field::Momentum,
    Field::Beta1,
    Field::Beta2,
    Field::Eps,
    Field::Rho,
    Field::WeightDecay,
];

/// The fields optimizer `name` takes; `None` for an unknown name.
fn fields(name: &str) -> Option<&'static [Field]> {
    use Field::*;
    Some(match name {
        "gd" | "sgd" => &[],
        "momentum" | "nesterov" => &[Momentum],
        "adagrad" => &[Eps],
        "adadelta" | "rmsprop" => &[Rho, Eps],
        "adam" | "nadam" | "amsgrad" => &[Beta1, Beta2, Eps],
        "adamax" => &[Beta1, Beta2],
        "adamw" => &[Beta1, Beta2, Eps, WeightDecay],
        _ => return None,
    })
}

fn unknown(name: &str) -> Error {
    let known: Vec<&str> = names().collect();
    Error::setting(
        "optimizer",
        format!("unknown optimizer `{name}`; known: {}", known.join(", ")),
    )
}

impl Hyper {
    /// The learning rate for optimizer `name`: `lr` when given (checked: positive and
    /// finite), else the optimizer's [`default_lr`].
    pub fn lr_for(&self, name: &str) -> Result<f64> {
        match self.lr {
            Some(lr) if lr > 0.0 && lr.is_finite() => Ok(lr),
            Some(lr) => Err(Error::setting(
                "learning rate",
                format!("--lr {lr} must be positive and finite"),
            )),
            None => default_lr(name).ok_or_else(|| unknown(name)),
        }
    }
}

/// The optimizer called `name` with the hyperparameters in `h` (defaults for `None`).
///
/// Every value is checked against its range, and a hyperparameter the optimizer does not
/// take is an error rather than silently ignored (`--rho` with `adam` says which flags
/// `adam` takes). `h.lr` is checked too, though the learning rate belongs to the schedule:
/// get it with [`Hyper::lr_for`]. An unknown name gives an error listing the known ones.
///
/// ```
/// use downhill::optim::{build, Hyper};
///
/// let adam = build("adam", &Hyper { beta1: Some(0.8), ..Hyper::default() }).unwrap();
/// assert_eq!(adam.name(), "adam");
/// assert!(build("adam", &Hyper { beta1: Some(1.0), ..Hyper::default() }).is_err());
/// assert!(build("adam", &Hyper { rho: Some(0.9), ..Hyper::default() }).is_err());
/// ```
pub fn build(name: &str, h: &Hyper) -> Result<Box<dyn Optimizer>> {
    let takes = fields(name).ok_or_else(|| unknown(name))?;
    h.lr_for(name)?;
    for f in ALL_FIELDS {
        let Some(v) = f.get(h) else { continue };
        if !takes.contains(&f) {
            let mut flags = vec!["--lr"];
            flags.extend(takes.iter().map(|t| t.flag()));
            return Err(Error::setting(
                f.setting(),
                format!(
                    "{} does not apply to {name}, which takes {}",
                    f.flag(),
                    flags.join(", ")
                ),
            ));
        }
        f.check(v)?;
    }
    let or = |v: Option<f64>, d: f64| v.unwrap_or(d);
    Ok(match name {
        "gd" | "sgd" => Box::new(Sgd::new()),
        "momentum" => Box::new(Momentum::with_gamma(or(h.momentum, Momentum::GAMMA))),
        "nesterov" => Box::new(Nesterov::with_gamma(or(h.momentum, Nesterov::GAMMA))),
        "adagrad" => Box::new(Adagrad::with_eps(or(h.eps, Adagrad::EPS))),
        "adadelta" => Box::new(Adadelta::with(
            or(h.rho, Adadelta::RHO),
            or(h.eps, Adadelta::EPS),
        )),
        "rmsprop" => Box::new(RmsProp::with(
            or(h.rho, RmsProp::RHO),
            or(h.eps, RmsProp::EPS),
        )),
        "adam" => Box::new(Adam::with(
            or(h.beta1, Adam::BETA1),
            or(h.beta2, Adam::BETA2),
            or(h.eps, Adam::EPS),
        )),
        "adamax" => Box::new(Adamax::with(
            or(h.beta1, Adamax::BETA1),
            or(h.beta2, Adamax::BETA2),
        )),
        "nadam" => Box::new(Nadam::with(
            or(h.beta1, Nadam::BETA1),
            or(h.beta2, Nadam::BETA2),
            or(h.eps, Nadam::EPS),
        )),
        "amsgrad" => Box::new(AmsGrad::with(
            or(h.beta1, AmsGrad::BETA1),
            or(h.beta2, AmsGrad::BETA2),
            or(h.eps, AmsGrad::EPS),
        )),
        "adamw" => Box::new(AdamW::with(
            or(h.beta1, Adam::BETA1),
            or(h.beta2, Adam::BETA2),
            or(h.eps, Adam::EPS),
            or(h.weight_decay, AdamW::WEIGHT_DECAY),
        )),
        _ => return Err(unknown(name)),
    })
}

/// The composable extras, as command-line flags: `--clip-norm`, `--gradient-noise`,
/// `--average`. `None` leaves an extra off.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Extras {
    /// Clip the gradient to this global norm ([`ClipNorm`]); positive.
    pub clip_norm: Option<f64>,
    /// Add annealed Gaussian noise of this `eta` ([`GradientNoise`]); positive.
    pub noise: Option<f64>,
    /// Seed of the noise stream.
    pub seed: u64,
    /// Report the average of the iterates after this many steps ([`Averaged`]; 0 averages
    /// every iterate).
    pub average: Option<u64>,
}

/// Wraps `opt` in the extras asked for. The gradient gets its noise first and is then
/// clipped, so a clipped step stays bounded by `lr * clip_norm` whatever the noise; the
/// average is outermost, so it is what the run reports.
pub fn wrap(opt: Box<dyn Optimizer>, extras: &Extras) -> Result<Box<dyn Optimizer>> {
    let mut opt = opt;
    if let Some(c) = extras.clip_norm {
        if !(c > 0.0 && c.is_finite()) {
            return Err(Error::setting(
                "clip norm",
                format!("--clip-norm {c} must be positive and finite"),
            ));
        }
        opt = Box::new(ClipNorm::new(opt, c));
    }
    if let Some(eta) = extras.noise {
        if !(eta > 0.0 && eta.is_finite()) {
            return Err(Error::setting(
                "gradient noise",
                format!("--gradient-noise {eta} must be positive and finite"),
            ));
        }
        opt = Box::new(GradientNoise::new(opt, eta, extras.seed));
    }
    if let Some(start) = extras.average {
        opt = Box::new(Averaged::new(opt, start));
    }
    Ok(opt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_name_builds_and_has_a_default_lr() {
        for info in CATALOG {
            let opt = build(info.name, &Hyper::default()).unwrap();
            // gd is an alias of sgd; every other optimizer reports its own name.
            let want = if info.name == "gd" { "sgd" } else { info.name };
            assert_eq!(opt.name(), want);
            let lr = default_lr(info.name).unwrap();
            assert!(
                info.defaults.starts_with(&format!("lr {lr}")),
                "{}: catalog says `{}`, default_lr {lr}",
                info.name,
                info.defaults
            );
        }
        assert_eq!(CATALOG.len(), 12);
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let err = build("adamm", &Hyper::default()).unwrap_err().to_string();
        assert!(err.contains("adamm") && err.contains("nesterov") && err.contains("adamw"));
        assert!(default_lr("adamm").is_none());
    }

    #[test]
    fn values_out_of_range_name_their_flag() {
        let cases = [
            (
                "adam",
                Hyper {
                    beta1: Some(1.0),
                    ..Hyper::default()
                },
                "--beta1",
            ),
            (
                "adam",
                Hyper {
                    beta2: Some(-0.1),
                    ..Hyper::default()
                },
                "--beta2",
            ),
            (
                "adam",
                Hyper {
                    eps: Some(0.0),
                    ..Hyper::default()
                },
                "--eps",
            ),
            (
                "momentum",
                Hyper {
                    momentum: Some(f64::NAN),
                    ..Hyper::default()
                },
                "--momentum",
            ),
            (
                "rmsprop",
                Hyper {
                    rho: Some(1.5),
                    ..Hyper::default()
                },
                "--rho",
            ),
            (
                "adamw",
                Hyper {
                    weight_decay: Some(-1.0),
                    ..Hyper::default()
                },
                "--weight-decay",
            ),
            (
                "sgd",
                Hyper {
                    lr: Some(0.0),
                    ..Hyper::default()
                },
                "--lr",
            ),
            (
                "sgd",
                Hyper {
                    lr: Some(f64::INFINITY),
                    ..Hyper::default()
                },
                "--lr",
            ),
        ];
        for (name, h, flag) in cases {
            let err = build(name, &h).unwrap_err().to_string();
            assert!(err.contains(flag), "{name}: {err}");
        }
        // In range: accepted, and the value is used.
        assert!(build(
            "nesterov",
            &Hyper {
                momentum: Some(0.0),
                ..Hyper::default()
            }
        )
        .is_ok());
    }

    #[test]
    fn flags_that_do_not_apply_are_rejected() {
        let err = build(
            "adam",
            &Hyper {
                rho: Some(0.9),
                ..Hyper::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("--rho does not apply to adam"), "{err}");
        assert!(err.contains("--beta1"), "{err}");
        assert!(build(
            "sgd",
            &Hyper {
                momentum: Some(0.9),
                ..Hyper::default()
            }
        )
        .is_err());
        assert!(build(
            "adamax",
            &Hyper {
                eps: Some(1e-8),
                ..Hyper::default()
            }
        )
        .is_err());
    }

    #[test]
    fn lr_for_prefers_the_given_rate() {
        assert_eq!(Hyper::default().lr_for("adam").unwrap(), 0.001);
        let h = Hyper {
            lr: Some(0.5),
            ..Hyper::default()
        };
        assert_eq!(h.lr_for("adam").unwrap(), 0.5);
        assert!(Hyper::default().lr_for("nope").is_err());
    }

    #[test]
    fn wrap_checks_and_orders_the_extras() {
        let bad = Extras {
            clip_norm: Some(0.0),
            ..Extras::default()
        };
        assert!(wrap(Box::new(Sgd::new()), &bad).is_err());
        let bad = Extras {
            noise: Some(-1.0),
            ..Extras::default()
        };
        assert!(wrap(Box::new(Sgd::new()), &bad).is_err());
        let all = Extras {
            clip_norm: Some(1.0),
            noise: Some(0.01),
            seed: 1,
            average: Some(0),
        };
        let opt = wrap(Box::new(Sgd::new()), &all).unwrap();
        assert_eq!(opt.name(), "sgd");
        // Debug output shows the nesting: average outside, then noise, then clipping.
        let dbg = format!("{opt:?}");
        let (a, n, c) = (
            dbg.find("Averaged").unwrap(),
            dbg.find("GradientNoise").unwrap(),
            dbg.find("ClipNorm").unwrap(),
        );
        assert!(a < n && n < c, "{dbg}");
    }
}
