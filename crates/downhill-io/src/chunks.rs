//! A CSV or Parquet file read chunk by chunk, again every epoch: the [`ChunkSource`]s of
//! `fit --stream`. Values are read by the same helpers as the in-memory loaders, so a bad
//! cell gets the same message (file, line or row, column, text) however the file is read.

use super::csv::{next_row, number, open, open_range, LineEnds, RangeReader, Reader};
use super::table::Header;
use downhill::train::{Chunk, ChunkSource};
use downhill::Error;
use std::ops::Range;
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
        let reader = match self.reader.as_mut() {
            Some(r) => r,
            None => self.reader.insert(open(self.path)?),
        };
        let columns = Columns {
            path: self.path,
            header: self.header,
            features: self.features,
            target: self.target,
        };
        columns.read_row(reader, &mut self.record, &mut self.row, chunk)
    }
}

/// The columns a CSV chunk source reads, and the file (for messages).
struct Columns<'a> {
    path: &'a Path,
    header: &'a Header,
    features: &'a [usize],
    target: usize,
}

impl Columns<'_> {
    /// Reads the next row of `reader` into `chunk` (`record` and `row` are scratch); false at
    /// the end of the reader's bytes.
    fn read_row<R: std::io::Read>(
        &self,
        reader: &mut csv::Reader<LineEnds<R>>,
        record: &mut csv::ByteRecord,
        row: &mut Vec<f64>,
        chunk: &mut Chunk,
    ) -> anyhow::Result<bool> {
        let path = self.path;
        let width = self.header.names.len();
        let Some(line) = next_row(path, reader, record, width)? else {
            return Ok(false);
        };
        row.clear();
        for &j in self.features {
            row.push(number(path, line, &self.header.names[j], &record[j])?);
        }
        let t = self.target;
        let y = number(path, line, &self.header.names[t], &record[t])?;
        chunk.push_row(row, y)?;
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

/// The feature columns and the numeric target of the rows in some bytes of a CSV file (a
/// rank's share, [`crate::share::csv_scan`]), in file order: the bytes are sought to and read
/// again every pass, and errors name the line in the whole file.
pub struct CsvRangeChunks<'a> {
    columns: Columns<'a>,
    range: Range<u64>,
    lines_before: u64,
    reader: Option<RangeReader>,
    record: csv::ByteRecord,
    row: Vec<f64>,
}

impl<'a> CsvRangeChunks<'a> {
    /// Reads `features` and `target` (column indices of `header`) from the bytes `range` of
    /// `path`: whole lines after the header (`range.start` the first byte of a line),
    /// `lines_before` the `\n` bytes of the file before it.
    pub fn new(
        path: &'a Path,
        header: &'a Header,
        features: &'a [usize],
        target: usize,
        range: Range<u64>,
        lines_before: u64,
    ) -> Self {
        CsvRangeChunks {
            columns: Columns {
                path,
                header,
                features,
                target,
            },
            range,
            lines_before,
            reader: None,
            record: csv::ByteRecord::new(),
            row: Vec::with_capacity(features.len()),
        }
    }

    fn open(&mut self) -> anyhow::Result<()> {
        // The same file is sought back to the range's start; the line count restarts.
        let reuse = self.reader.take();
        let path = self.columns.path;
        self.reader = Some(open_range(
            path,
            self.range.clone(),
            self.lines_before,
            reuse,
        )?);
        Ok(())
    }
}

impl ChunkSource for CsvRangeChunks<'_> {
    fn rewind(&mut self) -> Result<(), Error> {
        self.open().map_err(source)
    }

    fn next_chunk(&mut self, chunk: &mut Chunk) -> Result<bool, Error> {
        chunk.clear();
        if self.reader.is_none() {
            self.open().map_err(source)?;
        }
        let Some(reader) = self.reader.as_mut() else {
            return Ok(false);
        };
        while !chunk.is_full() {
            let more = self
                .columns
                .read_row(reader, &mut self.record, &mut self.row, chunk)
                .map_err(source)?;
            if !more {
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
    /// Only these row groups (a rank's share), and the file's rows before the first of them.
    groups: Option<(Vec<usize>, usize)>,
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
            groups: None,
        }
    }

    /// Only the row groups `groups` (a run, in file order: a rank's share,
    /// [`crate::share::row_groups`]), whose first row is row `rows_before` of the file (errors
    /// name rows of the whole file). Only those groups' pages are read; no group, no rows.
    pub fn only_groups(mut self, groups: Range<usize>, rows_before: usize) -> Self {
        self.groups = Some((groups.collect(), rows_before));
        self
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
        self.columns.iter_mut().for_each(Vec::clear);
        self.next = 0;
        self.before = self.groups.as_ref().map_or(0, |(_, before)| *before);
        let groups = self.groups.as_ref().map(|(g, _)| &g[..]);
        if groups.is_some_and(<[usize]>::is_empty) {
            // No rows here (a rank without a group); the file's reader would read them all.
            self.reader = None;
            return Ok(());
        }
        // The pages are walked once, on the first pass; every later pass reads the same file.
        let read = if self.checked {
            super::parquet::reader
        } else {
            super::parquet::batches
        };
        self.reader = Some(read(self.path, &wanted, groups).map_err(source)?);
        self.checked = true;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::csv_scan;
    use crate::table;

    /// Every row a source gives, one pass: the features then the target of each.
    fn rows(source: &mut dyn ChunkSource, d: usize) -> Result<Vec<Vec<f64>>, Error> {
        let mut chunk = Chunk::new(d, 7);
        let mut out = Vec::new();
        source.rewind()?;
        while source.next_chunk(&mut chunk)? {
            for (x, y) in chunk.x().chunks_exact(d).zip(chunk.y()) {
                out.push(x.iter().chain([y]).copied().collect());
            }
        }
        Ok(out)
    }

    /// A CSV file of rows of uneven lengths (long ones early, short ones late), a blank line
    /// and CRLF line ends among them, and `bad` (a line number) holding a cell that is not a
    /// number.
    fn write(path: &Path, bad: Option<usize>) {
        let mut text = String::from("a,b,y\n");
        for i in 0..200usize {
            let line = i + 2;
            let digits = if i < 60 { 14 } else { 1 };
            let a = (i as f64 * 0.37).sin() * 10.0;
            let b = (i * i % 17) as f64;
            if Some(line) == bad {
                text.push_str(&format!("{a:.digits$},oops,1\n"));
            } else if i == 90 {
                text.push_str(&format!("{a:.digits$},{b},{}\r\n", a - b));
            } else if i == 120 {
                // A blank line: the rows after it are a line further.
                text.push_str(&format!("\n{a:.digits$},{b},{}\n", a - b));
            } else {
                text.push_str(&format!("{a:.digits$},{b},{}\n", a - b));
            }
        }
        std::fs::write(path, text).unwrap();
    }

    /// Every rank's source of `path` on `ranks` ranks, as the CLI builds them (lines before
    /// each range added up from every rank's count).
    fn ranges<'a>(
        path: &'a Path,
        header: &'a Header,
        features: &'a [usize],
        target: usize,
        ranks: usize,
    ) -> Vec<CsvRangeChunks<'a>> {
        let scans: Vec<_> = (0..ranks)
            .map(|r| csv_scan(path, r, ranks).unwrap())
            .collect();
        let lines: Vec<u64> = scans.iter().map(|s| s.lines).collect();
        scans
            .iter()
            .enumerate()
            .map(|(r, s)| {
                assert!(s.plain);
                let before = s.lines_before(r, &lines);
                CsvRangeChunks::new(path, header, features, target, s.range.clone(), before)
            })
            .collect()
    }

    #[test]
    fn the_ranges_of_every_rank_hold_the_file_s_rows_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.csv");
        write(&path, None);
        let header = table::header(&path).unwrap();
        let features = [0, 1];
        let whole = rows(&mut CsvChunks::new(&path, &header, &features, 2), 2).unwrap();
        assert_eq!(whole.len(), 200);
        for ranks in 1..=4 {
            let mut all = Vec::new();
            for mut source in ranges(&path, &header, &features, 2, ranks) {
                let mine = rows(&mut source, 2).unwrap();
                // Read again after a rewind: the same rows.
                assert_eq!(rows(&mut source, 2).unwrap(), mine, "{ranks} ranks");
                all.extend(mine);
            }
            assert_eq!(all, whole, "{ranks} ranks");
        }
    }

    #[test]
    fn a_bad_cell_in_a_later_range_names_its_line_in_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        // Line 190: near the end, after the blank line and the CRLF.
        write(&path, Some(190));
        let header = table::header(&path).unwrap();
        let features = [0, 1];
        let whole = rows(&mut CsvChunks::new(&path, &header, &features, 2), 2).unwrap_err();
        assert!(format!("{whole}").contains("bad.csv:191:"), "{whole}");
        for ranks in 1..=4 {
            let mut sources = ranges(&path, &header, &features, 2, ranks);
            let last = sources.len() - 1;
            for source in &mut sources[..last] {
                rows(source, 2).unwrap();
            }
            let err = rows(&mut sources[last], 2).unwrap_err().to_string();
            assert!(err.contains("bad.csv:191:"), "{ranks} ranks: {err}");
            assert!(err.contains("'b'") && err.contains("oops"), "{err}");
        }
    }

    #[test]
    fn quotes_in_a_range_make_it_not_plain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quoted.csv");
        std::fs::write(&path, "a,y\n1,2\n3,4\n5,6\n\"7\",8\n").unwrap();
        let plain: Vec<bool> = (0..2)
            .map(|r| csv_scan(&path, r, 2).unwrap().plain)
            .collect();
        assert_eq!(plain, [true, false]);
        std::fs::write(&path, "a,y\n1,2\r3,4\n").unwrap();
        assert!(!csv_scan(&path, 0, 1).unwrap().plain, "a lone \\r");
    }
}
