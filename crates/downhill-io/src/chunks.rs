//! A CSV or Parquet file read chunk by chunk, again every epoch: the [`ChunkSource`]s of
//! `fit --stream`. Values are read by the same helpers as the in-memory loaders, so a bad
//! cell gets the same message (file, line or row, column, text) however the file is read.

use super::csv::{next_row, number, open, Reader};
use super::table::Header;
use downhill::train::{Chunk, ChunkSource};
use downhill::Error;
use std::path::Path;

/// The feature columns and the numeric target of a CSV file, in file order.
pub struct CsvChunks<'a> {
    path: &'a Path,
    header: &'a Header,
    features: &'a [usize],
    target: usize,
    reader: Option<Reader>,
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
        let width = self.header.names.len();
        let Some(line) = next_row(path, reader, &mut self.record, width)? else {
            return Ok(false);
        };
        let record = &self.record;
        self.row.clear();
        for &j in self.features {
            self.row
                .push(number(path, line, &self.header.names[j], &record[j])?);
        }
        let t = self.target;
        let y = number(path, line, &self.header.names[t], &record[t])?;
        chunk.push_row(&self.row, y)?;
        Ok(true)
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

/// The feature columns and the numeric target of a Parquet file, in file order, a batch of
/// rows at a time: memory is a page of each column read and one batch, whatever the file's
/// size.
pub struct ParquetChunks<'a> {
    path: &'a Path,
    header: &'a Header,
    features: &'a [usize],
    target: usize,
    reader: Option<parquet::arrow::arrow_reader::ParquetRecordBatchReader>,
    /// The current batch as columns (the features, then the target), and the next row of it
    /// to hand out.
    columns: Vec<Vec<f64>>,
    next: usize,
    /// Rows of the file before the current batch (for the row numbers of errors).
    before: usize,
    row: Vec<f64>,
    /// Whether the first pass has walked the pages (`parquet::batches`).
    checked: bool,
}

impl<'a> ParquetChunks<'a> {
    /// Reads `features` and `target` (column indices of `header`) from `path`.
    pub fn new(path: &'a Path, header: &'a Header, features: &'a [usize], target: usize) -> Self {
        ParquetChunks {
            path,
            header,
            features,
            target,
            reader: None,
            columns: vec![Vec::new(); features.len() + 1],
            next: 0,
            before: 0,
            row: Vec::with_capacity(features.len()),
            checked: false,
        }
    }

    /// Reads the next batch into `columns`; false at the end of the file.
    fn next_batch(&mut self) -> anyhow::Result<bool> {
        let path = self.path;
        let Some(reader) = self.reader.as_mut() else {
            return Ok(false);
        };
        let Some(batch) = super::parquet::next_batch(path, reader)? else {
            return Ok(false);
        };
        self.before += self.columns[0].len();
        let schema = batch.schema();
        let wanted = self.features.iter().chain(std::iter::once(&self.target));
        for (&j, column) in wanted.zip(&mut self.columns) {
            let name = &self.header.names[j];
            let col = batch.column(schema.index_of(name)?);
            super::parquet::numbers(path, name, col, self.before, column)?;
        }
        self.next = 0;
        Ok(true)
    }
}

impl ChunkSource for ParquetChunks<'_> {
    fn rewind(&mut self) -> Result<(), Error> {
        let wanted: Vec<usize> = self
            .features
            .iter()
            .chain([&self.target])
            .copied()
            .collect();
        // The pages are walked once, on the first pass; every later pass reads the same file.
        let read = if self.checked {
            super::parquet::reader
        } else {
            super::parquet::batches
        };
        self.reader = Some(read(self.path, &wanted).map_err(source)?);
        self.checked = true;
        self.columns.iter_mut().for_each(Vec::clear);
        (self.next, self.before) = (0, 0);
        Ok(())
    }

    fn next_chunk(&mut self, chunk: &mut Chunk) -> Result<bool, Error> {
        chunk.clear();
        let d = self.features.len();
        'rows: while !chunk.is_full() {
            // (A loop: a batch may hold no rows.)
            while self.next == self.columns[d].len() {
                if !self.next_batch().map_err(source)? {
                    break 'rows;
                }
            }
            let i = self.next;
            self.row.clear();
            self.row.extend(self.columns[..d].iter().map(|c| c[i]));
            chunk.push_row(&self.row, self.columns[d][i])?;
            self.next += 1;
        }
        Ok(!chunk.is_empty())
    }
}
