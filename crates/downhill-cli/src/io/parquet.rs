//! Reading Parquet files: only the needed columns, any numeric type as f64, text labels.

use super::table::{Header, Loaded, Target};
use anyhow::{bail, Context, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use std::fs::File;
use std::path::Path;

fn builder(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| anyhow::anyhow!("{}: not a readable Parquet file: {e}", path.display()))
}

/// The column names of a Parquet file.
pub fn header(path: &Path) -> Result<Header> {
    let b = builder(path)?;
    let names = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    Header::new(path, names)
}

/// Reads the `features` columns and the target.
pub fn load(path: &Path, header: &Header, features: &[usize], target: Target) -> Result<Loaded> {
    let b = builder(path)?;
    let mut wanted: Vec<usize> = features.to_vec();
    match target {
        Target::Numeric(j) | Target::Text(j) => wanted.push(j),
        Target::None => {}
    }
    // Top-level columns only: nested data is not a table of numbers.
    let mask = ProjectionMask::roots(b.parquet_schema(), wanted.iter().copied());
    let reader = b
        .with_projection(mask)
        .with_batch_size(64 * 1024)
        .build()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut out = Loaded::default();
    let d = features.len();
    let mut col_buf: Vec<f64> = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let rows = batch.num_rows();
        let schema = batch.schema();
        let start = out.x.len();
        out.x.resize(start + rows * d, 0.0);
        for (k, &j) in features.iter().enumerate() {
            let name = &header.names[j];
            let idx = schema.index_of(name)?;
            numbers(path, name, batch.column(idx), out.rows, &mut col_buf)?;
            for (i, v) in col_buf.iter().enumerate() {
                out.x[start + i * d + k] = *v;
            }
        }
        match target {
            Target::None => {}
            Target::Numeric(j) => {
                let name = &header.names[j];
                numbers(
                    path,
                    name,
                    batch.column(schema.index_of(name)?),
                    out.rows,
                    &mut col_buf,
                )?;
                out.y.extend_from_slice(&col_buf);
            }
            Target::Text(j) => {
                let name = &header.names[j];
                texts(
                    path,
                    name,
                    batch.column(schema.index_of(name)?),
                    out.rows,
                    &mut out.labels,
                )?;
            }
        }
        out.rows += rows;
    }
    if out.rows == 0 {
        bail!("{}: no data rows", path.display());
    }
    Ok(out)
}

/// One column of a batch as f64 into `buf`, rejecting nulls and non-finite values; `first` is
/// the row number of the batch's first row (for messages).
fn numbers(
    path: &Path,
    name: &str,
    col: &ArrayRef,
    first: usize,
    buf: &mut Vec<f64>,
) -> Result<()> {
    buf.clear();
    macro_rules! push {
        ($t:ty) => {
            buf.extend(col.as_primitive::<$t>().values().iter().map(|v| *v as f64))
        };
    }
    match col.data_type() {
        DataType::Float64 => push!(Float64Type),
        DataType::Float32 => push!(Float32Type),
        DataType::Int64 => push!(Int64Type),
        DataType::Int32 => push!(Int32Type),
        DataType::Int16 => push!(Int16Type),
        DataType::Int8 => push!(Int8Type),
        DataType::UInt64 => push!(UInt64Type),
        DataType::UInt32 => push!(UInt32Type),
        DataType::UInt16 => push!(UInt16Type),
        DataType::UInt8 => push!(UInt8Type),
        DataType::Boolean => buf.extend(
            col.as_boolean()
                .iter()
                .map(|v| f64::from(u8::from(v == Some(true)))),
        ),
        other => bail!(
            "{}: column '{name}' holds {other}, not numbers",
            path.display()
        ),
    }
    if let Some(i) = (0..col.len()).find(|&i| col.is_null(i)) {
        bail!(
            "{}: row {}, column '{name}': the value is missing (null)",
            path.display(),
            first + i + 1
        );
    }
    if let Some(i) = buf.iter().position(|v| !v.is_finite()) {
        bail!(
            "{}: row {}, column '{name}': {} is not a finite number",
            path.display(),
            first + i + 1,
            buf[i]
        );
    }
    Ok(())
}

/// One text column of a batch appended to `out`.
fn texts(
    path: &Path,
    name: &str,
    col: &ArrayRef,
    first: usize,
    out: &mut Vec<String>,
) -> Result<()> {
    let cast = arrow_select_cast(col)
        .with_context(|| format!("{}: column '{name}' cannot be read as text", path.display()))?;
    let strings = cast.as_string::<i32>();
    for i in 0..strings.len() {
        if strings.is_null(i) {
            bail!(
                "{}: row {}, column '{name}': the value is missing (null)",
                path.display(),
                first + i + 1
            );
        }
        out.push(strings.value(i).trim().to_string());
    }
    Ok(())
}

/// Any column (text, dictionary, numbers) as UTF-8 strings.
fn arrow_select_cast(col: &ArrayRef) -> Result<ArrayRef> {
    Ok(arrow_cast::cast(col, &DataType::Utf8)?)
}
