//! The output: one line per input row, CSV or JSON Lines, inputs masked unless asked.

use std::collections::HashMap;
use std::io::{self, Write};

use provider_trait::Request;
use serde::Serialize;

use crate::{Answer, Phase1, Row};

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// CSV with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// One output line.
#[derive(Serialize)]
struct OutputRow<'a> {
    row: usize,
    status: &'a str,
    provider: &'a str,
    face: &'a str,
    raw_code: &'a str,
    vendor_request_id: &'a str,
    gateway_request_id: &'a str,
    billed_calls: u32,
    same_as_row: String,
    detail: &'a str,
    id: String,
    name: String,
    mobile: String,
}

/// Writes one line per row of `phase` to `sink`: the row's outcome from `answers` (`None` for
/// a dry run: valid rows say `valid`), inputs masked unless `unmasked`.
///
/// # Errors
///
/// The sink could not be written, with the reason.
#[allow(clippy::implicit_hasher)] // the map `run` returns
pub fn write_output(
    sink: Box<dyn Write + '_>,
    format: Format,
    phase: &Phase1,
    answers: Option<&HashMap<String, Answer>>,
    unmasked: bool,
) -> Result<(), String> {
    let dry_run = answers.is_none();
    let none = HashMap::new();
    let answers = answers.unwrap_or(&none);
    let out = io::BufWriter::new(sink);
    let mut sink = match format {
        Format::Csv => Sink::Csv(Box::new(csv::Writer::from_writer(out))),
        Format::Jsonl => Sink::Jsonl(out),
    };
    let mut first_row_of: HashMap<usize, usize> = HashMap::new();
    let write_error = |e: &dyn std::fmt::Display| format!("cannot write the output: {e}");
    for row in &phase.rows {
        let (status, answer, same_as) = match &row.parsed {
            Err(_) => ("rejected", None, None),
            Ok(parsed) => {
                let first = *first_row_of.entry(parsed.distinct).or_insert(row.number);
                let same_as = (first != row.number).then_some(first);
                if dry_run {
                    ("valid", None, same_as)
                } else {
                    let key = &phase.distinct[parsed.distinct].1;
                    match answers.get(key) {
                        Some(answer) => (answer.status.as_str(), Some(answer), same_as),
                        None => ("not_sent", None, same_as),
                    }
                }
            }
        };
        let detail = match (&row.parsed, answer) {
            (Err(reason), _) => reason.as_str(),
            (_, Some(answer)) => answer.detail.as_str(),
            _ if status == "not_sent" => {
                "not sent: the run stopped, or an unbilled error; run again"
            }
            _ => "",
        };
        let (id, name, mobile) = shown_inputs(row, unmasked);
        let line = OutputRow {
            row: row.number,
            status,
            provider: text(answer.and_then(|a| a.provider.as_ref())),
            face: text(answer.and_then(|a| a.face.as_ref())),
            raw_code: text(answer.and_then(|a| a.raw_code.as_ref())),
            vendor_request_id: text(answer.and_then(|a| a.vendor_request_id.as_ref())),
            gateway_request_id: text(answer.and_then(|a| a.gateway_request_id.as_ref())),
            // A duplicate row shares its first row's call; it does not add one.
            billed_calls: if same_as.is_some() {
                0
            } else {
                answer.map_or(0, |a| a.billed_calls)
            },
            same_as_row: same_as.map(|n| n.to_string()).unwrap_or_default(),
            detail,
            id,
            name,
            mobile,
        };
        match &mut sink {
            Sink::Csv(writer) => writer.serialize(&line).map_err(|e| write_error(&e))?,
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, &line).map_err(|e| write_error(&e))?;
                writeln!(out).map_err(|e| write_error(&e))?;
            }
        }
    }
    match &mut sink {
        Sink::Csv(writer) => writer.flush(),
        Sink::Jsonl(out) => out.flush(),
    }
    .map_err(|e| write_error(&e))
}

/// Where output rows go, written as they are produced.
enum Sink<'a> {
    Csv(Box<csv::Writer<io::BufWriter<Box<dyn Write + 'a>>>>),
    Jsonl(io::BufWriter<Box<dyn Write + 'a>>),
}

fn text(value: Option<&String>) -> &str {
    value.map_or("", String::as_str)
}

/// The inputs as given (`--unmasked`), or masked; an invalid cell is not shown masked (there
/// is no safe mask for text that did not parse), only its length.
fn shown_inputs(row: &Row, unmasked: bool) -> (String, String, String) {
    if unmasked {
        return (
            row.raw.id.clone(),
            row.raw.name.clone(),
            row.raw.mobile.clone(),
        );
    }
    let Ok(parsed) = &row.parsed else {
        let hidden = |cell: &str| {
            if cell.is_empty() {
                String::new()
            } else {
                format!("({} characters)", cell.chars().count())
            }
        };
        return (
            hidden(&row.raw.id),
            hidden(&row.raw.name),
            hidden(&row.raw.mobile),
        );
    };
    let request = &parsed.request;
    let mobile = match request {
        Request::Mobile(m) => m.mobile.to_string(),
        _ => String::new(),
    };
    (request.id().to_string(), request.name().to_string(), mobile)
}
