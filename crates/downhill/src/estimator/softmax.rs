use super::common::{prepare, run, Watch, MARGIN_RTOL};
use super::linear::{to_inner, to_outer};
use crate::data::{Data, Matrix, Precision, Standardizer};
use crate::metrics::{Scores, Tally};
use crate::model::Softmax;
use crate::numeric::dot;
use crate::optim::{Optimizer, Sgd};
use crate::penalty::Penalty;
use crate::schedule::{Constant, Schedule};
use crate::solver::Solver;
use crate::train::{History, NoObserver, Observer, StopReason, TrainConfig};
use crate::{Error, Result};
use std::time::Duration;

/// Multinomial (softmax) logistic regression over `K` classes, fitted by gradient descent on
/// the mean cross-entropy plus a penalty on every class's weights (not the intercepts); see
/// [`Softmax`] for the cost and parameter layout (`[w_k1, .., w_kd, b_k]` per class).
///
/// Targets are class indices `0..K` stored as `f64`; `K` is the largest index plus one, and
/// every class in `0..K` must have rows. Standardisation works as in
/// [`LinearRegression`](super::LinearRegression), each class's row mapped back separately.
///
/// With an L2 penalty the weights are unique; the intercepts are determined only up to a
/// common shift, and starting from a sum of zero they keep it (the gradient's intercept part
/// sums to zero). By default, with standardisation, they start at the centred logarithms of
/// the class frequencies (the best constant model); otherwise at zero. Without a penalty,
/// parameters that classify every training row correctly prove that there is no finite
/// optimum: the fit stops with [`Error::Separable`]. A single class separable from the rest
/// (iris' setosa) also leaves no finite optimum but is not detected: its weights grow until
/// the epoch limit, so use a penalty.
#[derive(Debug)]
pub struct SoftmaxRegression {
    /// Standardise the features inside the fit.
    pub standardize: bool,
    /// Fit one intercept per class.
    pub fit_intercept: bool,
    /// Penalty on the weights of every class (in the optimizer's coordinates).
    pub penalty: Penalty,
    /// Starting point in original units, one row `[w_k1, .., w_kd, b_k]` per class, rows
    /// concatenated (`b_k` only with intercepts); zeros when `None`.
    pub init: Option<Vec<f64>>,
    /// Share of rows held out (after a seeded shuffle) for early stopping.
    pub validation_fraction: Option<f64>,
    /// The update rule.
    pub optimizer: Box<dyn Optimizer>,
    /// The learning rate per epoch.
    pub schedule: Box<dyn Schedule>,
    /// A method that chooses its own steps (`solver::by_name`: cg, lbfgs, newton, ...),
    /// used instead of `optimizer` and `schedule` when set.
    pub solver: Option<Box<dyn Solver>>,
    /// Loop settings (threads included: [`TrainConfig::threads`]).
    pub config: TrainConfig,
    /// How the features are stored while training. Only [`Precision::F64`]: the softmax
    /// kernel reads `f64` rows, and [`Precision::F32`] is an [`Error::InvalidSetting`].
    pub precision: Precision,
}

impl Default for SoftmaxRegression {
    /// Plain batch gradient descent at learning rate 0.5 on standardised features, no
    /// penalty.
    fn default() -> Self {
        SoftmaxRegression {
            standardize: true,
            fit_intercept: true,
            penalty: Penalty::default(),
            init: None,
            validation_fraction: None,
            optimizer: Box::new(Sgd::new()),
            schedule: Box::new(Constant(0.5)),
            solver: None,
            config: TrainConfig::default(),
            precision: Precision::F64,
        }
    }
}

/// A fitted softmax classifier, in the data's original units.
#[derive(Debug, Clone)]
pub struct FittedSoftmax {
    /// Number of classes `K`.
    pub n_classes: usize,
    /// Weights, one row per class (`K` rows, one column per feature).
    pub weights: Matrix,
    /// One intercept per class (zeros without intercepts).
    pub intercepts: Vec<f64>,
    /// Whether intercepts were fitted.
    pub fit_intercept: bool,
    /// The standardisation used inside the fit.
    pub standardizer: Option<Standardizer>,
    /// Final cost on the training rows (mean cross-entropy plus penalty).
    pub cost: f64,
    /// Final gradient norm (in the optimizer's coordinates; with an L1 penalty, the norm of
    /// the last proximal-gradient step over the learning rate).
    pub grad_norm: f64,
    /// Final cost on the held-out rows.
    pub validation_cost: Option<f64>,
    /// Epochs run.
    pub epochs: usize,
    /// Why training ended.
    pub stop_reason: StopReason,
    /// Every epoch, parameters in original units, in the layout of
    /// [`SoftmaxRegression::init`].
    pub history: History,
    /// Wall-clock time of training.
    pub train_time: Duration,
    /// Metrics on the training rows.
    pub train_scores: Option<Scores>,
    /// Metrics on the held-out rows.
    pub validation_scores: Option<Scores>,
}

impl FittedSoftmax {
    /// The `K` scores `w_k . x + b_k` of one row, written into `out`.
    pub fn decision_row(&self, x: &[f64], out: &mut [f64]) {
        for (k, o) in out.iter_mut().enumerate() {
            *o = dot(self.weights.row(k), x) + self.intercepts[k];
        }
    }

    /// The scores of every row: one row per data row, one column per class.
    pub fn decision_function(&self, x: &Matrix) -> Matrix {
        let mut out = Matrix::zeros(x.rows(), self.n_classes);
        for (i, r) in x.iter_rows().enumerate() {
            self.decision_row(r, out.row_mut(i));
        }
        out
    }

    /// Class probabilities of every row (softmax of the scores, largest subtracted first):
    /// one row per data row, one column per class.
    pub fn predict_proba(&self, x: &Matrix) -> Matrix {
        let mut out = self.decision_function(x);
        if self.n_classes > 0 {
            out.as_mut_slice()
                .chunks_exact_mut(self.n_classes)
                .for_each(probabilities);
        }
        out
    }

    /// The most likely class of every row (the lowest index on a tie).
    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        let scores = self.decision_function(x);
        scores.iter_rows().map(|r| most_likely(r) as f64).collect()
    }

    /// The metrics of [`predict`](Self::predict) and [`predict_proba`](Self::predict_proba)
    /// on the rows `rows` of `x` with class targets `y`, worked out row by row: the
    /// probabilities of every row and class are never held at once.
    fn scores_of(&self, x: &Matrix, y: &[f64], rows: std::ops::Range<usize>) -> Result<Scores> {
        let mut tally = Tally::new(self.n_classes);
        let mut row = vec![0.0; self.n_classes];
        for i in rows {
            self.decision_row(x.row(i), &mut row);
            let pred = most_likely(&row) as f64;
            probabilities(&mut row);
            tally.add_multiclass(y[i], pred, &row)?;
        }
        tally.scores(true)
    }
}

/// Scores into probabilities in place: the softmax, the largest score subtracted first.
fn probabilities(row: &mut [f64]) {
    let m = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let mut s = 0.0;
    for v in row.iter_mut() {
        *v = (*v - m).exp();
        s += *v;
    }
    row.iter_mut().for_each(|v| *v /= s);
}

/// The index of the largest score (the lowest on a tie).
fn most_likely(row: &[f64]) -> usize {
    let mut best = 0;
    for (k, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = k;
        }
    }
    best
}

/// The starting parameters in the fit's inner units (per class: weights, then intercept):
/// the caller's `init`, or zeros with the best constant model's `intercepts` when the features
/// are standardised (one process and across ranks alike).
pub(super) fn start(
    init: Option<&[f64]>,
    s: Option<&Standardizer>,
    d: usize,
    fit_intercept: bool,
    n_classes: usize,
    intercepts: impl FnOnce() -> Vec<f64>,
) -> Result<Vec<f64>> {
    let stride = d + usize::from(fit_intercept);
    let dim = n_classes * stride;
    match init {
        None => {
            let mut p = vec![0.0; dim];
            if fit_intercept && s.is_some() {
                for (row, b) in p.chunks_exact_mut(stride).zip(intercepts()) {
                    row[d] = b;
                }
            }
            Ok(p)
        }
        Some(p) if p.len() != dim => Err(Error::Shape {
            what: "initial parameters (per class: weights, then intercept)",
            expected: dim,
            got: p.len(),
        }),
        Some(p) => Ok(p
            .chunks_exact(stride)
            .flat_map(|row| to_inner(s, row, fit_intercept))
            .collect()),
    }
}

/// `ln(p_k) - mean_k ln(p_k)` for the class shares `p_k` of `y`: the intercepts of the best
/// constant model, summing to zero. Zeros when a class has no rows.
fn log_frequencies(y: &[f64], weights: Option<&[f64]>, n_classes: usize) -> Vec<f64> {
    let mut counts = vec![0.0f64; n_classes];
    for (i, &c) in y.iter().enumerate() {
        if let Some(k) = counts.get_mut(c as usize) {
            *k += weights.map_or(1.0, |w| w[i]);
        }
    }
    log_frequencies_of(&counts)
}

/// [`log_frequencies`] of the (weighted) rows counted in each class (over ranks, say).
pub(super) fn log_frequencies_of(counts: &[f64]) -> Vec<f64> {
    let n_classes = counts.len();
    if counts.iter().any(|&k| !(k > 0.0)) {
        return vec![0.0; n_classes];
    }
    let logs: Vec<f64> = counts.iter().map(|&k| k.ln()).collect();
    let mean = logs.iter().sum::<f64>() / n_classes as f64;
    logs.iter().map(|l| l - mean).collect()
}

impl SoftmaxRegression {
    /// Fits `data` (targets are class indices; consumed: standardised in place, no copy).
    pub fn fit<'a>(&mut self, data: impl Into<Data<'a>>) -> Result<FittedSoftmax> {
        self.fit_with(data, &mut NoObserver)
    }

    /// Fits `data`, calling `observer` after every epoch. Borrowed features
    /// ([`Data::Borrowed`]) are copied once: the softmax model reads an owned `f64` matrix.
    pub fn fit_with<'a>(
        &mut self,
        data: impl Into<Data<'a>>,
        observer: &mut dyn Observer,
    ) -> Result<FittedSoftmax> {
        if self.precision != Precision::F64 {
            return Err(Error::setting(
                "precision",
                format!(
                    "softmax regression stores its features as f64 only, not {}: use f64 \
                     (f32 storage is for linear and logistic regression)",
                    self.precision
                ),
            ));
        }
        let data = data.into();
        let n_classes = count_classes(data.y())?;
        let d = data.n_features();
        let data = data.into_owned();
        let fit_intercept = self.fit_intercept;
        let stride = d + usize::from(fit_intercept);
        let dim = n_classes * stride;
        let prep = prepare(
            data,
            self.standardize,
            fit_intercept,
            self.validation_fraction,
            &self.config,
        )?;
        let s = prep.standardizer.as_ref();
        let init = start(self.init.as_deref(), s, d, fit_intercept, n_classes, || {
            let n = prep.n_train();
            let w = prep.weights.as_ref().map(|w| &w[..n]);
            log_frequencies(&prep.y[..n], w, n_classes)
        })?;
        let (x, y, n_train) = (&prep.x, &prep.y, prep.n_train());
        let model = Softmax::new(x, y, n_classes)?
            .intercept(fit_intercept)
            .penalty(self.penalty)
            .weights(prep.weights.as_deref());
        let mut separation = |p: &[f64]| separates(&model, x, &y[..n_train], p);
        let mut watch = Watch::new(observer, &self.penalty, &prep.config, dim);
        if self.penalty.is_none() {
            watch = watch.separation(&mut separation, n_classes);
        }
        let result = run(
            (&mut self.optimizer, &mut self.schedule, &mut self.solver),
            prep.config.clone(),
            &model,
            init,
            &mut watch,
            s.is_some(),
        );
        let report = watch.settle(result?)?;
        let mut history = report.history;
        history.map_params(|p| {
            for row in p.chunks_exact_mut(stride) {
                let outer = to_outer(s, row, fit_intercept);
                row.copy_from_slice(&outer);
            }
        });
        let mut weights = Matrix::zeros(n_classes, d);
        let mut intercepts = vec![0.0; n_classes];
        for (k, row) in report.params.chunks_exact(stride).enumerate() {
            let outer = to_outer(s, row, fit_intercept);
            weights.row_mut(k).copy_from_slice(&outer[..d]);
            if fit_intercept {
                intercepts[k] = outer[d];
            }
        }
        let mut fitted = FittedSoftmax {
            n_classes,
            weights,
            intercepts,
            fit_intercept,
            standardizer: prep.standardizer.clone(),
            cost: report.cost,
            grad_norm: report.grad_norm,
            validation_cost: report.validation_cost,
            epochs: report.epochs,
            stop_reason: report.stop_reason,
            history,
            train_time: report.elapsed,
            train_scores: None,
            validation_scores: None,
        };
        // Scored in original units, on the data put back in place of a second copy.
        let (mut x, y) = (prep.x, prep.y);
        if let Some(s) = &fitted.standardizer {
            s.inverse_transform(&mut x);
        }
        let train = fitted.scores_of(&x, &y, 0..n_train)?;
        fitted.validation_scores = (n_train < y.len())
            .then(|| fitted.scores_of(&x, &y, n_train..y.len()))
            .transpose()?;
        fitted.train_scores = Some(train);
        Ok(fitted)
    }
}

/// `K`: the largest class index plus one, after checking that every target is a class
/// index, that every class in `0..K` has rows and that there are at least two.
fn count_classes(y: &[f64]) -> Result<usize> {
    // Far more classes than rows cannot all have rows; the bound also keeps the count small.
    let limit = y.len().max(2);
    let mut counts: Vec<usize> = Vec::new();
    for (row, &v) in y.iter().enumerate() {
        if !(v >= 0.0 && v.fract() == 0.0 && v < limit as f64) {
            return Err(Error::InvalidClass {
                what: "target",
                value: v,
                row,
                expected: format!("an integer from 0 to {}", limit - 1),
            });
        }
        let k = v as usize;
        if k >= counts.len() {
            counts.resize(k + 1, 0);
        }
        counts[k] += 1;
    }
    let n_classes = counts.len();
    if let Some(class) = counts.iter().position(|&c| c == 0) {
        return Err(Error::MissingClass { class, n_classes });
    }
    if n_classes < 2 {
        return Err(Error::OneClass { class: 0 });
    }
    Ok(n_classes)
}

/// True when the parameters give every row's own class the highest score, ahead of the
/// others by more than rounding error.
pub(super) fn separates(model: &Softmax<'_>, x: &Matrix, y: &[f64], p: &[f64]) -> bool {
    let (d, stride) = (model.n_features(), model.stride());
    let intercept = stride > d;
    y.iter().enumerate().all(|(i, &t)| {
        let xi = x.row(i);
        let c = t as usize;
        let (mut zc, mut other, mut size) = (0.0, f64::NEG_INFINITY, 0.0f64);
        for (k, row) in p.chunks_exact(stride).enumerate() {
            let b = if intercept { row[d] } else { 0.0 };
            let z = dot(&row[..d], xi) + b;
            let mag: f64 = row[..d].iter().zip(xi).map(|(a, v)| (a * v).abs()).sum();
            size = size.max(mag + b.abs());
            if k == c {
                zc = z;
            } else {
                other = other.max(z);
            }
        }
        zc - other > MARGIN_RTOL * size
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;

    #[test]
    fn class_checks() {
        assert_eq!(count_classes(&[0.0, 2.0, 1.0, 2.0]), Ok(3));
        assert_eq!(
            count_classes(&[0.0, 2.0, 0.0]),
            Err(Error::MissingClass {
                class: 1,
                n_classes: 3
            })
        );
        assert_eq!(
            count_classes(&[0.0, 0.0]),
            Err(Error::OneClass { class: 0 })
        );
        assert!(matches!(
            count_classes(&[0.0, 1.5]),
            Err(Error::InvalidClass { row: 1, .. })
        ));
        assert!(count_classes(&[0.0, 1e300]).is_err());
    }

    #[test]
    fn separable_three_classes_are_an_error_but_fit_with_l2() {
        let x = Matrix::from_rows(&[[0.0], [0.2], [1.0], [1.2], [2.0], [2.2]]);
        let data = Dataset::new(x, vec![0.0, 0.0, 1.0, 1.0, 2.0, 2.0]).unwrap();
        let err = SoftmaxRegression::default().fit(data.clone()).unwrap_err();
        assert!(matches!(err, Error::Separable { .. }), "{err:?}");
        let mut est = SoftmaxRegression {
            penalty: Penalty { l1: 0.0, l2: 0.01 },
            ..SoftmaxRegression::default()
        };
        let fit = est.fit(data.clone()).unwrap();
        assert_eq!(fit.stop_reason, StopReason::GradientTolerance);
        assert_eq!(fit.predict(&data.x), data.y);
        let p = fit.predict_proba(&data.x);
        for r in p.iter_rows() {
            assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-14);
        }
        // From zero, the class rows of weights and of intercepts each sum to zero.
        assert!(fit.intercepts.iter().sum::<f64>().abs() < 1e-12);
        assert!(fit.weights.column(0).sum::<f64>().abs() < 1e-12);
    }
}
