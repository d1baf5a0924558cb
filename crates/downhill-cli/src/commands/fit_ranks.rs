//! `downhill fit` over MPI ranks (`mpirun -n N downhill fit DATA --target y ...`): each
//! rank reads its share of the rows, the library combines the statistics and sums across
//! ranks, and rank 0 alone prints and writes the outputs.
//!
//! Failures: a rank that fails alone (its share cannot be read, a bad row) prints one line
//! naming its rank, the file and the line, and aborts the whole job (MPI_Abort), so no rank
//! waits for it. A failure every rank meets together (a setting, a divergence) is printed by
//! rank 0, and every rank exits with 1.

use crate::cli::FitArgs;
use crate::design::Design;
use crate::method::flagged;
use crate::progress::Progress;
use anyhow::{bail, Result};
use downhill::data::{Dataset, Matrix};
use downhill::distributed::{Averaging, Communicator};
use downhill::spec::{ModelKind, Problem};
use downhill_io::labels::Labels;
use downhill_io::table::{self, Format, Loaded, Target};
use downhill_io::{shards, share};
use std::path::PathBuf;
use std::time::Instant;

/// Environment variables an MPI launcher sets in every rank (Open MPI, MPICH, PMIx).
const LAUNCH_VARIABLES: [&str; 3] = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"];

/// Whether this fit runs across ranks: asked for, or launched by `mpirun`.
pub fn wanted(args: &FitArgs) -> bool {
    args.parallel.distributed
        || LAUNCH_VARIABLES
            .iter()
            .any(|v| std::env::var_os(v).is_some())
}

/// Runs the fit across the ranks of the launch.
#[cfg(feature = "mpi")]
pub fn run(args: &FitArgs) -> Result<()> {
    let mpi = crate::ranks::Mpi::start()?;
    let start = Instant::now();
    match fit(args, &mpi) {
        Ok(()) => {
            if std::env::var_os("DOWNHILL_MPI_TRAFFIC").is_some() {
                // For scripts/mpi_bench.sh: this rank's time in collectives.
                let (calls, seconds) = mpi.traffic();
                eprintln!(
                    "downhill: rank {}: {calls} collectives took {seconds:.6} s of {:.6} s",
                    mpi.rank(),
                    start.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
        Err(Failed::Alone(e)) => {
            eprintln!("downhill: error: rank {}: {e:#}", mpi.rank());
            mpi.abort(1)
        }
        Err(Failed::Together(e)) => {
            // Rank 0 prints before any rank exits: the launcher ends the job (rank 0
            // included) as soon as one rank exits non-zero.
            if mpi.rank() == 0 {
                eprintln!("downhill: error: {e:#}");
            }
            mpi.max(&mut [0.0]);
            drop(mpi);
            std::process::exit(1)
        }
    }
}

/// Without MPI built in, a launch across ranks is refused (each process would otherwise fit
/// the whole data and write the same files).
#[cfg(not(feature = "mpi"))]
pub fn run(_args: &FitArgs) -> Result<()> {
    bail!(
        "this downhill was built without MPI, so it cannot train across ranks: build it with `cargo build --release -p downhill-cli --features mpi` (see the README)"
    )
}

/// `fit --hogwild`: mini-batch SGD on lock-free threads, in this process.
pub fn run_hogwild(args: &FitArgs) -> Result<()> {
    if args.train.batch_size.is_none() {
        bail!("--hogwild takes mini-batches: give --batch-size");
    }
    match fit(args, &downhill::distributed::Solo) {
        Ok(()) => Ok(()),
        Err(Failed::Alone(e) | Failed::Together(e)) => Err(e),
    }
}

/// How a rank failed.
pub(crate) enum Failed {
    /// This rank alone: the others must be stopped.
    Alone(anyhow::Error),
    /// Every rank, at the same point.
    Together(anyhow::Error),
}

/// The mini-batch rule of the flags.
fn averaging(args: &FitArgs) -> Result<Averaging> {
    let p = &args.parallel;
    if (p.average_every.is_some() || p.elastic_alpha.is_some()) && args.train.batch_size.is_none() {
        bail!("--average-every and --elastic-alpha are for mini-batches: give --batch-size");
    }
    Ok(match (p.average_every, p.elastic_alpha) {
        (every, Some(alpha)) => Averaging::Elastic {
            alpha,
            every: every.unwrap_or(1),
        },
        (Some(every), None) => Averaging::Models { every },
        (None, None) => Averaging::Gradients,
    })
}

fn fit<C: Communicator>(args: &FitArgs, comm: &C) -> std::result::Result<(), Failed> {
    let together = Failed::Together;
    let alone = Failed::Alone;
    let load_start = Instant::now();
    let spec = crate::spec::of_fit(args);
    spec.check_distributed().map_err(|e| together(flagged(e)))?;
    let averaging = averaging(args).map_err(together)?;
    let o = &args.out;
    if o.plot_loss.is_some()
        || o.plot_fit.is_some()
        || o.plot_surface.is_some()
        || o.plot_3d.is_some()
        || o.plot_boundary.is_some()
    {
        return Err(together(anyhow::anyhow!(
            "pictures are not drawn across ranks: leave out the --plot-* flags"
        )));
    }
    if args.train.stream {
        return crate::commands::fit_stream::fit(args, comm);
    }
    let (rank, ranks) = (comm.rank(), comm.size());
    let files = crate::commands::fit::data_files(args).map_err(together)?;
    let first = &files[0];
    let header = table::header(first).map_err(alone)?;
    let target = header.index(first, &args.target, "target").map_err(alone)?;
    let design = Design::for_fit(
        first,
        &header,
        &args.target,
        args.features.as_deref(),
        spec.degree,
        spec.degree_columns.as_deref(),
    )
    .map_err(alone)?;
    let read = match spec.model {
        ModelKind::Linear => Target::Numeric(target),
        _ => Target::Text(target),
    };
    let Loaded { x, rows, y, labels } =
        load_share(&files, &header, &design.columns, read, comm).map_err(alone)?;
    let (y, classes) = match spec.model {
        ModelKind::Linear => (y, None),
        _ => {
            let (classes, y) = classes(args, spec.model, &spec.positive, &labels, comm)?;
            (y, Some(classes))
        }
    };
    drop(labels);
    // The classifiers' powers are columns of the data; a linear model adds its own, in a
    // better-conditioned basis.
    let x = match spec.model {
        ModelKind::Linear => design.base_matrix(x, rows),
        _ => design.matrix(x, rows),
    }
    .map_err(alone)?;
    let data = if x.rows() > 0 {
        Dataset::new(x, y).map_err(|e| alone(flagged(e)))?
    } else {
        // As many columns as the other ranks' rows (a classifier's powers included).
        let cols = match spec.model {
            ModelKind::Linear => design.columns.len(),
            _ => design.terms.len(),
        };
        Dataset {
            x: Matrix::from_row_major(0, cols, Vec::new()).map_err(|e| alone(flagged(e)))?,
            y,
            weights: None,
        }
    };
    let load_seconds = load_start.elapsed().as_secs_f64();

    let runner = spec
        .runner(design.terms.len())
        .map_err(|e| together(flagged(e)))?;
    let quiet = rank != 0 || args.train.quiet;
    if let Some(note) = runner.note() {
        if !quiet {
            eprintln!("downhill: {note}");
        }
    }
    // Rank 0 writes the checkpoints; every rank reads the one it resumes from.
    let files = crate::checkpoint::Files::of(&spec)
        .map_err(together)?
        .map(|f| if rank == 0 { f } else { f.reading_only() });
    let mut progress =
        Progress::new(runner.config().max_epochs, quiet || args.out.json).with_checkpoints(files);
    let problem = Problem {
        classes,
        polynomial: match spec.model {
            ModelKind::Linear => design.powers().cloned(),
            _ => None,
        },
    };
    let hogwild = args.parallel.hogwild;
    let fit = runner.fit_distributed(data, problem, comm, averaging, hogwild, &mut progress);
    progress.finish();
    let (fit, rows) = fit.map_err(|e| {
        together(crate::commands::fit::explain(
            e,
            &args.data,
            &design.terms,
            &spec,
        ))
    })?;
    if rank != 0 {
        return Ok(());
    }
    if !args.out.json && !args.train.quiet && ranks > 1 {
        eprintln!("downhill: trained across {ranks} ranks");
    }
    let run = crate::commands::fit::Run {
        spec: &spec,
        design: &design,
        rows,
        load_seconds,
    };
    crate::commands::fit::finish(args, &run, &fit).map_err(together)
}

/// This rank's rows: of one CSV file, its bytes cut at newlines (every rank reads it record
/// by record instead when any rank's bytes are not plain CSV); of one Parquet file, its row
/// groups; of several files (shards), a run of whole files (`shards::assign`).
fn load_share<C: Communicator>(
    files: &[PathBuf],
    header: &table::Header,
    columns: &[usize],
    read: Target,
    comm: &C,
) -> Result<Loaded> {
    let (rank, ranks) = (comm.rank(), comm.size());
    let path = match files {
        [one] => one,
        _ => {
            // Sizes are read by every rank: every rank makes the same cuts.
            let sizes = shards::sizes(files)?;
            let mine = &files[shards::assign(&sizes, rank, ranks)];
            return shards::load(mine, header, columns, read);
        }
    };
    match Format::of(path) {
        Format::Csv => {
            let plain = share::csv_plain(path, header, columns, read, rank, ranks)?;
            let mut not_plain = [f64::from(u8::from(plain.is_none()))];
            comm.max(&mut not_plain);
            match plain {
                Some(loaded) if not_plain[0] == 0.0 => Ok(loaded),
                _ => share::csv_careful(path, header, columns, read, rank, ranks),
            }
        }
        Format::Parquet => share::parquet(path, header, columns, read, rank, ranks),
    }
}

/// The classes of every rank's labels (ordered as the one-process fit orders them), and
/// this rank's targets as class indices.
fn classes<C: Communicator>(
    args: &FitArgs,
    model: ModelKind,
    positive: &Option<String>,
    labels: &Labels,
    comm: &C,
) -> std::result::Result<(Vec<String>, Vec<f64>), Failed> {
    let mine = crate::labels::classes(labels.names());
    let encoded = serde_json::to_vec(&mine).map_err(|e| Failed::Alone(e.into()))?;
    let mut all = Vec::new();
    for bytes in comm.gather(&encoded) {
        let theirs: Vec<String> =
            serde_json::from_slice(&bytes).map_err(|e| Failed::Alone(e.into()))?;
        all.extend(theirs);
    }
    let union = crate::labels::classes(&all);
    let classes = if model == ModelKind::Softmax {
        if positive.is_some() {
            return Err(Failed::Together(anyhow::anyhow!(
                "--positive goes with --model logistic (two classes)"
            )));
        }
        crate::labels::multiclass_classes(&args.data, &args.target, &union)
    } else {
        crate::labels::binary_classes(&args.data, &args.target, &union, positive.as_deref())
    }
    .map_err(Failed::Together)?;
    let y =
        crate::labels::encode(&args.data, &args.target, labels, &classes).map_err(Failed::Alone)?;
    Ok((classes, y))
}
