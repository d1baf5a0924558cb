//! Flags to the run description: the one place the command line becomes a
//! [`RunSpec`], which the library checks, builds and runs.

use crate::cli::{self, FitArgs, ModelArgs, TrainArgs};
use downhill::data::Precision;
use downhill::spec::{LossKind, ModelKind, RunSpec};

/// The description `downhill fit` runs.
pub fn of_fit(args: &FitArgs) -> RunSpec {
    let c = &args.checkpoints;
    let path = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
    RunSpec {
        checkpoint: path(&c.checkpoint),
        checkpoint_every: c.checkpoint_every,
        resume: path(&c.resume),
        ..of_flags(&args.model, &args.train, args.init.clone())
    }
}

/// The description of a descent with the model's defaults (minimize and compare, which
/// take no model flags).
pub fn of_train(t: &TrainArgs) -> RunSpec {
    with_train(RunSpec::default(), t)
}

/// Model and training flags, with the starting parameters.
pub fn of_flags(m: &ModelArgs, t: &TrainArgs, init: Option<Vec<f64>>) -> RunSpec {
    let spec = RunSpec {
        model: model_kind(m.model),
        loss: m.loss.map(|l| match l {
            cli::LossKind::Squared => LossKind::Squared,
            cli::LossKind::Absolute => LossKind::Absolute,
            cli::LossKind::Huber => LossKind::Huber,
            cli::LossKind::EpsilonInsensitive => LossKind::EpsilonInsensitive,
            cli::LossKind::Log => LossKind::Log,
            cli::LossKind::Hinge => LossKind::Hinge,
        }),
        huber_delta: m.huber_delta,
        epsilon: m.epsilon,
        degree: m.degree,
        degree_columns: m.degree_columns.clone(),
        fit_intercept: !m.no_intercept,
        positive: m.positive.clone(),
        l2: m.l2,
        l1: m.l1,
        l1_ratio: m.l1_ratio,
        penalty: m.penalty,
        standardize: !m.no_standardize,
        precision: match m.precision {
            cli::Precision::F64 => Precision::F64,
            cli::Precision::F32 => Precision::F32,
        },
        init,
        ..RunSpec::default()
    };
    with_train(spec, t)
}

/// The model `--model` names.
pub fn model_kind(k: cli::ModelKind) -> ModelKind {
    match k {
        cli::ModelKind::Linear => ModelKind::Linear,
        cli::ModelKind::Logistic => ModelKind::Logistic,
        cli::ModelKind::Softmax => ModelKind::Softmax,
    }
}

fn with_train(spec: RunSpec, t: &TrainArgs) -> RunSpec {
    RunSpec {
        optimizer: t.optimizer.clone(),
        lr: t.lr,
        momentum: t.momentum,
        beta1: t.beta1,
        beta2: t.beta2,
        eps: t.eps,
        rho: t.rho,
        weight_decay: t.weight_decay,
        line_search: t.line_search.clone(),
        history_size: t.history_size,
        schedule: t.schedule.clone(),
        clip_norm: t.clip_norm,
        gradient_noise: t.gradient_noise,
        average: t.average,
        batch_size: t.batch_size,
        shuffle: !t.no_shuffle,
        epochs: t.epochs,
        gtol: t.gtol,
        tol: t.tol,
        patience: t.patience,
        validation_fraction: t.validation_fraction,
        time_limit: t.time_limit,
        seed: t.seed,
        threads: t.threads,
        ..spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[String]) -> RunSpec {
        let mut argv: Vec<String> = ["downhill", "fit", "data.csv", "-t", "y"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        argv.extend(args.iter().cloned());
        match Cli::try_parse_from(&argv) {
            Ok(Cli {
                command: Command::Fit(args),
            }) => of_fit(&args),
            Ok(_) => panic!("not a fit: {argv:?}"),
            Err(e) => panic!("{argv:?}: {e}"),
        }
    }

    #[test]
    fn defaults_agree_with_the_flags() {
        assert_eq!(parse(&[]), RunSpec::default());
    }

    #[test]
    fn command_args_parse_back_to_the_same_spec() {
        let specs = [
            RunSpec {
                model: ModelKind::Logistic,
                loss: Some(LossKind::Hinge),
                degree: Some(3),
                degree_columns: Some(vec!["a".into(), "b c".into()]),
                fit_intercept: false,
                positive: Some("yes".into()),
                l2: Some(0.0017),
                l1: Some(1e-5),
                standardize: false,
                precision: Precision::F32,
                optimizer: "adam".into(),
                lr: Some(0.01),
                beta1: Some(0.8),
                beta2: Some(0.99),
                eps: Some(1e-7),
                schedule: "warmup:5+cosine:100".into(),
                clip_norm: Some(5.0),
                gradient_noise: Some(0.01),
                average: Some(0),
                batch_size: Some(16),
                shuffle: false,
                epochs: Some(250),
                gtol: 1e-9,
                tol: Some(1e-6),
                patience: 3,
                validation_fraction: Some(0.2),
                time_limit: Some(1.5),
                seed: 42,
                threads: 2,
                init: Some(vec![-1.25, 0.1, 3e-20]),
                ..RunSpec::default()
            },
            RunSpec {
                model: ModelKind::Softmax,
                loss: Some(LossKind::Log),
                huber_delta: 2.5,
                epsilon: 0.0,
                l1_ratio: Some(0.5),
                penalty: Some(0.1),
                optimizer: "momentum".into(),
                momentum: Some(-0.5),
                rho: Some(0.9),
                weight_decay: Some(0.01),
                history_size: 4,
                average: Some(7),
                ..RunSpec::default()
            },
            RunSpec {
                line_search: Some("wolfe".into()),
                loss: Some(LossKind::EpsilonInsensitive),
                ..RunSpec::default()
            },
        ];
        for spec in specs {
            let args = spec.to_command_args();
            assert_eq!(parse(&args), spec, "{args:?}");
        }
    }
}
