//! A [`RunSpec`] written back as the `downhill fit` flags that reproduce it ("copy as
//! command").

use super::{ModelKind, RunSpec};
use crate::data::Precision;

impl RunSpec {
    /// The `downhill fit` flags that give this description: only the fields that differ
    /// from the defaults, each flag followed by its value. Numbers are written so that
    /// they read back exactly.
    pub fn to_command_args(&self) -> Vec<String> {
        let d = RunSpec::default();
        let mut out = Args(Vec::new());
        if self.model != ModelKind::Linear {
            out.flag("--model", self.model.as_str());
        }
        if let Some(l) = self.loss {
            out.flag("--loss", l.as_str());
        }
        out.number_if("--huber-delta", self.huber_delta, d.huber_delta);
        out.number_if("--epsilon", self.epsilon, d.epsilon);
        out.some("--degree", self.degree);
        if let Some(c) = &self.degree_columns {
            out.flag("--degree-columns", &c.join(","));
        }
        out.switch("--no-intercept", !self.fit_intercept);
        if let Some(p) = &self.positive {
            out.flag("--positive", p);
        }
        out.some("--l2", self.l2);
        out.some("--l1", self.l1);
        out.some("--l1-ratio", self.l1_ratio);
        out.some("--penalty", self.penalty);
        out.switch("--no-standardize", !self.standardize);
        if self.precision != Precision::F64 {
            out.flag("--precision", self.precision.as_str());
        }
        if self.optimizer != d.optimizer {
            out.flag("--optimizer", &self.optimizer);
        }
        out.some("--lr", self.lr);
        out.some("--momentum", self.momentum);
        out.some("--beta1", self.beta1);
        out.some("--beta2", self.beta2);
        out.some("--eps", self.eps);
        out.some("--rho", self.rho);
        out.some("--weight-decay", self.weight_decay);
        if let Some(ls) = &self.line_search {
            out.flag("--line-search", ls);
        }
        out.number_if("--history-size", self.history_size, d.history_size);
        if self.schedule != d.schedule {
            out.flag("--schedule", &self.schedule);
        }
        out.some("--clip-norm", self.clip_norm);
        out.some("--gradient-noise", self.gradient_noise);
        out.some("--average", self.average);
        out.some("--batch-size", self.batch_size);
        out.switch("--no-shuffle", !self.shuffle);
        out.some("--epochs", self.epochs);
        out.number_if("--gtol", self.gtol, d.gtol);
        out.some("--tol", self.tol);
        out.number_if("--patience", self.patience, d.patience);
        out.some("--validation-fraction", self.validation_fraction);
        out.some("--time-limit", self.time_limit);
        out.number_if("--seed", self.seed, d.seed);
        out.number_if("--threads", self.threads, d.threads);
        if let Some(init) = &self.init {
            let values: Vec<String> = init.iter().map(f64::to_string).collect();
            out.flag("--init", &values.join(","));
        }
        if let Some(c) = &self.checkpoint {
            out.flag("--checkpoint", c);
        }
        out.some("--checkpoint-every", self.checkpoint_every);
        if let Some(r) = &self.resume {
            out.flag("--resume", r);
        }
        out.0
    }
}

/// The flags as they are written.
struct Args(Vec<String>);

impl Args {
    fn flag(&mut self, flag: &str, value: &str) {
        self.0.push(flag.into());
        self.0.push(value.into());
    }

    fn switch(&mut self, flag: &str, on: bool) {
        if on {
            self.0.push(flag.into());
        }
    }

    /// `Display` of floats is the shortest text that parses back to the same value.
    fn some<T: ToString>(&mut self, flag: &str, v: Option<T>) {
        if let Some(v) = v {
            self.flag(flag, &v.to_string());
        }
    }

    fn number_if<T: ToString + PartialEq>(&mut self, flag: &str, v: T, default: T) {
        if v != default {
            self.flag(flag, &v.to_string());
        }
    }
}
