use crate::{Error, Result};

/// A dense row-major matrix of `f64`.
///
/// A matrix of long rows (256 values or more) starts on a 64-byte line: the wide kernels
/// read a row eight values a vector, and vectors that straddle two lines made an epoch of
/// 50,000 x 1,000 5-13 % slower (`bench/HISTORY.md`, session 40). The values then sit a
/// few places into their buffer (`start`), moved there once within it (no second copy of
/// the table).
pub struct Matrix {
    /// The values are `data[start..]` (`rows * cols` of them); the `start` before them are
    /// padding.
    data: Vec<f64>,
    start: usize,
    rows: usize,
    cols: usize,
}

/// Rows at least this many values long are placed from a 64-byte line (where the linear
/// kernels read rows past the first-level cache's reach, `terms_then_dots`); an aligned
/// start measured no faster on rows of 100 values (200,000 x 100).
pub(crate) const LONG_ROW: usize = 256;

/// Bytes in a cache line, the alignment a long row's start is given.
const LINE: usize = 64;

/// Values from `at` to the next 64-byte line.
fn to_line(at: *const f64) -> usize {
    (LINE - at as usize % LINE) % LINE / std::mem::size_of::<f64>()
}

impl Matrix {
    /// A matrix from its values in row-major order.
    pub fn from_row_major(rows: usize, cols: usize, data: Vec<f64>) -> Result<Self> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(Error::Shape {
                what: "matrix values (rows * columns)",
                expected: rows.saturating_mul(cols),
                got: data.len(),
            });
        }
        Ok(Matrix::placed(rows, cols, data))
    }

    /// `data` (exactly `rows * cols` values) as a matrix, long rows moved (in place, within
    /// the buffer: no second copy of the table) to start on a 64-byte line.
    fn placed(rows: usize, cols: usize, mut data: Vec<f64>) -> Self {
        let n = data.len();
        if cols < LONG_ROW || n == 0 || to_line(data.as_ptr()) == 0 {
            return Matrix {
                data,
                start: 0,
                rows,
                cols,
            };
        }
        // Room for the padding; the buffer may move, so the padding is measured after.
        data.reserve_exact(LINE / std::mem::size_of::<f64>() - 1);
        let start = to_line(data.as_ptr());
        data.resize(n + start, 0.0);
        data.copy_within(0..n, start);
        Matrix {
            data,
            start,
            rows,
            cols,
        }
    }

    /// A copy of `values` (exactly `rows * cols`), long rows from a 64-byte line.
    fn copied(rows: usize, cols: usize, values: &[f64]) -> Self {
        if cols < LONG_ROW || values.is_empty() {
            return Matrix::placed(rows, cols, values.to_vec());
        }
        let mut data = Vec::with_capacity(values.len() + LINE / std::mem::size_of::<f64>() - 1);
        let start = to_line(data.as_ptr());
        data.resize(start, 0.0);
        data.extend_from_slice(values);
        Matrix {
            data,
            start,
            rows,
            cols,
        }
    }

    /// A matrix from fixed-size rows (handy in tests and examples).
    pub fn from_rows<const C: usize>(rows: &[[f64; C]]) -> Self {
        let data = rows.iter().flatten().copied().collect();
        Matrix::placed(rows.len(), C, data)
    }

    /// A matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        let n = rows * cols;
        if cols < LONG_ROW || n == 0 {
            return Matrix::placed(rows, cols, vec![0.0; n]);
        }
        // Zeros need no moving: the padding is more zeros (pages the system gives cleared
        // stay untouched until written).
        let mut data = vec![0.0; n + LINE / std::mem::size_of::<f64>() - 1];
        let start = to_line(data.as_ptr());
        data.truncate(start + n);
        Matrix {
            data,
            start,
            rows,
            cols,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `i`.
    #[inline]
    pub fn row(&self, i: usize) -> &[f64] {
        &self.as_slice()[i * self.cols..(i + 1) * self.cols]
    }

    /// Row `i`, mutable.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut [f64] {
        let cols = self.cols;
        &mut self.as_mut_slice()[i * cols..(i + 1) * cols]
    }

    /// All values, row-major.
    #[inline]
    pub fn as_slice(&self) -> &[f64] {
        &self.data[self.start..]
    }

    /// All values, row-major, mutable.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [f64] {
        &mut self.data[self.start..]
    }

    /// A view of the values (what the models hold: a slice taken once).
    pub fn view(&self) -> MatrixView<'_, f64> {
        MatrixView {
            values: self.as_slice(),
            rows: self.rows,
            cols: self.cols,
        }
    }

    /// The values of column `j`, top to bottom.
    pub fn column(&self, j: usize) -> impl Iterator<Item = f64> + '_ {
        self.as_slice()
            .iter()
            .skip(j)
            .step_by(self.cols.max(1))
            .copied()
    }

    /// Iterates over rows.
    pub fn iter_rows(&self) -> impl Iterator<Item = &[f64]> {
        // chunks_exact(0) panics; a matrix with no columns has rows of length 0.
        (0..self.rows).map(move |i| self.row(i))
    }

    /// Consumes the matrix, giving its row-major values (moved back to the start of their
    /// buffer if they were placed on a line).
    pub fn into_vec(self) -> Vec<f64> {
        let Matrix {
            mut data,
            start,
            rows,
            cols,
        } = self;
        let n = rows * cols;
        if start > 0 {
            data.copy_within(start..start + n, 0);
        }
        data.truncate(n);
        data
    }
}

impl Clone for Matrix {
    fn clone(&self) -> Self {
        Matrix::copied(self.rows, self.cols, self.as_slice())
    }
}

impl PartialEq for Matrix {
    fn eq(&self, other: &Self) -> bool {
        (self.rows, self.cols) == (other.rows, other.cols) && self.as_slice() == other.as_slice()
    }
}

impl std::fmt::Debug for Matrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matrix")
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .field("data", &self.as_slice())
            .finish()
    }
}

/// How feature values are stored while training. Arithmetic is always in `f64`; `F32`
/// storage halves the memory a pass over the data reads (and holds), at the price of
/// rounding each value to about 7 significant digits once, before training.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 64-bit floats: the values exactly as given.
    #[default]
    F64,
    /// 32-bit floats, widened to `f64` as they are read.
    F32,
}

impl Precision {
    /// The name users type: `"f64"` or `"f32"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }

    /// Bytes per stored value.
    pub fn bytes(&self) -> usize {
        match self {
            Precision::F64 => 8,
            Precision::F32 => 4,
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Precision {
    type Err = Error;

    /// `"f64"` or `"f32"` (also `"float64"`, `"float32"`, `"double"`, `"single"`).
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "f64" | "float64" | "double" => Ok(Precision::F64),
            "f32" | "float32" | "single" => Ok(Precision::F32),
            _ => Err(Error::setting(
                "precision",
                format!("unknown precision '{s}': use f64 or f32"),
            )),
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for f32 {}
}

/// A type feature values are stored in: `f64` or `f32` (sealed). Kernels are generic over
/// it and widen every value to `f64` as they read it, so accumulation is always in `f64`.
pub trait Element:
    sealed::Sealed + Copy + Send + Sync + Into<f64> + std::fmt::Debug + 'static
{
    /// The [`Precision`] of this type.
    const PRECISION: Precision;
}

impl Element for f64 {
    const PRECISION: Precision = Precision::F64;
}

impl Element for f32 {
    const PRECISION: Precision = Precision::F32;
}

/// A dense row-major matrix of `f32`: [`Matrix`] with half the bytes per value, for
/// training on data whose pass over memory is the cost of an epoch. Built from a [`Matrix`]
/// (rounding each value to the nearest `f32`); models read it through [`MatrixRef`].
///
/// The values live two to a word in an `f64` allocation, so that [`MatrixF32::narrow`] and
/// [`MatrixF32::widen`] convert a matrix in place: a table is never held in both precisions
/// at once, and `--precision f32` costs no more memory than `f64` at its peak.
#[derive(Clone)]
pub struct MatrixF32 {
    /// The `f32` values, packed from the start of the buffer (`rows * cols` of them, in
    /// `(rows * cols).div_ceil(2)` words).
    words: Vec<f64>,
    rows: usize,
    cols: usize,
}

impl MatrixF32 {
    /// A matrix from its values in row-major order.
    pub fn from_row_major(rows: usize, cols: usize, data: Vec<f32>) -> Result<Self> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(Error::Shape {
                what: "matrix values (rows * columns)",
                expected: rows.saturating_mul(cols),
                got: data.len(),
            });
        }
        let mut m = MatrixF32 {
            words: vec![0.0; data.len().div_ceil(2)],
            rows,
            cols,
        };
        m.values_mut().copy_from_slice(&data);
        Ok(m)
    }

    /// `x` rounded to `f32`, value by value. A finite value beyond `f32`'s range (about
    /// `3.4e38`) would become infinite: that is an [`Error::InvalidSetting`] of `precision`.
    pub fn from_f64(x: &Matrix) -> Result<Self> {
        let values = (x.as_slice().iter().enumerate())
            .map(|(k, &v)| to_f32(v, k, x.cols))
            .collect::<Result<Vec<f32>>>()?;
        Self::from_row_major(x.rows, x.cols, values)
    }

    /// `x` rounded to `f32` in its own memory (which then shrinks to half): the two
    /// precisions never coexist. Errors as [`MatrixF32::from_f64`].
    pub fn narrow(x: Matrix) -> Result<Self> {
        let (rows, cols, start) = (x.rows, x.cols, x.start);
        let n = rows * cols;
        let mut words = x.data;
        let at = words.as_mut_ptr();
        for k in 0..n {
            // SAFETY: the writes so far filled bytes `0..4k` of the buffer, so word
            // `start + k` (bytes from `8 (start + k)`) is still the original value; `f32` slot
            // `k` (bytes `4k..4k + 4`) is inside the buffer and aligned (8 is a multiple of
            // 4). Only this pointer touches the buffer in the loop.
            let w = to_f32(unsafe { at.add(start + k).read() }, k, cols)?;
            // SAFETY: as above.
            unsafe { at.cast::<f32>().add(k).write(w) };
        }
        words.truncate(n.div_ceil(2));
        words.shrink_to_fit();
        Ok(MatrixF32 { words, rows, cols })
    }

    /// The values widened back to `f64` (exactly: every `f32` is an `f64`) in the matrix's
    /// own memory, which grows to twice its size: the two precisions never coexist.
    pub fn widen(self) -> Matrix {
        let n = self.rows * self.cols;
        let mut words = self.words;
        // The new words lie past the packed values, so zeroing them leaves the values be.
        words.resize(n, 0.0);
        let at = words.as_mut_ptr();
        for k in (0..n).rev() {
            // SAFETY: going down from the end, the word `k` written here (bytes `8k..8k + 8`)
            // covers `f32` slots `2k` and `2k + 1`, which are at or after `k` and so already
            // read; slot `k` is read just before. Only this pointer touches the buffer.
            let v = unsafe { at.cast::<f32>().add(k).read() };
            unsafe { at.add(k).write(f64::from(v)) };
        }
        Matrix::placed(self.rows, self.cols, words)
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `i`.
    #[inline]
    pub fn row(&self, i: usize) -> &[f32] {
        &self.as_slice()[i * self.cols..(i + 1) * self.cols]
    }

    /// All values, row-major.
    #[inline]
    pub fn as_slice(&self) -> &[f32] {
        let n = self.rows * self.cols;
        debug_assert!(self.words.len() * 2 >= n);
        // SAFETY: the buffer holds at least `n.div_ceil(2)` words, i.e. `n` f32 slots, all
        // initialised; `f32` needs less alignment than `f64`, and every bit pattern is an f32.
        unsafe { std::slice::from_raw_parts(self.words.as_ptr().cast::<f32>(), n) }
    }

    fn values_mut(&mut self) -> &mut [f32] {
        let n = self.rows * self.cols;
        // SAFETY: as in `as_slice`, through the unique borrow of the buffer.
        unsafe { std::slice::from_raw_parts_mut(self.words.as_mut_ptr().cast::<f32>(), n) }
    }

    /// The values widened back to `f64` (exactly: every `f32` is an `f64`), as a new matrix.
    pub fn to_f64(&self) -> Matrix {
        let data = self.as_slice().iter().map(|&v| f64::from(v)).collect();
        Matrix::placed(self.rows, self.cols, data)
    }
}

/// Value `k` (row-major, `cols` to a row) rounded to `f32`, or the error that names where it
/// does not fit.
fn to_f32(v: f64, k: usize, cols: usize) -> Result<f32> {
    let w = v as f32;
    if w.is_infinite() && v.is_finite() {
        let cols = cols.max(1);
        return Err(Error::setting(
            "precision",
            format!(
                "the value {v:e} at row {}, column {} does not fit in f32 (largest about \
                 3.4e38): use f64, or standardise the features",
                k / cols + 1,
                k % cols + 1
            ),
        ));
    }
    Ok(w)
}

impl PartialEq for MatrixF32 {
    fn eq(&self, other: &Self) -> bool {
        (self.rows, self.cols) == (other.rows, other.cols) && self.as_slice() == other.as_slice()
    }
}

impl std::fmt::Debug for MatrixF32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatrixF32")
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .field("data", &self.as_slice())
            .finish()
    }
}

/// Row-major values borrowed from someone else's memory (a [`Matrix`], a [`MatrixF32`], or
/// a caller's buffer such as a NumPy array's): what [`MatrixRef`] holds.
#[derive(Debug, Clone, Copy)]
pub struct MatrixView<'a, T> {
    values: &'a [T],
    rows: usize,
    cols: usize,
}

impl<'a, T> MatrixView<'a, T> {
    /// A view of `values`, `rows x cols` in row-major order.
    pub fn new(values: &'a [T], rows: usize, cols: usize) -> Result<Self> {
        if rows.checked_mul(cols) != Some(values.len()) {
            return Err(Error::Shape {
                what: "matrix values (rows * columns)",
                expected: rows.saturating_mul(cols),
                got: values.len(),
            });
        }
        Ok(MatrixView { values, rows, cols })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// All values, row-major.
    #[inline]
    pub fn as_slice(&self) -> &'a [T] {
        self.values
    }

    /// Row `i`.
    #[inline]
    pub fn row(&self, i: usize) -> &'a [T] {
        &self.values[i * self.cols..(i + 1) * self.cols]
    }
}

/// A borrowed feature matrix in either storage: what models hold, so one model type runs
/// on `f64` or `f32` data, owned by a [`Matrix`] or [`MatrixF32`] or by the caller. Built
/// with `From` (`(&matrix).into()`), so functions taking `impl Into<MatrixRef>` accept
/// `&Matrix` and `&MatrixF32` alike, or from a slice with [`MatrixRef::f64`] and
/// [`MatrixRef::f32`] (no copy).
#[derive(Debug, Clone, Copy)]
pub enum MatrixRef<'a> {
    /// `f64` values.
    F64(MatrixView<'a, f64>),
    /// `f32` values.
    F32(MatrixView<'a, f32>),
}

impl<'a> MatrixRef<'a> {
    /// `values` (`rows x cols`, row-major) in place.
    pub fn f64(values: &'a [f64], rows: usize, cols: usize) -> Result<Self> {
        MatrixView::new(values, rows, cols).map(MatrixRef::F64)
    }

    /// `values` (`rows x cols`, row-major) in place, widened to `f64` as they are read.
    pub fn f32(values: &'a [f32], rows: usize, cols: usize) -> Result<Self> {
        MatrixView::new(values, rows, cols).map(MatrixRef::F32)
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        match self {
            MatrixRef::F64(m) => m.rows(),
            MatrixRef::F32(m) => m.rows(),
        }
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        match self {
            MatrixRef::F64(m) => m.cols(),
            MatrixRef::F32(m) => m.cols(),
        }
    }

    /// The storage type.
    pub fn precision(&self) -> Precision {
        match self {
            MatrixRef::F64(_) => Precision::F64,
            MatrixRef::F32(_) => Precision::F32,
        }
    }

    /// Bytes of feature values (what one pass over every row reads, targets aside).
    pub fn bytes(&self) -> usize {
        self.rows() * self.cols() * self.precision().bytes()
    }

    /// Calls `f` with every row in order, as `f64` (`f32` rows widened into one reused
    /// buffer, exactly: every `f32` is an `f64`).
    pub fn for_each_row(&self, mut f: impl FnMut(usize, &[f64])) {
        match self {
            MatrixRef::F64(m) => (0..m.rows()).for_each(|i| f(i, m.row(i))),
            MatrixRef::F32(m) => {
                let mut row = vec![0.0; m.cols()];
                for i in 0..m.rows() {
                    for (o, v) in row.iter_mut().zip(m.row(i)) {
                        *o = f64::from(*v);
                    }
                    f(i, &row);
                }
            }
        }
    }

    /// The values as an owned `f64` matrix (a copy; `f32` values widened exactly).
    pub fn to_matrix(&self) -> Matrix {
        match self {
            MatrixRef::F64(m) => Matrix::copied(m.rows(), m.cols(), m.as_slice()),
            MatrixRef::F32(m) => {
                let data = m.as_slice().iter().map(|&v| f64::from(v)).collect();
                Matrix::placed(m.rows(), m.cols(), data)
            }
        }
    }
}

impl<'a> From<&'a Matrix> for MatrixRef<'a> {
    fn from(m: &'a Matrix) -> Self {
        MatrixRef::F64(m.view())
    }
}

impl<'a> From<&'a MatrixF32> for MatrixRef<'a> {
    fn from(m: &'a MatrixF32) -> Self {
        MatrixRef::F32(MatrixView {
            values: m.as_slice(),
            rows: m.rows,
            cols: m.cols,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_columns() {
        let m = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
        assert_eq!(m.row(1), &[3.0, 4.0]);
        assert_eq!(m.column(1).collect::<Vec<_>>(), vec![2.0, 4.0, 6.0]);
        assert!(Matrix::from_row_major(2, 2, vec![1.0; 3]).is_err());
    }

    #[test]
    fn f32_storage_round_trips_and_rejects_overflow() {
        let m = Matrix::from_rows(&[[1.0, 0.1], [-2.5, 1e30]]);
        let f = MatrixF32::from_f64(&m).unwrap();
        assert_eq!((f.rows(), f.cols()), (2, 2));
        assert_eq!(f.row(1), &[-2.5f32, 1e30f32]);
        assert_eq!(f.to_f64().row(0), &[1.0, f64::from(0.1f32)]);
        let r: MatrixRef = (&f).into();
        assert_eq!((r.precision(), r.bytes()), (Precision::F32, 16));
        let big = Matrix::from_rows(&[[1.0], [1e300]]);
        let err = MatrixF32::from_f64(&big).unwrap_err();
        assert!(err.to_string().contains("row 2, column 1"), "{err}");
        assert!(MatrixF32::from_row_major(2, 2, vec![0.0; 3]).is_err());
    }

    #[test]
    fn narrowing_and_widening_in_place_keep_every_value() {
        // Odd and even counts (the last word half used or full), and values that f32 rounds.
        for (rows, cols) in [(0, 3), (1, 1), (3, 3), (4, 5), (101, 7)] {
            let data: Vec<f64> = (0..rows * cols)
                .map(|k| ((k as f64) * 0.7391).sin() * 10f64.powi(k as i32 % 9 - 4))
                .collect();
            let m = Matrix::from_row_major(rows, cols, data.clone()).unwrap();
            let narrow = MatrixF32::narrow(m.clone()).unwrap();
            let rounded: Vec<f32> = data.iter().map(|&v| v as f32).collect();
            assert_eq!(narrow.as_slice(), &rounded[..]);
            assert_eq!(
                narrow,
                MatrixF32::from_row_major(rows, cols, rounded.clone()).unwrap()
            );
            let wide = narrow.clone().widen();
            assert_eq!((wide.rows(), wide.cols()), (rows, cols));
            let back: Vec<f64> = rounded.iter().map(|&v| f64::from(v)).collect();
            assert_eq!(wide.as_slice(), &back[..]);
            assert_eq!(narrow.to_f64(), wide);
        }
        let err = MatrixF32::narrow(Matrix::from_rows(&[[1.0, 2.0], [3.0, -1e300]])).unwrap_err();
        assert!(err.to_string().contains("row 2, column 2"), "{err}");
    }

    /// Whether the matrix's values start on a 64-byte line.
    fn on_a_line(m: &Matrix) -> bool {
        (m.as_slice().as_ptr() as usize).is_multiple_of(LINE)
    }

    #[test]
    fn long_rows_start_on_a_line_however_the_matrix_is_made() {
        let cols = LONG_ROW + 3;
        let mut moved = 0;
        // Buffers of several sizes, from the small allocations (anywhere on a 16-byte
        // boundary) to the large ones (16 bytes past a page, with the C library): most of
        // them do not start on a line, and their values are moved.
        for rows in [1, 2, 3, 5, 37, 100, 1000] {
            let data: Vec<f64> = (0..rows * cols).map(|k| k as f64 * 0.5 - 7.0).collect();
            let buffer = data.clone();
            moved += usize::from(!(buffer.as_ptr() as usize).is_multiple_of(LINE));
            let m = Matrix::from_row_major(rows, cols, buffer).unwrap();
            assert!(on_a_line(&m), "{rows} rows");
            assert_eq!(m.as_slice(), &data[..]);
            assert_eq!(m.row(rows - 1), &data[(rows - 1) * cols..]);
            assert_eq!(m.column(2).last(), Some(data[(rows - 1) * cols + 2]));
            let copy = m.clone();
            assert!(on_a_line(&copy));
            assert_eq!(copy, m);
            let narrow = MatrixF32::narrow(m.clone()).unwrap();
            let rounded: Vec<f32> = data.iter().map(|&v| v as f32).collect();
            assert_eq!(narrow.as_slice(), &rounded[..]);
            let wide = narrow.widen();
            assert!(on_a_line(&wide));
            assert_eq!(wide, m, "these values are exact in f32");
            let r: MatrixRef = (&m).into();
            assert!(on_a_line(&r.to_matrix()));
            assert_eq!(m.into_vec(), data);
        }
        assert!(
            moved > 0,
            "no buffer started off a line: the moves were not tested"
        );
        assert!(on_a_line(&Matrix::zeros(3, LONG_ROW)));
        let mut m = Matrix::zeros(2, LONG_ROW);
        m.row_mut(1)[4] = 2.5;
        assert_eq!(m.as_slice()[LONG_ROW + 4], 2.5);
        assert_eq!(m.into_vec().len(), 2 * LONG_ROW);
    }

    #[test]
    fn precision_names() {
        for p in [Precision::F64, Precision::F32] {
            assert_eq!(p.as_str().parse::<Precision>().unwrap(), p);
        }
        assert_eq!(Precision::default(), Precision::F64);
        assert!("f16".parse::<Precision>().is_err());
    }
}
