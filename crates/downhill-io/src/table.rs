//! Tables in, whatever the format: CSV, or Parquet (by the extension `.parquet`/`.pq`).

use super::labels::Labels;
use anyhow::{bail, Context, Result};
use std::path::Path;

/// The file formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// The format of `path`, by its extension: `.parquet` and `.pq` are Parquet, the rest CSV.
    pub fn of(path: &Path) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
        {
            Some(e) if e == "parquet" || e == "pq" => Format::Parquet,
            _ => Format::Csv,
        }
    }
}

/// Column names of a table.
#[derive(Debug, Clone)]
pub struct Header {
    /// Column names, trimmed.
    pub names: Vec<String>,
}

impl Header {
    /// Checks for duplicate names.
    pub fn new(path: &Path, names: Vec<String>) -> Result<Self> {
        for (j, name) in names.iter().enumerate() {
            if names[..j].contains(name) {
                bail!("{}: column name '{name}' appears twice", path.display());
            }
        }
        Ok(Header { names })
    }

    /// The index of column `name`, or an error listing the columns there are.
    pub fn index(&self, path: &Path, name: &str, role: &str) -> Result<usize> {
        self.names.iter().position(|n| n == name).with_context(|| {
            format!(
                "{}: no {role} column '{name}'; the columns are: {}{}",
                path.display(),
                self.names.join(", "),
                self.separator_hint()
            )
        })
    }

    /// For an error about a missing column: what to do when the header is one name holding
    /// another separator (a file separated by semicolons or tabs reads as one column, since
    /// CSV here is comma-separated); empty otherwise.
    pub fn separator_hint(&self) -> String {
        let [one] = self.names.as_slice() else {
            return String::new();
        };
        let found = [(';', "';'"), ('\t', "tabs"), ('|', "'|'")]
            .into_iter()
            .find(|(c, _)| one.contains(*c));
        match found {
            Some((_, name)) => format!(
                " (one column: the file looks separated by {name}, and CSV here is \
                 comma-separated: save it with commas, or as Parquet)"
            ),
            None => String::new(),
        }
    }
}

/// What to read from the target column.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// No target (prediction).
    None,
    /// A numeric target.
    Numeric(usize),
    /// A text target (class labels).
    Text(usize),
}

/// The columns read from a table.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Features, row-major.
    pub x: Vec<f64>,
    /// Number of rows.
    pub rows: usize,
    /// Numeric targets.
    pub y: Vec<f64>,
    /// Text targets, as codes into a table of the distinct texts.
    pub labels: Labels,
}

/// The column names of the table at `path`.
pub fn header(path: &Path) -> Result<Header> {
    match Format::of(path) {
        Format::Csv => super::csv::header(path),
        Format::Parquet => super::parquet::header(path),
    }
}

/// The `features` columns (row-major) and the target of every row.
pub fn load(path: &Path, header: &Header, features: &[usize], target: Target) -> Result<Loaded> {
    let loaded = match Format::of(path) {
        Format::Csv => super::csv::load(path, header, features, target),
        Format::Parquet => super::parquet::load(path, header, features, target),
    };
    return_free_memory();
    loaded
}

/// Hands the memory the allocator holds free back to the system. The loaders' threads parse
/// into buffers of their own, which the C library keeps in per-thread arenas once they are
/// freed: without this, they stayed in the process beside the table for the whole fit, where
/// a CSV fit of 1,000,000 x 10 then peaked (`/usr/bin/time -f %M`, builds with and without
/// it alternated five times: 95,460-95,600 KiB against 95,810-96,180).
fn return_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns pages that no allocation holds.
    unsafe {
        libc::malloc_trim(0);
    }
}
