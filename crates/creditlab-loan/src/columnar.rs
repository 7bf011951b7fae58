//! Loan tapes in the columnar formats: Parquet and Arrow IPC (file and stream), read batch
//! by batch (a Parquet row group is read in batches, never the whole file), written in
//! batches. The schema is the tape's ([`COLUMNS`], docs/schemas/loan-tape.md), and every
//! cell goes through the same validation as a CSV cell (the tape reader's `parse_row`), so
//! a bad value gives the same error: [`Error::Tape`] with the row's line, the column and the reason.
//! These formats have no lines: a record's `line` is its number plus one, the line it has
//! in the CSV of the same tape (whose header is line 1); errors of the schema are line 1.
//!
//! Written columns and their Arrow types: `id` UInt64; `term_months`, `balloon_month`
//! UInt32; `credit_score` UInt16; `defaulted` Boolean; the enums and `collateral_asset`
//! Utf8; the rest Float64; all nullable (null is a missing value). A tape from elsewhere
//! may use any integer, float, boolean or string type for any column (or the null type:
//! every cell missing, as an empty CSV column), and leave out the optional columns, as a
//! CSV header may.

use crate::book::LoanRecord;
use crate::error::{Error, Result};
use crate::tape::{COLUMNS, REQUIRED_COLUMNS, cells, parse_row, tape_error, unknown_column};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray, UInt16Array,
    UInt32Array, UInt64Array,
};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use serde_json::Value;
use std::io::Write;
use std::sync::Arc;

/// Records per batch read or written; a Parquet row group holds [`ROW_GROUP`] of them.
pub const BATCH: usize = 8_192;
/// Records per Parquet row group.
pub const ROW_GROUP: usize = 65_536;

/// The Arrow type of each column of [`COLUMNS`], as written.
fn column_type(name: &str) -> DataType {
    match name {
        "id" => DataType::UInt64,
        "term_months" | "balloon_month" => DataType::UInt32,
        "credit_score" => DataType::UInt16,
        "defaulted" => DataType::Boolean,
        "rate_type" | "amortization" | "channel" | "recourse" | "collateral_kind"
        | "collateral_asset" => DataType::Utf8,
        _ => DataType::Float64,
    }
}

/// The schema a tape is written with: [`COLUMNS`] in order, all nullable.
pub fn tape_schema() -> SchemaRef {
    Arc::new(Schema::new(
        COLUMNS
            .iter()
            .map(|c| Field::new(*c, column_type(c), true))
            .collect::<Vec<_>>(),
    ))
}

/// An Arrow error as a tape error of `line` (a batch that cannot be decoded).
fn arrow_error(line: u64, e: &ArrowError) -> Error {
    tape_error(line, "row", format!("cannot decode the record batch: {e}"))
}

/// The batches of a columnar tape.
pub(crate) type Batches = Box<dyn Iterator<Item = std::result::Result<RecordBatch, ArrowError>>>;

std::thread_local! {
    /// Set while [`guarded`] runs a decoder on this thread, so the panic hook stays quiet.
    static DECODING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs a step of the Arrow or Parquet decoder, turning a panic into an error message.
///
/// Why: those decoders still panic on some malformed files (arrow-ipc 60 slices a buffer at
/// an offset read from the file before checking it against the body: found by fuzzing
/// `tape_arrow_ipc`; see apache/arrow-rs#9801 and #10921 for others of the kind). A tape is
/// user input, so a bad one must be an error naming the file, not a crash. The process's
/// panic hook is wrapped once so that such a caught panic prints nothing; every other
/// panic reaches the previous hook as before.
pub(crate) fn guarded<T>(step: impl FnOnce() -> T) -> std::result::Result<T, String> {
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !DECODING.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    let was = DECODING.with(|d| d.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(step));
    DECODING.with(|d| d.set(was));
    result.map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        format!("the decoder failed on malformed data ({what})")
    })
}

/// Batches whose decoder runs under [`guarded`]; after a caught panic they end, since the
/// decoder's state is then unknown.
struct Guarded {
    inner: Option<Batches>,
}

impl Iterator for Guarded {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let inner = self.inner.as_mut()?;
        match guarded(|| inner.next()) {
            Ok(item) => item,
            Err(why) => {
                self.inner = None;
                Some(Err(ArrowError::ParseError(why)))
            }
        }
    }
}

/// `batches` with every decoding step under [`guarded`].
pub(crate) fn guard(batches: Batches) -> Batches {
    Box::new(Guarded {
        inner: Some(batches),
    })
}

/// Reads a columnar tape batch by batch, turning each row into the cells `parse_row`
/// takes.
pub(crate) struct ColumnarRows {
    batches: Batches,
    /// Column of the file holding each of [`COLUMNS`], if present.
    index: Vec<Option<usize>>,
    batch: Option<RecordBatch>,
    next_row: usize,
    /// Records read so far.
    records: u64,
}

/// Whether a column of this type can be read (as text, then validated as a CSV cell).
fn readable(t: &DataType) -> bool {
    t.is_integer()
        || matches!(
            t,
            // A column with no value at all (pyarrow's CSV reader types an empty one so).
            DataType::Null
                | DataType::Float32
                | DataType::Float64
                | DataType::Boolean
                | DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Utf8View
        )
}

impl ColumnarRows {
    /// Checks the schema as a CSV header is checked (unknown, duplicate and missing
    /// required columns, on line 1) and that every column's type is readable.
    pub(crate) fn new(schema: &Schema, batches: Batches) -> Result<Self> {
        let mut index = vec![None; COLUMNS.len()];
        for (i, field) in schema.fields().iter().enumerate() {
            let name = field.name().as_str();
            let Some(c) = COLUMNS.iter().position(|c| *c == name) else {
                return Err(tape_error(1, name, unknown_column(name)));
            };
            if index[c].replace(i).is_some() {
                return Err(tape_error(1, name, "duplicate column"));
            }
            if !readable(field.data_type()) {
                return Err(tape_error(
                    1,
                    name,
                    format!(
                        "type {} is not supported (expected an integer, float, boolean or \
                         string column)",
                        field.data_type()
                    ),
                ));
            }
        }
        for req in REQUIRED_COLUMNS {
            let c = COLUMNS.iter().position(|c| *c == req).unwrap_or(0);
            if index[c].is_none() {
                return Err(tape_error(
                    1,
                    req,
                    "required column missing from the schema",
                ));
            }
        }
        Ok(Self {
            batches,
            index,
            batch: None,
            next_row: 0,
            records: 0,
        })
    }

    /// The next row's line and record; `None` at the end. A batch that cannot be decoded
    /// is an error of the line after the last record read.
    pub(crate) fn next_record(&mut self) -> Option<(u64, Result<LoanRecord>)> {
        loop {
            if let Some(batch) = &self.batch
                && self.next_row < batch.num_rows()
            {
                let row = self.next_row;
                self.next_row += 1;
                self.records += 1;
                let line = self.records + 1;
                let mut text: Vec<Option<String>> = Vec::with_capacity(COLUMNS.len());
                for i in &self.index {
                    text.push(i.and_then(|i| cell_text(batch.column(i), row)));
                }
                let cells: Vec<Option<&str>> = text.iter().map(Option::as_deref).collect();
                return Some((line, parse_row(line, &cells)));
            }
            match self.batches.next()? {
                Ok(batch) => {
                    self.batch = Some(batch);
                    self.next_row = 0;
                }
                Err(e) => return Some((self.records + 2, Err(arrow_error(self.records + 2, &e)))),
            }
        }
    }
}

/// The text of one cell as a CSV would hold it (`None` for null or an empty string):
/// numbers in the shortest form that reads back to the same value, so a cell is validated
/// exactly as in a CSV tape.
fn cell_text(array: &ArrayRef, row: usize) -> Option<String> {
    if array.is_null(row) || array.data_type() == &DataType::Null {
        return None;
    }
    macro_rules! prim {
        ($t:ty) => {
            array.as_primitive::<$t>().value(row).to_string()
        };
    }
    let text = match array.data_type() {
        DataType::Float64 => prim!(Float64Type),
        DataType::Float32 => f64::from(array.as_primitive::<Float32Type>().value(row)).to_string(),
        DataType::UInt64 => prim!(UInt64Type),
        DataType::UInt32 => prim!(UInt32Type),
        DataType::UInt16 => prim!(UInt16Type),
        DataType::UInt8 => prim!(UInt8Type),
        DataType::Int64 => prim!(Int64Type),
        DataType::Int32 => prim!(Int32Type),
        DataType::Int16 => prim!(Int16Type),
        DataType::Int8 => prim!(Int8Type),
        DataType::Boolean => array.as_boolean().value(row).to_string(),
        DataType::Utf8 => array.as_string::<i32>().value(row).trim().to_string(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).trim().to_string(),
        DataType::Utf8View => array.as_string_view().value(row).trim().to_string(),
        // The schema check admits only the types above.
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// Where a columnar writer's batches go.
enum Sink<W: Write> {
    /// Parquet into a buffer drained into `out` after every batch (ArrowWriter needs a
    /// `Send` writer; the tape writer takes any), so memory stays one row group.
    Parquet {
        writer: Box<parquet::arrow::ArrowWriter<Vec<u8>>>,
        out: W,
    },
    /// Arrow IPC, file format.
    IpcFile(Box<arrow_ipc::writer::FileWriter<W>>),
    /// Arrow IPC, stream format.
    IpcStream(Box<arrow_ipc::writer::StreamWriter<W>>),
}

/// A columnar tape writer: records are gathered into batches of [`BATCH`].
pub(crate) struct ColumnarWriter<W: Write> {
    sink: Sink<W>,
    rows: Vec<[Value; COLUMNS.len()]>,
    schema: SchemaRef,
}

/// An Arrow or Parquet error as an I/O error (what a failed write is).
fn io(e: impl std::fmt::Display) -> Error {
    Error::Io(std::io::Error::other(e.to_string()))
}

/// The columnar formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Columnar {
    Parquet,
    IpcFile,
    IpcStream,
}

impl<W: Write> ColumnarWriter<W> {
    pub(crate) fn new(out: W, format: Columnar) -> Result<Self> {
        let schema = tape_schema();
        let sink = match format {
            Columnar::Parquet => {
                let props = parquet::file::properties::WriterProperties::builder()
                    .set_compression(parquet::basic::Compression::SNAPPY)
                    .set_max_row_group_row_count(Some(ROW_GROUP))
                    .build();
                let writer =
                    parquet::arrow::ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props))
                        .map_err(io)?;
                Sink::Parquet {
                    writer: Box::new(writer),
                    out,
                }
            }
            Columnar::IpcFile => Sink::IpcFile(Box::new(
                arrow_ipc::writer::FileWriter::try_new(out, &schema).map_err(io)?,
            )),
            Columnar::IpcStream => Sink::IpcStream(Box::new(
                arrow_ipc::writer::StreamWriter::try_new(out, &schema).map_err(io)?,
            )),
        };
        Ok(Self {
            sink,
            rows: Vec::with_capacity(BATCH),
            schema,
        })
    }

    pub(crate) fn write(&mut self, record: &LoanRecord) -> Result<()> {
        self.rows.push(cells(record));
        if self.rows.len() == BATCH {
            self.flush_batch()?;
        }
        Ok(())
    }

    /// Writes the gathered rows as one batch.
    fn flush_batch(&mut self) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let columns: Vec<ArrayRef> = COLUMNS
            .iter()
            .enumerate()
            .map(|(c, name)| column(&rows, c, &column_type(name)))
            .collect();
        let batch = RecordBatch::try_new(self.schema.clone(), columns).map_err(io)?;
        match &mut self.sink {
            Sink::Parquet { writer, out } => {
                writer.write(&batch).map_err(io)?;
                out.write_all(&std::mem::take(writer.inner_mut()))?;
            }
            Sink::IpcFile(w) => w.write(&batch).map_err(io)?,
            Sink::IpcStream(w) => w.write(&batch).map_err(io)?,
        }
        self.rows = rows;
        self.rows.clear();
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<W> {
        self.flush_batch()?;
        match self.sink {
            Sink::Parquet { writer, mut out } => {
                let rest = writer.into_inner().map_err(io)?;
                out.write_all(&rest)?;
                Ok(out)
            }
            Sink::IpcFile(mut w) => {
                w.finish().map_err(io)?;
                w.into_inner().map_err(io)
            }
            Sink::IpcStream(mut w) => {
                w.finish().map_err(io)?;
                w.into_inner().map_err(io)
            }
        }
    }
}

/// Column `c` of `rows` as an array of type `t` (cells from [`cells`]: JSON values).
fn column(rows: &[[Value; COLUMNS.len()]], c: usize, t: &DataType) -> ArrayRef {
    let cell = |r: &[Value; COLUMNS.len()]| -> Option<Value> {
        Some(r[c].clone()).filter(|v| !v.is_null())
    };
    match t {
        DataType::UInt64 => Arc::new(
            rows.iter()
                .map(|r| cell(r).and_then(|v| v.as_u64()))
                .collect::<UInt64Array>(),
        ),
        DataType::UInt32 => Arc::new(
            rows.iter()
                .map(|r| cell(r).and_then(|v| v.as_u64()).map(|v| v as u32))
                .collect::<UInt32Array>(),
        ),
        DataType::UInt16 => Arc::new(
            rows.iter()
                .map(|r| cell(r).and_then(|v| v.as_u64()).map(|v| v as u16))
                .collect::<UInt16Array>(),
        ),
        DataType::Boolean => Arc::new(
            rows.iter()
                .map(|r| cell(r).and_then(|v| v.as_u64()).map(|v| v != 0))
                .collect::<BooleanArray>(),
        ),
        DataType::Utf8 => Arc::new(
            rows.iter()
                .map(|r| cell(r).and_then(|v| v.as_str().map(str::to_string)))
                .collect::<StringArray>(),
        ),
        _ => Arc::new(
            rows.iter()
                .map(|r| cell(r).and_then(|v| v.as_f64()))
                .collect::<Float64Array>(),
        ),
    }
}
