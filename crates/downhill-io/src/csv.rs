//! Reading CSV tables. Numbers are parsed here, not by serde, so that every bad cell is
//! reported with its file, line, column name and text.

use super::fast_csv::{Outcome, Source};
use super::table::{Header, Loaded, Target};
use anyhow::{bail, Context, Result};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Take};
use std::ops::Range;
use std::path::Path;

/// The reader of the careful path: the `csv` crate over a file whose line ends are noted.
pub(crate) type Reader = csv::Reader<LineEnds<BufReader<File>>>;

pub(crate) fn open(path: &Path) -> Result<Reader> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        bail!("cannot read {}: it is a directory", path.display());
    }
    Ok(reader_of(BufReader::with_capacity(1 << 20, file)))
}

/// The reader of some bytes of a file: whole lines, the header not among them.
pub(crate) type RangeReader = csv::Reader<LineEnds<Take<BufReader<File>>>>;

/// A reader of the lines in bytes `range` of `path` (`range.start` the first byte of a line),
/// numbering them on from `lines_before` (the `\n` bytes before the range) so that errors name
/// the line in the whole file. `reuse`, an earlier reader of the same file, is sought back to
/// the range's start rather than the file opened again.
pub(crate) fn open_range(
    path: &Path,
    range: Range<u64>,
    lines_before: u64,
    reuse: Option<RangeReader>,
) -> Result<RangeReader> {
    let mut buffered = match reuse {
        Some(reader) => reader.into_inner().inner.into_inner(),
        None => {
            let file =
                File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
            BufReader::with_capacity(1 << 20, file)
        }
    };
    buffered
        .seek(SeekFrom::Start(range.start))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = LineEnds::new(buffered.take(range.end.saturating_sub(range.start)));
    lines.newlines = lines_before;
    Ok(csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(lines))
}

/// The careful path's reader over any bytes (a file, or a table held in memory).
fn reader_of<R: Read>(input: R) -> csv::Reader<LineEnds<R>> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(LineEnds::new(input))
}

/// A reader that notes where its `\r` and `\n` bytes are, so that a record's line is its
/// physical line in the file. The `csv` crate's own count puts a record before the line ends
/// that precede it (the `\n` of a CRLF, blank lines), so it names an earlier line.
pub(crate) struct LineEnds<R> {
    inner: R,
    /// Bytes read so far.
    read: u64,
    /// Offsets of the `\r` and `\n` bytes read and not yet passed (bit 63 set for `\n`).
    ends: VecDeque<u64>,
    /// `\n` bytes passed.
    newlines: u64,
}

const NEWLINE: u64 = 1 << 63;

impl<R> LineEnds<R> {
    fn new(inner: R) -> Self {
        LineEnds {
            inner,
            read: 0,
            ends: VecDeque::new(),
            newlines: 0,
        }
    }

    /// The 1-based line of the record the `csv` crate says starts at byte `start`: past the
    /// line ends at that offset, its first byte's line. Starts must not go backwards.
    fn line_of(&mut self, start: u64) -> u64 {
        let mut at = start;
        while let Some(&end) = self.ends.front() {
            let offset = end & !NEWLINE;
            if offset > at {
                break;
            }
            // Line ends right at the record's start are before it, as are those passed.
            if offset == at {
                at += 1;
            }
            self.newlines += u64::from(end & NEWLINE != 0);
            self.ends.pop_front();
        }
        self.newlines + 1
    }
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for i in memchr::memchr2_iter(b'\r', b'\n', &buf[..n]) {
            let flag = if buf[i] == b'\n' { NEWLINE } else { 0 };
            self.ends.push_back((self.read + i as u64) | flag);
        }
        self.read += n as u64;
        Ok(n)
    }
}

/// Reads the next data row into `record`, skipping blank lines, and returns its line; `None`
/// at the end of the file. A row of other than `width` fields is an error.
pub(crate) fn next_row<R: Read>(
    path: &Path,
    reader: &mut csv::Reader<LineEnds<R>>,
    record: &mut csv::ByteRecord,
    width: usize,
) -> Result<Option<u64>> {
    loop {
        let more = reader
            .read_byte_record(record)
            .with_context(|| format!("{}: malformed CSV", path.display()))?;
        if !more {
            return Ok(None);
        }
        let start = record.position().map_or(0, |p| p.byte());
        let line = reader.get_mut().line_of(start);
        // A line holding only `""` reads as one empty field; the csv crate itself skips
        // blank lines.
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
        return Ok(Some(line));
    }
}

/// Reads the header row of `path`.
pub fn header(path: &Path) -> Result<Header> {
    header_from(path, open(path)?)
}

/// The header row of a CSV table held in memory (an upload), named `name` in messages.
pub fn header_of_bytes(name: &Path, bytes: &[u8]) -> Result<Header> {
    header_from(name, reader_of(bytes))
}

fn header_from<R: Read>(path: &Path, mut reader: csv::Reader<LineEnds<R>>) -> Result<Header> {
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
/// (`fast_csv`) when the file is plain, else record by record with the `csv` crate.
pub fn load(path: &Path, header: &Header, features: &[usize], target: Target) -> Result<Loaded> {
    let start = rows_start(path)?;
    let loaded = match super::fast_csv::load_file(path, header, features, target, start)? {
        Outcome::Done(loaded) => loaded,
        Outcome::NotPlain => load_careful(path, header, features, target)?,
    };
    some_rows(path, loaded)
}

/// The byte where the rows of the CSV file `path` start (after its header).
pub(crate) fn rows_start(path: &Path) -> Result<u64> {
    let mut reader = open(path)?;
    reader
        .byte_headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?;
    Ok(reader.position().byte())
}

/// [`load`] of a CSV table held in memory (an upload, a data set embedded in a program),
/// named `name` in messages: the same two ways, the same errors, nothing written to disk.
pub fn load_bytes(
    name: &Path,
    bytes: &[u8],
    header: &Header,
    features: &[usize],
    target: Target,
) -> Result<Loaded> {
    let mut reader = reader_of(bytes);
    reader
        .byte_headers()
        .with_context(|| format!("{}: cannot read the header", name.display()))?;
    let start = reader.position().byte();
    let source = Source::Borrowed(bytes);
    let loaded = match super::fast_csv::load(name, &source, header, features, target, start)? {
        Outcome::Done(loaded) => loaded,
        Outcome::NotPlain => careful_from(name, reader_of(bytes), header, features, target)?,
    };
    some_rows(name, loaded)
}

/// A table without data rows is an error.
fn some_rows(path: &Path, loaded: Loaded) -> Result<Loaded> {
    if loaded.rows == 0 {
        bail!(
            "{}: no data rows (the file has only a header)",
            path.display()
        );
    }
    Ok(loaded)
}

/// [`load`] both ways, for tests and the fuzzer, which check that they agree: the quick way
/// (`Ok(None)` when the file is not plain, so that only the careful way reads it), and the
/// careful way. Neither refuses a file without rows here.
#[doc(hidden)]
pub fn load_both_ways(
    path: &Path,
    header: &Header,
    features: &[usize],
    target: Target,
) -> (Result<Option<Loaded>>, Result<Loaded>) {
    let quick = (|| {
        let start = rows_start(path)?;
        Ok(
            match super::fast_csv::load_file(path, header, features, target, start)? {
                Outcome::Done(loaded) => Some(loaded),
                Outcome::NotPlain => None,
            },
        )
    })();
    (quick, load_careful(path, header, features, target))
}

/// [`load`] with the `csv` crate, which reads quoted cells and any line ending.
pub(super) fn load_careful(
    path: &Path,
    header: &Header,
    features: &[usize],
    target: Target,
) -> Result<Loaded> {
    careful_from(path, open(path)?, header, features, target)
}

fn careful_from<R: Read>(
    path: &Path,
    mut reader: csv::Reader<LineEnds<R>>,
    header: &Header,
    features: &[usize],
    target: Target,
) -> Result<Loaded> {
    let mut out = Loaded::default();
    let mut record = csv::ByteRecord::new();
    let width = header.names.len();
    while let Some(line) = next_row(path, &mut reader, &mut record, width)? {
        let row = (|| {
            for &j in features {
                out.x
                    .push(number(path, line, &header.names[j], &record[j])?);
            }
            match target {
                Target::None => {}
                Target::Numeric(j) => out
                    .y
                    .push(number(path, line, &header.names[j], &record[j])?),
                Target::Text(j) => {
                    out.labels
                        .push(text(path, line, &header.names[j], &record[j])?)?
                }
            }
            Ok(())
        })();
        if let Err(e) = row {
            return Err(first_bad_cell(path, header, features, target, line, &record).unwrap_or(e));
        }
        out.rows += 1;
    }
    Ok(out)
}

/// The error of the leftmost bad cell of a row, as the quick path reads a row left to right
/// (a column read as a feature and as the target is checked as a feature first).
fn first_bad_cell(
    path: &Path,
    header: &Header,
    features: &[usize],
    target: Target,
    line: u64,
    record: &csv::ByteRecord,
) -> Option<anyhow::Error> {
    (0..header.names.len()).find_map(|j| {
        let name = &header.names[j];
        let feature = features
            .contains(&j)
            .then(|| number(path, line, name, &record[j]).err())
            .flatten();
        feature.or_else(|| match target {
            Target::Numeric(t) if t == j => number(path, line, name, &record[j]).err(),
            Target::Text(t) if t == j => text(path, line, name, &record[j]).err(),
            _ => None,
        })
    })
}

/// A text cell, trimmed; an empty cell or one that is not UTF-8 is an error.
pub(crate) fn text<'c>(path: &Path, line: u64, column: &str, cell: &'c [u8]) -> Result<&'c str> {
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
    Ok(s)
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
