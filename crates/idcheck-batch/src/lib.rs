//! A file of people, verified the way `idcheck batch` does it, for any program to run.
//!
//! Phase 1 is offline and free: every row is parsed by the core's parsers, invalid ones are
//! rejected with the precise reason, identical requests are grouped by an exact key.
//! [`PeopleFile`] checks a file's encoding (UTF-8 ± BOM, UTF-16 with a BOM, GB18030/GBK) and
//! delimiter, then [`Rows`] streams its rows one at a time: memory grows with the distinct
//! requests only (about 30 bytes each), never with the file. [`dry_run`] writes each row's
//! line as it is read; [`Plan::build`] keeps what a paid run needs.
//!
//! Phase 2 ([`run`]) routes each distinct request once through an
//! [`idcheck_router::Fallback`], which claims and records every vendor call in its ledger:
//! re-running, or running another file with the same people, pays nothing twice.
//! [`Plan::write`] then writes one line per row, inputs masked.
//!
//! ```
//! use idcheck_batch::{ColumnNames, Format, PeopleFile, dry_run};
//! use idcheck_core::FaceImageParser;
//! use provider_trait::Check;
//! # let path = std::env::temp_dir().join(format!("idcheck-batch-doc-{}.csv", std::process::id()));
//! # std::fs::write(&path, "id,name\n11010519491231002X,张三\n110105194912310021,李四\n").unwrap();
//! let file = PeopleFile::open(&path, None)?;
//! let mut rows = file.rows(Check::Identity, &ColumnNames::default(), &FaceImageParser::new())?;
//! let mut out = Vec::new();
//! let counts = dry_run(&mut rows, Format::Jsonl, false, &mut out)?;
//! assert_eq!((counts.valid, counts.rejected), (1, 1));
//! assert!(String::from_utf8(out).unwrap().contains("110105********002X"));
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), String>(())
//! ```
//!
//! [`phase1`] and [`write_output`] do the same for a text already in memory, holding every
//! row.

mod dedup;
mod input;
mod output;
mod output_file;
mod photo_loader;
mod plan;
mod run;
mod scan;
mod text;
mod workbook;
mod xlsx;

pub use input::{
    ColumnNames, Delimiter, MAX_PHOTO_FILE_BYTES, Parsed, Phase1, PhotoSource, RawInputs, Row,
    load_photo, phase1, read_photo_file,
};
pub use output::{Format, dry_run, write_output};
pub use output_file::{OutputError, OutputFile};
pub use plan::{Plan, PlannedRequests};
pub use run::{Answer, DistinctRequests, Observer, Outcome, Settings, Stop, run};
pub use scan::{Cells, Counts, PeopleFile, RowView, Rows};
pub use text::{Decoded, MAX_ROW_BYTES, TextEncoding, read_text};
pub use workbook::SheetChoice;
pub use xlsx::{RunSummary, XLSX_MAX_ROWS, csv_to_xlsx};

/// The hasher of [`foldhash`], for the batch bench's floor loop (which groups rows the way
/// the engine does); not part of the API.
#[doc(hidden)]
pub use foldhash::fast::RandomState as FoldHashState;
