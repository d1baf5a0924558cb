//! Every loss's derivative, and the full gradients of the logistic and softmax models,
//! against central finite differences; values of the losses by hand.

use downhill::data::Matrix;
use downhill::loss::{Absolute, EpsilonInsensitive, Hinge, Huber, LogLoss, Loss, Squared};
use downhill::model::{Linear, Softmax};
use downhill::objective::FullBatch;
use downhill::penalty::Penalty;
use downhill::{FiniteSum, Objective, Rows};
use proptest::prelude::*;

/// Central difference of `f` at `t`.
fn central(f: impl Fn(f64) -> f64, t: f64, h: f64) -> f64 {
    (f(t + h) - f(t - h)) / (2.0 * h)
}

/// Checks `value_deriv` against `value` and finite differences at `pred`, where the loss is
/// smooth on `[pred - h, pred + h]`.
fn check<L: Loss>(loss: L, pred: f64, target: f64) -> Result<(), TestCaseError> {
    let h = 1e-6;
    let (v, d) = loss.value_deriv(pred, target);
    prop_assert_eq!(v, loss.value(pred, target));
    let fd = central(|p| loss.value(p, target), pred, h);
    prop_assert!(
        (d - fd).abs() <= 1e-6 * (1.0 + d.abs()),
        "d {} vs fd {}",
        d,
        fd
    );
    let fd2 = central(|p| loss.value_deriv(p, target).1, pred, h);
    let s = loss.second_deriv(pred, target);
    prop_assert!(
        (s - fd2).abs() <= 1e-5 * (1.0 + s.abs()),
        "d2 {} vs fd {}",
        s,
        fd2
    );
    Ok(())
}

/// True when `r` is at least `gap` away from every kink in `kinks`.
fn away(r: f64, kinks: &[f64], gap: f64) -> bool {
    kinks.iter().all(|k| (r - k).abs() > gap)
}

proptest! {
    #[test]
    fn squared(pred in -50.0..50.0f64, target in -50.0..50.0f64) {
        check(Squared, pred, target)?;
    }

    #[test]
    fn absolute(pred in -50.0..50.0f64, target in -50.0..50.0f64) {
        prop_assume!(away(pred - target, &[0.0], 1e-3));
        check(Absolute, pred, target)?;
    }

    #[test]
    fn huber(pred in -10.0..10.0f64, target in -10.0..10.0f64, delta in 0.1..5.0f64) {
        let r = pred - target;
        // The derivative is continuous at +-delta, the second derivative is not.
        prop_assume!(away(r, &[-delta, delta], 1e-3));
        check(Huber::new(delta), pred, target)?;
    }

    #[test]
    fn epsilon_insensitive(pred in -10.0..10.0f64, target in -10.0..10.0f64, eps in 0.0..3.0f64) {
        prop_assume!(away(pred - target, &[-eps, eps], 1e-3));
        check(EpsilonInsensitive::new(eps), pred, target)?;
    }

    #[test]
    fn log_loss(z in -30.0..30.0f64, y in 0..2u8) {
        check(LogLoss, z, f64::from(y))?;
    }

    #[test]
    fn hinge(z in -5.0..5.0f64, y in 0..2u8) {
        let s = 2.0 * f64::from(y) - 1.0;
        prop_assume!(away(s * z, &[1.0], 1e-3));
        check(Hinge, z, f64::from(y))?;
    }

    /// The logistic model's gradient (mean log-loss plus L2) against finite differences of
    /// its cost in every parameter.
    #[test]
    fn logistic_model_gradient(
        xs in prop::collection::vec(-3.0..3.0f64, 12),
        ys in prop::collection::vec(0..2u8, 4),
        params in prop::collection::vec(-2.0..2.0f64, 4),
        l2 in 0.0..1.0f64,
    ) {
        let x = Matrix::from_row_major(4, 3, xs).unwrap();
        let y: Vec<f64> = ys.into_iter().map(f64::from).collect();
        let model = Linear::new(&x, &y, LogLoss).penalty(Penalty { l1: 0.0, l2 });
        gradient_matches(&FullBatch::new(&model), &params)?;
    }

    /// The softmax model's full gradient (K = 3 classes, intercepts, L2) against finite
    /// differences.
    #[test]
    fn softmax_model_gradient(
        xs in prop::collection::vec(-3.0..3.0f64, 10),
        ys in prop::collection::vec(0..3u8, 5),
        params in prop::collection::vec(-2.0..2.0f64, 9),
        l2 in 0.0..1.0f64,
    ) {
        let x = Matrix::from_row_major(5, 2, xs).unwrap();
        let y: Vec<f64> = ys.into_iter().map(f64::from).collect();
        let model = Softmax::new(&x, &y, 3).unwrap().penalty(Penalty { l1: 0.0, l2 });
        gradient_matches(&FullBatch::new(&model), &params)?;
    }

    /// Without intercepts, and on an index subset of rows (mini-batches use those).
    #[test]
    fn softmax_gradient_without_intercepts_on_a_batch(
        xs in prop::collection::vec(-3.0..3.0f64, 12),
        ys in prop::collection::vec(0..4u8, 4),
        params in prop::collection::vec(-2.0..2.0f64, 12),
    ) {
        let x = Matrix::from_row_major(4, 3, xs).unwrap();
        let y: Vec<f64> = ys.into_iter().map(f64::from).collect();
        let model = Softmax::new(&x, &y, 4).unwrap().intercept(false);
        prop_assert_eq!(model.dim(), 12);
        let rows = [3usize, 1];
        let mut g = vec![0.0; 12];
        let loss = model.accumulate(&params, Rows::Indices(&rows), &mut g);
        prop_assert!((loss - model.loss_sum(&params, Rows::Indices(&rows))).abs() < 1e-12);
        let h = 1e-6;
        for j in 0..12 {
            let f = |t: f64| {
                let mut p = params.clone();
                p[j] = t;
                model.loss_sum(&p, Rows::Indices(&rows))
            };
            let fd = central(f, params[j], h);
            prop_assert!((g[j] - fd).abs() < 1e-6, "param {}: {} vs {}", j, g[j], fd);
        }
    }
}

fn gradient_matches(obj: &dyn Objective, params: &[f64]) -> Result<(), TestCaseError> {
    let mut g = vec![0.0; obj.dim()];
    let f = obj.cost_grad(params, &mut g);
    prop_assert!((f - obj.cost(params)).abs() < 1e-12);
    for j in 0..params.len() {
        let fj = |t: f64| {
            let mut p = params.to_vec();
            p[j] = t;
            obj.cost(&p)
        };
        let fd = central(fj, params[j], 1e-6);
        prop_assert!((g[j] - fd).abs() < 1e-6, "param {}: {} vs {}", j, g[j], fd);
    }
    Ok(())
}

#[test]
fn values_and_kink_derivatives_by_hand() {
    // Huber, delta = 2: 0.5 * 1.5^2 inside; 2 * (3 - 1) outside.
    let h = Huber::new(2.0);
    assert_eq!(h.value_deriv(1.5, 0.0), (1.125, 1.5));
    assert_eq!(h.value_deriv(-3.0, 0.0), (4.0, -2.0));
    assert_eq!(h.value(2.0, 0.0), 2.0);
    assert_eq!(
        (h.second_deriv(1.0, 0.0), h.second_deriv(5.0, 0.0)),
        (1.0, 0.0)
    );
    // Epsilon-insensitive, eps = 0.5: nothing inside the tube, derivative 0 on its edge.
    let e = EpsilonInsensitive::new(0.5);
    assert_eq!(e.value_deriv(3.2, 3.0), (0.0, 0.0));
    assert_eq!(e.value_deriv(3.5, 3.0), (0.0, 0.0));
    assert_eq!(e.value_deriv(1.0, 3.0), (1.5, -1.0));
    // Absolute: subgradient 0 at the kink.
    assert_eq!(Absolute.value_deriv(2.0, 2.0), (0.0, 0.0));
    assert_eq!(Absolute.value_deriv(1.0, 4.0), (3.0, -1.0));
    // Hinge, y = 1 (s = +1): margin 0.5 costs 0.5; on the kink the subgradient is -s;
    // beyond it nothing.
    assert_eq!(Hinge.value_deriv(0.5, 1.0), (0.5, -1.0));
    assert_eq!(Hinge.value_deriv(1.0, 1.0), (0.0, -1.0));
    assert_eq!(Hinge.value_deriv(1.5, 1.0), (0.0, 0.0));
    assert_eq!(Hinge.value_deriv(0.5, 0.0), (1.5, 1.0));
    // Log-loss at z = 0 is ln 2 with slope p - y.
    let (v, d) = LogLoss.value_deriv(0.0, 1.0);
    assert!((v - std::f64::consts::LN_2).abs() < 1e-16);
    assert_eq!(d, -0.5);
    assert!(LogLoss.value(800.0, 0.0).is_finite() && LogLoss.value(-800.0, 1.0).is_finite());
}
