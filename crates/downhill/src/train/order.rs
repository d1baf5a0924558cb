use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::thread::JoinHandle;

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

    /// Makes `self` a copy of `other`, reusing its buffer when it holds the same kind.
    fn copy_from(&mut self, other: &Order) {
        match (self, other) {
            (Order::Narrow(a), Order::Narrow(b)) => a.clone_from(b),
            (Order::Wide(a), Order::Wide(b)) => a.clone_from(b),
            (this, _) => *this = other.clone(),
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

/// Orders of at least this many batches are shuffled ahead ([`ShuffleAhead`]): a thread
/// costs tens of microseconds, a shuffle of 2^16 indices about half a millisecond.
pub(super) const SHUFFLE_AHEAD_MIN: usize = 1 << 16;

/// The next epoch's order, shuffled on a second thread while this epoch steps.
///
/// A shuffled epoch of per-sample steps on a million rows spends about 12 ms of its 60 on
/// the reshuffle (`examples/sgd_rows.rs`), alone on one core while the other idles. The
/// next order depends only on this one and the random stream, so a copy of both can be
/// shuffled in parallel: the stream and the order taken from here are exactly those an
/// in-place shuffle would give, and so are the bits of the run.
#[derive(Debug, Default)]
pub(super) struct ShuffleAhead {
    running: Option<JoinHandle<(Order, ChaCha8Rng)>>,
    spare: Option<Order>,
}

impl ShuffleAhead {
    /// Starts shuffling a copy of `order` with a copy of `rng`, the state the next epoch
    /// starts from. Without a thread to run it on, the next epoch shuffles in place.
    pub(super) fn start(&mut self, order: &Order, rng: &ChaCha8Rng) {
        self.finish();
        let mut next = self.spare.take().unwrap_or_else(|| Order::new(0));
        next.copy_from(order);
        let mut rng = rng.clone();
        self.running = std::thread::Builder::new()
            .name("downhill-shuffle".into())
            .spawn(move || {
                next.shuffle(&mut rng);
                (next, rng)
            })
            .ok();
    }

    /// Makes `order` and `rng` what `order.shuffle(rng)` would: the shuffle started ahead
    /// when one was, that shuffle in place otherwise.
    pub(super) fn shuffle(&mut self, order: &mut Order, rng: &mut ChaCha8Rng) {
        match self.running.take().map(JoinHandle::join) {
            Some(Ok((mut next, next_rng))) => {
                std::mem::swap(order, &mut next);
                *rng = next_rng;
                self.spare = Some(next);
            }
            // No thread, or a thread that panicked: `order` and `rng` are untouched copies'
            // sources, so the in-place shuffle gives the same result.
            _ => order.shuffle(rng),
        }
    }

    /// Waits for a shuffle started ahead and drops it (the run stops before using it).
    pub(super) fn finish(&mut self) {
        if let Some(h) = self.running.take() {
            // Its result is not needed; a panic in it has nothing to report.
            let _ = h.join();
        }
    }
}

impl Drop for ShuffleAhead {
    fn drop(&mut self) {
        self.finish();
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

    #[test]
    fn a_shuffle_ahead_gives_the_order_and_stream_of_one_in_place() {
        let (mut a, mut b) = (Order::new(5000), Order::new(5000));
        let (mut r, mut s) = (ChaCha8Rng::seed_from_u64(3), ChaCha8Rng::seed_from_u64(3));
        let mut ahead = ShuffleAhead::default();
        for epoch in 0..4 {
            a.shuffle(&mut r);
            ahead.shuffle(&mut b, &mut s);
            assert_eq!(a.to_vec(), b.to_vec(), "epoch {epoch}");
            // Something else drawn from the stream between shuffles (a mini-batch rotation).
            assert_eq!(r.random::<u64>(), s.random::<u64>(), "epoch {epoch}");
            if epoch % 2 == 0 {
                ahead.start(&b, &s);
            }
        }
        // A shuffle started and dropped leaves nothing behind.
        ahead.start(&b, &s);
        ahead.finish();
        ahead.shuffle(&mut b, &mut s);
        a.shuffle(&mut r);
        assert_eq!(a.to_vec(), b.to_vec());
        assert_eq!(r.random::<u64>(), s.random::<u64>());
    }
}
