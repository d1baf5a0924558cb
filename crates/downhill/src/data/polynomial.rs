use super::Matrix;
use crate::{Error, Result};

/// One column appended by [`PolynomialFeatures`]: source column `column` raised to `power`.
/// The CLI names it, e.g. `x^2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PowerTerm {
    /// The source column (0-based, in the input matrix).
    pub column: usize,
    /// The power, at least 2.
    pub power: u32,
}

/// Polynomial features of single columns: each chosen column `x` (already in the data) gains
/// the columns `x^2, .., x^degree`, appended after all the input columns, so a linear model
/// on the result is a polynomial in `x`. No cross terms.
///
/// Appended columns are ordered by source column (in the order given), then by power:
/// for columns `[a, b]` and degree 3, `a^2, a^3, b^2, b^3`. [`PolynomialFeatures::terms`]
/// lists them.
///
/// Standardise after expanding: powers of raw values span many orders of magnitude.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolynomialFeatures {
    columns: Vec<usize>,
    degree: u32,
}

impl PolynomialFeatures {
    /// Powers up to `degree` of `columns`. `degree` 1 appends nothing; 0 is an error, as is a
    /// column listed twice.
    pub fn new(columns: Vec<usize>, degree: u32) -> Result<Self> {
        if degree == 0 {
            return Err(Error::setting(
                "polynomial degree",
                "0 would drop the column itself: use a degree of at least 1",
            ));
        }
        for (i, c) in columns.iter().enumerate() {
            if columns[..i].contains(c) {
                return Err(Error::setting(
                    "polynomial columns",
                    format!("column {c} is listed twice"),
                ));
            }
        }
        Ok(PolynomialFeatures { columns, degree })
    }

    /// The highest power.
    pub fn degree(&self) -> u32 {
        self.degree
    }

    /// The expanded columns.
    pub fn columns(&self) -> &[usize] {
        &self.columns
    }

    /// What each appended column is, in order: appended column `j` is output column
    /// `n_input_columns + j`.
    pub fn terms(&self) -> Vec<PowerTerm> {
        self.columns
            .iter()
            .flat_map(|&column| (2..=self.degree).map(move |power| PowerTerm { column, power }))
            .collect()
    }

    /// Number of output columns for `n_input` input columns.
    pub fn n_output(&self, n_input: usize) -> usize {
        n_input + self.columns.len() * (self.degree as usize - 1)
    }

    /// The input columns followed by the powers. A power that is not finite (overflow) is an
    /// [`Error::PolynomialOverflow`] naming the column, power and row; a column index out of
    /// range is an [`Error::InvalidSetting`].
    pub fn transform(&self, x: &Matrix) -> Result<Matrix> {
        let d = x.cols();
        if let Some(c) = self.columns.iter().find(|&&c| c >= d) {
            return Err(Error::setting(
                "polynomial columns",
                format!("column {c} does not exist (the data has {d} columns)"),
            ));
        }
        let out_cols = self.n_output(d);
        let mut values = Vec::with_capacity(x.rows() * out_cols);
        for (row, xi) in x.iter_rows().enumerate() {
            values.extend_from_slice(xi);
            for &column in &self.columns {
                let v = xi[column];
                // Repeated products: each power is one rounding away from the previous.
                let mut p = v;
                for power in 2..=self.degree {
                    p *= v;
                    if !p.is_finite() {
                        return Err(Error::PolynomialOverflow { column, power, row });
                    }
                    values.push(p);
                }
            }
        }
        Matrix::from_row_major(x.rows(), out_cols, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_appended_in_documented_order() {
        let x = Matrix::from_rows(&[[2.0, 10.0, -3.0], [0.5, 1.0, 1.0]]);
        let p = PolynomialFeatures::new(vec![2, 0], 3).unwrap();
        let z = p.transform(&x).unwrap();
        assert_eq!(z.cols(), 7);
        assert_eq!(z.row(0), &[2.0, 10.0, -3.0, 9.0, -27.0, 4.0, 8.0]);
        assert_eq!(z.row(1), &[0.5, 1.0, 1.0, 1.0, 1.0, 0.25, 0.125]);
        let t = p.terms();
        assert_eq!(t.len(), 4);
        assert_eq!(
            t[0],
            PowerTerm {
                column: 2,
                power: 2
            }
        );
        assert_eq!(
            t[3],
            PowerTerm {
                column: 0,
                power: 3
            }
        );
        assert_eq!(p.n_output(3), 7);
    }

    #[test]
    fn degree_one_is_the_identity() {
        let x = Matrix::from_rows(&[[2.0, 10.0]]);
        let p = PolynomialFeatures::new(vec![0, 1], 1).unwrap();
        assert_eq!(p.transform(&x).unwrap(), x);
        assert!(p.terms().is_empty());
    }

    #[test]
    fn overflow_names_column_power_and_row() {
        let x = Matrix::from_rows(&[[1.0, 2.0], [1.0, 1e120]]);
        let p = PolynomialFeatures::new(vec![1], 4).unwrap();
        assert_eq!(
            p.transform(&x),
            Err(Error::PolynomialOverflow {
                column: 1,
                power: 3,
                row: 1
            })
        );
    }

    #[test]
    fn bad_settings_are_errors() {
        assert!(PolynomialFeatures::new(vec![0], 0).is_err());
        assert!(PolynomialFeatures::new(vec![1, 1], 2).is_err());
        let x = Matrix::from_rows(&[[1.0, 2.0]]);
        let p = PolynomialFeatures::new(vec![2], 2).unwrap();
        assert!(matches!(p.transform(&x), Err(Error::InvalidSetting { .. })));
    }
}
