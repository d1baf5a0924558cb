//! How long the CSV reader takes to load a file into a table: `ROUNDS` loads, one after the
//! other in one process, their times in milliseconds and the median (the last line JSON).
//! With `memory` the file is read into memory once and each round parses those bytes (no
//! page faults of the mapped file: the parse's own cost); `RAYON_NUM_THREADS` sets the
//! threads.
//!
//! ```sh
//! cargo run --release --example csv_load -p downhill-io -- FILE.csv TARGET [ROUNDS] [memory]
//! ```

use anyhow::{bail, Context, Result};
use downhill_io::table::{self, Target};
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(target)) = (args.next(), args.next()) else {
        bail!("usage: csv_load FILE.csv TARGET [ROUNDS] [memory]");
    };
    let rounds: usize = match args.next() {
        Some(r) => r.parse().context("ROUNDS must be a whole number")?,
        None => 9,
    };
    let memory = args.next().is_some_and(|m| m == "memory");
    let path = PathBuf::from(path);
    let header = table::header(&path)?;
    let Some(t) = header.names.iter().position(|n| *n == target) else {
        bail!("{}: no column {target}", path.display());
    };
    let features: Vec<usize> = (0..header.names.len()).filter(|&j| j != t).collect();
    let bytes = if memory {
        std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?
    } else {
        Vec::new()
    };
    let mut ms = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        let loaded = if memory {
            downhill_io::csv::load_bytes(&path, &bytes, &header, &features, Target::Numeric(t))?
        } else {
            table::load(&path, &header, &features, Target::Numeric(t))?
        };
        ms.push(start.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(&loaded);
        println!("{:.2} ms, {} rows", ms[ms.len() - 1], loaded.rows);
    }
    let mut sorted = ms.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{{\"load_ms_median\":{:.3},\"load_ms_best\":{:.3}}}",
        sorted[sorted.len() / 2],
        sorted[0]
    );
    Ok(())
}
