//! A file of people, verified the way `idcheck batch` does it, for any program to run.
//!
//! Phase 1 ([`phase1`]) is offline and free: every row is parsed, invalid ones are rejected
//! with the precise reason, identical requests are grouped. Phase 2 ([`run`]) routes each
//! distinct request once through an [`idcheck_router::Fallback`], which claims and records
//! every vendor call in its ledger: re-running, or running another file with the same people,
//! pays nothing twice. [`write_output`] writes one line per row, inputs masked.
//!
//! ```
//! use std::path::Path;
//! use idcheck_batch::{ColumnNames, Format, phase1, write_output};
//! use idcheck_core::FaceImageParser;
//! use provider_trait::Check;
//! let csv = "id,name\n11010519491231002X,张三\n110105194912310021,李四\n";
//! let phase = phase1(csv, Check::Identity, &ColumnNames::default(), &FaceImageParser::new(), Path::new("."), &[0; 32])?;
//! assert_eq!((phase.valid(), phase.rejected()), (1, 1));
//! let mut out = Vec::new();
//! write_output(Box::new(&mut out), Format::Jsonl, &phase, None, false)?; // a dry run
//! assert!(String::from_utf8(out).unwrap().contains("110105********002X"));
//! # Ok::<(), String>(())
//! ```

mod input;
mod output;
mod run;

pub use input::{
    ColumnNames, Decoded, Delimiter, Parsed, Phase1, PhotoSource, RawInputs, Row, TextEncoding,
    load_photo, phase1, read_text,
};
pub use output::{Format, write_output};
pub use run::{Answer, Observer, Outcome, Settings, Stop, run};
