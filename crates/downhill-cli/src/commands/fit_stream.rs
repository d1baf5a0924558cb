//! `downhill fit --stream`: linear regression on a CSV or Parquet file read chunk by chunk
//! every epoch,
//! so that memory stays within `--memory-limit` whatever the file's size. Chosen by
//! `--stream`, or on its own when the file is larger than the memory limit and the flags
//! allow it. Outputs are those of `fit` (summary or `--json`, `-o`, `--history`).
//!
//! Passes over the file: one for the row count and the standardisation statistics, one per
//! epoch (plus one for the starting point, and one more after mini-batch training), and
//! one for the metrics.

use crate::cli::FitArgs;
use crate::commands::fit::{explain, finish, Run};
use crate::commands::fit_ranks::Failed;
use crate::design::Design;
use crate::method::flagged;
use crate::progress::Progress;
use anyhow::{anyhow, bail, Context, Result};
use downhill::data::Precision;
use downhill::data::{check_spread, Standardizer, StandardizerBuilder, TargetScale};
use downhill::distributed::{Communicator, Solo};
use downhill::estimator::RegressionLoss;
use downhill::metrics::Scores;
use downhill::numeric::{dot, CompensatedSum};
use downhill::spec::{Fitted, LossKind, MethodFacts, ModelKind, RunSpec, Stamped};
use downhill::train::{train_streaming_across, Chunk, ChunkSource, Observer, StreamModel};
use downhill::Error;
use downhill_io::chunks::{CsvChunks, CsvRangeChunks, ParquetChunks};
use downhill_io::shards::{self, Streamed};
use downhill_io::share;
use downhill_io::table::{self, Format};
use std::path::PathBuf;
use std::time::Instant;

/// Share of the memory limit given to the chunk buffer; the rest covers the reader's
/// buffer, the parser and the program itself.
const BUFFER_SHARE: u64 = 2;

/// Whether this fit streams: `--stream`, or a file whose table is larger than the memory
/// limit (a CSV file's size; a Parquet file's rows x columns x 8 bytes) with flags that
/// streaming supports (otherwise the file is loaded as before).
pub fn wanted(args: &FitArgs) -> Result<bool> {
    let limit = memory_limit(args.train.memory_limit.as_deref())?;
    if args.train.stream {
        return Ok(true);
    }
    // A missing file is reported by the ordinary path.
    let size = match Format::of(&args.data) {
        Format::Csv => std::fs::metadata(&args.data).map_or(0, |m| m.len()),
        // Compressed on disk: what counts is the table it makes, 8 bytes a value.
        Format::Parquet => downhill_io::parquet::table_bytes(&args.data).unwrap_or(0),
    };
    if size <= limit || unsupported(args).is_some() {
        return Ok(false);
    }
    if !args.out.json {
        eprintln!(
            "downhill: {} ({size} bytes) is larger than the memory limit ({limit} bytes): streaming it chunk by chunk (--stream)",
            args.data.display()
        );
    }
    Ok(true)
}

/// Why these flags cannot stream, if they cannot.
fn unsupported(args: &FitArgs) -> Option<String> {
    let m = &crate::spec::of_fit(args);
    let o = &args.out;
    if m.model != ModelKind::Linear {
        return Some(format!(
            "--stream trains --model linear only, not --model {}",
            m.model.as_str()
        ));
    }
    let refused = [
        ("--degree", m.degree.is_some_and(|k| k != 1)),
        ("--degree-columns", m.degree_columns.is_some()),
        ("--validation-fraction", m.validation_fraction.is_some()),
        ("--precision f32", m.precision == Precision::F32),
        ("--positive", m.positive.is_some()),
        ("--plot-loss", o.plot_loss.is_some()),
        ("--plot-fit", o.plot_fit.is_some()),
        ("--plot-surface", o.plot_surface.is_some()),
        ("--plot-3d", o.plot_3d.is_some()),
        ("--plot-boundary", o.plot_boundary.is_some()),
    ];
    if let Some((flag, _)) = refused.iter().find(|(_, given)| *given) {
        return Some(format!("{flag} is not supported with --stream"));
    }
    if m.penalty_strengths().is_ok_and(|p| p.l1 > 0.0) {
        return Some(
            "--stream supports the L2 penalty only (--l1 / --l1-ratio: leave them out)".into(),
        );
    }
    if let Ok(method) = m.build_method(STREAMED) {
        if method.solver.is_some() {
            return Some(format!(
                "--stream trains first-order optimizers only (gd, sgd, momentum, adam, ...), not --optimizer {}",
                method.name
            ));
        }
    }
    None
}

/// What `auto` knows of a streamed fit: first-order methods only.
const STREAMED: MethodFacts = MethodFacts {
    exact_hessian: None,
    quadratic: false,
    one_pass: false,
    rows: None,
    l1: false,
    first_order_only: true,
};

/// The memory budget in bytes: `--memory-limit`, or half the memory available.
fn memory_limit(flag: Option<&str>) -> Result<u64> {
    match flag {
        Some(s) => parse_size(s).map_err(|e| anyhow!("--memory-limit: {e}")),
        None => Ok(available_memory().map_or(1 << 30, |m| m / 2)),
    }
}

/// `MemAvailable` (else `MemTotal`) of `/proc/meminfo`, in bytes.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kib| kib * 1024)
    };
    field("MemAvailable:").or_else(|| field("MemTotal:"))
}

/// A size: bytes, or a number with K/KiB, M/MiB, G/GiB (powers of 1024; KB, MB, GB alike).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit_bytes: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(format!("'{s}' is not a size (e.g. 200MiB, 2GiB, 1048576)")),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 200MiB, 2GiB, 1048576)"))?;
    let bytes = v * unit_bytes as f64;
    if !(1.0..1.8e19).contains(&bytes) {
        return Err(format!("'{s}' must be at least 1 byte"));
    }
    Ok(bytes as u64)
}

/// Runs the streamed fit in this process.
pub fn run(args: &FitArgs) -> Result<()> {
    match fit(args, &Solo) {
        Ok(()) => Ok(()),
        Err(Failed::Alone(e) | Failed::Together(e)) => Err(e),
    }
}

/// The streamed fit over the ranks of `comm`: each rank streams its share, reading only that
/// (of several files, its run of whole files; of one CSV file, its bytes cut at newlines, see
/// [`csv_share`]; of one Parquet file, its run of row groups), every pass's sums are
/// all-reduced, and rank 0 prints and writes. A failure of this rank's reading is its own
/// ([`Failed::Alone`]); the rest every rank meets together.
pub(crate) fn fit(args: &FitArgs, comm: &dyn Communicator) -> std::result::Result<(), Failed> {
    let together = |e: anyhow::Error| Failed::Together(e);
    let alone = |e: anyhow::Error| Failed::Alone(e);
    let load_start = Instant::now();
    if let Some(why) = unsupported(args) {
        return Err(together(anyhow!("{why}")));
    }
    let (rank, ranks) = (comm.rank(), comm.size());
    let spec = crate::spec::of_fit(args);
    let m = &spec;
    let limit = memory_limit(args.train.memory_limit.as_deref()).map_err(together)?;
    let files = crate::commands::fit::data_files(args).map_err(together)?;
    let first = &files[0];
    let header = table::header(first).map_err(alone)?;
    let target = header.index(first, &args.target, "target").map_err(alone)?;
    let design = Design::for_fit(
        first,
        &header,
        &args.target,
        args.features.as_deref(),
        None,
        None,
    )
    .map_err(alone)?;
    let loss = regression_loss(&spec).map_err(together)?;
    let penalty = spec.penalty_strengths().map_err(|e| together(flagged(e)))?;
    let mut method = spec
        .build_method(STREAMED)
        .map_err(|e| together(flagged(e)))?;
    let quiet = rank != 0 || args.train.quiet;
    if let Some(note) = &method.note {
        if !quiet {
            eprintln!("downhill: {note}");
        }
    }
    let config = spec.train_config().map_err(|e| together(flagged(e)))?;
    let d = design.columns.len();
    let dim = d + usize::from(m.fit_intercept);
    if let Some(init) = &m.init {
        if init.len() != dim {
            return Err(together(anyhow!(
                "--init: expected {dim} values ({}), got {}",
                if !m.fit_intercept {
                    "one weight per term".to_string()
                } else {
                    format!(
                        "one weight per term ({}), then the intercept",
                        design.terms.join(", ")
                    )
                },
                init.len()
            )));
        }
    }

    // The chunk: as many rows as half the budget holds (features, target, visiting order).
    let row_bytes = (8 * (d + 2)) as u64;
    let mut rows_per_chunk = (limit / BUFFER_SHARE / row_bytes).max(1);
    if let Some(b) = config.batch_size {
        let b = b as u64;
        if b == 0 {
            return Err(together(anyhow!("--batch-size must be at least 1")));
        }
        if ranks > 1 {
            return Err(together(anyhow!(
                "--stream across ranks takes full batches: leave out --batch-size"
            )));
        }
        if b > rows_per_chunk {
            return Err(together(anyhow!(
                "--batch-size {b}: a batch of {} bytes does not fit in the chunk buffer that --memory-limit {limit} bytes allows; use a smaller batch or raise --memory-limit",
                b * row_bytes
            )));
        }
        // Whole batches per chunk: only the file's last chunk ends with a smaller one.
        rows_per_chunk -= rows_per_chunk % b;
    }
    let capacity = usize::try_from(rows_per_chunk).unwrap_or(usize::MAX / (8 * (d + 2)));
    let mut chunk = Chunk::new(d, capacity);
    let mut source: Box<dyn ChunkSource> = match &files[..] {
        [one] if ranks == 1 => match Format::of(one) {
            Format::Csv => Box::new(CsvChunks::new(one, &header, &design.columns, target)),
            Format::Parquet => Box::new(ParquetChunks::new(one, &header, &design.columns, target)),
        },
        // One file over ranks: this rank's share of it.
        [one] => match Format::of(one) {
            Format::Csv => csv_share(&files, &header, &design.columns, target, comm)?,
            Format::Parquet => {
                let per_group = downhill_io::parquet::row_group_rows(one).map_err(alone)?;
                let mine = share::row_groups(&per_group, rank, ranks);
                let before = per_group[..mine.start].iter().sum();
                Box::new(
                    ParquetChunks::new(one, &header, &design.columns, target)
                        .only_groups(mine, before),
                )
            }
        },
        // Several: this rank's run of whole files.
        _ => {
            let sizes = shards::sizes(&files).map_err(alone)?;
            let mine = &files[shards::assign(&sizes, rank, ranks)];
            Box::new(Streamed::new(mine, &header, &design.columns, target).map_err(alone)?)
        }
    };
    let explain = |e: Error| explain(e, first, &design.terms, m);
    // A source's failure is this rank's alone; any other is every rank's.
    let failed = |e: Error| match e {
        e @ Error::Source(_) => alone(explain(e)),
        Error::NoRows => together(anyhow!(
            "{}: no data rows (the file has only a header)",
            args.data.display()
        )),
        e => together(explain(e)),
    };

    // First pass: rows, standardisation statistics, the targets' sum (for R^2).
    let first_pass = if ranks == 1 {
        stats_alone(source.as_mut(), &mut chunk, m).map_err(failed)?
    } else {
        stats_across(source.as_mut(), &mut chunk, m, comm).map_err(failed)?
    };
    let FirstPass {
        rows,
        standardizer,
        target,
        y_sum,
    } = first_pass;
    let load_seconds = load_start.elapsed().as_secs_f64();

    let init = match &m.init {
        // Zeros in the optimizer's coordinates, as in memory: the intercept at the mean.
        None => {
            let mut p = vec![0.0; dim];
            if m.fit_intercept {
                p[d] = target.mean;
            }
            p
        }
        Some(p) => to_inner(standardizer.as_ref(), p, m.fit_intercept),
    };
    let model = StreamModel {
        loss,
        fit_intercept: m.fit_intercept,
        penalty,
        standardizer,
        target,
    };
    // Rank 0 writes the checkpoints; every rank reads the one it resumes from. The settings
    // are stamped and checked; the data is not (a streamed run never holds it), only its
    // chunking.
    let files = crate::checkpoint::Files::of(&spec)
        .map_err(together)?
        .map(|f| if rank == 0 { f } else { f.reading_only() });
    let checkpoints = files.is_some();
    let mut progress =
        Progress::new(config.max_epochs, quiet || args.out.json).with_checkpoints(files);
    let mut stamped;
    let observer: &mut dyn Observer = if checkpoints {
        stamped = Stamped::settings_only(&mut progress, &spec);
        &mut stamped
    } else {
        &mut progress
    };
    let result = train_streaming_across(
        comm,
        source.as_mut(),
        &mut chunk,
        &model,
        method.optimizer.as_mut(),
        method.schedule.as_mut(),
        &config,
        init,
        observer,
    );
    progress.finish();
    let report = result.map_err(failed)?;

    let intercept = m.fit_intercept;
    let s = model.standardizer.as_ref();
    let mut history = report.history;
    history.map_params(|p| {
        let outer = to_outer(s, p, intercept);
        p.copy_from_slice(&outer);
    });
    let outer = to_outer(s, &report.params, intercept);
    let (weights, b) = (outer[..d].to_vec(), if intercept { outer[d] } else { 0.0 });

    // Last pass: the metrics, in original units, summed as the in-memory ones are.
    let mean = y_sum / rows as f64;
    let (mut ss_res, mut ss_tot, mut abs) = (
        CompensatedSum::default(),
        CompensatedSum::default(),
        CompensatedSum::default(),
    );
    source.rewind().map_err(failed)?;
    while source.next_chunk(&mut chunk).map_err(failed)? {
        for (x, t) in chunk.x().chunks_exact(d.max(1)).zip(chunk.y()) {
            let p = if d == 0 { b } else { dot(&weights, x) + b };
            ss_res.add((t - p) * (t - p));
            ss_tot.add((t - mean) * (t - mean));
            abs.add((t - p).abs());
        }
    }
    let mut sums = [ss_res.value(), ss_tot.value(), abs.value()];
    comm.sum(&mut sums);
    let [res, tot, abs] = sums;
    let scores = Scores::Regression {
        r2: if tot > 0.0 {
            1.0 - res / tot
        } else if res == 0.0 {
            1.0
        } else {
            0.0
        },
        rmse: (res / rows as f64).sqrt(),
        mae: abs / rows as f64,
    };
    if rank != 0 {
        return Ok(());
    }
    if !args.out.json && !args.train.quiet && ranks > 1 {
        eprintln!("downhill: trained across {ranks} ranks");
    }

    let fit = Fitted {
        classes: None,
        weights: vec![weights],
        intercept: vec![b],
        standardizer: model.standardizer.clone(),
        cost: report.cost,
        grad_norm: report.grad_norm,
        validation_cost: None,
        epochs: report.epochs,
        stop_reason: report.stop_reason,
        history,
        train_time: report.elapsed,
        train_scores: Some(scores),
        validation_scores: None,
        optimizer: method.name,
        lr: method.lr,
        note: method.note,
        config,
        penalty,
    };
    let run = Run {
        spec: &spec,
        design: &design,
        rows,
        load_seconds,
    };
    finish(args, &run, &fit)
        .context("cannot print the result")
        .map_err(together)
}

/// This rank's share of the one CSV file `files[0]`, streamed: its bytes as the in-memory fit
/// cuts them ([`share::byte_range`]), each rank scanning its own once for its line count (the
/// ranks add them up, so that an error names the line in the whole file) and for quotes.
/// When any rank's bytes are not plain CSV (a quoted field may hold a newline, so a cut at a
/// newline may fall inside a row), every rank falls back to reading the whole file and
/// keeping its blocks of rows ([`Streamed::dealt`]). Collective: every rank calls it.
fn csv_share<'a>(
    files: &'a [PathBuf],
    header: &'a table::Header,
    columns: &'a [usize],
    target: usize,
    comm: &dyn Communicator,
) -> std::result::Result<Box<dyn ChunkSource + 'a>, Failed> {
    let (rank, ranks) = (comm.rank(), comm.size());
    let Some(path) = files.first() else {
        return Err(Failed::Together(anyhow!("no data file given")));
    };
    let scan = share::csv_scan(path, rank, ranks).map_err(Failed::Alone)?;
    // One all-reduce: every rank's line count in its slot, then whether any is not plain.
    // (Counts are exact in f64 below 2^53 lines.)
    let mut message = vec![0.0; ranks + 1];
    message[rank] = scan.lines as f64;
    message[ranks] = f64::from(u8::from(!scan.plain));
    comm.sum(&mut message);
    if message[ranks] > 0.0 {
        return Ok(Box::new(
            Streamed::new(files, header, columns, target)
                .map_err(Failed::Alone)?
                .dealt(rank, ranks),
        ));
    }
    let lines: Vec<u64> = message[..ranks].iter().map(|&n| n as u64).collect();
    let before = scan.lines_before(rank, &lines);
    Ok(Box::new(CsvRangeChunks::new(
        path, header, columns, target, scan.range, before,
    )))
}

/// What the first pass finds: the rows of every rank, the features' standardisation and
/// the target's scaling, and the targets' sum.
struct FirstPass {
    rows: usize,
    standardizer: Option<Standardizer>,
    target: TargetScale,
    y_sum: f64,
}

/// The first pass in one process: chunk statistics merged as they come
/// ([`StandardizerBuilder`]).
fn stats_alone(
    source: &mut dyn ChunkSource,
    chunk: &mut Chunk,
    m: &RunSpec,
) -> std::result::Result<FirstPass, Error> {
    let d = chunk.cols();
    let mut stats = StandardizerBuilder::new(d, m.fit_intercept);
    let mut y_stats = StandardizerBuilder::new(1, m.fit_intercept);
    let mut y_sum = CompensatedSum::default();
    source.rewind()?;
    while source.next_chunk(chunk)? {
        stats.add_rows(chunk.x());
        y_stats.add_rows(chunk.y());
        chunk.y().iter().for_each(|v| y_sum.add(*v));
    }
    let rows = stats.rows();
    if rows == 0 {
        return Err(Error::NoRows);
    }
    let standardizer = if !m.standardize {
        None
    } else {
        Some(stats.finish()?)
    };
    // The target as the in-memory fit scales it; a constant one is only centred.
    let target = match (!m.standardize, y_stats.finish()) {
        (true, _) => TargetScale::IDENTITY,
        (false, Ok(s)) => TargetScale {
            mean: s.mean[0],
            scale: s.scale[0],
        },
        (false, Err(_)) => TargetScale {
            mean: if !m.fit_intercept {
                0.0
            } else {
                y_sum.value() / rows as f64
            },
            scale: 1.0,
        },
    };
    Ok(FirstPass {
        rows,
        standardizer,
        target,
        y_sum: y_sum.value(),
    })
}

/// The first pass across ranks, as `downhill::distributed::stats` computes these in memory:
/// sums all-reduced, then (centring) the squared deviations from the mean in a second pass,
/// all-reduced too; the same tests of a constant column and target as in one process.
fn stats_across(
    source: &mut dyn ChunkSource,
    chunk: &mut Chunk,
    m: &RunSpec,
    comm: &dyn Communicator,
) -> std::result::Result<FirstPass, Error> {
    let d = chunk.cols();
    let center = m.fit_intercept;
    // Columns then the target: sums, sums of squares, largest magnitudes.
    let (mut sums, mut squares) = (
        vec![CompensatedSum::default(); d + 1],
        vec![CompensatedSum::default(); d + 1],
    );
    let mut abs_max = vec![0.0f64; d + 1];
    let mut n = 0usize;
    let add = |x: &[f64], y: f64, f: &mut dyn FnMut(usize, f64)| {
        x.iter().enumerate().for_each(|(j, v)| f(j, *v));
        f(d, y);
    };
    source.rewind()?;
    while source.next_chunk(chunk)? {
        for (i, y) in chunk.y().iter().enumerate() {
            add(&chunk.x()[i * d..(i + 1) * d], *y, &mut |j, v| {
                sums[j].add(v);
                squares[j].add(v * v);
                abs_max[j] = abs_max[j].max(v.abs());
            });
        }
        n += chunk.rows();
    }
    let mut message: Vec<f64> = sums
        .iter()
        .chain(&squares)
        .map(CompensatedSum::value)
        .collect();
    message.push(n as f64);
    comm.sum(&mut message);
    comm.max(&mut abs_max);
    let rows = message[2 * (d + 1)] as usize;
    if rows == 0 {
        return Err(Error::NoRows);
    }
    let nf = rows as f64;
    let y_sum = message[d];
    let mean: Vec<f64> = if center {
        message[..=d].iter().map(|s| s / nf).collect()
    } else {
        vec![0.0; d + 1]
    };
    let spread: Vec<f64> = if center {
        // Second pass: squared deviations from the mean of every rank's rows.
        let mut dev = vec![CompensatedSum::default(); d + 1];
        source.rewind()?;
        while source.next_chunk(chunk)? {
            for (i, y) in chunk.y().iter().enumerate() {
                let x = &chunk.x()[i * d..(i + 1) * d];
                add(x, *y, &mut |j, v| dev[j].add((v - mean[j]) * (v - mean[j])));
            }
        }
        let mut dev: Vec<f64> = dev.iter().map(CompensatedSum::value).collect();
        comm.sum(&mut dev);
        dev
    } else {
        message[d + 1..2 * (d + 1)].to_vec()
    };
    let scale: Vec<f64> = spread.iter().map(|s| (s / nf).sqrt()).collect();
    // As `Standardizer::fit` and `fit_scale_only`: a spread below rounding is none.
    let varies = |j: usize| {
        if center {
            scale[j] > 64.0 * f64::EPSILON * abs_max[j]
        } else {
            scale[j] > 0.0
        }
    };
    let standardizer = if !m.standardize {
        None
    } else {
        check_spread(&scale[..d], varies)?;
        Some(Standardizer {
            mean: mean[..d].to_vec(),
            scale: scale[..d].to_vec(),
        })
    };
    let target = match (!m.standardize, varies(d)) {
        (true, _) => TargetScale::IDENTITY,
        (false, true) => TargetScale {
            mean: mean[d],
            scale: scale[d],
        },
        (false, false) => TargetScale {
            mean: if center { y_sum / nf } else { 0.0 },
            scale: 1.0,
        },
    };
    Ok(FirstPass {
        rows,
        standardizer,
        target,
        y_sum,
    })
}

/// Original-unit parameters to the optimizer's coordinates.
fn to_inner(s: Option<&Standardizer>, p: &[f64], intercept: bool) -> Vec<f64> {
    let Some(s) = s else { return p.to_vec() };
    let d = s.mean.len();
    let (mut out, b) = s.to_standardized(&p[..d], if intercept { p[d] } else { 0.0 });
    if intercept {
        out.push(b);
    }
    out
}

/// The optimizer's coordinates to original-unit parameters.
fn to_outer(s: Option<&Standardizer>, p: &[f64], intercept: bool) -> Vec<f64> {
    let Some(s) = s else { return p.to_vec() };
    let d = s.mean.len();
    let (mut out, b) = s.to_original(&p[..d], if intercept { p[d] } else { 0.0 });
    if intercept {
        out.push(b);
    }
    out
}

/// The loss, in this command's words for a classifier's loss.
fn regression_loss(spec: &RunSpec) -> Result<RegressionLoss> {
    match spec.loss {
        Some(other @ (LossKind::Log | LossKind::Hinge)) => bail!(
            "--loss {}: not a regression loss; --stream trains linear regression",
            other.as_str()
        ),
        _ => spec.regression_loss().map_err(flagged),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("200MiB"), Ok(200 << 20));
        assert_eq!(parse_size(" 2gib "), Ok(2 << 30));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("12XB").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("").is_err());
    }
}
