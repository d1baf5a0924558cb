use super::*;
use crate::data::{Dataset, Matrix};
use crate::estimator::{LinearRegression, LogisticRegression, SoftmaxRegression};
use crate::train::{NoObserver, TrainConfig};

#[test]
fn json_round_trip_keeps_every_field() {
    let spec = RunSpec {
        model: ModelKind::Logistic,
        loss: Some(LossKind::Hinge),
        l2: Some(0.5),
        optimizer: "adam".into(),
        lr: Some(0.01),
        beta1: Some(0.8),
        schedule: "step:100:0.5".into(),
        batch_size: Some(8),
        shuffle: false,
        epochs: Some(300),
        validation_fraction: Some(0.2),
        precision: crate::data::Precision::F32,
        init: Some(vec![1.0, -2.5, 0.1]),
        ..RunSpec::default()
    };
    let json = serde_json::to_string(&spec).unwrap();
    assert!(json.contains(r#""model":"logistic""#), "{json}");
    assert!(json.contains(r#""loss":"hinge""#), "{json}");
    assert!(json.contains(r#""precision":"f32""#), "{json}");
    let back: RunSpec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, spec);
}

#[test]
fn a_partial_object_takes_the_defaults() {
    let spec: RunSpec =
        serde_json::from_str(r#"{"batch_size": 4, "loss": "epsilon-insensitive"}"#).unwrap();
    assert_eq!(
        spec,
        RunSpec {
            batch_size: Some(4),
            loss: Some(LossKind::EpsilonInsensitive),
            ..RunSpec::default()
        }
    );
    let empty: RunSpec = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, RunSpec::default());
}

#[test]
fn an_unknown_field_is_refused_by_name() {
    let e = serde_json::from_str::<RunSpec>(r#"{"learning_rate": 0.1}"#).unwrap_err();
    assert!(
        e.to_string().contains("unknown field `learning_rate`"),
        "{e}"
    );
    let e = serde_json::from_str::<RunSpec>(r#"{"model": "tree"}"#).unwrap_err();
    assert!(e.to_string().contains("unknown variant `tree`"), "{e}");
}

#[test]
fn defaults_are_the_libraries_defaults() {
    let spec = RunSpec::default();
    let config = spec.train_config().unwrap();
    let d = TrainConfig::default();
    assert_eq!(config.max_epochs, d.max_epochs);
    assert_eq!(config.batch_size, d.batch_size);
    assert_eq!(config.shuffle, d.shuffle);
    assert_eq!(config.seed, d.seed);
    assert_eq!(config.gtol, d.gtol);
    assert_eq!(config.tol, d.tol);
    assert_eq!(config.n_iter_no_change, d.n_iter_no_change);
    assert_eq!(config.time_limit, d.time_limit);
    assert_eq!(config.threads, d.threads);
    let linear = LinearRegression::default();
    assert_eq!(spec.standardize, linear.standardize);
    assert_eq!(spec.fit_intercept, linear.fit_intercept);
    assert_eq!(spec.regression_loss().unwrap(), linear.loss);
    assert_eq!(spec.penalty_strengths().unwrap(), linear.penalty);
    assert_eq!(spec.precision, linear.precision);
    assert_eq!(spec.validation_fraction, linear.validation_fraction);
    assert_eq!(spec.init, linear.init);
    let logistic = LogisticRegression::default();
    let spec = RunSpec {
        model: ModelKind::Logistic,
        ..RunSpec::default()
    };
    assert_eq!(spec.classification_loss().unwrap(), logistic.loss);
    assert_eq!(spec.standardize, logistic.standardize);
    assert_eq!(
        spec.fit_intercept,
        SoftmaxRegression::default().fit_intercept
    );
    // Mini-batches stop on a stalled cost by default.
    let batched = RunSpec {
        batch_size: Some(4),
        ..RunSpec::default()
    };
    assert_eq!(batched.train_config().unwrap().tol, Some(1e-4));
}

#[test]
fn auto_resolves_with_a_note() {
    let spec = RunSpec {
        optimizer: "auto".into(),
        ..RunSpec::default()
    };
    let newton = spec
        .build_method(MethodFacts {
            exact_hessian: Some(3),
            l1: false,
            ..MethodFacts::default()
        })
        .unwrap();
    assert_eq!(newton.name, "newton");
    assert!(newton.solver.is_some() && newton.lr.is_none());
    assert!(newton
        .note
        .as_deref()
        .unwrap()
        .starts_with("--optimizer auto picked newton ("));
    let l1 = spec
        .build_method(MethodFacts {
            exact_hessian: Some(3),
            l1: true,
            ..MethodFacts::default()
        })
        .unwrap();
    assert_eq!(l1.name, "gd");
    assert!(l1.solver.is_none() && l1.lr.is_some());
    let batched = RunSpec {
        batch_size: Some(2),
        ..spec.clone()
    };
    assert_eq!(
        batched.build_method(MethodFacts::default()).unwrap().name,
        "adam"
    );
    let plain = RunSpec::default()
        .build_method(MethodFacts::default())
        .unwrap();
    assert_eq!((plain.name.as_str(), plain.note), ("gd", None));
}

#[test]
fn errors_name_the_flags() {
    assert_eq!(RunSpec::default().validate(), Ok(()));
    let msg = |spec: RunSpec| spec.validate().unwrap_err().to_string();
    let e = msg(RunSpec {
        optimizer: "fast".into(),
        ..RunSpec::default()
    });
    assert!(e.starts_with("--optimizer: "), "{e}");
    assert!(
        e.contains("lbfgs") && e.contains("auto") && e.contains("adam"),
        "{e}"
    );
    let e = msg(RunSpec {
        optimizer: "lbfgs".into(),
        batch_size: Some(4),
        ..RunSpec::default()
    });
    assert!(
        e.starts_with("--batch-size does not apply to --optimizer lbfgs"),
        "{e}"
    );
    let e = msg(RunSpec {
        optimizer: "adam".into(),
        line_search: Some("armijo".into()),
        ..RunSpec::default()
    });
    assert!(
        e.starts_with("--line-search goes with --optimizer gd"),
        "{e}"
    );
    let e = msg(RunSpec {
        lr: Some(-1.0),
        ..RunSpec::default()
    });
    assert_eq!(e, "--lr -1 must be greater than 0");
    let e = msg(RunSpec {
        model: ModelKind::Softmax,
        loss: Some(LossKind::Hinge),
        ..RunSpec::default()
    });
    assert_eq!(e, "--loss hinge goes with --model logistic (two classes)");
    let e = msg(RunSpec {
        penalty: Some(1.0),
        ..RunSpec::default()
    });
    assert_eq!(e, "--penalty goes with --l1-ratio");
    let e = msg(RunSpec {
        validation_fraction: Some(1.5),
        ..RunSpec::default()
    });
    assert_eq!(
        e,
        "--validation-fraction 1.5 must be strictly between 0 and 1"
    );
}

#[test]
fn elastic_net_splits_the_penalty() {
    let spec = RunSpec {
        penalty: Some(2.0),
        l1_ratio: Some(0.25),
        ..RunSpec::default()
    };
    let p = spec.penalty_strengths().unwrap();
    assert_eq!((p.l1, p.l2), (0.5, 1.5));
}

#[test]
fn command_args_name_only_what_differs() {
    assert!(RunSpec::default().to_command_args().is_empty());
    let spec = RunSpec {
        fit_intercept: false,
        gtol: 1e-9,
        init: Some(vec![-1.5, 2.0]),
        ..RunSpec::default()
    };
    assert_eq!(
        spec.to_command_args(),
        [
            "--no-intercept",
            "--gtol",
            "0.000000001",
            "--init",
            "-1.5,2"
        ]
    );
}

#[test]
fn the_runner_fits_every_model() {
    // y = 2x + 1.
    let x = Matrix::from_rows(&[[0.0], [1.0], [2.0], [3.0]]);
    let data = Dataset::new(x.clone(), vec![1.0, 3.0, 5.0, 7.0]).unwrap();
    let spec = RunSpec {
        optimizer: "auto".into(),
        ..RunSpec::default()
    };
    let f = fit(&spec, data, Problem::default(), &mut NoObserver).unwrap();
    assert_eq!(f.optimizer, "newton");
    assert!(f.note.is_some() && f.converged());
    assert!((f.weights[0][0] - 2.0).abs() < 1e-9 && (f.intercept[0] - 1.0).abs() < 1e-9);

    let labels = Some(vec!["a".to_string(), "b".to_string()]);
    let data = Dataset::new(x.clone(), vec![0.0, 1.0, 0.0, 1.0]).unwrap();
    let spec = RunSpec {
        model: ModelKind::Logistic,
        l2: Some(0.1),
        ..RunSpec::default()
    };
    let problem = Problem {
        classes: labels.clone(),
        polynomial: None,
    };
    let f = fit(&spec, data, problem, &mut NoObserver).unwrap();
    assert_eq!(f.classes, labels);
    assert_eq!((f.weights.len(), f.intercept.len()), (1, 1));
    assert_eq!(f.penalty.l2, 0.1);

    let data = Dataset::new(x, vec![0.0, 1.0, 2.0, 2.0]).unwrap();
    let spec = RunSpec {
        model: ModelKind::Softmax,
        l2: Some(0.1),
        optimizer: "lbfgs".into(),
        ..RunSpec::default()
    };
    let f = fit(&spec, data, Problem::default(), &mut NoObserver).unwrap();
    assert_eq!((f.weights.len(), f.intercept.len()), (3, 3));
    assert_eq!(f.lr, None);
}
