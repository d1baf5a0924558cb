//! Reading Parquet files: only the needed columns, any numeric type as f64, text labels.

use super::contain::contain;
use super::labels::Labels;
use super::table::{Header, Loaded, Target};
use anyhow::{bail, Context, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use std::fs::File;
use std::path::Path;

fn builder(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let b = contain(damaged(path), || {
        ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| anyhow::anyhow!("{}: not a readable Parquet file: {e}", path.display()))
    })?;
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
    load_groups(path, header, features, target, None)
}

/// The rows of each row group of `path`, as its metadata says.
pub fn row_group_rows(path: &Path) -> Result<Vec<usize>> {
    builder(path)?
        .metadata()
        .row_groups()
        .iter()
        .map(|g| {
            usize::try_from(g.num_rows())
                .map_err(|_| anyhow::anyhow!("{}: a row count is not valid", path.display()))
        })
        .collect()
}

/// [`load`] of the row groups `groups` only (every group when `None`): the rows of those
/// groups, in file order. Only the chosen groups' pages are read. A choice of no groups is a
/// table without rows, not an error (a rank of a fit across ranks may get none).
pub fn load_groups(
    path: &Path,
    header: &Header,
    features: &[usize],
    target: Target,
    groups: Option<&[usize]>,
) -> Result<Loaded> {
    let rows = match groups {
        None => usize::try_from(builder(path)?.metadata().file_metadata().num_rows())
            .map_err(|_| anyhow::anyhow!("{}: the row count is not valid", path.display()))?,
        Some(groups) => {
            let per_group = row_group_rows(path)?;
            let mut rows = 0usize;
            for &g in groups {
                let n = per_group.get(g).with_context(|| {
                    format!("{}: there is no row group {}", path.display(), g + 1)
                })?;
                rows = rows.saturating_add(*n);
            }
            if rows == 0 {
                return Ok(Loaded::default());
            }
            rows
        }
    };
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
        column(path, header, j, rows, groups, |first, col| {
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
            column(path, header, j, rows, groups, |first, col| {
                numbers(path, &header.names[j], col, first, &mut buf)?;
                out.y.extend_from_slice(&buf);
                Ok(())
            })?;
        }
        Target::Text(j) => {
            if d > 0 {
                out.labels.reserve(rows);
            }
            column(path, header, j, rows, groups, |first, col| {
                texts(path, &header.names[j], col, first, &mut out.labels)
            })?;
        }
    }
    Ok(out)
}

/// Rows per batch read from a Parquet file: a batch is small beside the table it fills.
const BATCH_ROWS: usize = 8 * 1024;

/// The start of the error for a panic inside the parquet crate while reading `path`.
fn damaged(path: &Path) -> impl FnOnce() -> String + '_ {
    move || {
        format!(
            "{}: damaged Parquet file: the parquet reader failed",
            path.display()
        )
    }
}

/// The batches of `columns` (indices in the file's schema) of `path`, [`BATCH_ROWS`] rows
/// each, of the row groups `groups` only (every group when `None`), after [`check_pages`] has
/// walked their pages. Take the batches with [`next_batch`].
pub(crate) fn batches(
    path: &Path,
    columns: &[usize],
    groups: Option<&[usize]>,
) -> Result<ParquetRecordBatchReader> {
    for &j in columns {
        check_pages(path, j, groups)?;
    }
    reader_of(path, columns, groups)
}

/// [`batches`] without the walk over the pages: for a file already checked.
pub(crate) fn reader(
    path: &Path,
    columns: &[usize],
    groups: Option<&[usize]>,
) -> Result<ParquetRecordBatchReader> {
    reader_of(path, columns, groups)
}

fn reader_of(
    path: &Path,
    columns: &[usize],
    groups: Option<&[usize]>,
) -> Result<ParquetRecordBatchReader> {
    let mut b = builder(path)?;
    let mask = ProjectionMask::roots(b.parquet_schema(), columns.iter().copied());
    if let Some(groups) = groups {
        b = b.with_row_groups(groups.to_vec());
    }
    contain(damaged(path), || {
        b.with_projection(mask)
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    })
}

/// The next batch of `reader`, `None` at the end of the file.
pub(crate) fn next_batch(
    path: &Path,
    reader: &mut ParquetRecordBatchReader,
) -> Result<Option<RecordBatch>> {
    contain(damaged(path), || match reader.next() {
        None => Ok(None),
        Some(batch) => batch
            .map(Some)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display())),
    })
}

/// Hands the batches of column `j` to `each` with the index of their first row, and checks
/// that they hold `rows` rows in all.
fn column(
    path: &Path,
    header: &Header,
    j: usize,
    rows: usize,
    groups: Option<&[usize]>,
    mut each: impl FnMut(usize, &ArrayRef) -> Result<()>,
) -> Result<()> {
    let name = &header.names[j];
    let mut reader = batches(path, &[j], groups)?;
    let mut first = 0;
    while let Some(batch) = next_batch(path, &mut reader)? {
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

/// Walks the pages of column `root` and refuses the two damages that make the parquet crate
/// (60.1) fail outside its error path: a dictionary page that claims more values than its
/// bytes can hold (the crate sizes the dictionary from that count before decoding a value,
/// reserving gigabytes), and a data page that uses a dictionary its column chunk never had
/// (the crate panics). Both are fuzz findings, kept as regression tests.
///
/// This reads (and decompresses) every page of the column once more than the decoding does;
/// on a file written with a dictionary per column, as most writers do, that is cheap beside
/// decoding the values.
fn check_pages(path: &Path, root: usize, groups: Option<&[usize]>) -> Result<()> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    contain(damaged(path), || check_pages_of(path, root, groups, file))
}

fn check_pages_of(path: &Path, root: usize, groups: Option<&[usize]>, file: File) -> Result<()> {
    use parquet::basic::{Encoding, Type as Physical};
    use parquet::column::page::Page;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    let reader = SerializedFileReader::new(file)
        .map_err(|e| anyhow::anyhow!("{}: not a readable Parquet file: {e}", path.display()))?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let name = schema
        .root_schema()
        .get_fields()
        .get(root)
        .map(|f| f.name().to_string())
        .unwrap_or_default();
    let damaged = |e: parquet::errors::ParquetError| {
        anyhow::anyhow!(
            "{}: damaged Parquet file: column '{name}': {e}",
            path.display()
        )
    };
    let leaves: Vec<usize> = (0..schema.num_columns())
        .filter(|&i| schema.get_column_root_idx(i) == root)
        .collect();
    let uses_dictionary =
        |e: Encoding| matches!(e, Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY);
    for g in 0..reader.num_row_groups() {
        if groups.is_some_and(|chosen| !chosen.contains(&g)) {
            continue;
        }
        let group = reader.get_row_group(g).map_err(damaged)?;
        for &leaf in &leaves {
            let column = schema.column(leaf);
            // The fewest bytes one dictionary value takes (a byte array's 4-byte length).
            let least: u64 = match column.physical_type() {
                Physical::BOOLEAN => 0,
                Physical::INT32 | Physical::FLOAT | Physical::BYTE_ARRAY => 4,
                Physical::INT64 | Physical::DOUBLE => 8,
                Physical::INT96 => 12,
                Physical::FIXED_LEN_BYTE_ARRAY => u64::try_from(column.type_length()).unwrap_or(0),
            };
            let refuse = |what: String| {
                anyhow::anyhow!(
                    "{}: damaged Parquet file: column '{name}' in row group {}: {what}",
                    path.display(),
                    g + 1
                )
            };
            let mut pages = group.get_column_page_reader(leaf).map_err(damaged)?;
            let mut dictionary = false;
            while let Some(page) = pages.get_next_page().map_err(damaged)? {
                match page {
                    Page::DictionaryPage {
                        buf, num_values, ..
                    } => {
                        if u64::from(num_values).saturating_mul(least) > buf.len() as u64 {
                            return Err(refuse(format!(
                                "the dictionary claims {num_values} values in {} bytes",
                                buf.len()
                            )));
                        }
                        dictionary = true;
                    }
                    Page::DataPage { encoding, .. } | Page::DataPageV2 { encoding, .. } => {
                        if uses_dictionary(encoding) && !dictionary {
                            return Err(refuse(
                                "a data page uses a dictionary the column does not have".into(),
                            ));
                        }
                    }
                }
            }
        }
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
fn texts(path: &Path, name: &str, col: &ArrayRef, first: usize, out: &mut Labels) -> Result<()> {
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
        out.push(strings.value(i).trim())?;
    }
    Ok(())
}

/// Any column (text, dictionary, numbers) as UTF-8 strings.
fn arrow_select_cast(col: &ArrayRef) -> Result<ArrayRef> {
    Ok(arrow_cast::cast(col, &DataType::Utf8)?)
}
