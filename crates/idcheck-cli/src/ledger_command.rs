//! `idcheck ledger`: look into the record of paid calls and settle unresolved ones. Nothing it
//! prints is personal data: entries are HMACs, vendor text was scrubbed before it was stored.

use std::process::ExitCode;
use std::time::Duration;

use idcheck::ledger::{CallId, CallRecord, Ledger};

/// What `idcheck ledger` was asked.
#[derive(clap::Subcommand)]
pub(crate) enum Action {
    /// Counts: entries, calls by state, billed calls and their cost.
    Stats,
    /// Calls that may have been billed and have no answer (killed in flight, timed out).
    Unresolved,
    /// Settle an unresolved call after checking the vendor's bill: either way the request
    /// may then be sent again.
    Resolve {
        /// The call's id (from `idcheck ledger unresolved`).
        call: i64,
        /// It was billed (counts in reports).
        #[arg(
            long,
            conflicts_with = "not_billed",
            required_unless_present = "not_billed"
        )]
        billed: bool,
        /// It was not billed.
        #[arg(long)]
        not_billed: bool,
    },
    /// Delete ended calls older than an age (e.g. 90d, 12h); unresolved calls stay.
    Purge {
        /// The age: a number with d (days) or h (hours).
        #[arg(long, value_name = "AGE", value_parser = parse_age)]
        older_than: Duration,
    },
    /// Billed calls and cost per vendor per day (UTC).
    Report {
        /// From this day on (YYYY-MM-DD, UTC); default the last 30 days.
        #[arg(long, value_name = "DAY")]
        since: Option<chrono::NaiveDate>,
        /// One line per client too (calls made by `idcheck serve` for its clients).
        #[arg(long)]
        by_client: bool,
    },
}

/// `90d`, `12h`.
fn parse_age(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("{text:?}: give a number of days or hours, e.g. 90d or 12h");
    let (number, hours_each) = match (text.strip_suffix('d'), text.strip_suffix('h')) {
        (Some(days), _) => (days, 24),
        (_, Some(hours)) => (hours, 1),
        _ => return Err(bad()),
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    let hours = n
        .checked_mul(hours_each)
        .filter(|h| *h <= 24 * 365 * 100)
        .ok_or_else(bad)?;
    Ok(Duration::from_secs(hours * 3600))
}

pub(crate) fn run(location: Option<&str>, action: &Action, json: bool) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("idcheck ledger: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(act(location, action, json)) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("idcheck ledger: {message}");
            ExitCode::from(2)
        }
    }
}

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

fn print_json(value: &impl serde::Serialize) -> Result<(), String> {
    say(&serde_json::to_string(value).map_err(|e| e.to_string())?)
}

/// One line to standard output; a closed pipe (`| head`) ends the command, not a panic.
fn say(line: &str) -> Result<(), String> {
    use std::io::Write as _;
    writeln!(std::io::stdout().lock(), "{line}").map_err(|e| format!("cannot write: {e}"))
}

async fn act(location: Option<&str>, action: &Action, json: bool) -> Result<u8, String> {
    // Looking into a ledger never makes one: a typo in --ledger is an error, not an empty one.
    let ledger: Ledger = crate::batch_command::open_existing_ledger(location).await?;
    let result = act_on(&ledger, action, json).await;
    let _ = ledger.close().await;
    result
}

async fn act_on(ledger: &Ledger, action: &Action, json: bool) -> Result<u8, String> {
    let failed = |e: idcheck::ledger::LedgerError| e.to_string();
    match action {
        Action::Stats => {
            let stats = ledger.stats().await.map_err(failed)?;
            if json {
                print_json(&stats)?;
            } else {
                say(&format!("ledger     {}", ledger.location()))?;
                say(&format!("entries    {}", stats.entries))?;
                say(&format!(
                    "calls      {} answered, {} released, {} unresolved, {} re-sent, {} in flight",
                    stats.answered, stats.released, stats.unresolved, stats.resent, stats.claimed
                ))?;
                say(&format!(
                    "billed     {} calls, {}",
                    stats.billed,
                    yuan(stats.cost_milli_yuan)
                ))?;
            }
            Ok(0)
        }
        Action::Unresolved => {
            let calls = ledger.unresolved().await.map_err(failed)?;
            for call in &calls {
                if json {
                    print_json(call)?;
                } else {
                    print_call(call)?;
                }
            }
            if !json {
                eprintln!(
                    "idcheck ledger: {} unresolved calls; check the vendor's bill, then `idcheck ledger resolve ID --billed|--not-billed`, or re-run the batch with --resend-unresolved",
                    calls.len()
                );
            }
            Ok(u8::from(!calls.is_empty()))
        }
        Action::Resolve { call, billed, .. } => {
            if ledger
                .resolve(CallId(*call), *billed)
                .await
                .map_err(failed)?
            {
                eprintln!(
                    "idcheck ledger: call {call} resolved as {}",
                    if *billed { "billed" } else { "not billed" }
                );
                Ok(0)
            } else {
                Err(format!("no unresolved call {call}"))
            }
        }
        Action::Purge { older_than } => {
            if *older_than < ledger.max_age() {
                eprintln!(
                    "idcheck ledger: warning: answers younger than {} days are still reused; purging them means paying for those people again",
                    ledger.max_age().as_secs() / 86_400
                );
            }
            let deleted = ledger.purge_older_than(*older_than).await.map_err(failed)?;
            eprintln!("idcheck ledger: deleted {deleted} ended calls");
            Ok(0)
        }
        Action::Report { since, by_client } => {
            let since_ms = match since {
                Some(day) => day
                    .and_hms_opt(0, 0, 0)
                    .map_or(0, |t| t.and_utc().timestamp_millis()),
                // The last 30 days by the ledger's clock, which every process shares.
                None => ledger.now_ms().await.map_err(failed)? - 30 * 24 * 3600 * 1000,
            };
            let usage = ledger.usage(since_ms, *by_client).await.map_err(failed)?;
            for day in &usage {
                if json {
                    print_json(day)?;
                } else {
                    let client = day
                        .client
                        .as_deref()
                        .map(|c| format!("  client {c}"))
                        .unwrap_or_default();
                    say(&format!(
                        "{}  {:<11} billed {:>6}  maybe billed {:>4}  {}{client}",
                        day.day,
                        day.vendor,
                        day.billed_calls,
                        day.maybe_billed_calls,
                        yuan(day.cost_milli_yuan)
                    ))?;
                }
            }
            Ok(0)
        }
    }
}

fn yuan(milli: i64) -> String {
    format!("{}.{:03} yuan", milli / 1000, (milli % 1000).abs())
}

fn print_call(call: &CallRecord) -> Result<(), String> {
    say(&format!(
        "call {:<6} {:<11} claimed {}  entry {}…  base {}{}",
        call.id,
        call.vendor,
        time(call.claimed_at_ms),
        &call.entry[..call.entry.len().min(12)],
        call.base_url,
        call.gateway_request_id
            .as_deref()
            .map(|r| format!("  gateway request {r}"))
            .unwrap_or_default()
    ))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ages_in_days_and_hours() {
        assert_eq!(parse_age("90d"), Ok(Duration::from_secs(90 * 86_400)));
        assert_eq!(parse_age("12h"), Ok(Duration::from_secs(12 * 3600)));
        for bad in ["", "d", "12", "-1d", "1.5d", "99999999999d"] {
            assert!(parse_age(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_age_text_parses_or_errs_without_panic(text in "\\PC{0,12}") {
            let _ = parse_age(&text);
        }
    }
}
