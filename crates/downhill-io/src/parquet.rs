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
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use std::fs::File;
use std::path::Path;

fn builder(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let b = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| anyhow::anyhow!("{}: not a readable Parquet file: {e}", path.display()))?;
    // The parquet crate panics on a column chunk with a negative offset or size
    // (`ColumnChunkMetaData::byte_range`): refuse such a file before reading it.
    for (g, group) in b.metadata().row_groups().iter().enumerate() {
        for column in group.columns() {
            let start = column
                .dictionary_page_offset()
                .unwrap_or(column.data_page_offset());
            if start < 0 || column.compressed_size() < 0 {
                bail!(
                    "{}: damaged Parquet file: column '{}' of row group {} has a negative offset or size",
                    path.display(),
                    column.column_path(),
                    g + 1
                );
            }
        }
    }
    Ok(b)
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

/// The bytes of every value of the table at `path` as `f64`, from its metadata (what loading
/// it would take, whatever its compressed size on disk).
pub fn table_bytes(path: &Path) -> Option<u64> {
    let b = builder(path).ok()?;
    let meta = b.metadata().file_metadata();
    let rows = u64::try_from(meta.num_rows()).ok()?;
    let columns = meta.schema_descr().num_columns() as u64;
    Some(rows.saturating_mul(columns).saturating_mul(8))
}

/// Reads the `features` columns (row-major) and the target of every row.
///
/// One column at a time: a Parquet reader holds a page of every column it reads (a megabyte
/// each, as most writers make them), so reading them together would add a page per column to
/// the table's memory; one by one, it adds one page. The file's metadata is read once per
/// column, which costs little beside the data.
pub fn load(path: &Path, header: &Header, features: &[usize], target: Target) -> Result<Loaded> {
    let rows = usize::try_from(builder(path)?.metadata().file_metadata().num_rows())
        .map_err(|_| anyhow::anyhow!("{}: the row count is not valid", path.display()))?;
    if rows == 0 {
        bail!("{}: no data rows", path.display());
    }
    let d = features.len();
    rows.checked_mul(d).with_context(|| {
        format!(
            "{}: {rows} rows of {d} features do not fit in memory",
            path.display()
        )
    })?;
    // The table grows with the rows of the first column as they are read, rather than being
    // allocated from the row count the file claims: a damaged file may claim any number.
    let mut out = Loaded {
        rows,
        ..Loaded::default()
    };
    let mut buf: Vec<f64> = Vec::new();
    for (k, &j) in features.iter().enumerate() {
        column(path, header, j, rows, |first, col| {
            numbers(path, &header.names[j], col, first, &mut buf)?;
            if k == 0 {
                out.x.resize((first + buf.len()) * d, 0.0);
            }
            for (i, v) in buf.iter().enumerate() {
                out.x[(first + i) * d + k] = *v;
            }
            Ok(())
        })?;
    }
    match target {
        Target::None => {}
        Target::Numeric(j) => {
            if d > 0 {
                out.y.reserve_exact(rows);
            }
            column(path, header, j, rows, |first, col| {
                numbers(path, &header.names[j], col, first, &mut buf)?;
                out.y.extend_from_slice(&buf);
                Ok(())
            })?;
        }
        Target::Text(j) => {
            if d > 0 {
                out.labels.reserve_exact(rows);
            }
            column(path, header, j, rows, |first, col| {
                texts(path, &header.names[j], col, first, &mut out.labels)
            })?;
        }
    }
    Ok(out)
}

/// Rows per batch read from a Parquet file: a batch is small beside the table it fills.
const BATCH_ROWS: usize = 8 * 1024;

/// The batches of `columns` (indices in the file's schema) of `path`, [`BATCH_ROWS`] rows each.
pub(crate) fn batches(
    path: &Path,
    columns: impl IntoIterator<Item = usize>,
) -> Result<ParquetRecordBatchReader> {
    let b = builder(path)?;
    let mask = ProjectionMask::roots(b.parquet_schema(), columns);
    b.with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Hands the batches of column `j` to `each` with the index of their first row, and checks
/// that they hold `rows` rows in all.
fn column(
    path: &Path,
    header: &Header,
    j: usize,
    rows: usize,
    mut each: impl FnMut(usize, &ArrayRef) -> Result<()>,
) -> Result<()> {
    let reader = batches(path, [j])?;
    let name = &header.names[j];
    let mut first = 0;
    for batch in reader {
        let batch = batch.map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let n = batch.num_rows();
        if first + n > rows {
            bail!(
                "{}: column '{name}' has more rows than the file says",
                path.display()
            );
        }
        let idx = batch.schema().index_of(name)?;
        each(first, batch.column(idx))?;
        first += n;
    }
    if first != rows {
        bail!(
            "{}: column '{name}' has {first} rows, the file says {rows}",
            path.display()
        );
    }
    Ok(())
}

pub(crate) fn numbers(
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
