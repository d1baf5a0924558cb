//! Which columns a model reads, and the terms it fits on them (features, then powers).

use crate::method::flagged;
use anyhow::{bail, Result};
use downhill::data::{Matrix, PolynomialFeatures};
use downhill_io::model_file::{ModelFile, Polynomial};
use downhill_io::table::Header;
use std::path::Path;

/// Columns read and terms fitted.
#[derive(Debug)]
pub struct Design {
    /// Feature column names, in order.
    pub features: Vec<String>,
    /// Their indices in the table.
    pub columns: Vec<usize>,
    /// Powers appended, with the names of the raised columns.
    pub polynomial: Option<(PolynomialFeatures, Polynomial)>,
    /// Names of every term: the features, then `x^2`, `x^3`, ...
    pub terms: Vec<String>,
}

impl Design {
    /// The design `fit` asks for: `features` (default: every column but the target) and
    /// powers up to `degree` of `degree_columns` (default: every feature).
    pub fn for_fit(
        path: &Path,
        header: &Header,
        target: &str,
        features: Option<&[String]>,
        degree: Option<u32>,
        degree_columns: Option<&[String]>,
    ) -> Result<Self> {
        let names: Vec<String> = match features {
            Some(list) => list.iter().map(|s| s.trim().to_string()).collect(),
            None => header
                .names
                .iter()
                .filter(|n| *n != target)
                .cloned()
                .collect(),
        };
        if names.is_empty() {
            bail!(
                "{}: no feature columns besides the target '{target}'",
                path.display()
            );
        }
        let mut columns = Vec::with_capacity(names.len());
        for name in &names {
            if name == target {
                bail!("--features: '{name}' is the target; a column cannot predict itself");
            }
            let j = header.index(path, name, "feature")?;
            if columns.contains(&j) {
                bail!("--features: '{name}' is listed twice");
            }
            columns.push(j);
        }
        let polynomial = match degree {
            None | Some(1) => {
                if degree_columns.is_some() {
                    bail!("--degree-columns needs --degree K (K >= 2)");
                }
                None
            }
            Some(k) => {
                let raised: Vec<String> = match degree_columns {
                    Some(list) => list.iter().map(|s| s.trim().to_string()).collect(),
                    None => names.clone(),
                };
                Some(Polynomial {
                    degree: k,
                    columns: raised,
                })
            }
        };
        Self::with(names, columns, polynomial)
    }

    /// The design a model file was fitted with, found by name in `header`.
    pub fn for_model(path: &Path, header: &Header, model: &ModelFile) -> Result<Self> {
        let mut columns = Vec::with_capacity(model.features.len());
        for name in &model.features {
            match header.names.iter().position(|n| n == name) {
                Some(j) => columns.push(j),
                None => bail!(
                    "{}: no column '{name}', which the model needs (features: {}); the columns are: {}{}",
                    path.display(),
                    model.features.join(", "),
                    header.names.join(", "),
                    header.separator_hint()
                ),
            }
        }
        let design = Self::with(model.features.clone(), columns, model.polynomial.clone())?;
        if design.terms != model.terms {
            bail!(
                "{}: the model's terms do not follow from its features",
                path.display()
            );
        }
        Ok(design)
    }

    fn with(features: Vec<String>, columns: Vec<usize>, poly: Option<Polynomial>) -> Result<Self> {
        let mut terms = features.clone();
        let polynomial = match poly {
            None => None,
            Some(p) => {
                if p.degree == 0 {
                    bail!("--degree must be at least 1");
                }
                let mut idx = Vec::with_capacity(p.columns.len());
                for c in &p.columns {
                    match features.iter().position(|f| f == c) {
                        Some(j) if !idx.contains(&j) => idx.push(j),
                        Some(_) => bail!("--degree-columns: '{c}' is listed twice"),
                        None => bail!(
                            "--degree-columns: '{c}' is not a feature; the features are: {}",
                            features.join(", ")
                        ),
                    }
                }
                let pf = PolynomialFeatures::new(idx, p.degree).map_err(flagged)?;
                for t in pf.terms() {
                    terms.push(format!("{}^{}", features[t.column], t.power));
                }
                Some((pf, p))
            }
        };
        Ok(Design {
            features,
            columns,
            polynomial,
            terms,
        })
    }

    /// The terms of each row, from the feature values read (row-major).
    pub fn matrix(&self, values: Vec<f64>, rows: usize) -> Result<Matrix> {
        let x = Matrix::from_row_major(rows, self.features.len(), values)?;
        Ok(match &self.polynomial {
            None => x,
            Some((pf, _)) => pf.transform(&x).map_err(|e| self.overflow(pf, e, &x))?,
        })
    }

    /// The feature values read (row-major), without the powers: for an estimator that adds
    /// them itself ([`Design::powers`]), as linear regression does, in a better-conditioned
    /// basis. Powers that overflow are refused here all the same, since the model file's
    /// users compute them.
    pub fn base_matrix(&self, values: Vec<f64>, rows: usize) -> Result<Matrix> {
        let x = Matrix::from_row_major(rows, self.features.len(), values)?;
        if let Some((pf, _)) = &self.polynomial {
            for (row, xi) in x.iter_rows().enumerate() {
                for &column in pf.columns() {
                    let mut p = xi[column];
                    for power in 2..=pf.degree() {
                        p *= xi[column];
                        if !p.is_finite() {
                            let e = downhill::Error::PolynomialOverflow { column, power, row };
                            return Err(self.overflow(pf, e, &x));
                        }
                    }
                }
            }
        }
        Ok(x)
    }

    /// The powers the terms add to the features, if any.
    pub fn powers(&self) -> Option<&PolynomialFeatures> {
        self.polynomial.as_ref().map(|(pf, _)| pf)
    }

    /// A library error about the powers, in the user's names and flags.
    fn overflow(&self, pf: &PolynomialFeatures, e: downhill::Error, x: &Matrix) -> anyhow::Error {
        match e {
            downhill::Error::PolynomialOverflow { column, power, row } => anyhow::anyhow!(
                "--degree {}: {}^{power} overflows at data row {} (value {}): use a lower degree",
                pf.degree(),
                self.features[column],
                row + 1,
                x.row(row)[column]
            ),
            e => flagged(e),
        }
    }
}
