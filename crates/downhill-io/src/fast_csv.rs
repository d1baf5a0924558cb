//! The quick way through a plain CSV file (no quotes, rows ended by `\n` or `\r\n`). The file
//! is taken in blocks, each read into one buffer by all threads at once (or, for text already
//! in memory or mapped, taken from there); each block is cut at newlines into a few pieces per
//! thread, and the pieces are parsed in parallel straight from the bytes, then appended in
//! file order. The memory beyond the table itself is about a block, whatever the file size
//! (a mapped piece's pages are handed back to the kernel once it is parsed).
//!
//! A piece is read in two passes where the CPU has AVX2 (see [`super::separators`] and
//! [`super::decimal`]): first the offsets of all its commas and newlines, then every cell,
//! whose extent is now known. Whatever that cannot read (an exponent, a long number, a
//! blank line, a bad cell) is read by the general row parser below, from that row to the end
//! of its stretch of 64 KiB; the quick passes then go on with the next stretch.
//!
//! Anything that is not plain (a quote, a lone `\r`) turns up as a cell or a row that does not
//! parse; the whole file is then read again by the careful `csv`-crate path, so quoted files
//! lose only speed. A bad cell is reported by the same helpers as that path, with the same
//! file, line, column and text.

use super::csv::{number, text as cell_text};
use super::labels::Labels;
use super::table::{Header, Loaded, Target};
use anyhow::{bail, Context, Result};
use memchr::memchr;
use rayon::prelude::*;
use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::Path;

/// Bytes of text per piece: small enough that a block and its parsed pieces add little to the
/// memory of the table, large enough that handing out the pieces is noise. (A linear fit of
/// 1,000,000 x 10, a table of 83.9 MiB, peaked at 97.4 MiB with 1 MiB pieces and at
/// 94.6-95.3 MiB with 512 KiB, mapped; loads took 0.33-0.45 s either way. Read into a buffer,
/// whose block is held while the last block is parsed, it peaked at 95,816-96,480 KiB with
/// 512 KiB pieces and 95,420-95,672 with 256 KiB, against 94,940-95,556 mapped; loads were
/// the same within the noise.)
const PIECE_BYTES: usize = 1 << 18;

/// Pieces per thread in a block: more pieces than threads let a thread that finishes early
/// take another (page faults and interrupts make equal pieces take unequal times), so that a
/// block ends with both threads busy almost to the end. Two, not four: the pieces' buffers,
/// still held when the last block is appended (where a CSV fit peaks), weigh half as much,
/// which kept a fit of 1,000,000 x 10 at 95,240-95,620 KiB resident against 97,360-97,620
/// with four (its limit, 1.25x the design matrix, is 97,656), for loads 1-5 % slower
/// (medians of 10 to 25 alternated runs against four pieces of 512 KiB: +2 to +9 ms on
/// 165-175; four pieces of 256 KiB were no quicker).
const PIECES_PER_THREAD: usize = 2;

/// Bytes of rows read by each pass of the two-pass parse before the next stretch: the text and
/// its separator offsets stay in the core's own cache between the passes.
const STRETCH_BYTES: usize = 64 << 10;

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
    /// For the two-pass parse, where each column's number goes ([`SKIP`], [`TARGET`] or a
    /// feature's index); `None` when that parse does not apply (no AVX2, text labels, a
    /// column read twice).
    slots: Option<Vec<u32>>,
}

/// A column the two-pass parse does not read.
const SKIP: u32 = u32::MAX;
/// The column of the numeric target.
const TARGET: u32 = u32::MAX - 1;

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
    /// Text targets, coded by the piece's own table of names (renumbered as appended).
    labels: Labels,
    rows: usize,
    /// Lines in the piece (blank ones too), for the line numbers of the pieces after it.
    lines: u64,
    /// The first row that did not parse: its line within the piece, from 0, and its bytes.
    /// Parsed again once its line number is known, it says why (the file is not plain, or
    /// the error to report).
    failed: Option<(u64, Range<usize>)>,
    /// Scratch for the two-pass parse: separator offsets, and one row's cells as digits.
    separators: Vec<u32>,
    cells: Vec<(u64, u64)>,
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

/// The bytes of the file: mapped, or read when the file cannot be mapped (a pipe), or a
/// table already in memory.
pub(crate) enum Source<'a> {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
    Borrowed(&'a [u8]),
}

impl Source<'_> {
    pub(crate) fn open(path: &Path) -> Result<Source<'static>> {
        let mut file =
            File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let regular = file.metadata().map(|m| m.is_file()).unwrap_or(false);
        if regular {
            // SAFETY: the map is only read. Like every reader of a mapped file (ripgrep's
            // among them), this assumes that no other process truncates or rewrites the file
            // while it is read.
            if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
                let _ = map.advise(memmap2::Advice::Sequential);
                return Ok(Source::Mapped(map));
            }
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(Source::Read(bytes))
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Source::Mapped(map) => map,
            Source::Read(bytes) => bytes,
            Source::Borrowed(bytes) => bytes,
        }
    }

    /// Lets the kernel drop the pages of `range` from this process (they stay in the page
    /// cache): parsed text then costs no memory.
    pub(crate) fn release(&self, range: Range<usize>) {
        if let Source::Mapped(map) = self {
            const PAGE: usize = 4096;
            let from = range.start.next_multiple_of(PAGE);
            let to = range.end / PAGE * PAGE;
            if to > from {
                // SAFETY: the mapping is read-only and backed by the file: a page read again
                // (the look-back of a neighbouring piece's first cells, the second parse of a
                // failing row) faults in from the page cache with the same bytes.
                let _ = unsafe {
                    map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, to - from)
                };
            }
        }
    }
}

/// Where the quick parse takes its text from.
#[derive(Clone, Copy)]
pub(crate) enum Input<'s> {
    /// Bytes in memory (mapped or read): parsed straight from there, the mapped pages handed
    /// back as they are parsed.
    Memory(&'s Source<'s>),
    /// A regular file of the given length (bytes), read a block at a time into one buffer by
    /// all threads at once. Cheaper than a mapping whose pages are handed back: a mapped page
    /// costs its fault, the clearing of its entry and, with two threads, a flush of the other
    /// core's TLB, a little more in all than a copy of it, and the copy lands in the cache the
    /// parse then reads from.
    File(&'s File, usize),
}

/// Reads the data rows of the file at `path` from byte `start` (the first row after the
/// header) the quick way: a regular file block by block, anything else (a pipe) read whole
/// first.
pub(crate) fn load_file(
    path: &Path,
    header: &Header,
    features: &[usize],
    target: Target,
    start: u64,
) -> Result<Outcome> {
    load_file_range(path, header, features, target, start..u64::MAX)
}

/// [`load_file`] of the rows in the bytes `range` of the file (as [`load_range`]).
pub(crate) fn load_file_range(
    path: &Path,
    header: &Header,
    features: &[usize],
    target: Target,
    range: Range<u64>,
) -> Result<Outcome> {
    with_input(path, |input| {
        load_range(path, input, header, features, target, range)
    })
}

/// Calls `f` with the file at `path` as an [`Input`]: a regular file to be read at offsets,
/// anything else (a pipe) read whole first.
pub(crate) fn with_input<T>(path: &Path, f: impl FnOnce(Input<'_>) -> Result<T>) -> Result<T> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    match file.metadata() {
        Ok(meta) if cfg!(unix) && meta.is_file() => {
            let len = usize::try_from(meta.len())
                .with_context(|| format!("{}: too large for this machine", path.display()))?;
            return f(Input::File(&file, len));
        }
        _ => drop(file),
    }
    let source = Source::open(path)?;
    f(Input::Memory(&source))
}

/// Reads the data rows of `source` from byte `start` (the first row after the header) the
/// quick way.
pub(crate) fn load(
    path: &Path,
    source: &Source<'_>,
    header: &Header,
    features: &[usize],
    target: Target,
    start: u64,
) -> Result<Outcome> {
    let input = Input::Memory(source);
    load_range(path, input, header, features, target, start..u64::MAX)
}

/// Bytes kept before a block read into the buffer: [`decimal::avx2::digits`] reads the bytes
/// before a cell's end, which for the block's first cells lie before the block.
const LOOK_BACK: usize = 64;

/// Blocks of whole rows from an [`Input`], and the buffer a file is read into.
struct Blocks<'s> {
    input: Input<'s>,
    path: &'s Path,
    buffer: Vec<u8>,
}

impl<'s> Blocks<'s> {
    /// The block of whole rows from byte `at`: up to the last newline before `aim`, or on to
    /// the next one if a single row is longer, and never past `limit`. Returns a text and the
    /// block's range in it; the text has the block's bytes and at least `LOOK_BACK` before
    /// them (or all there are), and its indices are the file's where the input is in memory.
    fn next(&mut self, at: usize, aim: usize, limit: usize) -> Result<(&[u8], Range<usize>)> {
        match self.input {
            Input::Memory(source) => {
                let text = &source.bytes()[..limit];
                let end = if aim == limit {
                    aim
                } else {
                    match memchr::memrchr(b'\n', &text[at..aim]) {
                        Some(i) => at + i + 1,
                        None => memchr(b'\n', &text[aim..]).map_or(limit, |i| aim + i + 1),
                    }
                };
                Ok((text, at..end))
            }
            Input::File(file, _) => {
                let mut want = aim;
                loop {
                    read_block(file, self.path, &mut self.buffer, at, want)?;
                    let block = &self.buffer[LOOK_BACK..];
                    let end = if want == limit {
                        Some(block.len())
                    } else {
                        memchr::memrchr(b'\n', block).map(|i| i + 1)
                    };
                    if let Some(end) = end {
                        return Ok((&self.buffer, LOOK_BACK..LOOK_BACK + end));
                    }
                    // A row longer than the block: read it again, twice as long.
                    want = (at + 2 * (want - at)).min(limit);
                }
            }
        }
    }
}

impl Input<'_> {
    /// Bytes of the input (of the file, for a file).
    pub(crate) fn len(self) -> usize {
        match self {
            Input::Memory(source) => source.bytes().len(),
            Input::File(_, len) => len,
        }
    }

    /// Hands back the mapped pages of `range` (of a text in memory, whose indices are the
    /// file's); a buffer is simply read over.
    fn release(self, range: Range<usize>) {
        if let Input::Memory(source) = self {
            source.release(range);
        }
    }

    /// Calls `f(at, bytes)` with the bytes `range` of the input in order, at most `block` at a
    /// time (`at` the first one's index), while it returns `true`: a scan whose memory stays
    /// one block whatever the range's length.
    pub(crate) fn blocks(
        self,
        path: &Path,
        range: Range<usize>,
        block: usize,
        mut f: impl FnMut(usize, &[u8]) -> bool,
    ) -> Result<()> {
        let end = range.end.min(self.len());
        let mut buffer = Vec::new();
        let mut at = range.start;
        while at < end {
            let to = (at + block.max(1)).min(end);
            let more = match self {
                Input::Memory(source) => f(at, &source.bytes()[at..to]),
                Input::File(file, _) => {
                    read_block(file, path, &mut buffer, at, to)?;
                    f(at, &buffer[LOOK_BACK..])
                }
            };
            self.release(at..to);
            if !more {
                break;
            }
            at = to;
        }
        Ok(())
    }

    /// The index of the first `\n` at or after byte `from`, if there is one.
    pub(crate) fn next_newline(self, path: &Path, from: usize) -> Result<Option<usize>> {
        let mut found = None;
        self.blocks(path, from..self.len(), 1 << 16, |at, bytes| {
            found = memchr(b'\n', bytes).map(|i| at + i);
            found.is_none()
        })?;
        Ok(found)
    }

    /// Lines (`\n`) before byte `start` (a message's line number, a header's lines).
    pub(crate) fn lines_before(self, path: &Path, start: usize) -> Result<u64> {
        let mut lines = 0;
        self.blocks(path, 0..start, 1 << 20, |_, bytes| {
            lines += memchr::memchr_iter(b'\n', bytes).count() as u64;
            true
        })?;
        Ok(lines)
    }
}

/// Reads the bytes `at..to` of `file` into `buffer` after `LOOK_BACK` bytes, a share per
/// thread at once.
fn read_block(file: &File, path: &Path, buffer: &mut Vec<u8>, at: usize, to: usize) -> Result<()> {
    // Sized exactly, so that the text ends where the read does.
    buffer.resize(LOOK_BACK + (to - at), 0);
    let share = (to - at)
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    buffer[LOOK_BACK..]
        .par_chunks_mut(share)
        .enumerate()
        .try_for_each(|(k, chunk)| read_at(file, chunk, (at + k * share) as u64))
        .with_context(|| format!("cannot read {}", path.display()))
}

/// Fills `buffer` from byte `offset` of `file`.
#[cfg(unix)]
fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buffer, offset)
}

/// Only Unix reads at an offset here ([`load_file`] maps the file elsewhere).
#[cfg(not(unix))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// [`load`] of the rows in the bytes `range` of the file (whole rows: `range.start` the
/// first byte of a row, `range.end` past a newline or the end of the file); a bad row is
/// reported with its line in the whole file.
pub(crate) fn load_range(
    path: &Path,
    input: Input<'_>,
    header: &Header,
    features: &[usize],
    target: Target,
    range: Range<u64>,
) -> Result<Outcome> {
    let layout = Layout::new(path, header, features, target);
    // On a thread of the pool: the parallel steps of each block then start and end without
    // waking a thread that sleeps outside it.
    rayon::scope(|_| load_blocks(&layout, input, target, range))
}

/// [`load_range`] with its columns laid out.
fn load_blocks(
    layout: &Layout,
    input: Input<'_>,
    target: Target,
    range: Range<u64>,
) -> Result<Outcome> {
    let path = layout.path;
    let mut blocks = Blocks {
        input,
        path,
        buffer: Vec::new(),
    };
    let limit = range.end.min(input.len() as u64) as usize;
    let start = (range.start as usize).min(limit);
    let parts = rayon::current_num_threads().max(1) * PIECES_PER_THREAD;
    let mut pieces: Vec<Piece> = (0..parts).map(|_| Piece::default()).collect();
    let mut bounds: Vec<Range<usize>> = Vec::with_capacity(parts);
    let mut out = Loaded::default();
    // Lines passed since the first row.
    let mut line = 0;
    let mut at = start;
    while at < limit {
        let aim = (at + parts * PIECE_BYTES).min(limit);
        let (text, block) = blocks.next(at, aim, limit)?;
        cut(text, block.clone(), parts, &mut bounds);
        pieces
            .par_iter_mut()
            .zip(bounds.par_iter())
            .for_each(|(piece, range)| {
                layout.parse_piece(text, range.clone(), piece);
                // The piece's own pages, handed back by its thread; the block's call below
                // takes the pages that pieces share.
                input.release(range.clone());
            });
        let len = block.len();
        if out.rows == 0 {
            // Room for the whole table at the first block's density, so that it is not
            // copied as it grows.
            let rows: usize = pieces.iter().map(|p| p.rows).sum();
            let guess = rows.saturating_mul(limit - at) / len + 16;
            out.x.reserve(guess.saturating_mul(layout.n_features));
            match target {
                Target::Numeric(_) => out.y.reserve(guess),
                Target::Text(_) => out.labels.reserve(guess),
                Target::None => {}
            }
        }
        for (piece, range) in pieces.iter().zip(&bounds) {
            if let Some((at_line, row)) = &piece.failed {
                // Parse the row again, now that its line number is known, for the message.
                let mut scratch = Piece::default();
                let from = range.start + row.start;
                // Lines are physical: every `\n` before the first row counts (a CRLF or
                // quoted header). Counted only for a message: a rank's share may start far
                // into the file.
                let line = 1 + input.lines_before(path, start)? + line + at_line;
                return match layout.parse_row(text, from, row.len(), line, &mut scratch) {
                    Err(Bad::NotPlain) => Ok(Outcome::NotPlain),
                    Err(Bad::Error(e)) => Err(e),
                    Ok(()) => bail!("{}:{line}: the row did not parse", path.display()),
                };
            }
            line += piece.lines;
        }
        if at + len == limit {
            // The text of the last block is parsed: its buffer goes before the table takes
            // the block's rows, where a load peaks.
            blocks.buffer = Vec::new();
        }
        append(&mut out.x, pieces.iter().map(|p| &p.x[..]));
        append(&mut out.y, pieces.iter().map(|p| &p.y[..]));
        for piece in &pieces {
            out.labels.append(&piece.labels)?;
            out.rows += piece.rows;
        }
        input.release(block);
        at += len;
    }
    Ok(Outcome::Done(out))
}

/// Appends `parts` to `out`, in order, copying them in parallel: the first touch of new memory
/// (a page fault every 4 KiB) costs as much as the copy, and both then spread over the
/// threads.
fn append<'p>(out: &mut Vec<f64>, parts: impl Iterator<Item = &'p [f64]>) {
    let parts: Vec<&[f64]> = parts.collect();
    let total: usize = parts.iter().map(|p| p.len()).sum();
    out.reserve(total);
    let mut spare = &mut out.spare_capacity_mut()[..total];
    let mut jobs = Vec::with_capacity(parts.len());
    for part in parts {
        let (head, tail) = spare.split_at_mut(part.len());
        jobs.push((head, part));
        spare = tail;
    }
    jobs.into_par_iter().for_each(|(dst, src)| {
        for (d, &s) in dst.iter_mut().zip(src) {
            d.write(s);
        }
    });
    // SAFETY: the `total` elements after the old length were all written just above.
    unsafe { out.set_len(out.len() + total) };
}

/// Cuts `text[range]` (whole rows) into `parts` runs of about equal length, at newlines.
fn cut(text: &[u8], range: Range<usize>, parts: usize, bounds: &mut Vec<Range<usize>>) {
    bounds.clear();
    let len = range.end - range.start;
    let mut from = range.start;
    for k in 1..=parts {
        let aim = (range.start + len * k / parts).max(from);
        let to = if k == parts || aim >= range.end {
            range.end
        } else {
            memchr(b'\n', &text[aim..range.end]).map_or(range.end, |i| aim + i + 1)
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
        let slots = dests
            .iter()
            .map(|d| match d[..] {
                [] => Some(SKIP),
                [Dest::X(k)] => u32::try_from(k).ok().filter(|&k| k < TARGET),
                [Dest::Y] => Some(TARGET),
                _ => None,
            })
            .collect::<Option<Vec<u32>>>()
            .filter(|_| quick::available());
        // The quick parse writes a row's features in place, uncleared: each feature must be
        // exactly one column's slot.
        debug_assert!(slots.as_ref().is_none_or(|slots| {
            let mut seen = vec![false; features.len()];
            slots
                .iter()
                .filter(|&&k| k < TARGET)
                .all(|&k| !std::mem::replace(&mut seen[k as usize], true))
                && seen.iter().all(|&s| s)
        }));
        Layout {
            path,
            names: &header.names,
            dests,
            n_features: features.len(),
            last_used,
            slots,
        }
    }

    /// Parses the rows of `text[range]` into `piece`, stopping at the first that fails.
    fn parse_piece(&self, text: &[u8], range: Range<usize>, piece: &mut Piece) {
        piece.clear();
        let mut at = range.start;
        while at < range.end {
            // Stretches of whole rows that stay in the CPU's caches between the two passes.
            // Where the quick parse stops (a blank line, an exponent), the row parser reads to
            // the end of the stretch, and the quick parse starts again after it.
            let aim = (at + STRETCH_BYTES).min(range.end);
            let end = memchr(b'\n', &text[aim..range.end]).map_or(range.end, |i| aim + i + 1);
            if let Some(slots) = &self.slots {
                // SAFETY: `slots` is only set when the CPU has what the quick parse needs.
                at = unsafe { quick::rows(self, slots, text, at..end, piece) };
            }
            if !self.parse_lines(text, at..end, range.start, piece) {
                return;
            }
            at = end;
        }
    }

    /// Parses the lines of `text[range]` one by one into `piece`; on a row that fails, notes
    /// it (its offset from `piece_start`) and returns false.
    fn parse_lines(
        &self,
        text: &[u8],
        range: Range<usize>,
        piece_start: usize,
        piece: &mut Piece,
    ) -> bool {
        let mut at = range.start;
        while at < range.end {
            let end = memchr(b'\n', &text[at..range.end]).map_or(range.end, |i| at + i);
            let mut row = &text[at..end];
            if let [rest @ .., b'\r'] = row {
                row = rest;
            }
            // Blank lines are skipped, as the csv crate does.
            if !row.is_empty() {
                // The line number is not known here; a failing row is parsed again later.
                if self.parse_row(text, at, row.len(), 0, piece).is_err() {
                    let from = at - piece_start;
                    piece.failed = Some((piece.lines, from..from + row.len()));
                    return false;
                }
            }
            piece.lines += 1;
            at = end + 1;
        }
        true
    }

    /// Parses one row, the `len` bytes of `text` from `start` (without its line end), into
    /// `piece`. The bytes around the row are only read, by the vector parse of numbers.
    fn parse_row(
        &self,
        text: &[u8],
        start: usize,
        len: usize,
        line: u64,
        piece: &mut Piece,
    ) -> Result<(), Bad> {
        match self.parse_cells(text, start, len, line, piece) {
            // The csv crate splits the row before reading a cell: a row of the wrong width is
            // reported as such, whatever its cells hold.
            Err(Bad::Error(_))
                if memchr::memchr_iter(b',', &text[start..start + len]).count() + 1
                    != self.dests.len() =>
            {
                Err(self.fields(&text[start..start + len], line))
            }
            result => result,
        }
    }

    /// [`Layout::parse_row`] cell by cell, the first bad cell's error first.
    fn parse_cells(
        &self,
        text: &[u8],
        start: usize,
        len: usize,
        line: u64,
        piece: &mut Piece,
    ) -> Result<(), Bad> {
        let row = &text[start..start + len];
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
                // A cell not read: skipped, unless a quote or a lone `\r` (a record end to the
                // csv crate) says the row is not plain.
                match memchr::memchr3(b',', b'"', b'\r', rest) {
                    Some(i) if rest[i] != b',' => return Err(Bad::NotPlain),
                    Some(i) => at += i + 1,
                    None => at += rest.len() + 1,
                }
                continue;
            }
            let quick = match dests[0] {
                Dest::Label => None,
                _ => quick_number(&text[start + at..], rest.len()),
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
                        piece.labels.push(s).map_err(Bad::Error)?;
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
            if !is_plain(tail) {
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

/// The two-pass parse of plain numeric rows.
#[cfg(target_arch = "x86_64")]
mod quick {
    use super::super::decimal::{self, avx2};
    use super::super::separators;
    use super::{Layout, Piece, Range, SKIP, TARGET};

    pub(super) fn available() -> bool {
        avx2::available()
    }

    /// A cell the quick steps declined (an exponent, many digits, a near tie), out of line
    /// so that the quick steps keep their registers.
    #[cold]
    #[inline(never)]
    fn careful(cell: &[u8]) -> Option<f64> {
        decimal::careful(cell)
    }

    /// Parses the rows of `text[range]` into `piece` for as long as every row is plain
    /// numbers in the right number of cells, and returns where it stopped: the end of the
    /// range, or the start of the first row it could not read (which the row parser then
    /// takes up).
    ///
    /// Each row is read in two steps, the digits of all its cells, then their scaling, so
    /// that the CPU works on several numbers at once rather than on one long chain of
    /// dependent instructions.
    ///
    /// # Safety
    /// [`available`] must be true.
    #[target_feature(enable = "avx2,bmi1,bmi2,lzcnt,popcnt")]
    pub(super) unsafe fn rows(
        layout: &Layout,
        slots: &[u32],
        text: &[u8],
        range: Range<usize>,
        piece: &mut Piece,
    ) -> usize {
        let from = range.start;
        if u32::try_from(range.end - from).is_err() {
            return from;
        }
        let Piece {
            x,
            y,
            rows: piece_rows,
            lines,
            separators: seps,
            cells,
            ..
        } = piece;
        let stop = separators::find(text, from, range.end, seps);
        let width = slots.len();
        let last = width - 1;
        let n_features = layout.n_features;
        let most = seps.len() / width;
        let x0 = x.len();
        let y0 = y.len();
        let has_target = slots.contains(&TARGET);
        // Written in place, not cleared first: every row taken sets all its features (each is
        // one column's slot, see `Layout::new`) and its target, and the lengths are set to the
        // rows taken at the end.
        x.reserve(most * n_features);
        let xs = &mut x.spare_capacity_mut()[..most * n_features];
        let ys = if has_target {
            y.reserve(most);
            &mut y.spare_capacity_mut()[..most]
        } else {
            &mut []
        };
        cells.resize(width, (0, 0));
        let cells = &mut cells[..width];
        let mut row_start = from;
        let mut rows = 0;
        'rows: for row in seps.chunks_exact(width) {
            let row_end = from + row[last] as usize;
            // The last cell ends before a `\r`, if the row has one.
            let last_end = if row_end > row_start && text[row_end - 1] == b'\r' {
                row_end - 1
            } else {
                row_end
            };
            // A blank line (possible with one column) is no row: the row parser skips it.
            if last_end == row_start {
                break;
            }
            // Step 1: the digits of every cell read, and a check that the cells end where
            // they should, at commas and then a newline.
            let mut start = row_start;
            let mut misplaced = 0u8;
            for (j, ((&slot, &sep), cell)) in
                slots.iter().zip(row).zip(cells.iter_mut()).enumerate()
            {
                let sep = from + sep as usize;
                misplaced |= text[sep] ^ if j == last { b'\n' } else { b',' };
                let end = if j == last { last_end } else { sep };
                if slot == SKIP {
                    // A cell not read must still be plain: a quote may hide separators, and a
                    // lone `\r` ends a record for the csv crate.
                    if memchr::memchr2(b'"', b'\r', &text[start..end]).is_some() {
                        break 'rows;
                    }
                } else {
                    *cell = if end > avx2::WINDOW {
                        // SAFETY: the features are enabled here, and `end` is within `text`
                        // with more than `WINDOW` bytes before it.
                        avx2::digits(text, start, end)
                    } else {
                        None
                    }
                    .unwrap_or((0, u64::MAX));
                }
                start = sep + 1;
            }
            if misplaced != 0 {
                break;
            }
            // Step 2: scaled to doubles and stored; a cell the quick steps declined is read
            // by the careful parse, and a cell that is no number ends the quick parse.
            let features = &mut xs[rows * n_features..][..n_features];
            for (j, (&slot, &(w, tag))) in slots.iter().zip(cells.iter()).enumerate() {
                if slot == SKIP {
                    continue;
                }
                // (No closure here: it would not inherit this function's target features, and
                // would not be inlined.)
                let quick = if tag != u64::MAX {
                    decimal::scale(w, tag)
                } else {
                    None
                };
                let value = match quick {
                    Some(v) => v,
                    None => {
                        let begin = if j == 0 {
                            row_start
                        } else {
                            from + row[j - 1] as usize + 1
                        };
                        let end = if j == last {
                            last_end
                        } else {
                            from + row[j] as usize
                        };
                        match careful(&text[begin..end]) {
                            Some(v) => v,
                            None => break 'rows,
                        }
                    }
                };
                if slot == TARGET {
                    ys[rows].write(value);
                } else {
                    features[slot as usize].write(value);
                }
            }
            rows += 1;
            row_start = start;
        }
        debug_assert!(row_start <= stop);
        // SAFETY: rows `..rows` had every feature and the target written (above).
        unsafe {
            x.set_len(x0 + rows * n_features);
            if has_target {
                y.set_len(y0 + rows);
            }
        }
        *piece_rows += rows;
        *lines += rows as u64;
        row_start
    }
}

/// Where the two-pass parse does not exist, every row goes through the row parser.
#[cfg(not(target_arch = "x86_64"))]
mod quick {
    use super::{Layout, Piece, Range};

    pub(super) fn available() -> bool {
        false
    }

    pub(super) unsafe fn rows(
        _: &Layout,
        _: &[u32],
        _: &[u8],
        range: Range<usize>,
        _: &mut Piece,
    ) -> usize {
        range.start
    }
}

#[cfg(test)]
mod tests {
    use super::super::csv::{header, load as load_csv, load_bytes, load_careful};
    use super::super::table::Target;
    use super::{PIECES_PER_THREAD, PIECE_BYTES};
    use std::fmt::Write as _;

    /// Cells of every shape the readers meet: the quick parse's own (`-0.25`, `3`, `.5`),
    /// those it hands to the careful parse (exponents, 20 digits, `+1`), and now and then one
    /// that stops the quick parse for the rest of its stretch (a space).
    fn cell(i: usize, j: usize) -> String {
        let v = ((i * 31 + j * 17) as f64 * 0.731).sin() * 10f64.powi((i % 7) as i32 - 3);
        if i % 701 == 5 && j == 2 {
            return format!(" {v}");
        }
        match (i + j) % 11 {
            0 => format!("{v:e}"),
            1 => format!("{}", (i * 13) % 1000),
            2 => format!("{v:.20}"),
            3 => format!("{}", i as u64 * 1_000_000_007_000),
            4 => format!("+{}", v.abs()),
            5 => ".5".to_string(),
            6 => format!("{:.3}", v),
            _ => format!("{v:?}"),
        }
    }

    /// The quick reader and the `csv`-crate reader give the same numbers, bit for bit, on a
    /// file of several stretches and pieces with mixed cells, CRLF rows, blank lines and an
    /// unread column; and in any column order.
    #[test]
    fn the_quick_reader_matches_the_csv_crate_bit_for_bit() {
        let mut text = String::from("a,skip,b,y,c\n");
        for i in 0..6000 {
            let cells: Vec<String> = (0..5).map(|j| cell(i, j)).collect();
            let end = if i % 3 == 0 { "\r\n" } else { "\n" };
            write!(text, "{}{end}", cells.join(",")).unwrap();
            if i % 997 == 0 {
                text.push('\n');
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mixed.csv");
        std::fs::write(&path, &text).unwrap();
        let head = header(&path).unwrap();
        for features in [vec![0, 2, 4], vec![4, 0], vec![2]] {
            let quick = load_csv(&path, &head, &features, Target::Numeric(3)).unwrap();
            let careful = load_careful(&path, &head, &features, Target::Numeric(3)).unwrap();
            // The same text from memory (an upload), parsed where it lies, not read in blocks.
            let held = load_bytes(&path, text.as_bytes(), &head, &features, Target::Numeric(3));
            let held = held.unwrap();
            assert_eq!(quick.rows, 6000);
            assert_eq!(quick.rows, careful.rows);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&quick.x), bits(&careful.x), "features {features:?}");
            assert_eq!(bits(&quick.y), bits(&careful.y));
            assert_eq!(bits(&held.x), bits(&quick.x));
            assert_eq!(bits(&held.y), bits(&quick.y));
        }
    }

    /// A row longer than a whole block is read whole (the block read again, longer), the
    /// rows around it too, and a bad cell after it is named by its physical line, counted
    /// from a header that ends in CRLF.
    #[test]
    fn a_row_longer_than_a_block_is_read_whole() {
        let block = rayon::current_num_threads().max(1) * PIECES_PER_THREAD * PIECE_BYTES;
        let mut text = String::from("a,y\r\n");
        for i in 0..1000 {
            writeln!(text, "{i},{}", 2 * i).unwrap();
        }
        // 1.000...05, correctly rounded: 1.
        writeln!(text, "1.{}5,7", "0".repeat(block + 1000)).unwrap();
        for i in 0..1000 {
            writeln!(text, "{}.5,{}", i, 3 * i).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.csv");
        std::fs::write(&path, &text).unwrap();
        let head = header(&path).unwrap();
        let quick = load_csv(&path, &head, &[0], Target::Numeric(1)).unwrap();
        let careful = load_careful(&path, &head, &[0], Target::Numeric(1)).unwrap();
        assert_eq!(quick.rows, 2001);
        assert_eq!((quick.x[1000], quick.y[1000]), (1.0, 7.0));
        assert_eq!((quick.x[2000], quick.y[2000]), (999.5, 2997.0));
        assert_eq!(quick.x, careful.x);
        assert_eq!(quick.y, careful.y);

        // Line 1 the header, 2-1001 rows, 1002 the long one, 1003-2002 rows.
        text.push_str("4,oops\n");
        std::fs::write(&path, &text).unwrap();
        let err = load_csv(&path, &head, &[0], Target::Numeric(1)).unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains("long.csv:2003: ") && err.contains("'oops'"),
            "{err}"
        );
        // From memory, the same message.
        let held = load_bytes(&path, text.as_bytes(), &head, &[0], Target::Numeric(1));
        assert_eq!(format!("{:#}", held.unwrap_err()), err);
    }

    /// A file cut short while it is read (after its length was taken) is an error naming it,
    /// where a mapping of it would have ended the process (`SIGBUS`).
    #[cfg(unix)]
    #[test]
    fn a_file_cut_short_while_it_is_read_is_an_error() {
        use super::{Blocks, Input};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shrinks.csv");
        let text: String = (0..5000).map(|i| format!("{i},{}\n", 2 * i)).collect();
        std::fs::write(&path, &text).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let limit = text.len();
        let mut blocks = Blocks {
            input: Input::File(&file, limit),
            path: &path,
            buffer: Vec::new(),
        };
        let (read, block) = blocks.next(0, limit, limit).unwrap();
        assert_eq!(&read[block], text.as_bytes());
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(100)
            .unwrap();
        let err = blocks.next(0, limit, limit).unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.starts_with("cannot read ") && err.contains("shrinks.csv"),
            "{err}"
        );
    }
}
