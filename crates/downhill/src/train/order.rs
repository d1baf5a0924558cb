use rand::seq::SliceRandom;
use rand::Rng;

/// The order in which a mini-batch epoch visits its batches: a permutation of `0..n`, each
/// epoch's a shuffle of the one before.
///
/// Held as `u32` when `n` fits: the permutation is the same (a shuffle's swaps depend on
/// the length alone), and a shuffle's random swaps touch half the memory. Shuffling a
/// million batch indices costs about 17 ms as `u32` against 33 ms as `usize` (the
/// `sgd_rows` example), about as much as a fused epoch of per-sample steps itself.
#[derive(Debug, Clone)]
pub(super) enum Order {
    Narrow(Vec<u32>),
    Wide(Vec<usize>),
}

impl Order {
    /// `0..n` in order.
    pub(super) fn new(n: usize) -> Self {
        match u32::try_from(n) {
            Ok(m) => Order::Narrow((0..m).collect()),
            Err(_) => Order::Wide((0..n).collect()),
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Order::Narrow(v) => v.len(),
            Order::Wide(v) => v.len(),
        }
    }

    pub(super) fn shuffle<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        match self {
            Order::Narrow(v) => v.shuffle(rng),
            Order::Wide(v) => v.shuffle(rng),
        }
    }

    /// The batch visited at position `at`.
    #[inline]
    pub(super) fn get(&self, at: usize) -> Option<usize> {
        match self {
            Order::Narrow(v) => v.get(at).map(|&k| k as usize),
            Order::Wide(v) => v.get(at).copied(),
        }
    }

    /// The batches in the order visited.
    pub(super) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let (narrow, wide): (&[u32], &[usize]) = match self {
            Order::Narrow(v) => (v, &[]),
            Order::Wide(v) => (&[], v),
        };
        narrow
            .iter()
            .map(|&k| k as usize)
            .chain(wide.iter().copied())
    }

    /// The order as `u32` indices, when it is held so.
    pub(super) fn narrow(&self) -> Option<&[u32]> {
        match self {
            Order::Narrow(v) => Some(v),
            Order::Wide(_) => None,
        }
    }

    /// The order as a checkpoint holds it.
    pub(super) fn to_vec(&self) -> Vec<usize> {
        match self {
            Order::Narrow(v) => v.iter().map(|&k| k as usize).collect(),
            Order::Wide(v) => v.clone(),
        }
    }

    /// Takes a saved order of the same length; `false` (and no change) when it has another
    /// length or a batch out of range (a damaged state).
    pub(super) fn restore(&mut self, saved: &[usize]) -> bool {
        let n = self.len();
        if saved.len() != n || saved.iter().any(|&k| k >= n) {
            return false;
        }
        match self {
            // Every value is below `n`, which fits in `u32`.
            Order::Narrow(v) => v.iter_mut().zip(saved).for_each(|(o, &k)| *o = k as u32),
            Order::Wide(v) => v.copy_from_slice(saved),
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn narrow_and_wide_orders_shuffle_alike_and_round_trip() {
        let (mut a, mut b) = (Order::new(1000), Order::Wide((0..1000).collect()));
        assert!(a.narrow().is_some() && b.narrow().is_none());
        let (mut r, mut s) = (ChaCha8Rng::seed_from_u64(7), ChaCha8Rng::seed_from_u64(7));
        for _ in 0..3 {
            a.shuffle(&mut r);
            b.shuffle(&mut s);
            assert_eq!(a.to_vec(), b.to_vec());
        }
        assert_ne!(a.to_vec(), (0..1000).collect::<Vec<_>>());
        let mut sorted = a.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
        let mut c = Order::new(1000);
        assert!(c.restore(&a.to_vec()));
        assert_eq!(c.get(17), a.get(17));
        assert_eq!(c.iter().collect::<Vec<_>>(), b.to_vec());
        assert_eq!(c.get(1000), None);
        assert!(!c.restore(&[0, 1]), "another length");
        let mut bad = a.to_vec();
        bad[3] = 1000;
        assert!(!c.restore(&bad), "a batch out of range");
        assert_eq!(c.to_vec(), a.to_vec(), "unchanged by a refused restore");
    }
}
