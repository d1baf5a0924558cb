//! Tables in memory (a shipped data set or an upload), read by the same reader as
//! `downhill fit` (`downhill_io::csv`), and its errors as 400s with the line and column.

use crate::api::Problem;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::Json;
use downhill_io::csv;
use downhill_io::table::{Header, Loaded, Target};
use serde::Serialize;
use serde_json::{json, Value};
use std::path::Path;

/// The largest CSV upload, in bytes.
pub const MAX_UPLOAD: usize = 8 << 20;

/// A column and whether every cell of it is a number.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) numeric: bool,
}

/// A table's columns and rows.
pub(crate) struct Columns {
    pub(crate) columns: Vec<Column>,
    pub(crate) rows: usize,
}

/// The columns of the CSV `bytes` (called `name` in messages), each numeric or text, and the
/// rows: every column is read as a number, and one whose cell is "not a number" is read
/// again as text. Any other fault of the file is an error.
pub(crate) fn columns(name: &str, bytes: &[u8]) -> Result<Columns, Problem> {
    let path = Path::new(name);
    let header = csv::header_of_bytes(path, bytes).map_err(|e| csv_problem(name, None, e))?;
    let mut numeric = vec![true; header.names.len()];
    loop {
        let read: Vec<usize> = (0..numeric.len()).filter(|&j| numeric[j]).collect();
        // With no column read as a number, the first text column carries the rows.
        let target = match numeric.iter().position(|n| !n) {
            Some(j) if read.is_empty() => Target::Text(j),
            _ => Target::None,
        };
        match csv::load_bytes(path, bytes, &header, &read, target) {
            Ok(t) => {
                return Ok(Columns {
                    columns: header
                        .names
                        .iter()
                        .zip(numeric)
                        .map(|(n, numeric)| Column {
                            name: n.clone(),
                            numeric,
                        })
                        .collect(),
                    rows: t.rows,
                })
            }
            Err(e) => {
                let text = format!("{e:#}");
                let bad = column_of(&text).and_then(|c| header.names.iter().position(|n| *n == c));
                match bad {
                    Some(j) if numeric[j] && text.ends_with("is not a number") => {
                        numeric[j] = false
                    }
                    _ => return Err(csv_problem(name, Some(&header), e)),
                }
            }
        }
    }
}

/// Reads `features` and the target of the CSV `bytes`, as `fit` does.
pub(crate) fn load(
    name: &str,
    bytes: &[u8],
    header: &Header,
    features: &[usize],
    target: Target,
) -> Result<Loaded, Problem> {
    csv::load_bytes(Path::new(name), bytes, header, features, target)
        .map_err(|e| csv_problem(name, Some(header), e))
}

/// The header of the CSV `bytes`.
pub(crate) fn header(name: &str, bytes: &[u8]) -> Result<Header, Problem> {
    csv::header_of_bytes(Path::new(name), bytes).map_err(|e| csv_problem(name, None, e))
}

/// The column a reader's message names (`column 'NAME'`).
fn column_of(message: &str) -> Option<&str> {
    let rest = &message[message.find("column '")? + "column '".len()..];
    Some(&rest[..rest.find('\'')?])
}

/// A reader's error as a 400: `{"error", "line", "column", "column_name"}`, the line and the
/// column (1-based, of the header) when the message names them.
pub(crate) fn csv_problem(name: &str, header: Option<&Header>, e: anyhow::Error) -> Problem {
    let text = format!("{e:#}");
    let line = text
        .strip_prefix(name)
        .and_then(|r| r.strip_prefix(':'))
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse::<u64>().ok());
    let column = column_of(&text).map(str::to_string);
    let index = header
        .zip(column.as_deref())
        .and_then(|(h, c)| h.names.iter().position(|n| n == c))
        .map(|j| j + 1);
    Problem::with(
        StatusCode::BAD_REQUEST,
        json!({ "error": text, "line": line, "column": index, "column_name": column }),
    )
}

/// `POST /api/table`: a CSV file as the body (at most [`MAX_UPLOAD`] bytes; 413 past that),
/// answered with its columns and rows, or a 400 naming the line and column at fault.
/// `POST /api/table?name=FILE.csv`: `name` names the upload in messages.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct UploadName {
    name: Option<String>,
}

pub(crate) async fn upload(
    Query(q): Query<UploadName>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, Problem> {
    let bytes = body.map_err(|r| {
        let status = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            r.status()
        } else {
            StatusCode::BAD_REQUEST
        };
        Problem::with(
            status,
            json!({ "error": format!("the upload is over this server's limit of {} MiB, or unreadable", MAX_UPLOAD >> 20) }),
        )
    })?;
    let name = q
        .name
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "upload.csv".into());
    let t = tokio::task::spawn_blocking(move || columns(&name, &bytes))
        .await
        .map_err(|e| Problem::bad(format!("the file could not be read: {e}")))??;
    Ok(Json(json!({ "rows": t.rows, "columns": t.columns })))
}
