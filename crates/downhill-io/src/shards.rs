//! A data set kept as several files (shards): `downhill fit 'data/part-*.csv' ...` or
//! `downhill fit a.csv b.parquet ...`.
//!
//! The files are the paths in the order given, a glob pattern standing for its matches
//! sorted by name; the data set is their rows in that order (the concatenation of the
//! files). Every file must have the first file's columns, in the same order; CSV and
//! Parquet files may be mixed.
//!
//! Across ranks each rank gets a run of neighbouring files ([`assign`]), cut at the file
//! boundaries nearest to even shares of the bytes, so that the ranks' rows in rank order are
//! the concatenation's rows in order (the held-out rows are then the one-process fit's).
//! Streamed (`--stream`), the files are read chunk by chunk as one source ([`Streamed`]).

use super::chunks::{CsvChunks, ParquetChunks};
use super::share;
use super::table::{self, Format, Header, Loaded, Target};
use anyhow::{bail, Context, Result};
use downhill::train::{Chunk, ChunkSource};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Whether `path` is a glob pattern (and not an existing file whose name holds `*`, `?` or `[`).
fn is_pattern(path: &Path) -> bool {
    let text = path.to_string_lossy();
    text.contains(['*', '?', '[']) && !path.exists()
}

/// The files `paths` name, in order, each glob pattern replaced by its matches sorted by
/// name. A pattern that matches no file is an error; so is an empty list.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if !is_pattern(path) {
            files.push(path.clone());
            continue;
        }
        let text = path.to_string_lossy();
        let matches = glob::glob(&text).with_context(|| format!("'{text}': not a glob pattern"))?;
        let mut found = Vec::new();
        for m in matches {
            let m = m.with_context(|| format!("'{text}': cannot list the files it matches"))?;
            if m.is_file() {
                found.push(m);
            }
        }
        if found.is_empty() {
            bail!("'{text}': no file matches this pattern");
        }
        found.sort();
        files.extend(found);
    }
    if files.is_empty() {
        bail!("no data file given");
    }
    Ok(files)
}

/// The files (indices into `sizes`, the files' sizes in bytes) of rank `rank` of `ranks`: a
/// run of neighbouring files, cut at the file boundaries nearest to even shares of the
/// bytes. A rank gets no file when there are fewer files than ranks, or when one file is
/// larger than a share (its rows then count on the other ranks only).
pub fn assign(sizes: &[u64], rank: usize, ranks: usize) -> Range<usize> {
    let sizes: Vec<usize> = sizes
        .iter()
        .map(|s| usize::try_from(*s).unwrap_or(usize::MAX))
        .collect();
    share::row_groups(&sizes, rank, ranks)
}

/// The sizes in bytes of `files` (an error names a file that cannot be read).
pub fn sizes(files: &[PathBuf]) -> Result<Vec<u64>> {
    files
        .iter()
        .map(|f| {
            std::fs::metadata(f)
                .map(|m| m.len())
                .with_context(|| format!("{}: cannot read", f.display()))
        })
        .collect()
}

/// Checks that `file` has the columns of `header` (the first file's), in order.
pub fn check_header(file: &Path, header: &Header) -> Result<()> {
    let theirs = table::header(file)?;
    if theirs.names != header.names {
        bail!(
            "{}: its columns ({}) are not the first file's ({}): every file of the data must have the same columns in the same order",
            file.display(),
            theirs.names.join(", "),
            header.names.join(", ")
        );
    }
    Ok(())
}

/// The rows of `files` in order (the first file's `header` is every file's, checked), as
/// [`table::load`] reads one file.
pub fn load(
    files: &[PathBuf],
    header: &Header,
    features: &[usize],
    target: Target,
) -> Result<Loaded> {
    let mut all = Loaded::default();
    for file in files {
        check_header(file, header)?;
        let part = table::load(file, header, features, target)?;
        append(&mut all, part)?;
    }
    Ok(all)
}

/// `part`'s rows after `all`'s.
pub fn append(all: &mut Loaded, part: Loaded) -> Result<()> {
    if all.rows == 0 {
        *all = part;
        return Ok(());
    }
    all.x.extend(part.x);
    all.y.extend(part.y);
    all.labels.append(&part.labels)?;
    all.rows += part.rows;
    Ok(())
}

/// Rows kept by a rank when every rank streams the same one file ([`Streamed::dealt`]):
/// blocks of this many rows, dealt to the ranks in turn.
pub const BLOCK_ROWS: usize = 1024;

/// The rows of several files (or of one) chunk by chunk, as one source: each file's
/// chunks are poured into the caller's, so chunks run on across file boundaries (only the
/// last chunk of all is short) and a streamed fit of the files is that of their
/// concatenation. With [`Streamed::dealt`], only the blocks of [`BLOCK_ROWS`] rows of one
/// rank (blocks `rank`, `rank + ranks`, ...): every rank reads the whole data and sums its
/// blocks. That is the fallback of a CSV file whose bytes cannot be cut at newlines (quotes,
/// see `share::csv_scan`); a plain one is streamed by each rank from its own bytes only
/// (`chunks::CsvRangeChunks`).
pub struct Streamed<'a> {
    sources: Vec<Box<dyn ChunkSource + 'a>>,
    /// The source being read, and the chunk read from it, poured from row `next` on.
    at: usize,
    spare: Chunk,
    next: usize,
    /// Rows passed since the rewind (kept or not), and the ranks the blocks are dealt to.
    index: usize,
    dealt: Option<(usize, usize)>,
}

impl<'a> Streamed<'a> {
    /// The feature columns `features` and the numeric target `target` (indices of
    /// `header`, every file's: checked) of `files`, in order.
    pub fn new(
        files: &'a [PathBuf],
        header: &'a Header,
        features: &'a [usize],
        target: usize,
    ) -> Result<Self> {
        let mut sources: Vec<Box<dyn ChunkSource + 'a>> = Vec::with_capacity(files.len());
        for (k, file) in files.iter().enumerate() {
            if k > 0 {
                check_header(file, header)?;
            }
            sources.push(match Format::of(file) {
                Format::Csv => Box::new(CsvChunks::new(file, header, features, target)),
                Format::Parquet => Box::new(ParquetChunks::new(file, header, features, target)),
            });
        }
        Ok(Streamed {
            sources,
            at: 0,
            spare: Chunk::new(features.len(), BLOCK_ROWS),
            next: 0,
            index: 0,
            dealt: None,
        })
    }

    /// Only the blocks of rank `rank` of `ranks`, every rank reading all the rows: for a
    /// file that cannot be cut into byte ranges (a CSV file with quotes).
    pub fn dealt(mut self, rank: usize, ranks: usize) -> Self {
        self.dealt = (ranks > 1).then_some((rank, ranks));
        self
    }
}

impl ChunkSource for Streamed<'_> {
    fn rewind(&mut self) -> downhill::Result<()> {
        (self.at, self.next, self.index) = (0, 0, 0);
        self.spare.clear();
        match self.sources.first_mut() {
            Some(s) => s.rewind(),
            None => Ok(()),
        }
    }

    fn next_chunk(&mut self, chunk: &mut Chunk) -> downhill::Result<bool> {
        chunk.clear();
        let d = chunk.cols();
        while !chunk.is_full() && self.at < self.sources.len() {
            if self.next == self.spare.rows() {
                if !self.sources[self.at].next_chunk(&mut self.spare)? {
                    self.at += 1;
                    if let Some(s) = self.sources.get_mut(self.at) {
                        s.rewind()?;
                    }
                }
                self.next = 0;
                continue;
            }
            let i = self.next;
            self.next += 1;
            self.index += 1;
            if let Some((rank, ranks)) = self.dealt {
                if ((self.index - 1) / BLOCK_ROWS) % ranks != rank {
                    continue;
                }
            }
            chunk.push_row(&self.spare.x()[i * d..(i + 1) * d], self.spare.y()[i])?;
        }
        Ok(!chunk.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_cut_into_runs_of_even_bytes() {
        let sizes = [100, 100, 100, 100, 400];
        let shares: Vec<_> = (0..2).map(|r| assign(&sizes, r, 2)).collect();
        assert_eq!(shares, vec![0..4, 4..5]);
        // More ranks than files: some get none; every file once, in order.
        let shares: Vec<_> = (0..4).map(|r| assign(&[10, 10], r, 4)).collect();
        assert_eq!(shares, vec![0..0, 0..1, 1..1, 1..2]);
    }

    #[test]
    fn patterns_expand_sorted_and_a_pattern_without_a_match_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["part-2.csv", "part-10.csv", "part-1.csv", "other.csv"] {
            std::fs::write(dir.path().join(name), "a\n1\n").unwrap();
        }
        let pattern = dir.path().join("part-*.csv");
        let files = expand(&[pattern, dir.path().join("other.csv")]).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["part-1.csv", "part-10.csv", "part-2.csv", "other.csv"]
        );
        let none = expand(&[dir.path().join("nothing-*.csv")]).unwrap_err();
        assert!(format!("{none:#}").contains("no file matches"), "{none:#}");
    }
}
