//! The named test functions: hand-written gradients against automatic differentiation of
//! their formulas, and plain gradient descent reaching their minima.

use downhill::expr::Formula;
use downhill::functions::{self, TestFunction, ALL};
use downhill::objective::Single;
use downhill::optim::Sgd;
use downhill::train::{NoObserver, Report, StopReason, TrainConfig, Trainer};
use downhill::Objective;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn get(name: &str) -> TestFunction {
    functions::by_name(name).unwrap_or_else(|| panic!("no test function {name}"))
}

/// `a` and `b` agree to `tol` relative to the larger of them (and of 1, so that values
/// near zero are compared absolutely).
fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn automatic_gradient_of_the_formula_equals_the_hand_written_one() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for f in ALL {
        let auto = Formula::parse(f.formula()).unwrap_or_else(|e| {
            panic!(
                "{}: {e}\n{}",
                f.name(),
                e.caret(f.formula()).unwrap_or_default()
            )
        });
        assert_eq!(auto.vars(), ["x", "y"], "{}", f.name());
        let (mut g_hand, mut g_auto) = ([0.0; 2], [0.0; 2]);
        for _ in 0..500 {
            let p = [rng.random_range(-4.0..4.0), rng.random_range(-4.0..4.0)];
            let v_hand = f.cost_grad(&p, &mut g_hand);
            let v_auto = auto.cost_grad(&p, &mut g_auto);
            assert!(
                close(v_hand, v_auto, 1e-10),
                "{} at {p:?}: value {v_hand} by hand, {v_auto} by the formula",
                f.name()
            );
            assert_eq!(f.cost(&p), v_hand, "{}", f.name());
            for i in 0..2 {
                assert!(
                    close(g_hand[i], g_auto[i], 1e-10),
                    "{} at {p:?}: gradient {g_hand:?} by hand, {g_auto:?} automatic",
                    f.name()
                );
            }
        }
    }
}

#[test]
fn ackley_gradient_is_zero_at_the_tip_of_its_cone() {
    let mut g = [f64::NAN; 2];
    let v = get("ackley").cost_grad(&[0.0, 0.0], &mut g);
    assert!(v.abs() < 1e-15);
    assert_eq!(g, [0.0, 0.0]);
}

/// Plain gradient descent at a constant learning rate.
fn gd(f: impl Objective, start: &[f64], lr: f64, max_epochs: usize) -> Report {
    let config = TrainConfig {
        max_epochs,
        gtol: 0.0,
        gtol_abs: 1e-10,
        record_params: false,
        ..TrainConfig::default()
    };
    Trainer::new(Box::new(Sgd::new()), lr)
        .with_config(config)
        .run(&Single(f), start.to_vec(), &mut NoObserver)
        .expect("the run does not diverge")
}

/// Asserts that `report` converged to the global minimum of `f` nearest to it.
fn assert_at_minimum(f: &TestFunction, report: &Report) {
    assert_eq!(
        report.stop_reason,
        StopReason::GradientTolerance,
        "{}: {:?} after {} epochs",
        f.name(),
        report.params,
        report.epochs
    );
    let (m, dist) = f.nearest_minimum(&report.params).unwrap();
    assert!(
        dist < 1e-6,
        "{}: ended at {:?}, {dist} from {m:?}",
        f.name(),
        report.params
    );
    let want = f.min_value().unwrap();
    assert!(
        (report.cost - want).abs() < 1e-10,
        "{}: cost {}",
        f.name(),
        report.cost
    );
}

#[test]
fn rosenbrock_from_its_usual_start() {
    let f = get("rosenbrock");
    let report = gd(f, f.start(), 1e-3, 100_000);
    assert_at_minimum(&f, &report);
}

#[test]
fn beale_from_its_usual_start() {
    let f = get("beale");
    let report = gd(f, f.start(), 0.01, 20_000);
    assert_at_minimum(&f, &report);
    assert_eq!(report.params.len(), 2);
}

#[test]
fn himmelblau_from_the_origin_reaches_one_of_its_four_minima() {
    let f = get("himmelblau");
    assert_eq!(f.start(), [0.0, 0.0]);
    let report = gd(f, f.start(), 0.01, 10_000);
    assert_at_minimum(&f, &report);
    assert_eq!(f.minima().len(), 4);
}

#[test]
fn himmelblau_formula_trains_like_the_hand_written_function() {
    let f = get("himmelblau");
    let auto = Formula::parse(f.formula()).unwrap();
    let by_hand = gd(f, f.start(), 0.01, 10_000);
    let automatic = gd(auto, f.start(), 0.01, 10_000);
    assert_at_minimum(&f, &automatic);
    for (a, b) in automatic.params.iter().zip(&by_hand.params) {
        assert!(
            (a - b).abs() < 1e-9,
            "{:?} vs {:?}",
            automatic.params,
            by_hand.params
        );
    }
}

#[test]
fn the_smooth_functions_from_their_usual_starts() {
    // (name, learning rate, epochs): the rate is below 2 / (largest curvature on the path).
    for (name, lr, epochs) in [
        ("booth", 0.05, 10_000),
        ("matyas", 1.0, 10_000),
        ("goldstein-price", 1e-5, 20_000),
        ("three-hump-camel", 0.05, 10_000),
        ("bowl", 0.2, 10_000),
    ] {
        let f = get(name);
        let report = gd(f, f.start(), lr, epochs);
        assert_at_minimum(&f, &report);
    }
}

#[test]
fn rastrigin_inside_the_basin_of_its_minimum() {
    let f = get("rastrigin");
    let report = gd(f, &[0.3, -0.2], 1e-3, 10_000);
    assert_at_minimum(&f, &report);
}

#[test]
fn rastrigin_and_ackley_trap_gradient_descent_from_their_usual_starts() {
    for (name, lr) in [("rastrigin", 1e-3), ("ackley", 1e-3)] {
        let f = get(name);
        let report = gd(f, f.start(), lr, 50_000);
        assert_eq!(report.stop_reason, StopReason::GradientTolerance, "{name}");
        let (_, dist) = f.nearest_minimum(&report.params).unwrap();
        assert!(dist > 0.5, "{name}: {:?}", report.params);
        assert!(report.cost > 1.0, "{name}: {}", report.cost);
    }
}

#[test]
fn ackley_inside_the_basin_of_its_minimum() {
    // The minimum is the tip of a cone: the gradient norm stays near 2*sqrt(2) all the way
    // down, so a constant step never meets a gradient tolerance and ends up hopping
    // across the tip, about 1.4 * lr from it. A small rate puts it within 1e-6.
    let f = get("ackley");
    let report = gd(f, &[0.05, -0.03], 5e-7, 100_000);
    let (_, dist) = f.nearest_minimum(&report.params).unwrap();
    assert!(dist < 1e-6, "ended at {:?}", report.params);
    assert!(report.cost < 1e-5, "cost {}", report.cost);
}

#[test]
fn saddle_descends_without_bound_until_the_epoch_limit() {
    let f = get("saddle");
    assert!(f.unbounded_below());
    assert!(f.minima().is_empty() && f.min_value().is_none());
    let report = gd(f, &[1.0, 1e-3], 0.1, 100);
    assert_eq!(report.stop_reason, StopReason::MaxEpochs);
    assert_eq!(report.epochs, 100);
    let costs: Vec<f64> = report.history.records().iter().map(|r| r.cost).collect();
    assert_eq!(costs.len(), 101);
    assert!(costs.windows(2).all(|w| w[1] < w[0]), "{costs:?}");
    // x shrinks by 0.8 and y grows by 1.2 per step: y = 1e-3 * 1.2^100 ~ 8.3e4.
    let y = 1e-3 * 1.2f64.powi(100);
    assert!(close(report.params[1], y, 1e-9), "{:?}", report.params);
    assert!(report.cost < -1e9, "cost {}", report.cost);
}
