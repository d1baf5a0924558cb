//! Reading CSV tables. Numbers are parsed here, not by serde, so that every bad cell is
//! reported with its file, line, column name and text.

use super::fast_csv::Outcome;
use super::table::{Header, Loaded, Target};
use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

pub(crate) fn open(path: &Path) -> Result<csv::Reader<BufReader<File>>> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        bail!("cannot read {}: it is a directory", path.display());
    }
    Ok(csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(BufReader::with_capacity(1 << 20, file)))
}

/// Reads the header row of `path`.
pub fn header(path: &Path) -> Result<Header> {
    let mut reader = open(path)?;
    let record = reader
        .byte_headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?;
    if record.is_empty() || (record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace)) {
        bail!(
            "{}: the file is empty (expected a header row of column names)",
            path.display()
        );
    }
    let mut names = Vec::with_capacity(record.len());
    for (j, field) in record.iter().enumerate() {
        let name = std::str::from_utf8(field)
            .with_context(|| format!("{}:1: column {} name is not UTF-8", path.display(), j + 1))?;
        names.push(name.trim_start_matches('\u{feff}').trim().to_string());
    }
    Header::new(path, names)
}

/// Reads the `features` columns and the target of every row: the quick parallel way
/// ([`super::fast_csv`]) when the file is plain, else record by record with the `csv` crate.
pub fn load(path: &Path, header: &Header, features: &[usize], target: Target) -> Result<Loaded> {
    let mut reader = open(path)?;
    reader
        .byte_headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?;
    let start = reader.position().clone();
    drop(reader);
    let loaded =
        match super::fast_csv::load(path, header, features, target, start.byte(), start.line())? {
            Outcome::Done(loaded) => loaded,
            Outcome::NotPlain => load_careful(path, header, features, target)?,
        };
    if loaded.rows == 0 {
        bail!(
            "{}: no data rows (the file has only a header)",
            path.display()
        );
    }
    Ok(loaded)
}

/// [`load`] with the `csv` crate, which reads quoted cells and any line ending.
pub(super) fn load_careful(
    path: &Path,
    header: &Header,
    features: &[usize],
    target: Target,
) -> Result<Loaded> {
    let mut reader = open(path)?;
    let mut out = Loaded::default();
    let mut record = csv::ByteRecord::new();
    let width = header.names.len();
    loop {
        let more = reader
            .read_byte_record(&mut record)
            .with_context(|| format!("{}: malformed CSV", path.display()))?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| p.line());
        // A blank line at the end of a file is common and harmless.
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        if record.len() != width {
            bail!(
                "{}:{line}: the row has {} fields but the header has {width}",
                path.display(),
                record.len()
            );
        }
        for &j in features {
            out.x
                .push(number(path, line, &header.names[j], &record[j])?);
        }
        match target {
            Target::None => {}
            Target::Numeric(j) => out
                .y
                .push(number(path, line, &header.names[j], &record[j])?),
            Target::Text(j) => out
                .labels
                .push(text(path, line, &header.names[j], &record[j])?),
        }
        out.rows += 1;
    }
    Ok(out)
}

pub(crate) fn text(path: &Path, line: u64, column: &str, cell: &[u8]) -> Result<String> {
    let s = std::str::from_utf8(cell)
        .with_context(|| {
            format!(
                "{}:{line}: column '{column}': the text is not UTF-8",
                path.display()
            )
        })?
        .trim();
    if s.is_empty() {
        bail!(
            "{}:{line}: column '{column}': the cell is empty",
            path.display()
        );
    }
    Ok(s.to_string())
}

/// Parses one numeric cell, rejecting empty, non-numeric, NaN and infinite values.
pub(crate) fn number(path: &Path, line: u64, column: &str, cell: &[u8]) -> Result<f64> {
    // Fast path: a plain finite number parsed straight from the bytes (no UTF-8 check, no
    // String). Anything else takes the careful path below, which words the error.
    if let Some(v) = super::decimal::careful(cell) {
        return Ok(v);
    }
    let s = text(path, line, column, cell)?;
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => bail!(
            "{}:{line}: column '{column}': '{s}' is not a finite number",
            path.display()
        ),
        Err(_) => bail!(
            "{}:{line}: column '{column}': '{s}' is not a number",
            path.display()
        ),
    }
}
