use super::Schedule;

/// The same learning rate every epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constant(pub f64);

impl Schedule for Constant {
    fn lr(&self, _epoch: usize) -> f64 {
        self.0
    }
}
