//! A schedule as typed on the command line: parsing never panics, and an accepted schedule
//! gives a finite, non-negative learning rate at every epoch from 1 to 1000, whatever the
//! costs it is told.
#![no_main]

use arbitrary::Arbitrary;
use downhill::schedule::parse;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    lr: u8,
    /// Drives how the cost moves, epoch to epoch (for reduce-on-plateau).
    costs: u64,
    spec: String,
}

const RATES: [f64; 6] = [0.1, 1.0, 1e-3, 1e300, 5e-324, 17.5];

fuzz_target!(|input: Input| {
    let lr0 = RATES[usize::from(input.lr) % RATES.len()];
    let Ok(mut schedule) = parse(&input.spec, lr0) else {
        return;
    };
    let mut cost = 1.0;
    let mut state = input.costs;
    for epoch in 1..=1000 {
        let lr = schedule.lr(epoch);
        assert!(
            lr.is_finite() && lr >= 0.0,
            "{:?} (lr {lr0}) gives {lr} at epoch {epoch}",
            input.spec
        );
        // A small linear congruential walk: costs that fall, stall and rise.
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        cost *= 1.0 + f64::from((state >> 56) as u8 as i8) / 512.0;
        schedule.observe(epoch, cost);
    }
});
