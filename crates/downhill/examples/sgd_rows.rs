//! What an epoch of per-sample SGD (`--batch-size 1`) costs, shuffled against file order,
//! with the data on ordinary 4 KiB pages and on huge pages.
//!
//! On `ROWS x FEATURES` features with a linear target (a fixed seed), plain SGD on least
//! squares with an intercept, learning rate 0.01, through [`Trainer`]: each of the four
//! runs (shuffled or not, ordinary or huge pages) trains `EPOCHS` epochs, `REPS` times;
//! the time of an epoch is the best run's time less that of a run of no epochs (the two
//! full evaluations around the loop), divided by `EPOCHS`. The huge-page copy of the data
//! is an anonymous mapping advised with `madvise(MADV_HUGEPAGE)` before it is written (a
//! hint the kernel may decline). A shuffled epoch visits the rows in a random order: each
//! row is a read from memory at a random place, and its page a TLB miss on 4 KiB pages.
//!
//! Two floors of a shuffled epoch, measured alone: the reshuffle of the trainer's order (as
//! `u32`, as it holds it, and as `usize`), and a read of every line of every row and target
//! in a random order with the lines asked for ahead and no arithmetic to wait on (the best
//! of 8, 16 and 32 rows ahead, into the first or the second cache level; four independent
//! sums: a single chain of additions, as this read was first written, took about twice as
//! long on 1,000,000 x 10 and made the floor look higher than it is). On one thread a
//! shuffled epoch cannot take less than their sum; on two or more (these runs use every
//! core) the trainer shuffles the next epoch's order while an epoch steps, and the floor
//! is the read alone.
//!
//! ```sh
//! cargo run --release --example sgd_rows -p downhill -- [ROWS] [FEATURES] [EPOCHS] [REPS]
//! ```
//!
//! Defaults: 1,000,000 rows, 10 features, 3 epochs, 3 runs. The last line printed is JSON.

use downhill::data::MatrixRef;
use downhill::loss::Squared;
use downhill::model::Linear;
use downhill::optim::Sgd;
use downhill::train::{NoObserver, TrainConfig, Trainer};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// Asks for every line of `v` into the cache level of `HINT` (an `_MM_HINT_*`).
fn prefetch<const HINT: i32>(v: &[f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::_mm_prefetch;
        let p = v.as_ptr().cast::<i8>();
        let bytes = std::mem::size_of_val(v);
        // SAFETY: a prefetch is a hint; it reads nothing into the program.
        unsafe {
            for at in (0..bytes).step_by(64) {
                _mm_prefetch::<HINT>(p.wrapping_add(at));
            }
            _mm_prefetch::<HINT>(p.wrapping_add(bytes - 1));
        }
    }
}

/// Pairs of a multiplication and an addition a row in [`link`], each waiting on the one
/// before: about as long a chain as a fused step's on 1,000,000 x 10.
const CHAIN: usize = 6;

/// One row's link of a dependent chain that stands in for a step: `c * a + b`, [`CHAIN`]
/// times (plain operations: `mul_add` would call the C library's `fma` here, compiled
/// without the CPU's FMA).
#[inline(always)]
fn link(mut c: f64) -> f64 {
    for _ in 0..CHAIN {
        c = c * 0.999_999 + 1e-9;
    }
    c
}

/// The chain alone, `n` rows of it, no memory read.
fn step_chain(n: usize) {
    let mut c = 1.0;
    for _ in 0..n {
        c = link(std::hint::black_box(c));
    }
    std::hint::black_box(c);
}

/// Reads one value of every line of rows `order` of `x` (`d` values a row) and of `y`,
/// the lines asked for `ahead` rows on into the cache level of `HINT`: four independent
/// sums, so that no chain of additions sets the pace. With `STEP`, each row also runs
/// [`link`] of a chain that waits on the row's first value and target, as a step waits on
/// its row and on the step before: what that dependence does to the same reads.
fn random_read<const HINT: i32, const STEP: bool>(
    x: &[f64],
    y: &[f64],
    d: usize,
    order: &[u32],
    ahead: usize,
) {
    let mut s = [0.0f64; 4];
    let mut c = 1.0;
    for (at, &i) in order.iter().enumerate() {
        if let Some(&next) = order.get(at + ahead) {
            let next = next as usize;
            prefetch::<HINT>(&x[next * d..next * d + d]);
            prefetch::<HINT>(&y[next..next + 1]);
        }
        let i = i as usize;
        let row = &x[i * d..i * d + d];
        for (k, v) in row.iter().step_by(8).enumerate() {
            s[k % 4] += v;
        }
        s[1] += row[d - 1];
        s[2] += y[i];
        if STEP {
            c = link(c + 1e-30 * (row[0] + y[i]));
        }
    }
    std::hint::black_box((s, c));
}

/// [`random_read`] with its cache level chosen.
type RandomRead = fn(&[f64], &[f64], usize, &[u32], usize);

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// A buffer of `n` doubles in an anonymous mapping advised to use huge pages.
fn huge(n: usize) -> memmap2::MmapMut {
    let map = memmap2::MmapOptions::new()
        .len(n.max(1) * 8)
        .map_anon()
        .expect("an anonymous mapping");
    let _ = map.advise(memmap2::Advice::HugePage);
    map
}

fn as_f64(map: &mut memmap2::MmapMut, n: usize) -> &mut [f64] {
    // SAFETY: the mapping holds `n` doubles, page-aligned, and lives as long as the slice.
    unsafe { std::slice::from_raw_parts_mut(map.as_mut_ptr().cast(), n) }
}

/// Seconds of a run of `epochs` epochs: the best of `reps`.
fn run(x: &[f64], y: &[f64], d: usize, epochs: usize, shuffle: bool, reps: usize) -> f64 {
    let n = y.len();
    let model = Linear::new(MatrixRef::f64(x, n, d).expect("shape"), y, Squared);
    (0..reps)
        .map(|_| {
            let config = TrainConfig {
                max_epochs: epochs,
                batch_size: Some(1),
                shuffle,
                gtol: 0.0,
                ..TrainConfig::default()
            };
            let mut trainer = Trainer::new(Box::new(Sgd), 0.01).with_config(config);
            let t = Instant::now();
            let report = trainer
                .run(&model, vec![0.0; d + 1], &mut NoObserver)
                .expect("a finite run");
            std::hint::black_box(report.cost);
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let (n, d, epochs, reps) = (arg(1, 1_000_000), arg(2, 10), arg(3, 3), arg(4, 3));
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let x: Vec<f64> = (0..n * d).map(|_| uniform()).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| x[i * d..(i + 1) * d].iter().sum::<f64>() + 0.1 * uniform())
        .collect();
    let (mut hx, mut hy) = (huge(n * d), huge(n));
    as_f64(&mut hx, n * d).copy_from_slice(&x);
    as_f64(&mut hy, n).copy_from_slice(&y);
    let (hx, hy) = (&*as_f64(&mut hx, n * d), &*as_f64(&mut hy, n));
    // What the kernel granted (Linux): the hint is only a hint.
    let granted = std::fs::read_to_string("/proc/self/smaps_rollup")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("AnonHugePages:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        })
        .unwrap_or_else(|| "?".into());
    println!("huge pages granted: {granted} kB");

    let mut out = vec![format!("\"huge_pages_granted_kb\": \"{granted}\"")];
    let best = |f: &mut dyn FnMut()| {
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .fold(f64::INFINITY, f64::min)
    };
    // The trainer's reshuffle of a million-entry order, as `u32` (what it holds) and as
    // `usize`: the same permutation, half the memory.
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut narrow: Vec<u32> = (0..n as u32).collect();
    let mut wide: Vec<usize> = (0..n).collect();
    let shuffle_u32 = best(&mut || narrow.shuffle(&mut rng));
    let shuffle_usize = best(&mut || wide.shuffle(&mut rng));
    println!("shuffle of the order: {shuffle_u32:.2} ms as u32, {shuffle_usize:.2} ms as usize");
    out.push(format!(
        "\"shuffle_u32_ms\": {shuffle_u32:.3}, \"shuffle_usize_ms\": {shuffle_usize:.3}"
    ));

    // The read alone, no arithmetic to wait on: a value of every line of every row and
    // target in a random order, the lines asked for some rows ahead into the first or the
    // second cache level (the best of three distances and both levels). Then the same read
    // beside a dependent chain that waits on the rows, and the chain alone: a core that
    // overlaps the misses with the chain takes the longer of the two, one that does not
    // their sum.
    #[cfg(target_arch = "x86_64")]
    let (reads, chained): ([RandomRead; 2], [RandomRead; 2]) = {
        use std::arch::x86_64::{_MM_HINT_T0, _MM_HINT_T1};
        (
            [
                random_read::<_MM_HINT_T0, false>,
                random_read::<_MM_HINT_T1, false>,
            ],
            [
                random_read::<_MM_HINT_T0, true>,
                random_read::<_MM_HINT_T1, true>,
            ],
        )
    };
    #[cfg(not(target_arch = "x86_64"))]
    let (reads, chained): ([RandomRead; 1], [RandomRead; 1]) =
        ([random_read::<0, false>], [random_read::<0, true>]);
    let fastest = |reads: &[RandomRead], x: &[f64], y: &[f64]| {
        reads
            .iter()
            .flat_map(|read| [8usize, 16, 32].map(|ahead| (read, ahead)))
            .map(|(read, ahead)| best(&mut || read(x, y, d, &narrow, ahead)))
            .fold(f64::INFINITY, f64::min)
    };
    for (pages, x, y) in [("4k", &x[..], &y[..]), ("huge", hx, hy)] {
        let ms = fastest(&reads, x, y);
        println!("{pages:>4} pages, random read of every row: {ms:7.2} ms");
        out.push(format!("\"{pages}_random_read_ms\": {ms:.3}"));
    }
    let chain = best(&mut || step_chain(n));
    let both = fastest(&chained, &x, &y);
    println!(
        "a chain of {CHAIN} multiply-and-add pairs a row alone: {chain:7.2} ms; \
         beside the 4k read: {both:7.2} ms"
    );
    out.push(format!(
        "\"chain_ms\": {chain:.3}, \"4k_random_read_with_chain_ms\": {both:.3}"
    ));
    for (pages, x, y) in [("4k", &x[..], &y[..]), ("huge", hx, hy)] {
        for shuffle in [false, true] {
            let base = run(x, y, d, 0, shuffle, reps);
            let ms = (run(x, y, d, epochs, shuffle, reps) - base) / epochs as f64 * 1e3;
            let order = if shuffle { "shuffled" } else { "file order" };
            println!("{pages:>4} pages, {order:>10}: {ms:7.2} ms an epoch");
            out.push(format!(
                "\"{pages}_{}_ms\": {ms:.3}",
                order.replace(' ', "_")
            ));
        }
    }
    println!(
        "{{\"rows\": {n}, \"features\": {d}, \"epochs\": {epochs}, {}}}",
        out.join(", ")
    );
}
