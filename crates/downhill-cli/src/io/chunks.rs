//! A CSV file read chunk by chunk, again every epoch: the [`ChunkSource`] of `fit --stream`.
//! Cells are parsed by the same helpers as [`super::csv::load`], so a bad cell gets the
//! same message (file, line, column, text) however the file is read.

use super::csv::{number, open};
use super::table::Header;
use anyhow::{bail, Context};
use downhill::train::{Chunk, ChunkSource};
use downhill::Error;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// The feature columns and the numeric target of a CSV file, in file order.
pub struct CsvChunks<'a> {
    path: &'a Path,
    header: &'a Header,
    features: &'a [usize],
    target: usize,
    reader: Option<csv::Reader<BufReader<File>>>,
    record: csv::ByteRecord,
    row: Vec<f64>,
}

impl<'a> CsvChunks<'a> {
    /// Reads `features` and `target` (column indices of `header`) from `path`.
    pub fn new(path: &'a Path, header: &'a Header, features: &'a [usize], target: usize) -> Self {
        CsvChunks {
            path,
            header,
            features,
            target,
            reader: None,
            record: csv::ByteRecord::new(),
            row: Vec::with_capacity(features.len()),
        }
    }

    /// Reads the next row into `chunk`; false at the end of the file.
    fn read_row(&mut self, chunk: &mut Chunk) -> anyhow::Result<bool> {
        let path = self.path;
        let reader = match self.reader.as_mut() {
            Some(r) => r,
            None => self.reader.insert(open(path)?),
        };
        loop {
            let more = reader
                .read_byte_record(&mut self.record)
                .with_context(|| format!("{}: malformed CSV", path.display()))?;
            if !more {
                return Ok(false);
            }
            let record = &self.record;
            let line = record.position().map_or(0, |p| p.line());
            // A blank line at the end of a file is common and harmless (as in `load`).
            if record.len() == 1 && record[0].is_empty() {
                continue;
            }
            let width = self.header.names.len();
            if record.len() != width {
                bail!(
                    "{}:{line}: the row has {} fields but the header has {width}",
                    path.display(),
                    record.len()
                );
            }
            self.row.clear();
            for &j in self.features {
                self.row
                    .push(number(path, line, &self.header.names[j], &record[j])?);
            }
            let t = self.target;
            let y = number(path, line, &self.header.names[t], &record[t])?;
            chunk.push_row(&self.row, y)?;
            return Ok(true);
        }
    }
}

/// A CLI error as the library's error for a failing source, message kept whole.
fn source(e: anyhow::Error) -> Error {
    match e.downcast::<Error>() {
        Ok(e) => e,
        Err(e) => Error::Source(format!("{e:#}")),
    }
}

impl ChunkSource for CsvChunks<'_> {
    fn rewind(&mut self) -> Result<(), Error> {
        // Reopened rather than sought back, so that the reader's line count restarts too.
        self.reader = Some(open(self.path).map_err(source)?);
        Ok(())
    }

    fn next_chunk(&mut self, chunk: &mut Chunk) -> Result<bool, Error> {
        chunk.clear();
        while !chunk.is_full() {
            if !self.read_row(chunk).map_err(source)? {
                break;
            }
        }
        Ok(!chunk.is_empty())
    }
}
