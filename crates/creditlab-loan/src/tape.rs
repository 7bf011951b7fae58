//! Loan tapes: one row per loan, as CSV, JSON Lines, Parquet or Arrow IPC, read as a
//! stream (the columnar formats batch by batch: [`crate::columnar`]).
//!
//! The schema (columns, types, missing values, enum spellings) is in
//! `docs/schemas/loan-tape.md`. A malformed row gives [`Error::Tape`] naming the line,
//! the column and the reason.

use crate::book::LoanRecord;
use crate::borrower::Borrower;
use crate::collateral::{AssetSymbol, Collateral, CollateralKind};
use crate::columnar::{Columnar, ColumnarRows, ColumnarWriter};
use crate::error::{Error, Result};
use crate::loan::{Amortization, Channel, Loan, LoanId, Rate, Recourse};
use serde_json::{Map, Value};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

/// Every column of a tape, in the order the writer emits them.
pub const COLUMNS: [&str; 21] = [
    "id",
    "principal",
    "rate_type",
    "rate",
    "index_rate",
    "spread",
    "term_months",
    "amortization",
    "balloon_month",
    "channel",
    "recourse",
    "credit_score",
    "income",
    "debt_service",
    "collateral_kind",
    "collateral_value",
    "collateral_volatility",
    "liquidation_haircut",
    "collateral_asset",
    "liquidation_threshold",
    "defaulted",
];

/// Columns a CSV header must contain; the others may be left out (then all missing).
pub const REQUIRED_COLUMNS: [&str; 11] = [
    "id",
    "principal",
    "rate_type",
    "term_months",
    "amortization",
    "channel",
    "recourse",
    "collateral_kind",
    "collateral_value",
    "collateral_volatility",
    "liquidation_haircut",
];

/// The tape encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapeFormat {
    /// Comma-separated values with a header row; an empty cell is a missing value.
    Csv,
    /// JSON Lines: one JSON object per line; `null` or an absent key is a missing value.
    JsonLines,
    /// Apache Parquet (Snappy-compressed row groups of 65,536 records when written); null
    /// is a missing value.
    Parquet,
    /// Arrow IPC, file format (Feather v2); null is a missing value.
    ArrowIpc,
    /// Arrow IPC, stream format.
    ArrowStream,
}

impl TapeFormat {
    fn columnar(self) -> Option<Columnar> {
        match self {
            Self::Parquet => Some(Columnar::Parquet),
            Self::ArrowIpc => Some(Columnar::IpcFile),
            Self::ArrowStream => Some(Columnar::IpcStream),
            Self::Csv | Self::JsonLines => None,
        }
    }
}

impl TapeFormat {
    /// The format implied by a file name: `.csv`, `.jsonl` / `.ndjson` / `.json` (all
    /// read as JSON Lines), `.parquet` / `.pq`, `.arrow` / `.feather` / `.ipc` (Arrow IPC
    /// file) or `.arrows` (Arrow IPC stream).
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => Ok(Self::Csv),
            Some("jsonl" | "ndjson" | "json") => Ok(Self::JsonLines),
            Some("parquet" | "pq") => Ok(Self::Parquet),
            Some("arrow" | "feather" | "ipc") => Ok(Self::ArrowIpc),
            Some("arrows") => Ok(Self::ArrowStream),
            _ => Err(Error::invalid(
                "tape",
                format!(
                    "{}: unknown extension (expected .csv, .jsonl, .ndjson, .json, .parquet, .pq, \
                     .arrow, .feather, .ipc or .arrows)",
                    path.display()
                ),
            )),
        }
    }
}

pub(crate) use creditlab_numerics::text::{closest, shown};

/// "unknown column", with the likely intended one.
pub(crate) fn unknown_column(name: &str) -> String {
    match closest(name, COLUMNS) {
        Some(k) => format!("unknown column; did you mean `{k}`?"),
        None => "unknown column (docs/schemas/loan-tape.md lists the columns)".into(),
    }
}

pub(crate) fn tape_error(line: u64, column: &str, reason: impl Into<String>) -> Error {
    Error::Tape {
        line,
        column: column.to_string(),
        reason: reason.into(),
    }
}

/// Opens a tape file, choosing the format from its extension. Every error, of the header
/// or of any row, names the file ([`Error::InFile`]).
pub fn open_tape(path: &Path) -> Result<TapeReader<File>> {
    let name = path.display().to_string();
    let in_file = |e: Error| Error::InFile {
        path: name.clone(),
        source: Box::new(e),
    };
    let format = TapeFormat::from_path(path)?;
    let file = File::open(path).map_err(|e| in_file(Error::Io(e)))?;
    let mut reader = match format.columnar() {
        // From the file itself: batch by batch (Parquet seeks to each row group).
        Some(c) => TapeReader::columnar(c, Source::File(file)),
        None => TapeReader::new(file, format),
    }
    .map_err(in_file)?;
    reader.path = Some(name);
    Ok(reader)
}

/// A streaming tape reader: an iterator over the records, one row in memory at a time.
///
/// ```
/// use creditlab_loan::synthetic::{BookSpec, defi_book};
/// use creditlab_loan::{TapeFormat, TapeReader, write_tape};
/// let book = defi_book(&BookSpec { loans: 50, total_principal: None, seed: 4 })?;
/// // Write → read is exact, in either format.
/// let csv = write_tape(Vec::new(), TapeFormat::Csv, book.records())?;
/// let back = TapeReader::new(csv.as_slice(), TapeFormat::Csv)?
///     .collect::<Result<Vec<_>, _>>()?;
/// assert_eq!(back, book.records());
/// // A malformed row names its line and column.
/// let bad = "id,principal\n1,lots\n";
/// let e = TapeReader::new(bad.as_bytes(), TapeFormat::Csv)
///     .and_then(|mut r| r.next().unwrap())
///     .unwrap_err();
/// assert!(e.to_string().contains("line"), "{e}");
/// # Ok::<(), creditlab_loan::Error>(())
/// ```
pub struct TapeReader<R: Read> {
    inner: Inner<R>,
    done: bool,
    /// Line of the first record of each loan id: a tape is one book, ids are unique.
    seen: std::collections::HashMap<u64, u64>,
    /// The file, when opened by [`open_tape`]: named in every error.
    path: Option<String>,
}

enum Inner<R: Read> {
    Csv {
        reader: csv::Reader<R>,
        /// Column index of each name in [`COLUMNS`], if present in the header.
        index: Vec<Option<usize>>,
        record: csv::StringRecord,
    },
    Json {
        lines: std::io::Lines<BufReader<R>>,
        line: u64,
    },
    Columnar(ColumnarRows),
}

/// Where a columnar tape is read from: a file (streamed) or bytes in memory.
enum Source {
    File(File),
    Bytes(Vec<u8>),
}

/// Checks that every block an Arrow IPC file's footer lists lies inside the file, before the
/// reader sizes a buffer from it. Why: arrow-ipc 60 allocates and zeroes a block's declared
/// length before reading it, so a 6 KB file declaring a 4 GB block took 4.2 GB and 10 s to
/// refuse (found by fuzzing `tape_arrow_ipc`; apache/arrow-rs#10921 reports the same).
fn check_ipc_blocks<F: Read + std::io::Seek>(f: &mut F) -> std::result::Result<(), String> {
    use std::io::SeekFrom;
    let len = f.seek(SeekFrom::End(0)).map_err(|e| e.to_string())?;
    let mut trailer = [0u8; 10];
    if len < 10 + 8 {
        return Err(format!("{len} bytes is too short for an Arrow IPC file"));
    }
    f.seek(SeekFrom::Start(len - 10))
        .map_err(|e| e.to_string())?;
    f.read_exact(&mut trailer).map_err(|e| e.to_string())?;
    let footer_len =
        arrow_ipc::reader::read_footer_length(trailer).map_err(|e| e.to_string())? as u64;
    let Some(body_end) = len.checked_sub(10 + footer_len) else {
        return Err(format!(
            "its footer ({footer_len} bytes) is longer than the file ({len} bytes)"
        ));
    };
    let mut footer = vec![0u8; footer_len as usize];
    f.seek(SeekFrom::Start(body_end))
        .map_err(|e| e.to_string())?;
    f.read_exact(&mut footer).map_err(|e| e.to_string())?;
    f.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let footer = arrow_ipc::root_as_footer(&footer).map_err(|e| format!("its footer: {e}"))?;
    let blocks = footer
        .recordBatches()
        .into_iter()
        .flatten()
        .map(|b| ("record batch", b))
        .chain(
            footer
                .dictionaries()
                .into_iter()
                .flatten()
                .map(|b| ("dictionary", b)),
        );
    for (i, (what, b)) in blocks.enumerate() {
        let end = u64::try_from(b.offset())
            .ok()
            .zip(u64::try_from(b.metaDataLength()).ok())
            .zip(u64::try_from(b.bodyLength()).ok())
            .and_then(|((o, m), l)| o.checked_add(m)?.checked_add(l));
        if end.is_none_or(|end| end > body_end) {
            return Err(format!(
                "{what} block {i} (offset {}, {} + {} bytes) lies outside the file's {body_end} \
                 bytes of blocks",
                b.offset(),
                b.metaDataLength(),
                b.bodyLength()
            ));
        }
    }
    Ok(())
}

/// The schema and batches of a columnar tape.
fn batches(
    format: Columnar,
    source: Source,
) -> Result<(arrow_schema::SchemaRef, crate::columnar::Batches)> {
    use arrow_array::RecordBatchReader as _;
    let bad = |e: &dyn std::fmt::Display| tape_error(1, "row", format!("not a readable tape: {e}"));
    let batch = crate::columnar::BATCH;
    match (format, source) {
        (Columnar::Parquet, source) => {
            use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder as Builder;
            let reader = match source {
                Source::File(f) => {
                    Builder::try_new(f).and_then(|b| b.with_batch_size(batch).build())
                }
                Source::Bytes(b) => Builder::try_new(bytes::Bytes::from(b))
                    .and_then(|b| b.with_batch_size(batch).build()),
            }
            .map_err(|e| bad(&e))?;
            Ok((reader.schema(), Box::new(reader)))
        }
        (Columnar::IpcFile, Source::File(mut f)) => {
            check_ipc_blocks(&mut f).map_err(|e| bad(&e))?;
            let r =
                arrow_ipc::reader::FileReader::try_new_buffered(f, None).map_err(|e| bad(&e))?;
            Ok((r.schema(), Box::new(r)))
        }
        (Columnar::IpcFile, Source::Bytes(b)) => {
            check_ipc_blocks(&mut std::io::Cursor::new(&b[..])).map_err(|e| bad(&e))?;
            let r = arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(b), None)
                .map_err(|e| bad(&e))?;
            Ok((r.schema(), Box::new(r)))
        }
        (Columnar::IpcStream, Source::File(f)) => {
            let r =
                arrow_ipc::reader::StreamReader::try_new_buffered(f, None).map_err(|e| bad(&e))?;
            Ok((r.schema(), Box::new(r)))
        }
        (Columnar::IpcStream, Source::Bytes(b)) => {
            let r = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(b), None)
                .map_err(|e| bad(&e))?;
            Ok((r.schema(), Box::new(r)))
        }
    }
}

impl<R: Read> TapeReader<R> {
    /// A reader over `reader`. For CSV the header is read and checked now: unknown or
    /// duplicate columns and missing required columns are errors on line 1; so is the
    /// schema of Parquet and Arrow IPC, whose bytes this reads into memory first (for a
    /// tape too large for that, [`open_tape`] streams them from the file).
    pub fn new(mut reader: R, format: TapeFormat) -> Result<Self> {
        if let Some(c) = format.columnar() {
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes)?;
            return Self::columnar(c, Source::Bytes(bytes));
        }
        let inner = match format {
            TapeFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .trim(csv::Trim::All)
                    .from_reader(reader);
                let header = reader.headers().map_err(|e| csv_error(&e))?.clone();
                let mut index = vec![None; COLUMNS.len()];
                for (i, name) in header.iter().enumerate() {
                    let Some(c) = COLUMNS.iter().position(|c| *c == name) else {
                        return Err(tape_error(1, name, unknown_column(name)));
                    };
                    if index[c].replace(i).is_some() {
                        return Err(tape_error(1, name, "duplicate column"));
                    }
                }
                for req in REQUIRED_COLUMNS {
                    let c = COLUMNS.iter().position(|c| *c == req).unwrap_or(0);
                    if index[c].is_none() {
                        return Err(tape_error(
                            1,
                            req,
                            "required column missing from the header",
                        ));
                    }
                }
                Inner::Csv {
                    reader,
                    index,
                    record: csv::StringRecord::new(),
                }
            }
            TapeFormat::JsonLines => Inner::Json {
                lines: BufReader::new(reader).lines(),
                line: 0,
            },
            TapeFormat::Parquet | TapeFormat::ArrowIpc | TapeFormat::ArrowStream => {
                unreachable!("columnar formats returned above")
            }
        };
        Ok(Self::with(inner))
    }

    fn with(inner: Inner<R>) -> Self {
        Self {
            inner,
            done: false,
            seen: std::collections::HashMap::new(),
            path: None,
        }
    }

    /// A reader of a columnar tape; its schema is checked now.
    fn columnar_batches(
        schema: &arrow_schema::Schema,
        batches: crate::columnar::Batches,
    ) -> Result<Self> {
        Ok(Self::with(Inner::Columnar(ColumnarRows::new(
            schema,
            crate::columnar::guard(batches),
        )?)))
    }

    /// A reader of a columnar tape; its schema is checked now.
    fn columnar(format: Columnar, source: Source) -> Result<Self> {
        let (schema, batches) = crate::columnar::guarded(|| batches(format, source))
            .map_err(|why| tape_error(1, "row", format!("not a readable tape: {why}")))??;
        Self::columnar_batches(&schema, batches)
    }

    /// The next record and its line, duplicate ids refused with both lines.
    fn next_checked(&mut self) -> Option<Result<LoanRecord>> {
        let (line, item) = self.next_record()?;
        Some(item.and_then(|r| {
            let id = r.loan.id().0;
            match self.seen.insert(id, line) {
                Some(first) => {
                    self.seen.insert(id, first);
                    Err(tape_error(
                        line,
                        "id",
                        format!("duplicate loan id {id} (first on line {first})"),
                    ))
                }
                None => Ok(r),
            }
        }))
    }

    fn next_record(&mut self) -> Option<(u64, Result<LoanRecord>)> {
        match &mut self.inner {
            Inner::Csv {
                reader,
                index,
                record,
            } => match reader.read_record(record) {
                Ok(false) => None,
                Err(e) => Some((0, Err(csv_error(&e)))),
                Ok(true) => {
                    let line = record.position().map_or(0, csv::Position::line);
                    let mut cells = [None; COLUMNS.len()];
                    for (cell, i) in cells.iter_mut().zip(index.iter()) {
                        *cell = i.and_then(|i| record.get(i)).filter(|s| !s.is_empty());
                    }
                    Some((line, parse_row(line, &cells)))
                }
            },
            Inner::Json { lines, line } => loop {
                let text = match lines.next()? {
                    Ok(t) => t,
                    Err(e) => return Some((*line + 1, Err(Error::Io(e)))),
                };
                *line += 1;
                // A byte-order mark opens some exported files; CSV accepts it, so does this.
                let text = if *line == 1 {
                    text.strip_prefix('\u{feff}').unwrap_or(&text)
                } else {
                    &text
                };
                if text.trim().is_empty() {
                    continue;
                }
                return Some((*line, json_row(*line, text)));
            },
            Inner::Columnar(rows) => rows.next_record(),
        }
    }
}

/// A tape held as Arrow record batches (a table handed over through the Arrow C stream
/// interface, an in-memory `RecordBatch`, a Flight stream...): no bytes to read.
pub type ArrowTapeReader = TapeReader<std::io::Empty>;

impl TapeReader<std::io::Empty> {
    /// A reader of a tape given as Arrow record batches, read batch by batch in place.
    ///
    /// The schema is checked now, as a Parquet tape's is (unknown, duplicate, missing
    /// required columns and unreadable types are errors on line 1); every cell is then
    /// validated as a CSV cell, so errors give the same line (row number plus one, the
    /// row's line in the CSV of the same tape), column and reason as the other formats.
    ///
    /// ```
    /// use creditlab_loan::columnar::tape_schema;
    /// use creditlab_loan::tape::{ArrowTapeReader, TapeFormat, write_tape};
    /// use creditlab_loan::synthetic::{BookSpec, bank_book};
    /// use arrow_array::RecordBatchReader as _;
    ///
    /// let book = bank_book(&BookSpec { loans: 20, total_principal: None, seed: 1 })?;
    /// // A tape as an Arrow IPC stream, decoded into record batches elsewhere.
    /// let ipc = write_tape(Vec::new(), TapeFormat::ArrowStream, book.records())?;
    /// let batches = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(ipc), None)?;
    /// assert_eq!(batches.schema(), tape_schema());
    /// let back = ArrowTapeReader::from_arrow(batches)?.collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(back, book.records());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_arrow(batches: impl arrow_array::RecordBatchReader + 'static) -> Result<Self> {
        let schema = batches.schema();
        Self::columnar_batches(&schema, Box::new(batches))
    }
}

impl<R: Read> Iterator for TapeReader<R> {
    type Item = Result<LoanRecord>;
    /// The next record; after an I/O or syntax error that loses the reader's place the
    /// iteration ends.
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_checked();
        if matches!(item, None | Some(Err(Error::Io(_)))) {
            self.done = true;
        }
        match (&self.path, item) {
            (Some(path), Some(Err(e))) => Some(Err(Error::InFile {
                path: path.clone(),
                source: Box::new(e),
            })),
            (_, item) => item,
        }
    }
}

fn csv_error(e: &csv::Error) -> Error {
    let line = e.position().map_or(0, csv::Position::line);
    let reason = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("the row has {len} fields but the header has {expected_len}"),
        csv::ErrorKind::Utf8 { err, .. } => format!("invalid UTF-8 in field {}", err.field() + 1),
        csv::ErrorKind::Io(io) => return Error::Io(std::io::Error::new(io.kind(), io.to_string())),
        _ => e.to_string(),
    };
    tape_error(line, "row", reason)
}

fn json_row(line: u64, text: &str) -> Result<LoanRecord> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| tape_error(line, "row", format!("invalid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(tape_error(
            line,
            "row",
            "expected one JSON object per line (JSON Lines), not an array or a scalar",
        ));
    };
    for key in map.keys() {
        if !COLUMNS.contains(&key.as_str()) {
            return Err(tape_error(line, key, unknown_column(key)));
        }
    }
    let mut cells = Vec::with_capacity(COLUMNS.len());
    for c in COLUMNS {
        let cell = match map.get(c) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            Some(_) => return Err(tape_error(line, c, "expected a number, a string or null")),
        };
        cells.push(cell);
    }
    let cells: Vec<Option<&str>> = cells.iter().map(Option::as_deref).collect();
    parse_row(line, &cells)
}

/// Column position in [`COLUMNS`]; the names used below are all listed there.
fn col(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).unwrap_or(0)
}

/// Turns the cells of one row (indexed like [`COLUMNS`], `None` = missing) into a record.
pub(crate) fn parse_row(line: u64, cells: &[Option<&str>]) -> Result<LoanRecord> {
    let get = |name: &str| cells[col(name)];
    let req = |name: &'static str| get(name).ok_or_else(|| tape_error(line, name, "missing value"));
    let num = |name: &'static str, text: &str| -> Result<f64> {
        text.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| {
                tape_error(
                    line,
                    name,
                    format!("`{}` is not a finite number", shown(text)),
                )
            })
    };
    let int = |name: &'static str, text: &str| -> Result<u64> {
        text.parse::<u64>().map_err(|_| {
            tape_error(
                line,
                name,
                format!("`{}` is not a non-negative integer", shown(text)),
            )
        })
    };
    let small = |name: &'static str, text: &str| -> Result<u32> {
        u32::try_from(int(name, text)?)
            .map_err(|_| tape_error(line, name, format!("`{}` is too large", shown(text))))
    };
    let opt_num = |name: &'static str| get(name).map(|t| num(name, t)).transpose();
    let absent = |name: &'static str, why: &str| -> Result<()> {
        match get(name) {
            Some(t) => Err(tape_error(line, name, format!("`{t}` given, but {why}"))),
            None => Ok(()),
        }
    };
    // Constructor errors name a field that is also a column.
    let at = |e: Error| match e {
        Error::Invalid { field, reason } => tape_error(line, field, reason),
        other => other,
    };

    let id = LoanId(int("id", req("id")?)?);
    let principal = num("principal", req("principal")?)?;
    let rate = match req("rate_type")? {
        "fixed" => {
            absent("index_rate", "the rate is fixed")?;
            absent("spread", "the rate is fixed")?;
            Rate::Fixed {
                annual: num("rate", req("rate")?)?,
            }
        }
        "floating" => {
            absent("rate", "a floating rate is given by index_rate and spread")?;
            Rate::Floating {
                index: num("index_rate", req("index_rate")?)?,
                spread: num("spread", req("spread")?)?,
            }
        }
        t => {
            return Err(tape_error(
                line,
                "rate_type",
                format!("`{t}` is not one of fixed, floating"),
            ));
        }
    };
    let term = small("term_months", req("term_months")?)?;
    let amortization = match req("amortization")? {
        "level_payment" => {
            absent("balloon_month", "the loan is not a balloon")?;
            Amortization::LevelPayment
        }
        "interest_only" => {
            absent("balloon_month", "the loan is not a balloon")?;
            Amortization::InterestOnly
        }
        "balloon" => Amortization::Balloon {
            balloon_month: small("balloon_month", req("balloon_month")?)?,
        },
        t => {
            return Err(tape_error(
                line,
                "amortization",
                format!("`{t}` is not one of level_payment, interest_only, balloon"),
            ));
        }
    };
    let channel = match req("channel")? {
        "bank_underwritten" => Channel::BankUnderwritten,
        "defi_anonymous" => Channel::DefiAnonymous,
        t => {
            return Err(tape_error(
                line,
                "channel",
                format!("`{t}` is not one of bank_underwritten, defi_anonymous"),
            ));
        }
    };
    let recourse = match req("recourse")? {
        "full" => Recourse::Full,
        "none" => Recourse::None,
        t => {
            return Err(tape_error(
                line,
                "recourse",
                format!("`{t}` is not one of full, none"),
            ));
        }
    };
    let loan = Loan::new(id, principal, rate, term, amortization, channel, recourse).map_err(at)?;

    let credit_score = get("credit_score")
        .map(|t| {
            u16::try_from(int("credit_score", t)?).map_err(|_| {
                tape_error(line, "credit_score", format!("`{t}` is outside 300..=850"))
            })
        })
        .transpose()?;
    let borrower =
        Borrower::new(credit_score, opt_num("income")?, opt_num("debt_service")?).map_err(at)?;

    let kind = match req("collateral_kind")? {
        "residential_property" => CollateralKind::ResidentialProperty,
        "vehicle" => CollateralKind::Vehicle,
        "crypto_asset" => CollateralKind::CryptoAsset,
        "unsecured" => CollateralKind::Unsecured,
        t => {
            return Err(tape_error(
                line,
                "collateral_kind",
                format!(
                    "`{t}` is not one of residential_property, vehicle, crypto_asset, unsecured"
                ),
            ));
        }
    };
    let mut collateral = Collateral::new(
        kind,
        num("collateral_value", req("collateral_value")?)?,
        num("collateral_volatility", req("collateral_volatility")?)?,
        num("liquidation_haircut", req("liquidation_haircut")?)?,
    )
    .map_err(at)?;
    if let Some(t) = get("collateral_asset") {
        let asset = AssetSymbol::new(t).map_err(at)?;
        collateral = collateral.with_asset(asset).map_err(at)?;
    }
    if let Some(t) = opt_num("liquidation_threshold")? {
        collateral = collateral.with_liquidation_threshold(t).map_err(at)?;
    }

    let defaulted = match get("defaulted") {
        None => None,
        Some("1" | "true") => Some(true),
        Some("0" | "false") => Some(false),
        Some(t) => {
            return Err(tape_error(
                line,
                "defaulted",
                format!("`{t}` is not 0, 1 or empty"),
            ));
        }
    };
    Ok(LoanRecord {
        loan,
        borrower,
        collateral,
        defaulted,
    })
}

/// The cells of one record, indexed like [`COLUMNS`]: JSON values, `Null` when missing.
pub(crate) fn cells(r: &LoanRecord) -> [Value; COLUMNS.len()] {
    let loan = &r.loan;
    let (rate_type, rate, index, spread) = match loan.rate() {
        Rate::Fixed { annual } => ("fixed", Some(annual), None, None),
        Rate::Floating { index, spread } => ("floating", None, Some(index), Some(spread)),
    };
    let (amortization, balloon) = match loan.amortization() {
        Amortization::LevelPayment => ("level_payment", None),
        Amortization::InterestOnly => ("interest_only", None),
        Amortization::Balloon { balloon_month } => ("balloon", Some(balloon_month)),
    };
    let channel = match loan.channel() {
        Channel::BankUnderwritten => "bank_underwritten",
        Channel::DefiAnonymous => "defi_anonymous",
    };
    let recourse = match loan.recourse() {
        Recourse::Full => "full",
        Recourse::None => "none",
    };
    let kind = match r.collateral.kind() {
        CollateralKind::ResidentialProperty => "residential_property",
        CollateralKind::Vehicle => "vehicle",
        CollateralKind::CryptoAsset => "crypto_asset",
        CollateralKind::Unsecured => "unsecured",
    };
    let f = |x: Option<f64>| x.map_or(Value::Null, Value::from);
    let b = &r.borrower;
    [
        Value::from(loan.id().0),
        Value::from(loan.principal()),
        Value::from(rate_type),
        f(rate),
        f(index),
        f(spread),
        Value::from(loan.term_months()),
        Value::from(amortization),
        balloon.map_or(Value::Null, Value::from),
        Value::from(channel),
        Value::from(recourse),
        b.credit_score().map_or(Value::Null, Value::from),
        f(b.income()),
        f(b.debt_service()),
        Value::from(kind),
        Value::from(r.collateral.value()),
        Value::from(r.collateral.volatility()),
        Value::from(r.collateral.haircut()),
        r.collateral.asset().map_or(Value::Null, Value::from),
        f(r.collateral.liquidation_threshold()),
        r.defaulted
            .map_or(Value::Null, |d| Value::from(u8::from(d))),
    ]
}

/// A tape writer: CSV with a header row, JSON Lines, Parquet or Arrow IPC (in batches of
/// 8,192 records). Numbers are written in the shortest form that reads back to the same
/// `f64` (or as `f64` themselves), so write → read is exact.
pub struct TapeWriter<W: Write> {
    inner: WriterInner<W>,
}

enum WriterInner<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Json(BufWriter<W>),
    Columnar(Box<ColumnarWriter<W>>),
}

impl<W: Write> TapeWriter<W> {
    /// A writer; for CSV the header row is written now.
    pub fn new(writer: W, format: TapeFormat) -> Result<Self> {
        let inner = match format {
            TapeFormat::Csv => {
                let mut w = csv::Writer::from_writer(writer);
                w.write_record(COLUMNS).map_err(std::io::Error::from)?;
                WriterInner::Csv(Box::new(w))
            }
            TapeFormat::JsonLines => WriterInner::Json(BufWriter::new(writer)),
            TapeFormat::Parquet | TapeFormat::ArrowIpc | TapeFormat::ArrowStream => {
                let c = format.columnar().expect("a columnar format");
                WriterInner::Columnar(Box::new(ColumnarWriter::new(writer, c)?))
            }
        };
        Ok(Self { inner })
    }

    /// Writes one record.
    pub fn write(&mut self, record: &LoanRecord) -> Result<()> {
        if let WriterInner::Columnar(w) = &mut self.inner {
            return w.write(record);
        }
        let cells = cells(record);
        match &mut self.inner {
            WriterInner::Csv(w) => {
                let text = cells.iter().map(|v| match v {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
                w.write_record(text).map_err(std::io::Error::from)?;
            }
            WriterInner::Json(w) => {
                let map: Map<String, Value> = COLUMNS
                    .iter()
                    .zip(cells)
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| ((*k).to_string(), v))
                    .collect();
                serde_json::to_writer(&mut *w, &map).map_err(std::io::Error::from)?;
                w.write_all(b"\n")?;
            }
            WriterInner::Columnar(_) => unreachable!("written above"),
        }
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W> {
        match self.inner {
            WriterInner::Csv(w) => w
                .into_inner()
                .map_err(|e| Error::Io(std::io::Error::other(e.to_string()))),
            WriterInner::Json(w) => w
                .into_inner()
                .map_err(|e| Error::Io(std::io::Error::other(e.to_string()))),
            WriterInner::Columnar(w) => w.finish(),
        }
    }
}

/// Writes `records` to `writer` as a whole tape.
pub fn write_tape<'a, W, I>(writer: W, format: TapeFormat, records: I) -> Result<W>
where
    W: Write,
    I: IntoIterator<Item = &'a LoanRecord>,
{
    let mut w = TapeWriter::new(writer, format)?;
    for r in records {
        w.write(r)?;
    }
    w.finish()
}

/// Writes `records` to a file, choosing the format from its extension.
pub fn save_tape<'a, I>(path: &Path, records: I) -> Result<()>
where
    I: IntoIterator<Item = &'a LoanRecord>,
{
    let format = TapeFormat::from_path(path)?;
    let file = File::create(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let mut file = write_tape(file, format, records)?;
    file.flush()?;
    Ok(())
}
