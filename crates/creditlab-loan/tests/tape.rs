//! Loan tapes: write → read round trips exactly (proptest), malformed rows name the line,
//! the column and the reason, and reading streams.

use creditlab_loan::synthetic::{BookSpec, bank_book, defi_book};
use creditlab_loan::tape::{COLUMNS, TapeFormat, TapeReader, write_tape};
use creditlab_loan::{
    Amortization, AssetSymbol, Borrower, Channel, Collateral, CollateralKind, Error, Loan, LoanId,
    LoanRecord, Rate, Recourse,
};
use creditlab_numerics::prec;
use proptest::prelude::*;

fn record() -> impl Strategy<Value = LoanRecord> {
    let rate = prop_oneof![
        (0.0..1.0f64).prop_map(|annual| Rate::Fixed { annual }),
        (0.0..0.5f64, 0.0..0.5f64).prop_map(|(index, spread)| Rate::Floating { index, spread }),
    ];
    let am = prop_oneof![Just(0u32), Just(u32::MAX), 1u32..600,];
    let kind = prop_oneof![
        Just(CollateralKind::ResidentialProperty),
        Just(CollateralKind::Vehicle),
        Just(CollateralKind::CryptoAsset),
        Just(CollateralKind::Unsecured),
    ];
    (
        any::<u64>(),
        1e-3..1e12f64,
        rate,
        2u32..=600,
        am,
        any::<bool>(),
        any::<bool>(),
        (
            prop::option::of(300u16..=850),
            prop::option::of(0.0..1e7f64),
            prop::option::of(0.0..1e7f64),
        ),
        (kind, 1e-3..1e12f64, 0.0..5.0f64, 0.0..=1.0f64),
        (
            prop::option::of("[A-Za-z0-9._-]{1,16}"),
            prop::option::of(1e-6..=1.0f64),
        ),
        prop::option::of(any::<bool>()),
    )
        .prop_map(
            |(id, p, rate, term, am, bank, full, (s, i, d), (kind, v, vol, h), (a, lt), def)| {
                let amortization = match am {
                    0 => Amortization::LevelPayment,
                    u32::MAX => Amortization::InterestOnly,
                    m => Amortization::Balloon {
                        balloon_month: 1 + m % (term - 1),
                    },
                };
                let channel = if bank {
                    Channel::BankUnderwritten
                } else {
                    Channel::DefiAnonymous
                };
                let recourse = if full { Recourse::Full } else { Recourse::None };
                let collateral = if kind == CollateralKind::Unsecured {
                    Collateral::unsecured()
                } else {
                    let mut c = Collateral::new(kind, v, vol, h).unwrap();
                    if let Some(a) = a {
                        c = c.with_asset(AssetSymbol::new(&a).unwrap()).unwrap();
                    }
                    if let Some(lt) = lt {
                        c = c.with_liquidation_threshold(lt).unwrap();
                    }
                    c
                };
                LoanRecord {
                    loan: Loan::new(LoanId(id), p, rate, term, amortization, channel, recourse)
                        .unwrap(),
                    borrower: Borrower::new(s, i, d).unwrap(),
                    collateral,
                    defaulted: def,
                }
            },
        )
}

fn read_all(bytes: Vec<u8>, format: TapeFormat) -> Vec<LoanRecord> {
    TapeReader::new(bytes.as_slice(), format)
        .unwrap()
        .collect::<creditlab_loan::Result<Vec<_>>>()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn csv_round_trip(records in prop::collection::vec(record(), 0..20)) {
        let bytes = write_tape(Vec::new(), TapeFormat::Csv, &records).unwrap();
        prop_assert_eq!(read_all(bytes, TapeFormat::Csv), records);
    }

    #[test]
    fn json_lines_round_trip(records in prop::collection::vec(record(), 0..20)) {
        let bytes = write_tape(Vec::new(), TapeFormat::JsonLines, &records).unwrap();
        prop_assert_eq!(read_all(bytes, TapeFormat::JsonLines), records);
    }
}

#[test]
fn synthetic_books_round_trip_in_both_formats() {
    let spec = BookSpec {
        loans: 300,
        total_principal: Some(5.0e7),
        seed: 11,
    };
    for book in [bank_book(&spec).unwrap(), defi_book(&spec).unwrap()] {
        for f in [TapeFormat::Csv, TapeFormat::JsonLines] {
            let bytes = write_tape(Vec::new(), f, book.records()).unwrap();
            assert_eq!(read_all(bytes, f), book.records());
        }
    }
}

fn tape_err(text: &str, format: TapeFormat) -> (u64, String, String) {
    let err = match TapeReader::new(text.as_bytes(), format) {
        Err(e) => e,
        Ok(mut r) => loop {
            match r.next() {
                Some(Err(e)) => break e,
                Some(Ok(_)) => continue,
                None => panic!("no error in {text}"),
            }
        },
    };
    match err {
        Error::Tape {
            line,
            column,
            reason,
        } => (line, column, reason),
        other => panic!("expected a tape error, got {other}"),
    }
}

/// A tape header without the optional collateral_asset and liquidation_threshold columns
/// (a tape written before they existed): still read.
const HEADER: &str = "id,principal,rate_type,rate,index_rate,spread,term_months,amortization,balloon_month,channel,recourse,credit_score,income,debt_service,collateral_kind,collateral_value,collateral_volatility,liquidation_haircut,defaulted";
/// Every column, as the writer emits them.
const FULL_HEADER: &str = "id,principal,rate_type,rate,index_rate,spread,term_months,amortization,balloon_month,channel,recourse,credit_score,income,debt_service,collateral_kind,collateral_value,collateral_volatility,liquidation_haircut,collateral_asset,liquidation_threshold,defaulted";
const GOOD: &str = "1,200000,fixed,0.06,,,360,level_payment,,bank_underwritten,full,720,90000,30000,residential_property,250000,0.1,0.25,0";

#[test]
fn header_matches_the_documented_columns() {
    // The collateral_asset and liquidation_threshold columns (issue 13) come before
    // `defaulted`; the header of a tape without them is the full header less those two.
    assert_eq!(FULL_HEADER, COLUMNS.join(","));
    assert_eq!(
        HEADER,
        FULL_HEADER.replace(",collateral_asset,liquidation_threshold", "")
    );
}

#[test]
fn the_collateral_asset_and_its_liquidation_threshold_read_and_name_their_column() {
    let row = |asset: &str, lt: &str| {
        format!(
            "{FULL_HEADER}\n2,5000,floating,,0.04,0.02,12,interest_only,,defi_anonymous,none,,,,\
             crypto_asset,9000,0.9,0.0476,{asset},{lt},0\n"
        )
    };
    let recs = read_all(row("WETH", "0.83").into_bytes(), TapeFormat::Csv);
    assert_eq!(recs[0].collateral.asset(), Some("WETH"));
    assert_eq!(recs[0].collateral.liquidation_threshold(), Some(0.83));
    let none = read_all(row("", "").into_bytes(), TapeFormat::Csv);
    assert_eq!(none[0].collateral.asset(), None);
    assert_eq!(none[0].collateral.liquidation_threshold(), None);
    for (asset, lt, column) in [
        ("W ETH", "0.83", "collateral_asset"),
        ("WETH", "1.5", "liquidation_threshold"),
        ("WETH", "0", "liquidation_threshold"),
        ("WETH", "high", "liquidation_threshold"),
    ] {
        let (line, col, why) = tape_err(&row(asset, lt), TapeFormat::Csv);
        assert_eq!((line, col.as_str()), (2, column), "{asset} {lt}: {why}");
    }
}

#[test]
fn malformed_csv_rows_name_line_and_column() {
    let cases = [
        (
            "2,abc,fixed,0.06,,,360,level_payment,,bank_underwritten,full,720,90000,30000,residential_property,250000,0.1,0.25,0",
            "principal",
            "not a finite number",
        ),
        (
            "2,1000,fixed,0.06,,,360,level_payment,,bank_underwritten,full,900,90000,30000,residential_property,250000,0.1,0.25,0",
            "credit_score",
            "850",
        ),
        (
            "2,1000,fixed,,,,360,level_payment,,bank_underwritten,full,,,,residential_property,250000,0.1,0.25,",
            "rate",
            "missing",
        ),
        (
            "2,1000,fixed,0.06,0.01,,360,level_payment,,bank_underwritten,full,,,,residential_property,250000,0.1,0.25,",
            "index_rate",
            "fixed",
        ),
        (
            "2,1000,fixed,0.06,,,360,level_payment,,bank,full,,,,residential_property,250000,0.1,0.25,",
            "channel",
            "not one of",
        ),
        (
            "2,1000,fixed,0.06,,,360,level_payment,,bank_underwritten,full,,,,residential_property,250000,0.1,0.25,maybe",
            "defaulted",
            "not 0, 1",
        ),
        (
            "2,1000,fixed,0.06,,,360,balloon,,bank_underwritten,full,,,,residential_property,250000,0.1,0.25,",
            "balloon_month",
            "missing",
        ),
        (
            "2,1000,fixed,0.06,,,360,level_payment,,bank_underwritten,full,,,,residential_property,250000,0.1,1.25,",
            "liquidation_haircut",
            "outside",
        ),
        (
            "2,1000,fixed,0.06,,,0,level_payment,,bank_underwritten,full,,,,residential_property,250000,0.1,0.25,",
            "term_months",
            "outside",
        ),
        ("2,1000,fixed,0.06", "row", "fields"),
    ];
    for (row, column, reason) in cases {
        let text = format!("{HEADER}\n{GOOD}\n{row}\n");
        let (line, col, why) = tape_err(&text, TapeFormat::Csv);
        assert_eq!(line, 3, "{row}");
        assert_eq!(col, column, "{row}: {why}");
        assert!(why.contains(reason), "{row}: {why}");
    }
}

#[test]
fn bad_csv_headers_are_line_1_errors() {
    let (line, col, _) = tape_err("id,principal,colour\n", TapeFormat::Csv);
    assert_eq!((line, col.as_str()), (1, "colour"));
    let (line, col, why) = tape_err("id,principal\n", TapeFormat::Csv);
    assert_eq!((line, col.as_str()), (1, "rate_type"));
    assert!(why.contains("required"));
}

#[test]
fn malformed_json_lines_name_line_and_column() {
    let good = r#"{"id":1,"principal":1000,"rate_type":"floating","index_rate":0.04,"spread":0.01,"term_months":12,"amortization":"interest_only","channel":"defi_anonymous","recourse":"none","collateral_kind":"crypto_asset","collateral_value":2000,"collateral_volatility":0.8,"liquidation_haircut":0.1}"#;
    let bad_value = good.replace(r#""spread":0.01"#, r#""spread":"wide""#);
    let text = format!("{good}\n\n{bad_value}\n");
    let (line, col, why) = tape_err(&text, TapeFormat::JsonLines);
    assert_eq!((line, col.as_str()), (3, "spread"), "{why}");
    let unknown = good.replace(r#""id":1"#, r#""id":1,"colour":"red""#);
    let (line, col, _) = tape_err(&format!("{good}\n{unknown}\n"), TapeFormat::JsonLines);
    assert_eq!((line, col.as_str()), (2, "colour"));
    let (line, col, why) = tape_err("[1, 2]\n", TapeFormat::JsonLines);
    assert_eq!((line, col.as_str()), (1, "row"));
    assert!(why.contains("JSON Lines"));
    let (line, col, _) = tape_err("{\"id\": \n", TapeFormat::JsonLines);
    assert_eq!((line, col.as_str()), (1, "row"));
    // The good row alone reads, with missing borrower fields as None.
    let recs = read_all(good.as_bytes().to_vec(), TapeFormat::JsonLines);
    assert!(recs[0].borrower.is_anonymous());
    assert_eq!(recs[0].defaulted, None);
}

#[test]
fn optional_columns_may_be_left_out_of_a_csv_header() {
    let text = "id,principal,rate_type,rate,term_months,amortization,channel,recourse,collateral_kind,collateral_value,collateral_volatility,liquidation_haircut\n\
                5,1000,fixed,0.05,60,level_payment,bank_underwritten,full,vehicle,1500,0.2,0.3\n";
    let recs = read_all(text.as_bytes().to_vec(), TapeFormat::Csv);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].loan.id(), LoanId(5));
    assert_eq!(recs[0].borrower, Borrower::anonymous());
}

/// A reader that produces a CSV tape of `n` identical loans on the fly, so the test
/// shows the reader streams (the tape is never in memory as a whole).
struct Generated {
    n: usize,
    i: usize,
    buf: Vec<u8>,
    pos: usize,
}

impl std::io::Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            if self.i == self.n {
                return Ok(0);
            }
            self.i += 1;
            self.buf = format!("{},200000,fixed,0.06,,,360,level_payment,,bank_underwritten,full,720,90000,30000,residential_property,250000,0.1,0.25,0\n", self.i).into_bytes();
            self.pos = 0;
        }
        let k = out.len().min(self.buf.len() - self.pos);
        out[..k].copy_from_slice(&self.buf[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

#[test]
fn a_million_loan_tape_streams() {
    let n = 1_000_000;
    let src = Generated {
        n,
        i: 0,
        buf: format!("{HEADER}\n").into_bytes(),
        pos: 0,
    };
    let mut count = 0usize;
    let mut total = 0.0;
    for r in TapeReader::new(src, TapeFormat::Csv).unwrap() {
        total += r.unwrap().loan.principal();
        count += 1;
    }
    assert_eq!(count, n);
    // A million principals of 200 000: integers, summed exactly.
    assert!((total - 2.0e11).abs() < prec::IDENTITY * 2.0e11);
}

/// Every format the tape reader and writer speak.
const ALL_FORMATS: [TapeFormat; 5] = [
    TapeFormat::Csv,
    TapeFormat::JsonLines,
    TapeFormat::Parquet,
    TapeFormat::ArrowIpc,
    TapeFormat::ArrowStream,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Write in any format, read back, write in any other: the records never change.
    #[test]
    fn every_format_round_trips_and_converts(
        records in prop::collection::vec(record(), 0..20),
        from in 0..ALL_FORMATS.len(),
        to in 0..ALL_FORMATS.len(),
    ) {
        let (a, b) = (ALL_FORMATS[from], ALL_FORMATS[to]);
        let back = read_all(write_tape(Vec::new(), a, &records).unwrap(), a);
        prop_assert_eq!(&back, &records);
        prop_assert_eq!(read_all(write_tape(Vec::new(), b, &back).unwrap(), b), records);
    }
}

#[test]
fn columnar_tapes_stream_in_batches_across_row_groups() {
    // More records than a batch and a row group hold, through a file: open_tape streams.
    let spec = BookSpec {
        loans: creditlab_loan::columnar::ROW_GROUP + 1_000,
        total_principal: None,
        seed: 3,
    };
    let book = defi_book(&spec).unwrap();
    let dir = std::env::temp_dir().join(format!("creditlab-tape-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["t.parquet", "t.arrow", "t.arrows"] {
        let path = dir.join(name);
        creditlab_loan::save_tape(&path, book.records()).unwrap();
        let back = creditlab_loan::open_tape(&path)
            .unwrap()
            .collect::<creditlab_loan::Result<Vec<_>>>()
            .unwrap();
        assert!(back == book.records(), "{name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A columnar tape of `header` and `rows` with every column a string column, as a tool
/// that exports text would write it.
fn string_tape(format: TapeFormat, header: &[&str], rows: &[Vec<&str>]) -> Vec<u8> {
    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;
    let schema = Arc::new(Schema::new(
        header
            .iter()
            .map(|h| Field::new(*h, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let columns: Vec<ArrayRef> = (0..header.len())
        .map(|c| {
            let col: StringArray = rows
                .iter()
                .map(|r| Some(r[c]).filter(|s| !s.is_empty()))
                .collect();
            Arc::new(col) as ArrayRef
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let mut out = Vec::new();
    match format {
        TapeFormat::Parquet => {
            let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, schema, None).unwrap();
            w.write(&batch).unwrap();
            w.close().unwrap();
        }
        TapeFormat::ArrowIpc => {
            let mut w = arrow_ipc::writer::FileWriter::try_new(&mut out, &schema).unwrap();
            w.write(&batch).unwrap();
            w.finish().unwrap();
        }
        _ => {
            let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, &schema).unwrap();
            w.write(&batch).unwrap();
            w.finish().unwrap();
        }
    }
    out
}

fn columnar_err(bytes: Vec<u8>, format: TapeFormat) -> (u64, String, String) {
    let err = match TapeReader::new(bytes.as_slice(), format) {
        Err(e) => e,
        Ok(r) => r.filter_map(Result::err).next().expect("an error"),
    };
    match err {
        Error::Tape {
            line,
            column,
            reason,
        } => (line, column, reason),
        other => panic!("not a tape error: {other}"),
    }
}

#[test]
fn columnar_errors_are_the_csv_errors() {
    // The same bad tapes as CSV and as columnar files: the same line, column and reason.
    let book = defi_book(&BookSpec {
        loans: 3,
        total_principal: None,
        seed: 1,
    })
    .unwrap();
    let csv = String::from_utf8(write_tape(Vec::new(), TapeFormat::Csv, book.records()).unwrap())
        .unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let good: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let cases: Vec<(usize, &str, &str)> = vec![
        (1, "principal", "lots"),
        (2, "rate_type", "variable"),
        (0, "credit_score", "900"),
        (2, "collateral_volatility", "-1"),
        (1, "id", good[0][0]),
    ];
    for (row, column, value) in cases {
        let mut rows = good.clone();
        rows[row][col(column)] = value;
        let text: String = std::iter::once(header.join(","))
            .chain(rows.iter().map(|r| r.join(",")))
            .map(|l| l + "\n")
            .collect();
        let expected = tape_err(&text, TapeFormat::Csv);
        for f in [
            TapeFormat::Parquet,
            TapeFormat::ArrowIpc,
            TapeFormat::ArrowStream,
        ] {
            assert_eq!(
                columnar_err(string_tape(f, &header, &rows), f),
                expected,
                "{f:?}"
            );
        }
    }
    // The schema as a header: an unknown column, a required one missing.
    let mut unknown = header.clone();
    unknown[3] = "ratte";
    let (line, column, why) = columnar_err(
        string_tape(TapeFormat::Parquet, &unknown, &good),
        TapeFormat::Parquet,
    );
    assert_eq!((line, column.as_str()), (1, "ratte"));
    assert!(why.contains("did you mean `rate`"), "{why}");
    let short: Vec<Vec<&str>> = good.iter().map(|r| r[1..].to_vec()).collect();
    let (line, column, _) = columnar_err(
        string_tape(TapeFormat::ArrowIpc, &header[1..], &short),
        TapeFormat::ArrowIpc,
    );
    assert_eq!((line, column.as_str()), (1, "id"));
    // Not a Parquet file at all.
    let (line, column, why) = columnar_err(b"id,principal\n".to_vec(), TapeFormat::Parquet);
    assert_eq!((line, column.as_str()), (1, "row"));
    assert!(why.contains("not a readable tape"), "{why}");
}

/// Every single-byte corruption of a small columnar tape (each byte set to 0xFF and to its
/// bitwise complement, in turn) reads as records or as an error, never a panic. Without
/// the guard around the decoders, parquet and arrow-ipc 60 panic on some of these (80 of
/// the Parquet corruptions and about 1,380 of each Arrow IPC format's, counted by the
/// printed line; arrow-ipc slices a buffer at an offset read from the file, unchecked).
/// Found by the short mutation run of the `tape_arrow_ipc` fuzz target.
#[test]
fn every_one_byte_corruption_of_a_columnar_tape_is_an_error_or_records_never_a_panic() {
    let spec = BookSpec {
        loans: 3,
        total_principal: Some(3.0e5),
        seed: 3,
    };
    let book = bank_book(&spec).unwrap();
    for format in [
        TapeFormat::Parquet,
        TapeFormat::ArrowIpc,
        TapeFormat::ArrowStream,
    ] {
        let good = write_tape(Vec::new(), format, book.records()).unwrap();
        let (mut errors, mut read, mut caught) = (0, 0, 0);
        for at in 0..good.len() {
            for byte in [0xFF, !good[at]] {
                let mut bad = good.clone();
                bad[at] = byte;
                let outcome =
                    std::panic::catch_unwind(|| match TapeReader::new(&bad[..], format) {
                        Err(e) => Err(e.to_string()),
                        Ok(r) => r.collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string()),
                    });
                match outcome
                    .unwrap_or_else(|_| panic!("{format:?}: byte {at} = {byte:#x} panicked"))
                {
                    Ok(_) => read += 1,
                    Err(why) => {
                        assert!(!why.is_empty());
                        caught += usize::from(why.contains("the decoder failed on malformed data"));
                        errors += 1;
                    }
                }
            }
        }
        eprintln!("{format:?}: {read} read, {errors} errors, {caught} of them caught panics");
        assert!(
            errors > 0 && read > 0,
            "{format:?}: {errors} errors, {read} read"
        );
    }
}

/// Found by fuzzing `tape_arrow_ipc` (fuzz/regressions/): files of about 6 KB whose footer
/// declares a block of gigabytes made arrow-ipc allocate and zero up to 4.2 GB and spend up
/// to 10 s before failing to read it. The footer's blocks are now checked against the file
/// first.
#[test]
fn an_arrow_file_whose_footer_points_past_its_end_is_refused_before_any_allocation() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/regressions/tape_arrow_ipc"
    );
    let mut found = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().contains("block-past-the-end") {
            continue;
        }
        found += 1;
        let bytes = std::fs::read(&path).unwrap();
        let e = TapeReader::new(&bytes[..], TapeFormat::ArrowIpc)
            .err()
            .expect("refused at once")
            .to_string();
        assert!(
            e.contains("lies outside the file"),
            "{}: {e}",
            path.display()
        );
        // From a file on disk too.
        let e = creditlab_loan::tape::open_tape(&path)
            .err()
            .expect("refused at once")
            .to_string();
        assert!(
            e.contains("lies outside the file"),
            "{}: {e}",
            path.display()
        );
    }
    assert_eq!(found, 3, "the three inputs of the campaign");
}

/// The tape of an Arrow IPC stream, decoded into record batches and read from them.
fn from_batches(ipc: Vec<u8>) -> creditlab_loan::Result<Vec<LoanRecord>> {
    let batches = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(ipc), None)
        .expect("an Arrow IPC stream");
    creditlab_loan::ArrowTapeReader::from_arrow(batches)?.collect()
}

#[test]
fn arrow_record_batches_read_as_the_tape_with_its_errors() {
    // Record batches (what a pyarrow table or polars frame hands over through the Arrow C
    // stream) give the records of the file, and the file's errors.
    let book = defi_book(&BookSpec {
        loans: 40,
        total_principal: None,
        seed: 2,
    })
    .unwrap();
    let ipc = write_tape(Vec::new(), TapeFormat::ArrowStream, book.records()).unwrap();
    assert_eq!(from_batches(ipc).unwrap(), book.records());
    let csv = String::from_utf8(write_tape(Vec::new(), TapeFormat::Csv, book.records()).unwrap())
        .unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let principal = header.iter().position(|h| *h == "principal").unwrap();
    rows[6][principal] = "lots";
    let text: String = std::iter::once(header.join(","))
        .chain(rows.iter().map(|r| r.join(",")))
        .map(|l| l + "\n")
        .collect();
    let expected = tape_err(&text, TapeFormat::Csv);
    assert_eq!(expected.0, 8);
    match from_batches(string_tape(TapeFormat::ArrowStream, &header, &rows)) {
        Err(Error::Tape {
            line,
            column,
            reason,
        }) => assert_eq!((line, column, reason), expected),
        other => panic!("not a tape error: {other:?}"),
    }
    // A column of a type a tape has no use for is refused by name, on line 1.
    use arrow_array::{ArrayRef, Date32Array, RecordBatch, RecordBatchIterator, UInt64Array};
    let batch = RecordBatch::try_from_iter([
        (
            "id",
            std::sync::Arc::new(UInt64Array::from(vec![1u64])) as ArrayRef,
        ),
        (
            "principal",
            std::sync::Arc::new(Date32Array::from(vec![19_000])),
        ),
    ])
    .unwrap();
    let schema = batch.schema();
    let reader = RecordBatchIterator::new([Ok(batch)], schema);
    match creditlab_loan::ArrowTapeReader::from_arrow(reader) {
        Err(Error::Tape {
            line: 1,
            column,
            reason,
        }) => {
            assert_eq!(column, "principal");
            assert!(reason.contains("Date32 is not supported"), "{reason}");
        }
        Err(other) => panic!("not a tape error: {other}"),
        Ok(_) => panic!("a Date32 principal was accepted"),
    }
}
