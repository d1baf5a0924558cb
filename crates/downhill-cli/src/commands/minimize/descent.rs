//! What `downhill minimize` and `downhill compare` share: the function to descend (a named
//! test function or a typed formula), one run of a method on it with every step recorded,
//! whether the function looks unbounded below, and the pictures' region and loss curves.

use crate::method::{self, Method};
use crate::plot::{self, Bounds, Size};
use crate::progress::{self, Progress};
use anyhow::{anyhow, bail, Result};
use downhill::expr::Formula;
use downhill::functions::{self, TestFunction};
use downhill::objective::FdHessian;
use downhill::optim::Optimizer;
use downhill::train::{EpochInfo, Observer, Report, StopReason, TrainConfig, Trainer};
use downhill::{Error, Objective};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What is minimised.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A named test function, with its hand-written gradient and known minima.
    Named(TestFunction),
    /// A formula typed by the user, differentiated automatically.
    Formula(Formula),
}

/// A function of named variables.
#[derive(Debug, Clone)]
pub struct Function {
    pub kind: Kind,
    /// The variables, in parameter order.
    pub vars: Vec<String>,
}

impl Function {
    /// A named test function or, failing that, a formula. `vars` orders a formula's
    /// variables (sorted by name without it).
    pub fn parse(spec: &str, vars: Option<&[String]>) -> Result<Function> {
        let vars: Option<Vec<String>> =
            vars.map(|v| v.iter().map(|s| s.trim().to_string()).collect());
        if let Some(f) = functions::by_name(spec) {
            let own = ["x", "y"];
            if let Some(v) = &vars {
                if v.as_slice() != own {
                    bail!(
                        "--vars: {} is a named function of x, y; --vars orders the variables of a formula (its formula is \"{}\")",
                        f.name(),
                        f.formula()
                    );
                }
            }
            return Ok(Function {
                kind: Kind::Named(f),
                vars: own.map(String::from).to_vec(),
            });
        }
        // A formula may start with '-' (`-x^2`), so clap passes anything that does: an
        // option typed wrong must not become a formula.
        if spec.trim_start().starts_with("--") {
            bail!(
                "unknown option '{}'; see --help (a formula may start with one '-', e.g. \"-x^2\")",
                spec.trim()
            );
        }
        if let Some(err) = unknown_name(spec) {
            return Err(err);
        }
        let formula = match &vars {
            Some(v) => Formula::parse_with_vars(spec, v),
            None => Formula::parse(spec),
        }
        .map_err(|e| match e.caret(spec) {
            // The first line says what and where; the formula and a caret follow.
            Some(caret) => {
                let caret: Vec<String> = caret.lines().map(|l| format!("  {l}")).collect();
                anyhow!("formula: {e}\n{}", caret.join("\n"))
            }
            None if matches!(
                e,
                downhill::expr::ExprError::InvalidVariable { .. }
                    | downhill::expr::ExprError::DuplicateVariable { .. }
            ) =>
            {
                anyhow!("--vars: {e}")
            }
            None => anyhow!("formula: {e}"),
        })?;
        if formula.vars().is_empty() {
            bail!("formula \"{spec}\" has no variables: there is nothing to minimise");
        }
        Ok(Function {
            vars: formula.vars().to_vec(),
            kind: Kind::Formula(formula),
        })
    }

    /// The name for titles and legends: the test function's name or the formula.
    pub fn label(&self) -> String {
        match &self.kind {
            Kind::Named(f) => f.name().to_string(),
            Kind::Formula(f) => f.source().trim().to_string(),
        }
    }

    /// The named test function, if it is one.
    pub fn named(&self) -> Option<&TestFunction> {
        match &self.kind {
            Kind::Named(f) => Some(f),
            Kind::Formula(_) => None,
        }
    }

    /// The starting point: `from` (checked), or the test function's usual start, or zeros
    /// for a formula. The value and gradient must be finite there.
    pub fn start(&self, from: Option<&[f64]>) -> Result<Vec<f64>> {
        let start = match from {
            Some(p) => {
                if p.len() != self.vars.len() {
                    bail!(
                        "--from: {} has {} variable{} ({}), so give {} value{}, not {}",
                        self.describe(),
                        self.vars.len(),
                        if self.vars.len() == 1 { "" } else { "s" },
                        self.vars.join(", "),
                        self.vars.len(),
                        if self.vars.len() == 1 { "" } else { "s" },
                        p.len()
                    );
                }
                if let Some(v) = p.iter().find(|v| !v.is_finite()) {
                    bail!("--from: {v} is not a finite number");
                }
                p.to_vec()
            }
            None => match &self.kind {
                Kind::Named(f) => f.start().to_vec(),
                Kind::Formula(_) => vec![0.0; self.vars.len()],
            },
        };
        let mut grad = vec![0.0; start.len()];
        let value = self.cost_grad(&start, &mut grad);
        if !value.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            bail!(
                "{} is not differentiable at the start {} (value {value}){}",
                self.describe(),
                self.point(&start),
                if from.is_none() {
                    ": choose another start with --from"
                } else {
                    ""
                }
            );
        }
        Ok(start)
    }

    /// The known global minima (empty for formulas).
    pub fn minima(&self) -> Vec<Vec<f64>> {
        match &self.kind {
            Kind::Named(f) => f.minima().iter().map(|m| m.to_vec()).collect(),
            Kind::Formula(_) => Vec::new(),
        }
    }

    /// The value at the global minima, when known.
    pub fn min_value(&self) -> Option<f64> {
        self.named().and_then(TestFunction::min_value)
    }

    /// `rosenbrock` or `the formula "..."`, for messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Named(f) => f.name().to_string(),
            Kind::Formula(f) => format!("the formula \"{}\"", f.source().trim()),
        }
    }

    /// `(x = 1, y = 2)`.
    pub fn point(&self, p: &[f64]) -> String {
        let parts: Vec<String> = self
            .vars
            .iter()
            .zip(p)
            .map(|(n, v)| format!("{n} = {}", short(*v)))
            .collect();
        format!("({})", parts.join(", "))
    }

    /// The value at `(x, y)`, for pictures of two-variable functions.
    pub fn at(&self, x: f64, y: f64) -> f64 {
        self.cost(&[x, y])
    }

    /// An error unless the function has two variables (for surface pictures).
    pub fn check_2d(&self, flag: &str) -> Result<()> {
        if self.vars.len() != 2 {
            bail!(
                "{flag} draws a function of two variables; {} has {} ({})",
                self.describe(),
                self.vars.len(),
                self.vars.join(", ")
            );
        }
        Ok(())
    }
}

impl Objective for Function {
    fn dim(&self) -> usize {
        self.vars.len()
    }

    fn cost_grad(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        match &self.kind {
            Kind::Named(f) => f.cost_grad(params, grad),
            Kind::Formula(f) => f.cost_grad(params, grad),
        }
    }

    fn cost(&self, params: &[f64]) -> f64 {
        match &self.kind {
            Kind::Named(f) => f.cost(params),
            Kind::Formula(f) => f.cost(params),
        }
    }
}

/// A word that is no known function is a misspelt name, not a one-variable formula: say so
/// (a formula has operators). Words with dashes that are close to a name count too, since
/// `goldstein-prize` would otherwise parse as a subtraction.
fn unknown_name(spec: &str) -> Option<anyhow::Error> {
    let s = spec.trim();
    let wordlike = s.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ' '));
    if !wordlike {
        return None;
    }
    let lower = s.to_lowercase().replace(['_', ' '], "-");
    let nearest = functions::names()
        .map(|n| (n, edit_distance(&lower, n)))
        .min_by_key(|&(_, d)| d);
    let close = nearest.filter(|&(n, d)| d <= 2.max(n.len() / 4));
    let bare_word = !s.contains(['-', ' ']);
    if !bare_word && close.is_none() {
        return None;
    }
    let hint = close.map_or(String::new(), |(n, _)| format!(" (did you mean {n}?)"));
    Some(anyhow!(
        "unknown function '{s}'{hint}; known: {}; or type a formula such as \"(1-x)^2 + 100*(y-x^2)^2\"",
        functions::names().collect::<Vec<_>>().join(", ")
    ))
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Every step of a run: parameters (flat), value, gradient norm and learning rate. Kept by
/// the observer, so that a run that diverges still has its path up to where it went.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub dim: usize,
    pub params: Vec<f64>,
    pub values: Vec<f64>,
    pub grad_norms: Vec<f64>,
    pub lrs: Vec<f64>,
    /// The last entry is the step the run diverged on ([`Trace::push_diverged`]).
    pub diverged_step: bool,
}

impl Trace {
    /// Recorded steps (the start included).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// The parameters of step `k`.
    pub fn at(&self, k: usize) -> &[f64] {
        &self.params[k * self.dim..(k + 1) * self.dim]
    }

    /// The path in the plane of the first two parameters.
    pub fn xy(&self) -> Vec<(f64, f64)> {
        if self.dim < 2 {
            return Vec::new();
        }
        self.params
            .chunks_exact(self.dim)
            .map(|p| (p[0], p[1]))
            .collect()
    }

    /// Adds the step a run diverged on, when its parameters are known and finite (it has
    /// no gradient norm), so the path shows where it went.
    pub fn push_diverged(&mut self, params: Option<Vec<f64>>, value: f64, lr: f64) {
        if let Some(p) = params.filter(|p| p.len() == self.dim) {
            if self.len() == 0 || p != self.at(self.len() - 1) {
                self.params.extend_from_slice(&p);
                self.values.push(value);
                self.grad_norms.push(f64::NAN);
                self.lrs.push(lr);
                self.diverged_step = true;
            }
        }
    }

    /// The recorded steps up to the last finite one (the diverging step left out).
    pub fn finite_len(&self) -> usize {
        self.len() - usize::from(self.diverged_step)
    }

    /// Rewrites every recorded parameter vector (e.g. into original units).
    pub fn map_params(&mut self, f: impl FnMut(&mut [f64])) {
        if self.dim > 0 {
            self.params.chunks_exact_mut(self.dim).for_each(f);
        }
    }
}

/// Records every step, relays Ctrl-C, and shows a progress bar once a run has taken more
/// than a second (short runs, the usual case, never flash one).
pub struct Recorder {
    pub trace: Trace,
    quiet: bool,
    started: Instant,
    bar: Option<Progress>,
    stop: Arc<AtomicBool>,
}

/// Runs shorter than this show no progress bar.
const BAR_AFTER: Duration = Duration::from_secs(1);

impl Recorder {
    pub fn new(dim: usize, quiet: bool) -> Self {
        Recorder {
            trace: Trace {
                dim,
                ..Trace::default()
            },
            quiet,
            started: Instant::now(),
            bar: None,
            stop: progress::interrupt_flag(),
        }
    }

    /// Removes the bar, if one was shown.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

impl Observer for Recorder {
    fn observe(&mut self, info: &EpochInfo<'_>) -> ControlFlow<()> {
        let t = &mut self.trace;
        t.params.extend_from_slice(info.params);
        t.values.push(info.cost);
        t.grad_norms.push(info.grad_norm);
        t.lrs.push(info.lr);
        // Reading the clock every step would cost as much as a step of a small function.
        if self.bar.is_none()
            && !self.quiet
            && info.epoch % 256 == 0
            && self.started.elapsed() >= BAR_AFTER
        {
            self.bar = Some(Progress::new(info.max_epochs, false));
        }
        match &mut self.bar {
            Some(bar) => bar.observe(info),
            None if self.stop.load(Ordering::Relaxed) => ControlFlow::Break(()),
            None => ControlFlow::Continue(()),
        }
    }
}

/// Passes every step to the optimizer it wraps and keeps a copy of the parameters after the
/// last one: when a run diverges, the loop reports no step past the last finite one, and
/// this is where the diverging step went (for the pictures).
#[derive(Debug)]
pub struct Tap {
    inner: Box<dyn Optimizer>,
    last: Arc<Mutex<Vec<f64>>>,
}

impl Tap {
    /// `inner`, tapped, and where its last step's parameters will be.
    pub fn wrap(inner: Box<dyn Optimizer>) -> (Box<dyn Optimizer>, Arc<Mutex<Vec<f64>>>) {
        let last = Arc::new(Mutex::new(Vec::new()));
        let tap = Tap {
            inner,
            last: last.clone(),
        };
        (Box::new(tap), last)
    }

    /// The parameters after the last step, when there was one and they are finite.
    pub fn last(cell: &Mutex<Vec<f64>>) -> Option<Vec<f64>> {
        let p = cell.lock().ok()?.clone();
        (!p.is_empty() && p.iter().all(|v| v.is_finite())).then_some(p)
    }
}

impl Optimizer for Tap {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn init(&mut self, dim: usize) {
        self.inner.init(dim);
        if let Ok(mut last) = self.last.lock() {
            last.clear();
        }
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        self.inner.step(params, grad, lr);
        if let Ok(mut last) = self.last.lock() {
            if last.len() == params.len() {
                last.copy_from_slice(params);
            } else {
                // Sized once, on the first step.
                last.clear();
                last.extend_from_slice(params);
            }
        }
    }

    fn finish(&self, params: &mut [f64]) {
        self.inner.finish(params);
    }
}

/// How a run ended.
#[derive(Debug)]
pub enum End {
    /// It ran to a stopping rule.
    Finished(Box<Report>),
    /// The value or the parameters stopped being finite (or, for a line search, the value
    /// kept falling as far as it looked) at `step`.
    Diverged { step: usize, value: f64, lr: f64 },
}

/// One run: the steps it took and how it ended.
#[derive(Debug)]
pub struct Run {
    pub trace: Trace,
    pub end: End,
    pub elapsed: Duration,
}

impl Run {
    /// Steps taken (the diverging one included).
    pub fn steps(&self) -> usize {
        match &self.end {
            End::Finished(r) => r.epochs,
            End::Diverged { step, .. } => *step,
        }
    }

    /// Whether the run diverged.
    pub fn diverged(&self) -> bool {
        matches!(self.end, End::Diverged { .. })
    }

    /// The value at the start.
    pub fn start_value(&self) -> f64 {
        self.trace.values.first().copied().unwrap_or(f64::NAN)
    }

    /// The last finite value met along the path.
    pub fn last_value(&self) -> f64 {
        self.trace
            .values
            .iter()
            .rev()
            .find(|v| v.is_finite())
            .copied()
            .unwrap_or(f64::NAN)
    }
}

/// The flags of `minimize` and `compare` that make no sense on a function (no rows).
pub fn refuse_data_flags(t: &crate::cli::TrainArgs) -> Result<()> {
    for (flag, given) in [
        ("--batch-size", t.batch_size.is_some()),
        ("--validation-fraction", t.validation_fraction.is_some()),
        ("--no-shuffle", t.no_shuffle),
    ] {
        if given {
            bail!("{flag} does not apply to a function: there are no rows of data");
        }
    }
    Ok(())
}

/// Runs `method` on `f` from `start`, recording every step. A divergence is an outcome,
/// not an error (the caller decides); other errors are reworded with the flags.
pub fn descend(
    f: &Function,
    method: Method,
    mut config: TrainConfig,
    start: Vec<f64>,
    quiet: bool,
) -> Result<Run> {
    // The recorder keeps the path; the history need not keep it twice.
    config.record_params = false;
    let (optimizer, last) = Tap::wrap(method.optimizer);
    let mut trainer = Trainer {
        config,
        optimizer,
        schedule: method.schedule,
        solver: method.solver,
    };
    // Newton needs second derivatives: differences of the exact gradient.
    let problem = FdHessian(f);
    let mut recorder = Recorder::new(f.vars.len(), quiet);
    let began = Instant::now();
    let result = trainer.run(&problem, start, &mut recorder);
    let elapsed = began.elapsed();
    recorder.finish();
    let end = match result {
        Ok(report) => End::Finished(Box::new(report)),
        Err(Error::Diverged {
            epoch, cost, lr, ..
        }) => {
            recorder.trace.push_diverged(Tap::last(&last), cost, lr);
            End::Diverged {
                step: epoch,
                value: cost,
                lr,
            }
        }
        Err(e) => return Err(method::flagged(e)),
    };
    Ok(Run {
        trace: recorder.trace,
        end,
        elapsed,
    })
}

/// `FdHessian` owns what it wraps: a reference lets it borrow the function instead.
impl Objective for &Function {
    fn dim(&self) -> usize {
        (*self).dim()
    }

    fn cost_grad(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        (*self).cost_grad(params, grad)
    }

    fn cost(&self, params: &[f64]) -> f64 {
        (*self).cost(params)
    }
}

/// Whether the run says the function is unbounded below along its path: the value fell to
/// -inf (or a line search found no bottom), or the run stopped early or at its limit while
/// the value was still falling at least as fast as before. A named function's own flag
/// decides when the run was not a divergence.
pub fn unbounded_along(f: &Function, run: &Run) -> bool {
    let f0 = run.start_value();
    match &run.end {
        End::Diverged { value, .. } => {
            let last = run.last_value();
            *value == f64::NEG_INFINITY
                // A line search that found no bottom reports a finite value below the start;
                // the loop only diverges upwards when the value stays finite.
                || (value.is_finite() && *value < f0)
                || (value.is_nan() && last < f0 - 1e6 * f0.abs().max(1.0))
        }
        End::Finished(report) => {
            let stopped_early = matches!(
                report.stop_reason,
                StopReason::MaxEpochs | StopReason::TimeLimit | StopReason::Interrupted
            );
            match f.named() {
                Some(named) => named.unbounded_below() && stopped_early,
                None => stopped_early && still_falling(&run.trace.values),
            }
        }
    }
}

/// The value fell over the last quarter of the run at least as much as over the quarter
/// before, and by a visible amount: a descent that is not slowing down.
fn still_falling(values: &[f64]) -> bool {
    let n = values.len();
    if n < 8 {
        return false;
    }
    let q = n / 4;
    let (a, b, c) = (values[n - 1 - 2 * q], values[n - 1 - q], values[n - 1]);
    let (earlier, later) = (a - b, b - c);
    later > 1e-6 * values[0].abs().max(1.0) && later >= 0.99 * earlier && c < values[0]
}

/// Whether `name` (as `method::build` resolved it) chooses its own steps.
pub fn is_solver(name: &str) -> bool {
    downhill::solver::by_name(name, &downhill::solver::SolverOptions::default()).is_some()
}

/// A number to the last digit (shortest round trip), with an exponent when it is very
/// large or small.
pub fn full(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || (1e-5..1e16).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// A number in at most 10 significant digits, for people.
pub fn short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let e = v.abs().log10().floor() as i32;
    if (-4..10).contains(&e) {
        let decimals = (9 - e).max(0) as usize;
        let s = format!("{v:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        if s == "-0" {
            "0".into()
        } else {
            s
        }
    } else {
        let s = format!("{v:.9e}");
        match s.split_once('e') {
            Some((m, x)) if m.contains('.') => {
                format!("{}e{x}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        }
    }
}

/// A duration for people: `0.42 ms`, `1.3 s`.
pub fn seconds(s: f64) -> String {
    if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// Parses `--plot-size WIDTHxHEIGHT`.
pub fn plot_size(s: &str) -> Result<Size, String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("'{s}' is not WIDTHxHEIGHT, e.g. 900x700"))?;
    let px = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("'{s}' is not WIDTHxHEIGHT in pixels, e.g. 900x700"))
    };
    Ok(Size {
        width: px(w)?,
        height: px(h)?,
    })
}

/// Checks `--bounds XMIN,XMAX,YMIN,YMAX`.
pub fn bounds(b: Option<&[f64]>) -> Result<Option<Bounds>> {
    let Some(b) = b else { return Ok(None) };
    if b.len() != 4 {
        bail!(
            "--bounds: give XMIN,XMAX,YMIN,YMAX (4 numbers), not {}",
            b.len()
        );
    }
    if !(b.iter().all(|v| v.is_finite()) && b[0] < b[1] && b[2] < b[3]) {
        bail!("--bounds: {b:?} is not two finite increasing ranges XMIN,XMAX,YMIN,YMAX");
    }
    Ok(Some(Bounds {
        x: (b[0], b[1]),
        y: (b[2], b[3]),
    }))
}

/// Checks a picture's file name before a long run, so a typo does not waste it.
pub fn check_picture(path: Option<&Path>) -> Result<()> {
    if let Some(p) = path {
        plot::Format::of(p)?;
    }
    Ok(())
}

/// The region a surface picture shows: `None` (the plot module's choice around the paths
/// and minima) unless some path ran away (`true` beside it: a run that diverged or found
/// no bottom). Then the region is the one around the anchors (start, minima), the other
/// paths and the runaway steps that stayed near them (within twice their scale), and the
/// runaway part leaves the picture at its edge. `same_units`: x and y are in the same units
/// (a function's variables), so the short side is widened to a third of the long one as
/// the plot module does; otherwise (a weight and an intercept) each axis is sized on its
/// own, and a region is always given.
pub fn region(
    anchors: &[(f64, f64)],
    paths: &[(&[(f64, f64)], bool)],
    same_units: bool,
) -> Option<Bounds> {
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let calm: Vec<(f64, f64)> = anchors
        .iter()
        .copied()
        .chain(
            paths
                .iter()
                .filter(|(_, runaway)| !runaway)
                .flat_map(|(p, _)| p.iter().copied()),
        )
        .filter(finite)
        .collect();
    let any_runaway = paths.iter().any(|(p, runaway)| *runaway && p.len() > 1);
    if same_units && !any_runaway {
        return None;
    }
    let (ax, ay) = (
        range(calm.iter().map(|p| p.0))?,
        range(calm.iter().map(|p| p.1))?,
    );
    let magnitude = |r: (f64, f64)| r.0.abs().max(r.1.abs()).max(1.0);
    let (sx, sy) = if same_units {
        let s = (ax.1 - ax.0)
            .max(ay.1 - ay.0)
            .max(magnitude(ax))
            .max(magnitude(ay));
        (s, s)
    } else {
        let scale = |r: (f64, f64)| {
            let w = r.1 - r.0;
            if w > 0.0 {
                w
            } else {
                magnitude(r)
            }
        };
        (scale(ax), scale(ay))
    };
    let allowed = |p: &(f64, f64)| {
        p.0 >= ax.0 - 2.0 * sx
            && p.0 <= ax.1 + 2.0 * sx
            && p.1 >= ay.0 - 2.0 * sy
            && p.1 <= ay.1 + 2.0 * sy
    };
    let kept: Vec<(f64, f64)> = paths
        .iter()
        .filter(|(_, runaway)| *runaway)
        .flat_map(|(p, _)| p.iter().copied())
        .filter(|p| finite(p) && allowed(p))
        .chain(calm.iter().copied())
        .collect();
    let mut x = range(kept.iter().map(|p| p.0))?;
    let mut y = range(kept.iter().map(|p| p.1))?;
    if same_units {
        // Square: what matters is the landscape the paths ran off into, all around.
        let (wx, wy) = (x.1 - x.0, y.1 - y.0);
        let widen = |(lo, hi): (f64, f64), w: f64, other: f64| {
            let want = other.max(1e-9);
            if w < want {
                let c = 0.5 * (lo + hi);
                (c - 0.5 * want, c + 0.5 * want)
            } else {
                (lo, hi)
            }
        };
        x = widen(x, wx, wy);
        y = widen(y, wy, wx);
    } else {
        let open = |(lo, hi): (f64, f64)| {
            if hi > lo {
                (lo, hi)
            } else {
                let d = 0.5 * lo.abs().max(1.0);
                (lo - d, hi + d)
            }
        };
        x = open(x);
        y = open(y);
    }
    let pad = |(lo, hi): (f64, f64)| {
        let m = 0.15 * (hi - lo);
        (lo - m, hi + m)
    };
    Some(Bounds {
        x: pad(x),
        y: pad(y),
    })
}

fn range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |r, v| match r {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// What a loss chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossScale {
    /// The value after each step.
    Value,
    /// The value minus the known minimum, on a log axis.
    AboveMinimum,
    /// How far the value fell below the start, on a log axis: for a function unbounded
    /// below, whose values run to -inf and would flatten every other curve.
    Fall,
}

impl LossScale {
    /// Appended to a series' name in the legend.
    pub fn suffix(self) -> &'static str {
        match self {
            LossScale::Value => "",
            LossScale::AboveMinimum => ": value - minimum",
            LossScale::Fall => ": fall below the start",
        }
    }
}

/// The curves of a loss chart, one per run (the value after each step; the start alone for
/// a run of no step): above the known minimum when there is one and every run has a step
/// above it (a log axis has no 0, so steps at the minimum to the last bit are left out),
/// the fall below the start when some run found no bottom, else the values.
pub fn loss_curves(
    runs: &[&[f64]],
    min: Option<f64>,
    unbounded: bool,
) -> (Vec<Vec<f64>>, LossScale) {
    let after = |values: &[f64]| -> Vec<f64> {
        if values.len() > 1 {
            values[1..].to_vec()
        } else {
            values.to_vec()
        }
    };
    let positive = |v: f64| if v > 0.0 { v } else { f64::NAN };
    let all_drawable = |curves: &[Vec<f64>]| curves.iter().all(|c| c.iter().any(|v| v.is_finite()));
    if let (Some(m), false) = (min, unbounded) {
        let above: Vec<Vec<f64>> = runs
            .iter()
            .map(|v| after(v).into_iter().map(|x| positive(x - m)).collect())
            .collect();
        if all_drawable(&above) {
            return (above, LossScale::AboveMinimum);
        }
    }
    if unbounded {
        let fall: Vec<Vec<f64>> = runs
            .iter()
            .map(|v| {
                let f0 = v.first().copied().unwrap_or(f64::NAN);
                after(v).into_iter().map(|x| positive(f0 - x)).collect()
            })
            .collect();
        if all_drawable(&fall) {
            return (fall, LossScale::Fall);
        }
    }
    (runs.iter().map(|v| after(v)).collect(), LossScale::Value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_formulas() {
        let f = Function::parse("Rosenbrock", None).unwrap();
        assert_eq!(f.label(), "rosenbrock");
        let f = Function::parse("y^2 + (x-1)^2", Some(&["y".into(), "x".into()])).unwrap();
        assert_eq!(f.vars, ["y", "x"]);
        assert_eq!(f.cost(&[0.0, 1.0]), 0.0);
        let e = Function::parse("rosenbrok", None).unwrap_err().to_string();
        assert!(
            e.contains("'rosenbrok'") && e.contains("did you mean rosenbrock"),
            "{e}"
        );
        let e = Function::parse("goldstein-prize", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean goldstein-price"), "{e}");
        // A subtraction of two words is a formula.
        assert!(Function::parse("apple - pear", None).is_ok());
        let e = Function::parse("(1-x)^2 + (y", None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("formula: expected ')' at column 13"), "{e}");
        assert!(e.ends_with("\n              ^"), "{e:?}");
    }

    #[test]
    fn starts() {
        let f = Function::parse("beale", None).unwrap();
        assert_eq!(f.start(None).unwrap(), [1.0, 1.0]);
        let e = f.start(Some(&[1.0])).unwrap_err().to_string();
        assert!(
            e.contains("2 variables (x, y)") && e.contains("not 1"),
            "{e}"
        );
        let g = Function::parse("sqrt(x) + y^2", None).unwrap();
        assert!(g.start(None).is_err());
        assert_eq!(g.start(Some(&[1.0, 2.0])).unwrap(), [1.0, 2.0]);
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(short(1.0), "1");
        assert_eq!(short(-1.2), "-1.2");
        assert_eq!(short(0.999999999999), "1");
        assert_eq!(short(1.5e-12), "1.5e-12");
        assert_eq!(short(123456.5), "123456.5");
    }

    #[test]
    fn falling_and_levelling() {
        let linear: Vec<f64> = (0..100).map(|i| -(i as f64)).collect();
        assert!(still_falling(&linear));
        let settling: Vec<f64> = (0..100).map(|i| (-(i as f64) / 10.0).exp()).collect();
        assert!(!still_falling(&settling));
    }

    #[test]
    fn region_drops_runaway_steps() {
        let calm = [(1.0, 1.0), (0.5, 0.5)];
        assert!(region(&[(1.0, 1.0)], &[(&calm, false)], true).is_none());
        // Within twice the anchors' scale (1 here) a runaway step counts; beyond, not.
        let wild = [(1.0, 1.0), (2.5, 2.5), (1e10, 1e10)];
        let b = region(&[(1.0, 1.0), (0.0, 0.0)], &[(&wild, true)], true).unwrap();
        assert!(b.x.1 > 2.5 && b.x.1 < 3.0, "{b:?}");
        assert_eq!(b.x, b.y, "square");
        // A calm path far out widens the region; it is never cut.
        let far = [(1.0, 1.0), (-20.0, 1.0)];
        let b = region(&[(1.0, 1.0)], &[(&wild, true), (&far, false)], true).unwrap();
        assert!(b.x.0 < -20.0, "{b:?}");
    }
}
