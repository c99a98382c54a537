//! A file of people through the batch engine from Rust, against an in-process sandbox: rows
//! checked offline (rejects are free), each distinct request sent once with fallback, one
//! output line per row, inputs masked.
//!
//! `cargo run --example batch_file --features full [-- FILE.csv]` (default:
//! `examples/people.csv`). The same engine runs `idcheck batch`.

use std::path::PathBuf;
use std::sync::Arc;

use idcheck::FaceImageParser;
use idcheck::Verifier;
use idcheck::gateway::Auth;
use idcheck::provider::{Check, Price};
use idcheck_batch::{Answer, ColumnNames, Format, PeopleFile, Plan, Settings, Stop};
use idcheck_sandbox::{DEFAULT_APPCODE, Sandbox, SandboxConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args_os().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/people.csv"),
        PathBuf::from,
    );

    // Phase 1, offline: the encoding and delimiter are detected, rows streamed, duplicates
    // grouped; nothing here needs credentials.
    let file = PeopleFile::open(&path, None)?;
    let mut rows = file.rows(
        Check::Identity,
        &ColumnNames::default(),
        &FaceImageParser::new(),
    )?;
    let mut salt = [0u8; 32]; // keys requests within this run only
    getrandom::fill(&mut salt)?;
    let plan = Plan::build(&mut rows, &salt, false)?;
    let counts = plan.counts();
    eprintln!(
        "{} valid rows ({} distinct), {} rejected offline for free",
        counts.valid,
        plan.distinct().len(),
        counts.rejected
    );

    // Phase 2: each distinct request once, through the vendors, on the ledger.
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0").await?;
    let verifier = Verifier::builder()
        .credentials(Auth::app_code(DEFAULT_APPCODE)?)
        .base_url(sandbox.base_url())
        .vendor("idcardcert")
        .vendor("checkone")
        .price("idcardcert", Price::from_milli_yuan(70))
        .price("checkone", Price::from_milli_yuan(50))
        .build()
        .await?;
    let progress = |answer: &Answer| eprintln!("answered: {}", answer.status);
    let outcome = idcheck_batch::run(
        plan.distinct(),
        verifier.into_router(),
        Settings::new(8, 0.0)?,
        Arc::new(progress),
        Arc::new(Stop::default()),
    )
    .await;
    let cost = outcome
        .cost
        .map_or_else(|| "unknown".to_owned(), |c| c.to_string());
    eprintln!("{} billed call(s), cost {cost}", outcome.billed_calls);

    // One line per row, in the file's order; the duplicates share their first row's answer.
    plan.write(Format::Csv, &outcome.answers, &mut std::io::stdout().lock())?;
    Ok(())
}
