//! The shipped data sets, embedded in the binary: the playground reads nothing from disk.

use crate::table::{self, Column};
use axum::Json;
use serde_json::{json, Value};
use std::sync::OnceLock;

/// A data set of `data/`, with the fit the page starts from.
pub(crate) struct Shipped {
    /// The name the API takes.
    pub(crate) name: &'static str,
    /// Its path in the repository, for "copy as command".
    pub(crate) path: &'static str,
    /// The CSV text.
    pub(crate) bytes: &'static [u8],
    /// What it is.
    pub(crate) about: &'static str,
    /// The target the page picks first.
    pub(crate) target: &'static str,
    /// The features the page picks first (empty: every other numeric column).
    pub(crate) features: &'static [&'static str],
    /// The model the page picks first.
    pub(crate) model: &'static str,
}

macro_rules! shipped {
    ($name:literal, $file:literal, $about:literal, $target:literal, [$($f:literal),*], $model:literal) => {
        Shipped {
            name: $name,
            path: concat!("data/", $file),
            bytes: include_bytes!(concat!("../../../data/", $file)),
            about: $about,
            target: $target,
            features: &[$($f),*],
            model: $model,
        }
    };
}

/// Every data set offered, the first one the page's default.
pub(crate) const DATASETS: &[Shipped] = &[
    shipped!(
        "engel",
        "engel.csv",
        "Engel (1857): household food expenditure against income, 235 rows",
        "foodexp",
        ["income"],
        "linear"
    ),
    shipped!(
        "stackloss",
        "stackloss.csv",
        "Brownlee's stack loss plant data, 21 rows",
        "STACKLOSS",
        [],
        "linear"
    ),
    shipped!(
        "breast_cancer",
        "breast_cancer.csv",
        "Wisconsin Diagnostic Breast Cancer, 569 rows, 30 features",
        "diagnosis",
        ["mean_radius", "mean_texture"],
        "logistic"
    ),
    shipped!(
        "iris",
        "iris.csv",
        "Fisher's iris, 150 rows, three species",
        "species",
        [],
        "softmax"
    ),
    shipped!(
        "norris",
        "nist/Norris.csv",
        "NIST StRD Norris: a straight line, 36 rows",
        "y",
        ["x"],
        "linear"
    ),
    shipped!(
        "pontius",
        "nist/Pontius.csv",
        "NIST StRD Pontius: load-cell calibration, 40 rows",
        "y",
        ["x"],
        "linear"
    ),
    shipped!(
        "longley",
        "nist/Longley.csv",
        "NIST StRD Longley: six collinear economic series, 16 rows",
        "y",
        [],
        "linear"
    ),
    shipped!(
        "filip",
        "nist/Filip.csv",
        "NIST StRD Filip: 82 rows, for a degree-10 polynomial",
        "y",
        ["x"],
        "linear"
    ),
];

/// The data set called `name`.
pub(crate) fn find(name: &str) -> Option<&'static Shipped> {
    DATASETS.iter().find(|d| d.name == name)
}

/// `GET /api/datasets`: each data set with its columns (numeric or text), rows and the fit
/// the page starts from. Read once by the same reader as an upload.
pub(crate) async fn list() -> Json<Value> {
    static LIST: OnceLock<Value> = OnceLock::new();
    Json(
        LIST.get_or_init(|| {
            Value::Array(
                DATASETS
                    .iter()
                    .map(|d| {
                        let (columns, rows) = table::columns(d.path, d.bytes)
                            .map_or_else(|_| (Vec::<Column>::new(), 0), |t| (t.columns, t.rows));
                        json!({
                            "name": d.name,
                            "path": d.path,
                            "about": d.about,
                            "rows": rows,
                            "columns": columns,
                            "target": d.target,
                            "features": d.features,
                            "model": d.model,
                        })
                    })
                    .collect(),
            )
        })
        .clone(),
    )
}
