//! The `downhill` command: a thin shell over the `downhill` library. Parses arguments,
//! reads and writes files, prints; every error becomes one line on stderr and exit code 1
//! (2 for usage errors, from clap).

mod checkpoint;
mod cli;
mod commands;
mod design;
use downhill_io::labels;
mod method;
mod plot;
mod progress;
#[cfg(feature = "mpi")]
mod ranks;
mod report;
mod spec;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A damaged Parquet file is reported as one line, not as the parquet crate's panic too.
    downhill_io::contain::quiet_contained_panics();
    let cli = cli::Cli::parse();
    let result = match &cli.command {
        cli::Command::Fit(args) => commands::fit::run(args),
        cli::Command::Predict(args) => commands::predict::run(args),
        cli::Command::Evaluate(args) => commands::evaluate::run(args),
        cli::Command::Minimize(args) => commands::minimize::run(args),
        cli::Command::Compare(args) => commands::compare::run(args),
        cli::Command::Optimizers => commands::optimizers::run(),
        cli::Command::Serve(args) => commands::serve::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("downhill: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `downhill fit ... | head` closing the pipe early is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
