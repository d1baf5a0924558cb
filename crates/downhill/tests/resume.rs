//! Issues 14 and 15: a run saved after epoch k and resumed (through JSON) ends with the same
//! bits as the run that went straight on, for every first-order optimizer, every schedule,
//! the extras, full and shuffled mini-batches, and early stopping.

mod common;

use downhill::data::Dataset;
use downhill::estimator::{FittedLinear, LinearRegression};
use downhill::optim::{build, default_lr, wrap, Extras, Hyper};
use downhill::schedule::parse;
use downhill::train::{Checkpoints, EpochInfo, NoObserver, Observer, TrainConfig, TrainState};
use downhill::Result;
use std::ops::ControlFlow;

const OPTIMIZERS: [&str; 11] = [
    "gd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamax", "nadam",
    "amsgrad", "adamw",
];

fn stackloss() -> Dataset {
    common::dataset(
        "stackloss.csv",
        &["AIRFLOW", "WATERTEMP", "ACIDCONC"],
        "STACKLOSS",
    )
}

/// Saves every state it is handed (every `every` epochs and at the end) and resumes from
/// `resume`.
#[derive(Default)]
struct Saver {
    resume: Option<TrainState>,
    every: usize,
    saved: Vec<TrainState>,
}

impl Observer for Saver {
    fn observe(&mut self, _info: &EpochInfo<'_>) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }

    fn checkpoints(&mut self) -> Option<&mut dyn Checkpoints> {
        Some(self)
    }
}

impl Checkpoints for Saver {
    fn resume(&mut self) -> Result<Option<TrainState>> {
        Ok(self.resume.take())
    }

    fn due(&mut self, epoch: usize) -> bool {
        self.every > 0 && epoch.is_multiple_of(self.every)
    }

    fn save(&mut self, state: &TrainState) -> Result<()> {
        self.saved.push(state.clone());
        Ok(())
    }
}

#[derive(Clone)]
struct Setup {
    optimizer: &'static str,
    schedule: &'static str,
    extras: Extras,
    batch_size: Option<usize>,
    validation: Option<f64>,
}

impl Setup {
    fn new(optimizer: &'static str) -> Self {
        Setup {
            optimizer,
            schedule: "constant",
            extras: Extras::default(),
            batch_size: None,
            validation: None,
        }
    }

    fn estimator(&self, epochs: usize) -> LinearRegression {
        let opt = build(self.optimizer, &Hyper::default()).unwrap();
        let lr = default_lr(self.optimizer).unwrap();
        LinearRegression {
            optimizer: wrap(opt, &self.extras).unwrap(),
            schedule: parse(self.schedule, lr).unwrap(),
            validation_fraction: self.validation,
            config: TrainConfig {
                max_epochs: epochs,
                batch_size: self.batch_size,
                seed: 3,
                threads: 1,
                n_iter_no_change: 3,
                ..TrainConfig::default()
            },
            ..LinearRegression::default()
        }
    }

    fn straight(&self, epochs: usize) -> FittedLinear {
        self.estimator(epochs)
            .fit_with(stackloss(), &mut NoObserver)
            .unwrap()
    }

    /// `k` epochs, the state through JSON, then on to `epochs`.
    fn resumed(&self, k: usize, epochs: usize) -> FittedLinear {
        let mut first = Saver::default();
        self.estimator(k).fit_with(stackloss(), &mut first).unwrap();
        let state = first.saved.pop().expect("the last epoch is saved");
        assert_eq!(state.epoch, k.min(state.epoch));
        let json = serde_json::to_string(&state).unwrap();
        let back: TrainState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state, "JSON round trip");
        let mut second = Saver {
            resume: Some(back),
            ..Saver::default()
        };
        self.estimator(epochs)
            .fit_with(stackloss(), &mut second)
            .unwrap()
    }
}

fn same_bits(a: &FittedLinear, b: &FittedLinear, what: &str) {
    let bits = |f: &FittedLinear| {
        let mut v: Vec<u64> = f.weights.iter().map(|w| w.to_bits()).collect();
        v.push(f.intercept.to_bits());
        v.push(f.cost.to_bits());
        v
    };
    assert_eq!(bits(a), bits(b), "{what}: parameters and cost");
    assert_eq!(a.epochs, b.epochs, "{what}: epochs");
    assert_eq!(a.stop_reason, b.stop_reason, "{what}: stop reason");
    assert_eq!(a.history, b.history, "{what}: history");
}

fn check(setup: &Setup, what: &str) {
    let straight = setup.straight(14);
    assert!(straight.epochs > 7, "{what}: ran past the split");
    same_bits(&straight, &setup.resumed(7, 14), what);
}

#[test]
fn every_optimizer_full_batch() {
    for name in OPTIMIZERS {
        check(&Setup::new(name), name);
    }
}

#[test]
fn every_optimizer_shuffled_mini_batches() {
    for name in OPTIMIZERS {
        let setup = Setup {
            batch_size: Some(4),
            ..Setup::new(name)
        };
        check(&setup, &format!("{name}, batches of 4"));
    }
}

#[test]
fn every_schedule() {
    for schedule in [
        "step:3:0.5",
        "exp:0.9",
        "invscaling:0.5",
        "cosine:20",
        "plateau:1:2:0.5",
        "warmup:3+plateau:1:2:0.5",
    ] {
        for batch_size in [None, Some(5)] {
            let setup = Setup {
                schedule,
                batch_size,
                ..Setup::new("momentum")
            };
            check(&setup, &format!("{schedule}, batch {batch_size:?}"));
        }
    }
}

#[test]
fn the_extras() {
    let extras = [
        Extras {
            clip_norm: Some(0.5),
            ..Extras::default()
        },
        Extras {
            noise: Some(0.3),
            seed: 9,
            ..Extras::default()
        },
        Extras {
            average: Some(3),
            ..Extras::default()
        },
        Extras {
            clip_norm: Some(1.0),
            noise: Some(0.01),
            seed: 2,
            average: Some(0),
        },
    ];
    for (i, e) in extras.into_iter().enumerate() {
        let setup = Setup {
            extras: e,
            batch_size: Some(3),
            ..Setup::new("adam")
        };
        check(&setup, &format!("extras {i}"));
    }
}

#[test]
fn early_stopping_resumes_its_patience_and_best_epoch() {
    // Plateau halving the rate every epoch makes the held-out cost stall quickly.
    let setup = Setup {
        validation: Some(0.25),
        batch_size: Some(2),
        schedule: "exp:0.3",
        ..Setup::new("sgd")
    };
    let straight = setup.straight(400);
    assert_eq!(
        straight.stop_reason,
        downhill::train::StopReason::EarlyStopping
    );
    let k = straight.epochs - 2;
    same_bits(&straight, &setup.resumed(k, 400), "early stopping");
    // Saved after the stop: a resume with a larger limit runs no further epoch.
    same_bits(
        &straight,
        &setup.resumed(straight.epochs, 800),
        "after the stop",
    );
}

#[test]
fn states_every_n_epochs_are_the_states_of_the_straight_run() {
    let setup = Setup {
        batch_size: Some(4),
        ..Setup::new("adam")
    };
    let mut every = Saver {
        every: 3,
        ..Saver::default()
    };
    setup
        .estimator(10)
        .fit_with(stackloss(), &mut every)
        .unwrap();
    let epochs: Vec<usize> = every.saved.iter().map(|s| s.epoch).collect();
    assert_eq!(epochs, [3, 6, 9, 10]);
    // Resuming from epoch 6 and stopping at 9 gives epoch 9's state.
    let mut again = Saver {
        resume: Some(every.saved[1].clone()),
        ..Saver::default()
    };
    setup
        .estimator(9)
        .fit_with(stackloss(), &mut again)
        .unwrap();
    assert_eq!(again.saved.last(), Some(&every.saved[2]));
}

#[test]
fn another_optimizer_or_size_is_refused() {
    let mut first = Saver::default();
    Setup::new("adam")
        .estimator(3)
        .fit_with(stackloss(), &mut first)
        .unwrap();
    let state = first.saved.pop().unwrap();
    let mut other = Saver {
        resume: Some(state.clone()),
        ..Saver::default()
    };
    let err = Setup::new("nadam")
        .estimator(6)
        .fit_with(stackloss(), &mut other)
        .unwrap_err()
        .to_string();
    assert!(err.contains("adam's, not nadam's"), "{err}");
    let mut batch = Saver {
        resume: Some(state),
        ..Saver::default()
    };
    let err = Setup {
        batch_size: Some(4),
        ..Setup::new("adam")
    }
    .estimator(6)
    .fit_with(stackloss(), &mut batch)
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("batch size None, this run has Some(4)"),
        "{err}"
    );
}

#[test]
fn solvers_refuse_checkpoints() {
    let mut est = LinearRegression {
        solver: Some(Box::new(downhill::solver::Lbfgs::new(5))),
        ..LinearRegression::default()
    };
    let err = est
        .fit_with(stackloss(), &mut Saver::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("lbfgs keeps state of its own"), "{err}");
}

/// Through the run description, as every front door runs: the state carries the data and
/// the settings, and a resume on other data or other settings names the difference.
#[test]
fn the_runner_stamps_data_and_settings() {
    use downhill::spec::{fit, Problem, RunSpec};
    let spec = RunSpec {
        optimizer: "adam".into(),
        lr: Some(0.01),
        batch_size: Some(4),
        epochs: Some(5),
        threads: 1,
        ..RunSpec::default()
    };
    let mut first = Saver::default();
    fit(&spec, stackloss(), Problem::default(), &mut first).unwrap();
    let state = first.saved.pop().unwrap();
    let print = state.fingerprint.clone();
    assert_eq!(
        print.data.as_ref().map(|d| (d.rows, d.columns)),
        Some((21, 3))
    );
    let settings = print.settings.unwrap();
    assert_eq!(settings.get("--lr").map(String::as_str), Some("0.01"));
    assert!(!settings.contains_key("--epochs"), "{settings:?}");

    let resume = |spec: &RunSpec, data: Dataset| {
        let mut s = Saver {
            resume: Some(state.clone()),
            ..Saver::default()
        };
        fit(spec, data, Problem::default(), &mut s).map(|f| f.weights)
    };
    let longer = RunSpec {
        epochs: Some(10),
        ..spec.clone()
    };
    let straight = fit(&longer, stackloss(), Problem::default(), &mut NoObserver).unwrap();
    assert_eq!(resume(&longer, stackloss()).unwrap(), straight.weights);

    let other_lr = RunSpec {
        lr: Some(0.02),
        ..longer.clone()
    };
    let err = resume(&other_lr, stackloss()).unwrap_err().to_string();
    assert!(err.contains("--lr 0.01, this run has 0.02"), "{err}");

    let mut other = stackloss();
    other.y[3] += 1.0;
    let err = resume(&longer, other).unwrap_err().to_string();
    assert!(err.contains("data with checksum"), "{err}");
}

#[test]
fn full_batch_l1_is_refused() {
    use downhill::spec::{fit, Problem, RunSpec};
    let spec = RunSpec {
        l1: Some(0.1),
        epochs: Some(5),
        ..RunSpec::default()
    };
    let err = fit(
        &spec,
        stackloss(),
        Problem::default(),
        &mut Saver::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("L1 penalty cannot be saved"), "{err}");
}
