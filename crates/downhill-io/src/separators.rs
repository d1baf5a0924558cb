//! Where the cells of plain CSV text end: the offsets of every comma and newline, found 64
//! bytes at a time with vector compares (the first half of a two-pass parse, as in simdjson:
//! once every cell's extent is known, the cells can be read independently of each other).

/// Room left in the output before each 64-byte chunk: at most 64 offsets (at least four are
/// written before the count is known), and four to spare.
#[cfg(target_arch = "x86_64")]
const CHUNK_ROOM: usize = 68;

/// Offsets from `from` of the commas and newlines in `text[from..to]`, into `out`; stops
/// early (before the 64-byte chunk that holds it) at a double quote, which plain CSV lacks.
/// Returns where it stopped: `to`, or earlier at a quote.
///
/// # Safety
/// AVX2, BMI1 and POPCNT must be available, and `to - from` must fit in a `u32`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi1,popcnt")]
pub(crate) unsafe fn find(text: &[u8], from: usize, to: usize, out: &mut Vec<u32>) -> usize {
    use std::arch::x86_64::*;
    out.clear();
    // At most 64 offsets per chunk, written four at a time before the count is known: room
    // for a chunk is checked before each. Numbers take several bytes, so a first guess of a
    // separator every four bytes rarely grows.
    out.reserve(CHUNK_ROOM + (to - from) / 4);
    let mut dst = out.as_mut_ptr();
    let base = text[..to].as_ptr();
    let comma = _mm256_set1_epi8(b',' as i8);
    let newline = _mm256_set1_epi8(b'\n' as i8);
    let quote = _mm256_set1_epi8(b'"' as i8);
    let mut n = 0usize;
    let mut at = from;
    while at + 64 <= to {
        let a = _mm256_loadu_si256(base.add(at) as *const __m256i);
        let b = _mm256_loadu_si256(base.add(at + 32) as *const __m256i);
        let quotes = _mm256_or_si256(_mm256_cmpeq_epi8(a, quote), _mm256_cmpeq_epi8(b, quote));
        if _mm256_movemask_epi8(quotes) != 0 {
            out.set_len(n);
            return at;
        }
        let sa = _mm256_or_si256(_mm256_cmpeq_epi8(a, comma), _mm256_cmpeq_epi8(a, newline));
        let sb = _mm256_or_si256(_mm256_cmpeq_epi8(b, comma), _mm256_cmpeq_epi8(b, newline));
        let mut bits = (_mm256_movemask_epi8(sa) as u32 as u64)
            | ((_mm256_movemask_epi8(sb) as u32 as u64) << 32);
        let count = bits.count_ones() as usize;
        if n + CHUNK_ROOM > out.capacity() {
            out.set_len(n);
            out.reserve(CHUNK_ROOM + (to - at) / 4);
            dst = out.as_mut_ptr();
        }
        let offset = (at - from) as u32;
        // Four offsets unconditionally (a chunk of numbers mostly holds three or four), so
        // that the loop below is rarely entered and its branch rarely mispredicted. Slots past
        // `count` are overwritten by the next chunk; `reserve` above leaves room for them.
        for k in 0..4 {
            *dst.add(n + k) = offset + bits.trailing_zeros();
            bits &= bits.wrapping_sub(1);
        }
        let mut k = 4;
        while bits != 0 {
            *dst.add(n + k) = offset + bits.trailing_zeros();
            bits &= bits - 1;
            k += 1;
        }
        n += count;
        at += 64;
    }
    out.set_len(n);
    while at < to {
        match text[at] {
            b',' | b'\n' => out.push((at - from) as u32),
            b'"' => return at,
            _ => {}
        }
        at += 1;
    }
    to
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    fn reference(text: &[u8], from: usize, to: usize) -> (Vec<u32>, usize) {
        let stop = text[from..to]
            .iter()
            .position(|&c| c == b'"')
            .map_or(to, |q| from + (q / 64) * 64);
        // The vector loop stops at the chunk holding the quote; the tail loop at the quote.
        let full_chunks_end = from + (to - from) / 64 * 64;
        let stop = if stop >= full_chunks_end {
            text[from..to]
                .iter()
                .position(|&c| c == b'"')
                .map_or(to, |q| from + q)
        } else {
            stop
        };
        let offsets = (from..stop)
            .filter(|&i| text[i] == b',' || text[i] == b'\n')
            .map(|i| (i - from) as u32)
            .collect();
        (offsets, stop)
    }

    #[test]
    fn finds_every_comma_and_newline_and_stops_at_quotes() {
        if !crate::decimal::avx2::available() {
            return;
        }
        let mut state = 7u64;
        let mut out = Vec::new();
        for case in 0..400 {
            let len = (case * 7) % 300;
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    match (state >> 33) % 23 {
                        0..=4 => b',',
                        5 => b'\n',
                        6 if case % 5 == 0 => b'"',
                        _ => b'0' + ((state >> 40) % 10) as u8,
                    }
                })
                .collect();
            let from = (case % 3).min(len);
            // SAFETY: the features are checked above.
            let stop = unsafe { find(&text, from, len, &mut out) };
            let (want, want_stop) = reference(&text, from, len);
            assert_eq!(stop, want_stop, "case {case}");
            assert_eq!(out, want, "case {case}");
        }
    }

    #[test]
    fn grows_its_room_for_text_made_of_separators() {
        if !crate::decimal::avx2::available() {
            return;
        }
        // Far more separators than the first guess of one every four bytes leaves room for,
        // after a stretch of plain digits, and a buffer that held fewer before.
        let mut text = vec![b'7'; 100];
        text.extend((0..3000).map(|i| if i % 7 == 0 { b'\n' } else { b',' }));
        let mut out = vec![1, 2, 3];
        for from in [0, 5, 100] {
            // SAFETY: the features are checked above.
            let stop = unsafe { find(&text, from, text.len(), &mut out) };
            let (want, want_stop) = reference(&text, from, text.len());
            assert_eq!((stop, &out), (want_stop, &want), "from {from}");
            assert_eq!(out.len(), 3000);
        }
    }
}
