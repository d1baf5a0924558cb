//! Decimal numbers of a known extent (a CSV cell), read the quick way.
//!
//! A number is read in two steps, so that a loop over many cells keeps several in flight:
//! [`avx2::digits`] turns the cell's text into an integer `w` of at most 19 digits, the count
//! `s` of digits after the point, and the sign, with a few vector instructions and no branch
//! per digit; [`scale`] then rounds `w / 10^s` to the nearest `f64` with integer arithmetic.
//! Either step declines what it cannot settle cheaply (an exponent, more than 19 digits, a
//! result too close to halfway between two doubles), and the caller then reads the cell with
//! [`careful`], so the answer is always the correctly rounded one.

/// `w / 10^s` for `s <= MAX_SCALE` comes from a table of reciprocals; above it, the careful
/// parse. `5^s` must stay below `2^127` for the table to be built with `u128` arithmetic.
const MAX_SCALE: usize = 54;

/// `(R, b)` for `s` in `1..=MAX_SCALE`: `b` is the bit length of `5^s` and
/// `R = floor(2^(127 + b) / 5^s)`, so that `2^127 <= R < 2^128`.
const RECIPROCALS: [(u128, u32); MAX_SCALE + 1] = reciprocals();

const fn reciprocals() -> [(u128, u32); MAX_SCALE + 1] {
    let mut table = [(0u128, 0u32); MAX_SCALE + 1];
    let mut s = 1;
    let mut five = 5u128;
    while s <= MAX_SCALE {
        let b = 128 - five.leading_zeros();
        // Long division of 2^(127 + b) by 5^s, a bit at a time; the remainder stays below
        // 5^s < 2^126, so doubling it never overflows.
        let top = 127 + b as i32;
        let mut quotient = 0u128;
        let mut remainder = 0u128;
        let mut bit = top;
        while bit >= 0 {
            remainder = 2 * remainder + if bit == top { 1 } else { 0 };
            quotient <<= 1;
            if remainder >= five {
                remainder -= five;
                quotient |= 1;
            }
            bit -= 1;
        }
        table[s] = (quotient, b);
        five *= 5;
        s += 1;
    }
    table
}

/// Powers of ten that `f64` holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Integers up to this are exact in `f64`.
const EXACT: u64 = 1 << 53;

/// The sign bit of [`avx2::digits`]'s second word (its low bits are `s`).
pub(crate) const NEGATIVE: u64 = 1 << 63;

/// `w / 10^s`, negated if `tag` has [`NEGATIVE`], rounded to the nearest `f64` (ties to
/// even), where `s` is `tag`'s low byte; `None` when that is not cheap to decide here.
#[inline(always)]
pub(crate) fn scale(w: u64, tag: u64) -> Option<f64> {
    let s = (tag & 0xff) as usize;
    let bits = if s == 0 {
        // An integer.
        if w > EXACT {
            return None;
        }
        (w as f64).to_bits()
    } else if w == 0 {
        0
    } else if s <= MAX_SCALE {
        match scale_down(w, s) {
            Some(bits) => bits,
            // Exact or nearly (0.5, 3.0): Clinger's fast path, both factors being exact.
            None if w <= EXACT && s < POW10.len() => (w as f64 / POW10[s]).to_bits(),
            None => return None,
        }
    } else {
        return None;
    };
    Some(f64::from_bits(bits | (tag & NEGATIVE)))
}

/// The bits of `w / 10^s` (`w > 0`, `1 <= s <= MAX_SCALE`) rounded to the nearest `f64`, or
/// `None` if too close to halfway to tell.
///
/// `w / 10^s = (w << lz) * (2^(127 + b) / 5^s) * 2^-(127 + b + s + lz)`. With `R` the table's
/// reciprocal rounded down, `X = (w << lz) * R` is a 192-bit number below the true product by
/// less than `2^64`: only its lowest word is uncertain, and a carry out of that word reaches
/// the rounding bit only if every bit in between is one.
#[inline(always)]
fn scale_down(w: u64, s: usize) -> Option<u64> {
    let (r, b) = RECIPROCALS[s];
    let lz = w.leading_zeros();
    let wn = (w << lz) as u128;
    let hi = wn * (r >> 64);
    let lo = wn * (r as u64 as u128);
    let middle = (hi as u64 as u128) + (lo >> 64);
    let top = (hi >> 64) as u64 + (middle >> 64) as u64;
    let middle = middle as u64;
    // The leading one is bit 62 or 63 of `top`: 53 bits and the rounding bit are taken from
    // there, and the 9 or 10 bits below them decide, with `middle`, whether that is safe.
    let upper = top >> 63;
    let extra = 9 + upper;
    let mask = (1u64 << extra) - 1;
    let rest = top & mask;
    if (rest == mask && middle == u64::MAX) || (rest == 0 && middle == 0) {
        return None;
    }
    let m54 = top >> extra;
    // Rounded to 53 bits (2^53 when it rounds up past them: the exponent field absorbs the
    // carry, since the mantissa field is added, not or-ed, below).
    let m = (m54 >> 1) + (m54 & 1);
    let e2 = 11 + upper as i64 - b as i64 - s as i64 - lz as i64;
    Some((((e2 + 1074) as u64) << 52).wrapping_add(m))
}

/// The whole of `cell` as a finite number, by `fast-float2` (every form: `1e5`, `+.5`, long
/// digit strings).
pub(crate) fn careful(cell: &[u8]) -> Option<f64> {
    match fast_float2::parse_partial::<f64, _>(cell) {
        Ok((v, used)) if used == cell.len() && v.is_finite() => Some(v),
        _ => None,
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2 {
    use super::NEGATIVE;
    use std::arch::x86_64::*;
    use std::sync::OnceLock;

    /// Bytes a vector load reads: [`digits`] reads the `WINDOW + 1` bytes before a cell's end.
    pub(crate) const WINDOW: usize = 32;

    /// 32 zero bytes then 32 bytes of ones: a load at offset `32 - m` gives ones in the last
    /// `m` places.
    static RAMP: [u8; 64] = {
        let mut ramp = [0u8; 64];
        let mut k = 32;
        while k < 64 {
            ramp[k] = 0xff;
            k += 1;
        }
        ramp
    };

    pub(crate) fn available() -> bool {
        static HAS: OnceLock<bool> = OnceLock::new();
        *HAS.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("bmi1")
                && std::arch::is_x86_feature_detected!("bmi2")
                && std::arch::is_x86_feature_detected!("lzcnt")
                && std::arch::is_x86_feature_detected!("popcnt")
        })
    }

    /// The cell `text[start..end]` as `(w, tag)`: its digits as an integer `w` and, in `tag`,
    /// the number of them after the point (low byte) and the sign ([`NEGATIVE`]). `None`
    /// unless the cell is `[-]digits[.digits]` with 1 to 19 digits in all.
    ///
    /// # Safety
    /// Must be inlined into a function with the `avx2`, `bmi1`, `popcnt` features, and
    /// `end >= WINDOW + 1`, `end <= text.len()`.
    #[inline(always)]
    pub(crate) unsafe fn digits(text: &[u8], start: usize, end: usize) -> Option<(u64, u64)> {
        let len = end.wrapping_sub(start);
        if len.wrapping_sub(1) >= WINDOW - 1 {
            return None;
        }
        // The 32 bytes that end where the cell ends, and the 32 that end one byte earlier.
        let base = text.as_ptr();
        let w0 = _mm256_loadu_si256(base.add(end - WINDOW) as *const __m256i);
        let w1 = _mm256_loadu_si256(base.add(end - WINDOW - 1) as *const __m256i);
        let zero = _mm256_set1_epi8(b'0' as i8);
        let shifted = _mm256_sub_epi8(w0, zero);
        let is_digit = _mm256_cmpeq_epi8(_mm256_min_epu8(shifted, _mm256_set1_epi8(9)), shifted);
        let digit_bits = _mm256_movemask_epi8(is_digit) as u32;
        let dot_bits =
            _mm256_movemask_epi8(_mm256_cmpeq_epi8(w0, _mm256_set1_epi8(b'.' as i8))) as u32;
        let minus_bits =
            _mm256_movemask_epi8(_mm256_cmpeq_epi8(w0, _mm256_set1_epi8(b'-' as i8))) as u32;
        // Bit k stands for byte `end - 32 + k`: the cell is the top `len` bits.
        let cell = u32::MAX << (WINDOW - len);
        let first = 1u32 << (WINDOW - len);
        let d = digit_bits & cell;
        let dot = dot_bits & cell;
        let minus = minus_bits & first;
        let n = d.count_ones();
        if (d | dot | minus) != cell || dot & dot.wrapping_sub(1) != 0 || n > 19 || d == 0 {
            return None;
        }
        // Bytes after the dot are taken from `w0`, those before it from `w1` (moved one place
        // right, over the dot), and everything before the first digit is cleared: the digits,
        // right-aligned, as one 32-digit number. The masks are loaded from a sliding window
        // over 32 zero bytes and 32 ones (cheaper than a broadcast and a compare).
        let (at_dot, after) = if dot != 0 {
            let k = dot.trailing_zeros();
            (k as usize, 31 - k as u64)
        } else {
            (usize::MAX, 0)
        };
        let ramp = RAMP.as_ptr();
        // Ones for k > at_dot (all 32 when there is no dot: at_dot is "-1").
        let past_dot = _mm256_loadu_si256(ramp.add(31usize.wrapping_sub(at_dot)) as *const __m256i);
        let joined = _mm256_blendv_epi8(w1, w0, past_dot);
        // Ones for the last n places.
        let used = _mm256_loadu_si256(ramp.add(n as usize) as *const __m256i);
        let values = _mm256_and_si256(_mm256_sub_epi8(joined, zero), used);
        // Pairs, fours, then eights of digits (most significant first in memory), then the
        // two halves of 16 digits as 64-bit numbers.
        let pairs = _mm256_maddubs_epi16(values, _mm256_set1_epi16(0x010A));
        let fours = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x0001_0064));
        let packed = _mm256_packus_epi32(fours, fours);
        let eights = _mm256_madd_epi16(packed, _mm256_set1_epi32(0x0001_2710));
        let sixteens = _mm256_add_epi64(
            _mm256_mul_epu32(eights, _mm256_set1_epi64x(100_000_000)),
            _mm256_srli_epi64::<32>(eights),
        );
        // At most the last 19 digits are set, so the high half is below 1000.
        let high = _mm256_extract_epi64::<0>(sixteens) as u64;
        let low = _mm256_extract_epi64::<2>(sixteens) as u64;
        let w = high * 10_000_000_000_000_000 + low;
        let sign = if minus != 0 { NEGATIVE } else { 0 };
        Some((w, after | sign))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny deterministic generator, so the cases are the same on every run.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// The quick read of `text` as a cell, placed after 40 bytes of other cells; `None` if
    /// it declines (or AVX2 is missing).
    fn quick(text: &str) -> Option<f64> {
        #[cfg(target_arch = "x86_64")]
        if avx2::available() {
            #[target_feature(enable = "avx2,bmi1,bmi2,lzcnt,popcnt")]
            unsafe fn run(buf: &[u8], start: usize, end: usize) -> Option<f64> {
                let (w, tag) = avx2::digits(buf, start, end)?;
                scale(w, tag)
            }
            let mut buf = b"123456789,-1.5,7,0.25,8.125,99,1234567,8,".to_vec();
            let start = buf.len();
            buf.extend_from_slice(text.as_bytes());
            let end = buf.len();
            buf.extend_from_slice(b",42\n");
            // SAFETY: AVX2 and the rest checked above; the cell ends 40 bytes or more in.
            return unsafe { run(&buf, start, end) };
        }
        let _ = text;
        None
    }

    /// Both reads agree with the standard library's correctly rounded parse, bit for bit.
    fn check(text: &str) -> bool {
        let want: f64 = text.parse().unwrap();
        assert_eq!(
            careful(text.as_bytes()).map(f64::to_bits),
            Some(want.to_bits()),
            "{text}"
        );
        match quick(text) {
            Some(got) => {
                assert_eq!(got.to_bits(), want.to_bits(), "{text}: {got} != {want}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn the_reciprocal_table_brackets_one_over_five_to_the_s() {
        // R * 5^s <= 2^(127+b) < (R + 1) * 5^s, in 256-bit arithmetic, for 5^s below 2^64.
        fn times(a: u128, b: u128) -> (u128, u128) {
            let lo = (a as u64 as u128) * b;
            let hi = (a >> 64) * b;
            let mid = (hi as u64 as u128) + (lo >> 64);
            ((lo as u64 as u128) | (mid << 64), (hi >> 64) + (mid >> 64))
        }
        for (s, &(r, b)) in RECIPROCALS.iter().enumerate().skip(1).take(27) {
            let five = 5u128.pow(s as u32);
            let power = 1u128 << (b - 1);
            let below = times(r, five);
            let above = times(r + 1, five);
            assert!(below.1 < power || below == (power, 0), "s = {s}");
            assert!(
                above.1 > power || (above.1 == power && above.0 > 0),
                "s = {s}"
            );
            assert_eq!(r >> 127, 1, "s = {s}");
        }
    }

    #[test]
    fn hard_cases_round_correctly() {
        for text in [
            "0",
            "-0",
            "0.0",
            "-0.0",
            "1",
            "-1",
            "9007199254740993",
            "9007199254740992",
            "0.1",
            "0.3",
            "1.7976931348623157",
            "123456789012345678",
            "1234567890123456789",
            "9999999999999999999",
            "0.30000000000000004",
            "4.9406564584124654",
            "3.14159",
            "1.",
            ".5",
            "-.5",
            "0.03189276368719224",
            "-0.23724285765582742",
            "0.004812366944037752",
            "0.5",
            "0.25",
            "0.125",
            "1.0000000000000002",
            "0.9999999999999999",
            "0.99999999999999994",
            "0.99999999999999995",
            "0.0000000000000000001",
            "9.999999999999999999",
            "1e5",
            "1.5e-05",
            "-7.2E10",
            "123456789012345678901",
            "0.00000000000000000000000000001",
        ] {
            check(text);
        }
        for text in [
            "0.5",
            "-0.23724285765582742",
            "3.0",
            "42",
            "-7",
            "0.004812366944037752",
        ] {
            #[cfg(target_arch = "x86_64")]
            if avx2::available() {
                assert!(check(text), "{text} should be read the quick way");
            }
        }
    }

    #[test]
    fn random_numbers_round_correctly_and_mostly_take_the_quick_path() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let cases = 300_000;
        let mut quick = 0;
        for _ in 0..cases {
            let digits = 1 + rng.below(19) as usize;
            let mut s = String::new();
            if rng.below(2) == 0 {
                s.push('-');
            }
            let dot = rng.below(digits as u64 + 1) as usize;
            for k in 0..digits {
                if k == dot {
                    s.push('.');
                }
                s.push((b'0' + rng.below(10) as u8) as char);
            }
            if check(&s) {
                quick += 1;
            }
        }
        #[cfg(target_arch = "x86_64")]
        if avx2::available() {
            // Only integers above 2^53 and numbers within a hair of halfway are declined.
            assert!(
                quick > cases * 9 / 10,
                "the quick path took only {quick} of {cases}"
            );
        }
    }

    #[test]
    fn shortest_round_trip_doubles_come_back_exactly() {
        let mut rng = Rng(12345);
        for _ in 0..200_000 {
            let unit = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
            for x in [unit, (unit - 0.5) * 1e6, unit * 1e-7, (unit - 0.5) * 3.0] {
                // Shortest digits, as pandas, NumPy and Rust write them.
                check(&format!("{x:?}"));
            }
        }
    }

    #[test]
    fn what_is_not_a_plain_number_is_declined() {
        for text in [
            "",
            "-",
            ".",
            "-.",
            "abc",
            "1-",
            "--1",
            "1.2.3",
            "1,5",
            " 1",
            "1 ",
            "+1",
            "1e5",
            "0x10",
            "12345678901234567890",
            "1\r",
        ] {
            assert_eq!(quick(text), None, "{text:?}");
        }
        for text in [
            "", "-", ".", "abc", "1-", "1.2.3", " 1", "1 ", "1e", "inf", "nan",
        ] {
            assert_eq!(careful(text.as_bytes()), None, "{text:?}");
        }
    }
}
