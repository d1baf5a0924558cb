//! Several methods raced from one start: each run to its end (a diverging one does not stop
//! the race), and the steps each took to come within a tolerance of the minimum.

use super::{descend, End, Function, Method, Run};
use crate::train::{Observer, TrainConfig};
use crate::Result;

/// One contestant: a method and its loop settings.
#[derive(Debug)]
pub struct Entrant {
    /// What runs.
    pub method: Method,
    /// Its epochs, tolerances, time limit.
    pub config: TrainConfig,
}

/// The runs of a race and the minimum they are measured against.
#[derive(Debug)]
pub struct Race {
    /// One per entrant, in their order.
    pub runs: Vec<Run>,
    /// The minimum value: the known one, else the lowest value a run with an answer met
    /// (`None` when no run has one).
    pub minimum: Option<f64>,
    /// Whether `minimum` is known exactly rather than the best found.
    pub minimum_known: bool,
    /// "Reached" means within this of the minimum: relative to it when its size is above
    /// 1, absolute otherwise.
    pub tol: f64,
}

impl Race {
    /// The race of finished `runs`, measured against `known_minimum` or, without one, the
    /// best value found.
    pub fn new(runs: Vec<Run>, known_minimum: Option<f64>, tol: f64) -> Race {
        let minimum = known_minimum.or_else(|| best_value(&runs));
        Race {
            runs,
            minimum,
            minimum_known: known_minimum.is_some(),
            tol,
        }
    }

    /// The first step of run `i` within `tol` of the minimum; `None` if it never came.
    pub fn steps_to_reach(&self, i: usize) -> Option<usize> {
        let m = self.minimum?;
        steps_to_reach(&self.runs.get(i)?.trace.values, m, self.tol)
    }

    /// Whether some run found the function unbounded below.
    pub fn any_unbounded(&self) -> bool {
        self.runs.iter().any(|r| r.unbounded_below)
    }
}

/// Runs every entrant on `f` from `start`, one after the other. `observer_for(i)` gives the
/// observer of run `i` (a progress bar, a Ctrl-C check); it is dropped when the run ends.
/// A run that diverges is reported in its place; any other error ends the race.
///
/// ```
/// use downhill::optim::Sgd;
/// use downhill::run::{self, Entrant, Function, Method};
/// use downhill::schedule::Constant;
/// use downhill::solver::{self, SolverOptions};
/// use downhill::train::{NoObserver, TrainConfig};
///
/// let f = Function::parse("rosenbrock", None).unwrap();
/// let config = TrainConfig { max_epochs: 1000, ..TrainConfig::default() };
/// let gd = Method::Rate { optimizer: Box::new(Sgd::new()), schedule: Box::new(Constant(0.001)) };
/// let lbfgs = Method::Solver(solver::by_name("lbfgs", &SolverOptions::default()).unwrap());
/// let entrants = vec![
///     Entrant { method: gd, config: config.clone() },
///     Entrant { method: lbfgs, config },
/// ];
/// let race = run::race(&f, &f.start(None).unwrap(), entrants, 1e-6, &mut |_| Box::new(NoObserver)).unwrap();
/// assert_eq!(race.steps_to_reach(0), None);
/// assert!(race.steps_to_reach(1).is_some());
/// ```
pub fn race(
    f: &Function,
    start: &[f64],
    entrants: Vec<Entrant>,
    tol: f64,
    observer_for: &mut dyn FnMut(usize) -> Box<dyn Observer>,
) -> Result<Race> {
    let mut runs = Vec::with_capacity(entrants.len());
    for (i, e) in entrants.into_iter().enumerate() {
        let mut observer = observer_for(i);
        runs.push(descend(
            f,
            e.method,
            e.config,
            start.to_vec(),
            observer.as_mut(),
        )?);
    }
    Ok(Race::new(runs, f.min_value(), tol))
}

/// The first step whose value is within `tol` of `min` (relative when |min| > 1).
pub fn steps_to_reach(values: &[f64], min: f64, tol: f64) -> Option<usize> {
    let within = tol * min.abs().max(1.0);
    values.iter().position(|v| (v - min).abs() <= within)
}

/// The lowest value met by a run that finished on a function with a bottom: the minimum
/// of a function whose minimum is unknown, as far as the race knows.
pub fn best_value(runs: &[Run]) -> Option<f64> {
    runs.iter()
        .filter(|r| matches!(r.end, End::Finished(_)) && !r.unbounded_below)
        .flat_map(|r| r.trace.values.iter().copied())
        .filter(|v| v.is_finite())
        .min_by(f64::total_cmp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Sgd;
    use crate::schedule::Constant;
    use crate::solver::{self, SolverOptions};
    use crate::train::NoObserver;

    fn gd(lr: f64, epochs: usize) -> Entrant {
        Entrant {
            method: Method::Rate {
                optimizer: Box::new(Sgd::new()),
                schedule: Box::new(Constant(lr)),
            },
            config: TrainConfig {
                max_epochs: epochs,
                ..TrainConfig::default()
            },
        }
    }

    fn lbfgs() -> Entrant {
        Entrant {
            method: Method::Solver(solver::by_name("lbfgs", &SolverOptions::default()).unwrap()),
            config: TrainConfig::default(),
        }
    }

    #[test]
    fn reach_counts_the_first_step_within_tolerance() {
        let v = [10.0, 1.0, 1e-3, 1e-7, 1e-9];
        assert_eq!(steps_to_reach(&v, 0.0, 1e-6), Some(3));
        assert_eq!(steps_to_reach(&v, 0.0, 1e-12), None);
        // Relative above 1.
        let w = [2000.0, 1000.001, 1000.0];
        assert_eq!(steps_to_reach(&w, 1000.0, 1e-6), Some(1));
    }

    #[test]
    fn gd_lbfgs_and_a_diverging_gd_on_rosenbrock() {
        let f = Function::parse("rosenbrock", None).unwrap();
        let start = f.start(None).unwrap();
        let mut observed = Vec::new();
        let entrants = vec![gd(0.001, 2000), lbfgs(), gd(0.1, 2000)];
        let race = race(&f, &start, entrants, 1e-6, &mut |i| {
            observed.push(i);
            Box::new(NoObserver)
        })
        .unwrap();
        assert_eq!(observed, [0, 1, 2]);
        assert_eq!((race.minimum, race.minimum_known), (Some(0.0), true));
        // gd crawls along the valley: at its limit, never within 1e-6.
        assert_eq!(race.steps_to_reach(0), None);
        assert!(race.runs[0].stopped_short());
        // lbfgs reaches the minimum, then converges.
        let reach = race.steps_to_reach(1).unwrap();
        assert!(race.runs[1].converged());
        assert!(reach > 0 && reach <= race.runs[1].steps(), "{reach}");
        // The diverging run is reported at its step, and did not stop the race.
        let lost = &race.runs[2];
        assert!(lost.lost());
        assert!(
            matches!(lost.end, End::Diverged { step: 2, .. }),
            "{:?}",
            lost.end
        );
        assert!(!race.any_unbounded());
    }

    #[test]
    fn without_a_known_minimum_the_best_value_found_counts() {
        let f = Function::parse("(x-1)^2 + 4*(y+1)^2", None).unwrap();
        let start = f.start(None).unwrap();
        let race = race(
            &f,
            &start,
            vec![gd(0.01, 100), gd(0.1, 10_000)],
            1e-6,
            &mut |_| Box::new(NoObserver),
        )
        .unwrap();
        assert!(!race.minimum_known);
        let m = race.minimum.unwrap();
        assert!(m < 1e-20, "{m}");
        assert_eq!(race.steps_to_reach(0), None);
        assert!(race.steps_to_reach(1).is_some());
    }
}
