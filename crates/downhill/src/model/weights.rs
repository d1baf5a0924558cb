//! Row weights in the kernels: a type parameter, so the unweighted kernel is a separate
//! monomorphised copy in which every weight is the constant 1.0, and `1.0 * l` folds away
//! (exact in IEEE arithmetic): the unweighted path compiles to the code it had before
//! weights existed, with no branch per row.

use std::ops::Range;

/// How much each row's loss counts, as the kernels read it.
pub trait RowWeights: Copy + Send + Sync {
    /// The weight of row `i`, counted from the first row this value covers.
    fn at(self, i: usize) -> f64;

    /// The weights of rows `r` (counted as in [`RowWeights::at`]).
    fn range(self, r: Range<usize>) -> Self;
}

/// Every row counts once.
#[derive(Debug, Clone, Copy)]
pub struct Unweighted;

impl RowWeights for Unweighted {
    #[inline(always)]
    fn at(self, _i: usize) -> f64 {
        1.0
    }

    #[inline(always)]
    fn range(self, _r: Range<usize>) -> Self {
        self
    }
}

/// Row `i` counts `w[i]` times.
impl RowWeights for &[f64] {
    #[inline(always)]
    fn at(self, i: usize) -> f64 {
        self[i]
    }

    #[inline(always)]
    fn range(self, r: Range<usize>) -> Self {
        &self[r]
    }
}

/// A row's loss and derivative, each times the row's weight `s`.
#[inline(always)]
pub(super) fn scaled(s: f64, (l, dl): (f64, f64)) -> (f64, f64) {
    (s * l, s * dl)
}
