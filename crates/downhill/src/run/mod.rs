//! Runners: a method on a function with its path recorded and its end classified, and a
//! race of several methods from one start. What every front door (the command line, a web
//! playground, Python) needs to descend a function, without I/O.
//!
//! - [`Function`]: a named test function or a typed formula, with its variables' names,
//!   usual start, known minima and gradient descent's default rate on it;
//! - [`Trace`]: every step of a run (and [`Recording`], the observer that keeps it);
//! - [`Tap`]: an optimizer wrapper that knows where a diverging step went;
//! - [`descend`]: one run of a [`Method`], ending as a [`Run`]: converged, stopped at a
//!   limit, diverged at step N ([`End::Diverged`]) or unbounded below;
//! - [`race`]: several runs from one start, and the steps each took to come within a
//!   tolerance of the minimum ([`Race`]).
//!
//! Methods come built (an optimizer and its schedule, or a solver), with a
//! [`TrainConfig`](crate::train::TrainConfig): the runner takes no names or flags.

mod descend;
mod function;
mod race;
mod tap;
mod trace;

pub use descend::{descend, unbounded_along, Answer, End, Method, Run};
pub use function::{Function, GdDefaults, Kind};
pub use race::{best_value, race, steps_to_reach, Entrant, Race};
pub use tap::{LastStep, Tap};
pub use trace::{Recording, Trace};
