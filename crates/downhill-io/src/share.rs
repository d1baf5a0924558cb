//! A rank's share of a table, for training over several processes: each rank reads only
//! its own rows.
//!
//! A plain CSV file (no quotes) is cut into `ranks` byte ranges of about equal length, each
//! moved forward to the start of a line, so that every row belongs to exactly one rank and
//! a rank reads and parses only its bytes. A quoted field may hold a newline, so a file with
//! quotes cannot be cut that way: [`csv_plain`] then says so, and every rank (the caller
//! agrees across ranks) reads the file record by record with [`csv_careful`], keeping its
//! run of rows.
//!
//! Streamed (`fit --stream`), a rank reads the same bytes chunk by chunk: [`csv_scan`] finds
//! them, counts their lines (so that the ranks can number every line as in the whole file)
//! and checks that they are plain.
//!
//! A Parquet file is shared by row groups ([`row_groups`]): each rank reads only the pages of
//! its run of groups.

use super::fast_csv::{self, Input, Outcome};
use super::table::{Header, Loaded, Target};
use anyhow::{Context, Result};
use std::convert::Infallible;
use std::ops::Range;
use std::path::Path;

/// The bytes of rank `rank` of `ranks` of a file of `len` bytes whose rows start at byte
/// `first` (after the header): cut `k` aims at `first + (len - first) k / ranks` and moves
/// to the byte after the next newline (at or after the aim's previous byte).
pub fn byte_range(bytes: &[u8], first: usize, rank: usize, ranks: usize) -> Range<usize> {
    let next =
        |from: usize| Ok::<_, Infallible>(memchr::memchr(b'\n', &bytes[from..]).map(|i| from + i));
    match cuts(bytes.len(), first, rank, ranks, next) {
        Ok(range) => range,
        Err(never) => match never {},
    }
}

/// [`byte_range`] of the file behind `input`, reading only the bytes after each aim up to
/// the next newline.
fn input_range(
    input: Input<'_>,
    path: &Path,
    first: usize,
    rank: usize,
    ranks: usize,
) -> Result<Range<usize>> {
    cuts(input.len(), first, rank, ranks, |from| {
        input.next_newline(path, from)
    })
}

/// [`byte_range`], given where the first newline at or after a byte is (`next_newline`).
fn cuts<E>(
    len: usize,
    first: usize,
    rank: usize,
    ranks: usize,
    mut next_newline: impl FnMut(usize) -> Result<Option<usize>, E>,
) -> Result<Range<usize>, E> {
    let first = first.min(len);
    let mut cut = |k: usize| {
        if k == 0 {
            return Ok(first);
        }
        if k >= ranks {
            return Ok(len);
        }
        let aim = first + (len - first) * k / ranks;
        if aim <= first {
            return Ok(first);
        }
        Ok(next_newline(aim - 1)?.map_or(len, |i| i + 1))
    };
    let start = cut(rank)?;
    Ok(start..cut(rank + 1)?.max(start))
}

/// The byte where the rows of the CSV file `path` start (after its header).
fn rows_start(path: &Path) -> Result<usize> {
    let start = super::csv::rows_start(path)?;
    usize::try_from(start)
        .with_context(|| format!("{}: too large for this machine", path.display()))
}

/// Rank `rank`'s rows of the plain CSV file `path` (see the module documentation); `None`
/// when the file is not plain (quotes, a lone `\r`) in this rank's bytes. A bad cell is an
/// error naming the file and its line in the whole file. A share may hold no rows.
pub fn csv_plain(
    path: &Path,
    header: &Header,
    features: &[usize],
    target: Target,
    rank: usize,
    ranks: usize,
) -> Result<Option<Loaded>> {
    let first = rows_start(path)?;
    // The rank's bytes are read block by block as a whole file's are (`fast_csv::Input`);
    // the cuts read only the bytes from their aims to the next newlines.
    let outcome = fast_csv::with_input(path, |input| {
        let range = input_range(input, path, first, rank, ranks)?;
        let range = range.start as u64..range.end as u64;
        fast_csv::load_range(path, input, header, features, target, range)
    })?;
    Ok(match outcome {
        Outcome::Done(loaded) => Some(loaded),
        Outcome::NotPlain => None,
    })
}

/// Rank `rank`'s rows of a Parquet file: the rows of its run of row groups
/// ([`row_groups`]), of which only the pages are read. A rank may get no rows.
pub fn parquet(
    path: &Path,
    header: &Header,
    features: &[usize],
    target: Target,
    rank: usize,
    ranks: usize,
) -> Result<Loaded> {
    let per_group = super::parquet::row_group_rows(path)?;
    let mine: Vec<usize> = row_groups(&per_group, rank, ranks).collect();
    super::parquet::load_groups(path, header, features, target, Some(&mine))
}

/// What rank `rank` of `ranks` finds in its bytes of a CSV file ([`byte_range`]), to stream
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvScan {
    /// The rank's bytes: whole lines after the header.
    pub range: Range<u64>,
    /// The `\n` bytes of the header (before every rank's bytes).
    pub header_lines: u64,
    /// The `\n` bytes of the rank's bytes.
    pub lines: u64,
    /// Whether the bytes are plain CSV: no `"` and no `\r` but before a `\n` (or at the end of
    /// the file), the rule of the quick reader. A quoted field may hold a newline, so the
    /// cuts at newlines are only row boundaries in a plain file.
    pub plain: bool,
}

impl CsvScan {
    /// The `\n` bytes before this rank's bytes, given every rank's [`CsvScan::lines`] in
    /// rank order: its first line is that plus one.
    pub fn lines_before(&self, rank: usize, lines: &[u64]) -> u64 {
        self.header_lines + lines[..rank.min(lines.len())].iter().sum::<u64>()
    }
}

/// Bytes read at a time by a scan: its memory stays small whatever the share's size.
const SCAN_BYTES: usize = 1 << 20;

/// Finds rank `rank`'s bytes of the CSV file `path` (the cut of [`csv_plain`]), counts their
/// lines and checks that they are plain, reading only those bytes (and the header, and the
/// bytes up to the next line start after each cut), a block at a time.
pub fn csv_scan(path: &Path, rank: usize, ranks: usize) -> Result<CsvScan> {
    scan(path, rank, ranks, SCAN_BYTES)
}

/// [`csv_scan`], reading `block` bytes at a time.
fn scan(path: &Path, rank: usize, ranks: usize, block: usize) -> Result<CsvScan> {
    let first = rows_start(path)?;
    fast_csv::with_input(path, |input| {
        let len = input.len();
        let header_lines = input.lines_before(path, first)?;
        let range = input_range(input, path, first, rank, ranks)?;
        let (mut lines, mut plain, mut after_cr) = (0u64, true, false);
        input.blocks(path, range.clone(), block, |_, bytes| {
            lines += memchr::memchr_iter(b'\n', bytes).count() as u64;
            plain = plain && plain_block(bytes, &mut after_cr);
            true
        })?;
        // A share ends after a newline or at the end of the file, where a `\r` may end it.
        plain &= !after_cr || range.end == len;
        Ok(CsvScan {
            range: range.start as u64..range.end as u64,
            header_lines,
            lines,
            plain,
        })
    })
}

/// Whether `bytes` are plain (no `"`, every `\r` before a `\n`), given whether the byte
/// before them was a `\r` (`after_cr`, then set to whether their last byte is one: its `\n`
/// is in the next block).
fn plain_block(bytes: &[u8], after_cr: &mut bool) -> bool {
    let Some(&last) = bytes.last() else {
        return true;
    };
    let plain = !(*after_cr && bytes[0] != b'\n')
        && memchr::memchr(b'"', bytes).is_none()
        && memchr::memchr_iter(b'\r', bytes).all(|i| i + 1 == bytes.len() || bytes[i + 1] == b'\n');
    *after_cr = last == b'\r';
    plain
}

/// The row groups of rank `rank` of `ranks`, for groups of `rows` rows each: a run of
/// neighbouring groups, the cuts at the group boundaries nearest to even shares of the rows
/// (the earlier boundary on a tie). A rank gets no group when there are fewer groups than
/// ranks, or when one group is larger than a share.
pub fn row_groups(rows: &[usize], rank: usize, ranks: usize) -> Range<usize> {
    let mut prefix = vec![0usize];
    for r in rows {
        prefix.push(prefix[prefix.len() - 1].saturating_add(*r));
    }
    let total = prefix[prefix.len() - 1] as u128;
    let cut = |k: usize| {
        if k >= ranks {
            return rows.len();
        }
        let aim = total * k as u128 / ranks.max(1) as u128;
        let mut best = 0;
        for (b, p) in prefix.iter().enumerate() {
            if (*p as u128).abs_diff(aim) < (prefix[best] as u128).abs_diff(aim) {
                best = b;
            }
        }
        best
    };
    let (a, b) = (cut(rank), cut(rank + 1));
    a..b.max(a)
}

/// The run of rows of rank `rank` of `ranks` in `all`.
fn keep(all: Loaded, d: usize, rank: usize, ranks: usize) -> Loaded {
    let n = all.rows;
    let keep = n * rank / ranks..n * (rank + 1) / ranks;
    Loaded {
        x: all.x[keep.start * d..keep.end * d].to_vec(),
        rows: keep.len(),
        y: if all.y.is_empty() {
            Vec::new()
        } else {
            all.y[keep.clone()].to_vec()
        },
        labels: all.labels.slice(keep),
    }
}

/// Rank `rank`'s rows of any CSV file, read record by record: the rows
/// `rows * rank / ranks .. rows * (rank + 1) / ranks` of the whole file (which every rank
/// reads, but keeps only its own).
pub fn csv_careful(
    path: &Path,
    header: &Header,
    features: &[usize],
    target: Target,
    rank: usize,
    ranks: usize,
) -> Result<Loaded> {
    let all = super::csv::load_careful(path, header, features, target)?;
    Ok(keep(all, features.len(), rank, ranks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_fall_at_line_starts_and_cover_every_byte() {
        let text = b"a,b\n1,2\n33,44\n5,6\n777,888\n9,0\n";
        for ranks in 1..=9 {
            let ranges: Vec<_> = (0..ranks).map(|r| byte_range(text, 4, r, ranks)).collect();
            assert_eq!(ranges[0].start, 4);
            assert_eq!(ranges[ranks - 1].end, text.len());
            for w in ranges.windows(2) {
                assert_eq!(w[0].end, w[1].start, "{ranks} ranks");
            }
            for r in &ranges {
                assert!(r.start == text.len() || text[r.start - 1] == b'\n', "{r:?}");
            }
        }
        // Two ranks: the aim (byte 17) is inside "5,6", so the cut moves to "777".
        assert_eq!(byte_range(text, 4, 0, 2), 4..18);
        // A file without a final newline ends the last share.
        assert_eq!(byte_range(b"a\n1\n2", 2, 1, 2), 4..5);
    }

    /// [`csv_scan`]'s answer from the whole text in memory, the rule as it reads.
    fn scan_in_memory(text: &[u8], first: usize, rank: usize, ranks: usize) -> CsvScan {
        let range = byte_range(text, first, rank, ranks);
        let bytes = &text[range.clone()];
        let count = |b: &[u8]| b.iter().filter(|&&c| c == b'\n').count() as u64;
        let plain = !bytes.contains(&b'"')
            && (range.start..range.end)
                .filter(|&i| text[i] == b'\r')
                .all(|i| i + 1 == text.len() || text[i + 1] == b'\n');
        CsvScan {
            range: range.start as u64..range.end as u64,
            header_lines: count(&text[..first]),
            lines: count(bytes),
            plain,
        }
    }

    #[test]
    fn a_scan_read_in_blocks_finds_what_the_text_in_memory_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scan.csv");
        let texts: [&[u8]; 5] = [
            b"a,b\r\n1,2\r\n33,44\r\n5,6\r\n777,888\r\n9,0\r",
            b"a,b\n1,2\n33,44\n5,6\r7,8\n777,888\n9,0\n",
            b"a,b\n1,2\n33,44\n5,6\n\"7\",8\n777,888\n9,0",
            b"a\n1\r\n2\r\n3\r\r\n4\n5\n6\n",
            b"a,b\n",
        ];
        for text in texts {
            std::fs::write(&path, text).unwrap();
            let first = rows_start(&path).unwrap();
            for ranks in 1..=5 {
                for rank in 0..ranks {
                    let want = scan_in_memory(text, first, rank, ranks);
                    // Blocks of one byte upwards: every `\r\n` split across two somewhere.
                    for block in [1, 2, 3, 5, 8, SCAN_BYTES] {
                        let got = scan(&path, rank, ranks, block).unwrap();
                        assert_eq!(got, want, "{text:?}: rank {rank} of {ranks}, block {block}");
                    }
                }
            }
        }
    }

    #[test]
    fn row_groups_are_cut_into_runs_of_even_rows() {
        let rows = [300, 300, 300, 300, 300, 300, 200];
        let shares: Vec<_> = (0..3).map(|r| row_groups(&rows, r, 3)).collect();
        // Every group once, in order; shares of 2000/3 rows each as near as groups allow.
        assert_eq!(shares, vec![0..2, 2..4, 4..7]);
        assert_eq!(row_groups(&rows, 0, 1), 0..7);
        // Fewer groups than ranks: a rank gets none.
        let two: Vec<_> = (0..3).map(|r| row_groups(&[1000, 1000], r, 3)).collect();
        assert_eq!(two, vec![0..1, 1..1, 1..2]);
    }
}
