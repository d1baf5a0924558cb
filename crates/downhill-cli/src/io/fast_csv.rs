//! The quick way through a plain CSV file (no quotes, rows ended by `\n` or `\r\n`): the data
//! is read in blocks, each block is cut at newlines into one piece per thread, and the pieces
//! are parsed in parallel straight from the bytes, then appended in file order. Memory beyond
//! the table itself is a block and its parsed pieces, whatever the file size.
//!
//! Anything that is not plain (a quote, a lone `\r`) turns up as a cell or a row that does not
//! parse; the whole file is then read again by the careful `csv`-crate path, so quoted files
//! lose only speed. A bad cell is reported by the same helpers as that path, with the same
//! file, line, column and text.

use super::csv::{number, text as cell_text};
use super::table::{Header, Loaded, Target};
use anyhow::{bail, Context, Result};
use memchr::memchr;
use rayon::prelude::*;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Bytes of text per thread and block: small enough that the block and its parsed rows add
/// little to the memory of the table, large enough that waking the threads is noise.
const PIECE_BYTES: usize = 1 << 20;

/// What a plain file's rows are read into, or why the careful path must read it.
pub(crate) enum Outcome {
    /// Every row, parsed.
    Done(Loaded),
    /// The file is not plain CSV (quotes, a lone `\r`): read it with the `csv` crate.
    NotPlain,
}

/// Where a cell goes.
#[derive(Clone, Copy)]
enum Dest {
    /// Feature `k` of the row.
    X(usize),
    /// The numeric target.
    Y,
    /// The text target.
    Label,
}

/// What every column of the file is for.
struct Layout<'a> {
    path: &'a Path,
    names: &'a [String],
    /// For each column of the file, where its cell goes (empty: not read).
    dests: Vec<Vec<Dest>>,
    /// Features per row.
    n_features: usize,
    /// The last column that is read: the cells after it are only counted.
    last_used: usize,
}

/// Why a row did not parse.
enum Bad {
    /// Not plain CSV: read the file the careful way.
    NotPlain,
    /// A real error, worded for the line number the row was parsed with.
    Error(anyhow::Error),
}

/// One thread's share of a block: its rows, parsed.
#[derive(Default)]
struct Piece {
    x: Vec<f64>,
    y: Vec<f64>,
    labels: Vec<String>,
    rows: usize,
    /// Lines in the piece (blank ones too), for the line numbers of the pieces after it.
    lines: u64,
    /// The first row that did not parse: its line within the piece, from 0, and its bytes.
    /// Parsed again once its line number is known, it says why (the file is not plain, or
    /// the error to report).
    failed: Option<(u64, std::ops::Range<usize>)>,
}

impl Piece {
    fn clear(&mut self) {
        self.x.clear();
        self.y.clear();
        self.labels.clear();
        self.rows = 0;
        self.lines = 0;
        self.failed = None;
    }
}

/// Reads the data rows of `path` from byte `start` (the first row after the header, on line
/// `first_line`) the quick way.
pub(crate) fn load(
    path: &Path,
    header: &Header,
    features: &[usize],
    target: Target,
    start: u64,
    first_line: u64,
) -> Result<Outcome> {
    let layout = Layout::new(path, header, features, target);
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    file.seek(SeekFrom::Start(start))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let threads = rayon::current_num_threads().max(1);
    let mut pieces: Vec<Piece> = (0..threads).map(|_| Piece::default()).collect();
    let mut bounds: Vec<std::ops::Range<usize>> = Vec::with_capacity(threads);
    let mut block: Vec<u8> = Vec::with_capacity(threads * PIECE_BYTES + PIECE_BYTES);
    // Bytes of the last, unfinished row of a block, carried to the next.
    let mut carry = 0usize;
    let mut want = threads * PIECE_BYTES;
    let mut out = Loaded::default();
    let mut line = first_line;
    let mut eof = false;
    while !eof || carry > 0 {
        // Keep the carried bytes at the front and fill the rest from the file.
        let kept = block.len() - carry;
        block.drain(..kept);
        if block.len() < want && !eof {
            // Appended without zeroing the buffer first; short only at the end of the file.
            let asked = want - block.len();
            let n = (&mut file)
                .take(asked as u64)
                .read_to_end(&mut block)
                .with_context(|| format!("cannot read {}", path.display()))?;
            eof = n < asked;
        }
        // The block ends at its last newline; at the end of the file, at its end.
        let end = if eof {
            block.len()
        } else {
            match memchr::memrchr(b'\n', &block) {
                Some(i) => i + 1,
                None => {
                    // One row longer than the block: read more before cutting.
                    want *= 2;
                    carry = block.len();
                    continue;
                }
            }
        };
        carry = block.len() - end;
        if end == 0 {
            continue;
        }
        cut(&block[..end], threads, &mut bounds);
        let text = &block[..end];
        pieces
            .par_iter_mut()
            .zip(bounds.par_iter())
            .for_each(|(piece, range)| layout.parse_piece(text, range.clone(), piece));
        for (piece, range) in pieces.iter_mut().zip(&bounds) {
            if let Some((at, row)) = &piece.failed {
                // Parse the row again, now that its line number is known, for the message.
                let mut scratch = Piece::default();
                let from = range.start + row.start;
                return match layout.parse_row(
                    &text[from..range.end],
                    row.len(),
                    line + at,
                    &mut scratch,
                ) {
                    Err(Bad::NotPlain) => Ok(Outcome::NotPlain),
                    Err(Bad::Error(e)) => Err(e),
                    Ok(()) => bail!("{}:{}: the row did not parse", path.display(), line + at),
                };
            }
            out.x.extend_from_slice(&piece.x);
            out.y.extend_from_slice(&piece.y);
            out.labels.append(&mut piece.labels);
            out.rows += piece.rows;
            line += piece.lines;
        }
    }
    Ok(Outcome::Done(out))
}

/// Cuts `text` (whole rows) into `parts` runs of about equal length, at newlines.
fn cut(text: &[u8], parts: usize, bounds: &mut Vec<std::ops::Range<usize>>) {
    bounds.clear();
    let mut from = 0;
    for k in 1..=parts {
        let aim = (text.len() * k / parts).max(from);
        let to = if k == parts || aim >= text.len() {
            text.len()
        } else {
            memchr(b'\n', &text[aim..]).map_or(text.len(), |i| aim + i + 1)
        };
        bounds.push(from..to);
        from = to;
    }
}

impl<'a> Layout<'a> {
    fn new(path: &'a Path, header: &'a Header, features: &[usize], target: Target) -> Self {
        let mut dests = vec![Vec::new(); header.names.len()];
        for (k, &j) in features.iter().enumerate() {
            dests[j].push(Dest::X(k));
        }
        match target {
            Target::None => {}
            Target::Numeric(j) => dests[j].push(Dest::Y),
            Target::Text(j) => dests[j].push(Dest::Label),
        }
        let last_used = dests.iter().rposition(|d| !d.is_empty()).unwrap_or(0);
        Layout {
            path,
            names: &header.names,
            dests,
            n_features: features.len(),
            last_used,
        }
    }

    /// Parses the rows of `text[range]` into `piece`, stopping at the first that fails.
    fn parse_piece(&self, text: &[u8], range: std::ops::Range<usize>, piece: &mut Piece) {
        piece.clear();
        let text = &text[range];
        let mut at = 0;
        while at < text.len() {
            let end = memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
            let mut row = &text[at..end];
            if let [rest @ .., b'\r'] = row {
                row = rest;
            }
            // Blank lines are skipped, as the csv crate does.
            if !row.is_empty() {
                // The line number is not known here; a failing row is parsed again later.
                match self.parse_row(&text[at..], row.len(), 0, piece) {
                    Ok(()) => {}
                    Err(_) => {
                        piece.failed = Some((piece.lines, at..at + row.len()));
                        return;
                    }
                }
            }
            piece.lines += 1;
            at = end + 1;
        }
    }

    /// Parses one row, the first `len` bytes of `text` (without its line end), into
    /// `piece`. The bytes after the row are there so that numbers can be read eight bytes at
    /// a time up to its very end.
    fn parse_row(&self, text: &[u8], len: usize, line: u64, piece: &mut Piece) -> Result<(), Bad> {
        let row = &text[..len];
        let x0 = piece.x.len();
        piece.x.resize(x0 + self.n_features, 0.0);
        // `at` is where cell `j` starts; past the end of the row, the row has run out of cells.
        let mut at = 0;
        for (j, dests) in self.dests[..=self.last_used].iter().enumerate() {
            if at > row.len() {
                return Err(self.fields(row, line));
            }
            let rest = &row[at..];
            if dests.is_empty() {
                // A cell not read: skipped, unless a quote says the row is not plain.
                match memchr::memchr2(b',', b'"', rest) {
                    Some(i) if rest[i] == b'"' => return Err(Bad::NotPlain),
                    Some(i) => at += i + 1,
                    None => at += rest.len() + 1,
                }
                continue;
            }
            let quick = match dests[0] {
                Dest::Label => None,
                _ => quick_number(&text[at..], rest.len()),
            };
            let cell_end = match quick {
                Some((_, used)) => used,
                None => memchr(b',', rest).unwrap_or(rest.len()),
            };
            let cell = &rest[..cell_end];
            for &dest in dests {
                match dest {
                    Dest::X(k) => piece.x[x0 + k] = self.number(quick, line, j, cell, row)?,
                    Dest::Y => {
                        let v = self.number(quick, line, j, cell, row)?;
                        piece.y.push(v);
                    }
                    Dest::Label => {
                        if !is_plain(cell) {
                            return Err(Bad::NotPlain);
                        }
                        let s =
                            cell_text(self.path, line, &self.names[j], cell).map_err(Bad::Error)?;
                        piece.labels.push(s);
                    }
                }
            }
            at += cell_end + 1;
        }
        // The cells after the last one read are only counted (and checked for quotes).
        let fields = if at > row.len() {
            self.last_used + 1
        } else {
            let tail = &row[at..];
            if memchr(b'"', tail).is_some() {
                return Err(Bad::NotPlain);
            }
            self.last_used + 2 + memchr::memchr_iter(b',', tail).count()
        };
        if fields != self.dests.len() {
            return Err(self.fields(row, line));
        }
        piece.rows += 1;
        Ok(())
    }

    /// Cell `j` of a row as a number: the quick parse if it took the whole cell, else the
    /// careful one, which words the error (unless the row is not plain CSV, which the careful
    /// path must read).
    fn number(
        &self,
        quick: Option<(f64, usize)>,
        line: u64,
        j: usize,
        cell: &[u8],
        row: &[u8],
    ) -> Result<f64, Bad> {
        if let Some((v, _)) = quick {
            return Ok(v);
        }
        if !is_plain(row) {
            return Err(Bad::NotPlain);
        }
        number(self.path, line, &self.names[j], cell).map_err(Bad::Error)
    }

    /// The error for a row with the wrong number of cells.
    fn fields(&self, row: &[u8], line: u64) -> Bad {
        if !is_plain(row) {
            return Bad::NotPlain;
        }
        let n = memchr::memchr_iter(b',', row).count() + 1;
        Bad::Error(anyhow::anyhow!(
            "{}:{line}: the row has {n} fields but the header has {}",
            self.path.display(),
            self.dests.len()
        ))
    }
}

/// A finite number at the start of `s`, ended by a comma or by the end of the cell's row
/// (`left` bytes on), and how many bytes it took.
#[inline]
fn quick_number(s: &[u8], left: usize) -> Option<(f64, usize)> {
    match fast_float2::parse_partial::<f64, _>(s) {
        Ok((v, used))
            if v.is_finite() && used > 0 && (used == left || (used < left && s[used] == b',')) =>
        {
            Some((v, used))
        }
        _ => None,
    }
}

/// A row the quick path can read: no quotes, no carriage return inside.
fn is_plain(row: &[u8]) -> bool {
    !row.iter().any(|&b| b == b'"' || b == b'\r')
}
