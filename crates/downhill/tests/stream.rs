//! Training on data streamed chunk by chunk gives the in-memory answer.

use downhill::data::{Dataset, Matrix, StandardizerBuilder, TargetScale};
use downhill::estimator::{LinearRegression, RegressionLoss};
use downhill::optim::{Optimizer, Sgd};
use downhill::schedule::{Constant, Schedule};
use downhill::train::{
    train_streaming, Chunk, ChunkSource, NoObserver, Report, StopReason, StreamModel, TrainConfig,
};
use downhill::{Error, Result};

/// An in-memory source that hands out its rows `chunk.capacity()` at a time.
struct Memory<'a> {
    x: &'a Matrix,
    y: &'a [f64],
    at: usize,
    /// Fail when asked for the row at this index (a bad cell deep in a file).
    fail_at: Option<usize>,
}

impl ChunkSource for Memory<'_> {
    fn rewind(&mut self) -> Result<()> {
        self.at = 0;
        Ok(())
    }

    fn next_chunk(&mut self, chunk: &mut Chunk) -> Result<bool> {
        chunk.clear();
        while !chunk.is_full() && self.at < self.y.len() {
            if self.fail_at == Some(self.at) {
                return Err(Error::Source(format!("row {}: bad cell", self.at + 1)));
            }
            chunk.push_row(self.x.row(self.at), self.y[self.at])?;
            self.at += 1;
        }
        Ok(!chunk.is_empty())
    }
}

/// 10,000 rows of 4 features on different scales, a linear target plus noise.
fn data() -> (Matrix, Vec<f64>) {
    let n = 10_000;
    let mut values = Vec::with_capacity(n * 4);
    let mut y = Vec::with_capacity(n);
    // A small deterministic generator (no dependency on the rand crate's versions).
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..n {
        let row = [
            next() * 10.0 - 5.0,
            100.0 + next() * 50.0,
            next() - 0.5,
            next() * 1e-3,
        ];
        y.push(1.5 * row[0] - 0.25 * row[1] + 4.0 * row[2] + 900.0 * row[3] + 3.0 + next() - 0.5);
        values.extend_from_slice(&row);
    }
    (Matrix::from_row_major(n, 4, values).unwrap(), y)
}

fn stream(
    x: &Matrix,
    y: &[f64],
    config: &TrainConfig,
    lr: f64,
    fail_at: Option<usize>,
) -> Result<(Report, StreamModel)> {
    let mut source = Memory {
        x,
        y,
        at: 0,
        fail_at,
    };
    let mut chunk = Chunk::new(4, 777);
    // First pass: the standardisation statistics.
    let mut builder = StandardizerBuilder::new(4, true);
    let mut targets = StandardizerBuilder::new(1, true);
    while source.next_chunk(&mut chunk)? {
        builder.add_rows(chunk.x());
        targets.add_rows(chunk.y());
    }
    source.rewind()?;
    let t = targets.finish()?;
    let model = StreamModel {
        loss: RegressionLoss::Squared,
        fit_intercept: true,
        penalty: Default::default(),
        standardizer: Some(builder.finish()?),
        // The target scaled as `LinearRegression` scales it.
        target: TargetScale {
            mean: t.mean[0],
            scale: t.scale[0],
        },
    };
    let mut optimizer: Box<dyn Optimizer> = Box::new(Sgd::new());
    let mut schedule: Box<dyn Schedule> = Box::new(Constant(lr));
    let report = train_streaming(
        &mut source,
        &mut chunk,
        &model,
        optimizer.as_mut(),
        schedule.as_mut(),
        config,
        vec![0.0; 5],
        &mut NoObserver,
    )?;
    Ok((report, model))
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

#[test]
fn full_batch_equals_the_in_memory_fit() {
    let (x, y) = data();
    let config = TrainConfig {
        threads: 1,
        ..TrainConfig::default()
    };
    let (report, model) = stream(&x, &y, &config, 0.5, None).unwrap();
    assert_eq!(report.stop_reason, StopReason::GradientTolerance);
    let s = model.standardizer.as_ref().unwrap();
    let (w, b) = s.to_original(&report.params[..4], report.params[4]);

    let mut est = LinearRegression {
        schedule: Box::new(Constant(0.5)),
        config: config.clone(),
        ..LinearRegression::default()
    };
    let fit = est
        .fit(Dataset::new(x.clone(), y.clone()).unwrap())
        .unwrap();
    assert_eq!(fit.stop_reason, StopReason::GradientTolerance);
    for (a, e) in w.iter().zip(&fit.weights) {
        assert!(rel(*a, *e) < 1e-12, "weight {a} vs {e}");
    }
    assert!(rel(b, fit.intercept) < 1e-12, "{b} vs {}", fit.intercept);
    assert!(rel(report.cost, fit.cost) < 1e-12);
    // The iterations agree too (same updates up to rounding).
    assert!(
        report.epochs.abs_diff(fit.epochs) <= 2,
        "{} vs {}",
        report.epochs,
        fit.epochs
    );
    // The true weights are recovered.
    assert!((w[0] - 1.5).abs() < 0.05 && (w[1] + 0.25).abs() < 0.01);
}

#[test]
fn mini_batches_are_reproducible_and_shuffled_by_the_seed() {
    let (x, y) = data();
    let config = TrainConfig {
        batch_size: Some(32),
        max_epochs: 5,
        tol: Some(1e-4),
        threads: 1,
        seed: 3,
        ..TrainConfig::default()
    };
    let (a, _) = stream(&x, &y, &config, 0.01, None).unwrap();
    let (b, _) = stream(&x, &y, &config, 0.01, None).unwrap();
    assert_eq!(a.params, b.params);
    assert_eq!(a.history, b.history);
    let other = TrainConfig {
        seed: 4,
        ..config.clone()
    };
    let (c, _) = stream(&x, &y, &other, 0.01, None).unwrap();
    assert_ne!(a.params, c.params);
    // Near the optimum: the cost is close to the noise variance (1/12).
    assert!(a.cost < 0.1, "{}", a.cost);
    assert_eq!(a.epochs, 5);
    assert_eq!(a.stop_reason, StopReason::MaxEpochs);
}

#[test]
fn stopping_rules_and_errors() {
    let (x, y) = data();
    let few = TrainConfig {
        max_epochs: 3,
        threads: 1,
        ..TrainConfig::default()
    };
    let (r, _) = stream(&x, &y, &few, 0.5, None).unwrap();
    assert_eq!((r.epochs, r.stop_reason), (3, StopReason::MaxEpochs));
    assert_eq!(r.history.len(), 4);
    // Passes: epoch 0, then one per epoch.
    assert_eq!(r.evaluations, 4);

    let loose = TrainConfig {
        gtol: 1e-3,
        threads: 1,
        ..TrainConfig::default()
    };
    let (r, _) = stream(&x, &y, &loose, 0.5, None).unwrap();
    assert_eq!(r.stop_reason, StopReason::GradientTolerance);
    assert!(r.grad_norm <= 1e-3 * r.history.records()[0].grad_norm);

    let (r, _) = stream(
        &x,
        &y,
        &TrainConfig {
            tol: Some(1e-3),
            n_iter_no_change: 2,
            threads: 1,
            ..TrainConfig::default()
        },
        0.5,
        None,
    )
    .unwrap();
    assert_eq!(r.stop_reason, StopReason::CostTolerance);

    let long = TrainConfig {
        max_epochs: 1000,
        ..few.clone()
    };
    match stream(&x, &y, &long, 5.0, None) {
        Err(Error::Diverged { .. }) => {}
        other => panic!("expected divergence, got {other:?}"),
    }
    match stream(&x, &y, &few, 0.5, Some(9_876)) {
        Err(Error::Source(m)) => assert_eq!(m, "row 9877: bad cell"),
        other => panic!("expected the source's error, got {other:?}"),
    }
    let too_big = TrainConfig {
        batch_size: Some(778),
        ..few
    };
    assert!(matches!(
        stream(&x, &y, &too_big, 0.5, None),
        Err(Error::InvalidSetting {
            setting: "batch size",
            ..
        })
    ));
}

#[test]
fn chunk_buffers_never_grow() {
    let mut c = Chunk::new(2, 3);
    for i in 0..3 {
        c.push_row(&[i as f64, 1.0], 0.0).unwrap();
    }
    let cap = c.x().as_ptr();
    assert!(c.is_full());
    assert!(c.push_row(&[0.0, 0.0], 0.0).is_err());
    assert!(c.push_row(&[0.0], 0.0).is_err());
    c.clear();
    c.push_row(&[5.0, 6.0], 1.0).unwrap();
    assert_eq!(c.x().as_ptr(), cap);
    let sum = c.with_matrix(|m, y| m.row(0)[1] + y[0]).unwrap();
    assert_eq!(sum, 7.0);
    assert_eq!(c.x().as_ptr(), cap);
}
