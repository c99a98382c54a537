//! The output: one line per input row, CSV or JSON Lines, inputs masked unless asked. Lines
//! are written by hand into one buffer, byte for byte as `csv::Writer::serialize` and
//! `serde_json::to_writer` write them (tests hold the two side by side).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Read, Write};

use idcheck_core::{IdNumber, Mobile, Name};
use provider_trait::Request;

use crate::scan::{Counts, Rows, Status};
use crate::{Answer, Phase1};

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// CSV with a header row (none when there are no rows).
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// What a row whose request was not answered says.
const NOT_SENT: &str = "not sent: the run stopped, or an unbilled error; run again";

/// The CSV header row: the fields of every line, in order.
const CSV_HEADER: &[u8] = b"row,status,provider,face,raw_code,vendor_request_id,gateway_request_id,billed_calls,same_as_row,detail,id,name,mobile\n";

/// The inputs a line shows.
pub(crate) enum Shown<'a> {
    /// A valid row's parsed inputs, masked (`110105********002X`, `张*`, `138****8000`).
    Masked {
        id: &'a IdNumber,
        name: &'a Name,
        mobile: Option<&'a Mobile>,
    },
    /// An invalid row's cells (id, name, mobile) by their length in characters only (0 for
    /// an empty cell): there is no safe mask for text that did not parse.
    Lengths([usize; 3]),
    /// The cells as given (`--unmasked`).
    AsGiven {
        id: &'a str,
        name: &'a str,
        mobile: &'a str,
    },
}

impl<'a> Shown<'a> {
    /// Cells by their lengths.
    pub(crate) fn lengths(id: &str, name: &str, mobile: &str) -> Self {
        Self::Lengths([id, name, mobile].map(|cell| cell.chars().count()))
    }

    /// A request's inputs, masked; for a check other than a mobile check, the row's mobile
    /// (`shown_mobile`, when its cell held a valid one) is shown too.
    pub(crate) fn masked(request: &'a Request, shown_mobile: Option<&'a Mobile>) -> Self {
        Self::Masked {
            id: request.id(),
            name: request.name(),
            mobile: match request {
                Request::Mobile(m) => Some(&m.mobile),
                _ => shown_mobile,
            },
        }
    }
}

/// A mobile cell shown beside a check that does not send it: masked when it is a valid
/// mobile, empty otherwise (there is no safe mask for text that did not parse).
pub(crate) fn shown_mobile_of(cell: &str) -> Option<Mobile> {
    if cell.is_empty() {
        None
    } else {
        Mobile::parse(cell).ok()
    }
}

/// One output line.
pub(crate) struct Line<'a> {
    row: u64,
    status: &'a str,
    answer: Option<&'a Answer>,
    billed_calls: u32,
    same_as: Option<u64>,
    detail: &'a str,
    shown: Shown<'a>,
}

impl<'a> Line<'a> {
    /// Row `row`'s line: rejected for `rejection`, else its request's `answer` (none for a
    /// dry run: the row is `valid`; none otherwise: the request was not sent).
    pub(crate) fn new(
        row: u64,
        rejection: Option<&'a str>,
        answer: Option<&'a Answer>,
        dry_run: bool,
        same_as: Option<u64>,
        shown: Shown<'a>,
    ) -> Self {
        let status = match (rejection, answer) {
            (Some(_), _) => "rejected",
            (None, _) if dry_run => "valid",
            (None, Some(answer)) => answer.status.as_str(),
            (None, None) => "not_sent",
        };
        let answer = answer.filter(|_| rejection.is_none() && !dry_run);
        let detail = match (rejection, answer) {
            (Some(reason), _) => reason,
            (None, Some(answer)) => answer.detail.as_str(),
            (None, None) if status == "not_sent" => NOT_SENT,
            (None, None) => "",
        };
        Self {
            row,
            status,
            answer,
            // A duplicate row shares its first row's call; it does not add one.
            billed_calls: if same_as.is_some() {
                0
            } else {
                answer.map_or(0, |a| a.billed_calls)
            },
            same_as,
            detail,
            shown,
        }
    }
}

/// Bytes gathered before they are written to the sink.
const FLUSH_AT: usize = 64 * 1024;

/// Writes lines to a sink through one buffer.
pub(crate) struct LineWriter<'w> {
    sink: &'w mut dyn Write,
    format: Format,
    buffer: Vec<u8>,
    lines: u64,
    scratch: String,
}

impl<'w> LineWriter<'w> {
    pub(crate) fn new(sink: &'w mut dyn Write, format: Format) -> Self {
        Self {
            sink,
            format,
            buffer: Vec::with_capacity(FLUSH_AT + 4096),
            lines: 0,
            scratch: String::new(),
        }
    }

    /// Adds `line`; writes the buffer out when it is full.
    pub(crate) fn write(&mut self, line: &Line<'_>) -> Result<(), String> {
        match self.format {
            Format::Csv => self.csv(line),
            Format::Jsonl => self.json(line),
        }
        self.lines += 1;
        if self.buffer.len() >= FLUSH_AT {
            self.sink
                .write_all(&self.buffer)
                .map_err(|e| write_error(&e))?;
            self.buffer.clear();
        }
        Ok(())
    }

    /// Writes what is buffered and flushes the sink.
    pub(crate) fn finish(mut self) -> Result<(), String> {
        self.sink
            .write_all(&self.buffer)
            .map_err(|e| write_error(&e))?;
        self.buffer.clear();
        self.sink.flush().map_err(|e| write_error(&e))
    }

    fn csv(&mut self, line: &Line<'_>) {
        let out = &mut self.buffer;
        if self.lines == 0 {
            out.extend_from_slice(CSV_HEADER);
        }
        push_u64(out, line.row);
        out.push(b',');
        // Statuses are words of ours: nothing to quote.
        out.extend_from_slice(line.status.as_bytes());
        out.push(b',');
        match line.answer {
            None => out.extend_from_slice(b",,,,,"),
            Some(_) => {
                for text in answer_texts(line.answer) {
                    csv_field(out, text);
                    out.push(b',');
                }
            }
        }
        push_u64(out, u64::from(line.billed_calls));
        out.push(b',');
        if let Some(row) = line.same_as {
            push_u64(out, row);
        }
        out.push(b',');
        csv_field(out, line.detail);
        out.push(b',');
        shown(out, &line.shown, &mut self.scratch, false);
        out.push(b'\n');
    }

    fn json(&mut self, line: &Line<'_>) {
        let out = &mut self.buffer;
        out.extend_from_slice(b"{\"row\":");
        push_u64(out, line.row);
        out.extend_from_slice(b",\"status\":");
        json_string(out, line.status);
        let [
            provider,
            face,
            raw_code,
            vendor_request_id,
            gateway_request_id,
        ] = answer_texts(line.answer);
        out.extend_from_slice(b",\"provider\":");
        json_string(out, provider);
        out.extend_from_slice(b",\"face\":");
        json_string(out, face);
        out.extend_from_slice(b",\"raw_code\":");
        json_string(out, raw_code);
        out.extend_from_slice(b",\"vendor_request_id\":");
        json_string(out, vendor_request_id);
        out.extend_from_slice(b",\"gateway_request_id\":");
        json_string(out, gateway_request_id);
        out.extend_from_slice(b",\"billed_calls\":");
        push_u64(out, u64::from(line.billed_calls));
        out.extend_from_slice(b",\"same_as_row\":\"");
        if let Some(row) = line.same_as {
            push_u64(out, row);
        }
        out.extend_from_slice(b"\",\"detail\":");
        json_string(out, line.detail);
        out.extend_from_slice(b",\"id\":");
        shown(out, &line.shown, &mut self.scratch, true);
        out.extend_from_slice(b"}\n");
    }
}

/// The answer's provider, face, raw code, vendor and gateway request ids (`""` for none).
fn answer_texts(answer: Option<&Answer>) -> [&str; 5] {
    fn text(value: Option<&String>) -> &str {
        value.map_or("", String::as_str)
    }
    match answer {
        None => [""; 5],
        Some(a) => [
            text(a.provider.as_ref()),
            text(a.face.as_ref()),
            text(a.raw_code.as_ref()),
            text(a.vendor_request_id.as_ref()),
            text(a.gateway_request_id.as_ref()),
        ],
    }
}

/// The id, name and mobile fields, as CSV fields or (`json`) JSON strings with the keys of
/// the name and the mobile.
fn shown(out: &mut Vec<u8>, shown: &Shown<'_>, scratch: &mut String, json: bool) {
    let field = if json { json_string } else { csv_field };
    // Masks and lengths are digits, `*`, `X`, Chinese characters, dots and `( characters)`:
    // nothing to quote or escape.
    let plain = |out: &mut Vec<u8>, text: &str| {
        if json {
            out.push(b'"');
            out.extend_from_slice(text.as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(text.as_bytes());
        }
    };
    let between = |out: &mut Vec<u8>, key: &str| {
        if json {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
        } else {
            out.push(b',');
        }
    };
    match shown {
        Shown::Masked { id, name, mobile } => {
            plain(out, id.masked().as_str());
            between(out, "name");
            if json {
                out.push(b'"');
            }
            let _ = write!(Bytes(out), "{}", name.masked());
            if json {
                out.push(b'"');
            }
            between(out, "mobile");
            plain(
                out,
                mobile
                    .map(Mobile::masked)
                    .as_ref()
                    .map_or("", |m| m.as_str()),
            );
        }
        Shown::Lengths(lengths) => {
            for (length, key) in lengths.iter().zip(["", "name", "mobile"]) {
                if !key.is_empty() {
                    between(out, key);
                }
                scratch.clear();
                if *length > 0 {
                    let _ = write!(scratch, "({length} characters)");
                }
                plain(out, scratch);
            }
        }
        Shown::AsGiven { id, name, mobile } => {
            field(out, id);
            between(out, "name");
            field(out, name);
            between(out, "mobile");
            field(out, mobile);
        }
    }
}

/// `fmt::Write` into a byte buffer.
struct Bytes<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Bytes<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

/// A decimal number.
fn push_u64(out: &mut Vec<u8>, value: u64) {
    match u32::try_from(value) {
        Ok(value) => push_u32(out, value),
        Err(_) => push_u64_slow(out, value),
    }
}

/// A decimal number of 32 bits (every row number), two digits at a time.
fn push_u32(out: &mut Vec<u8>, mut value: u32) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut digits = [0_u8; 10];
    let mut at = digits.len();
    while value >= 100 {
        let pair = (value % 100) as usize * 2;
        value /= 100;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if value >= 10 {
        let pair = value as usize * 2;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        #[allow(clippy::cast_possible_truncation)] // one digit
        let digit = value as u8;
        digits[at] = b'0' + digit;
    }
    out.extend_from_slice(&digits[at..]);
}

fn push_u64_slow(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0_u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        #[allow(clippy::cast_possible_truncation)] // one digit
        let digit = (value % 10) as u8;
        digits[at] = b'0' + digit;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// A CSV field as `csv::Writer` writes it: in quotes, with quotes doubled, when it holds a
/// comma, a quote, a carriage return or a line feed.
fn csv_field(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    if !bytes
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
        out.extend_from_slice(bytes);
        return;
    }
    out.push(b'"');
    for &byte in bytes {
        if byte == b'"' {
            out.push(b'"');
        }
        out.push(byte);
    }
    out.push(b'"');
}

/// A JSON string as `serde_json` writes it: `"` and `\` escaped, control characters as
/// `\b` `\t` `\n` `\f` `\r` or `\u00xx`, everything else as is.
fn json_string(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0C => b"\\f",
            b'\r' => b"\\r",
            0..=0x1F => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 15)],
            ],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..at]);
        out.extend_from_slice(escape);
        start = at + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn write_error(e: &std::io::Error) -> String {
    format!("cannot write the output: {e}")
}

/// Phase 1 as a dry run: reads every row of `rows` and writes its line to `sink` as it goes
/// (valid rows say `valid`, duplicates the row they repeat), inputs masked unless `unmasked`.
/// Memory stays bounded by the distinct requests, whatever the file's size.
///
/// # Errors
///
/// A row could not be read ([`Rows::next_row`]; the lines of the rows before it are written),
/// or the sink could not be written.
pub fn dry_run<R: Read>(
    rows: &mut Rows<R>,
    format: Format,
    unmasked: bool,
    sink: &mut dyn Write,
) -> Result<Counts, String> {
    let mut out = LineWriter::new(sink, format);
    loop {
        let row = match rows.next_row() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => {
                // The lines of the rows before are written; then the reason it stopped.
                let _ = out.finish();
                return Err(e);
            }
        };
        let cells = row.cells;
        let shown_mobile;
        let (rejection, shown) = match row.status {
            Status::Rejected(reason) => (
                Some(reason),
                Shown::lengths(cells.id, cells.name, cells.mobile),
            ),
            Status::Valid { parts, .. } => {
                shown_mobile = parts.mobile.or_else(|| shown_mobile_of(cells.mobile));
                (
                    None,
                    Shown::Masked {
                        id: &parts.id,
                        name: &parts.name,
                        mobile: shown_mobile.as_ref(),
                    },
                )
            }
        };
        let shown = if unmasked {
            Shown::AsGiven {
                id: cells.id,
                name: cells.name,
                mobile: cells.mobile,
            }
        } else {
            shown
        };
        out.write(&Line::new(
            row.number,
            rejection,
            None,
            true,
            row.same_as_row(),
            shown,
        ))?;
    }
    out.finish()?;
    Ok(rows.counts())
}

/// Writes one line per row of `phase` to `sink`: the row's outcome from `answers` (`None` for
/// a dry run: valid rows say `valid`), inputs masked unless `unmasked`.
///
/// # Errors
///
/// The sink could not be written, with the reason.
#[allow(clippy::implicit_hasher)] // the map `run` returns
pub fn write_output(
    mut sink: Box<dyn Write + '_>,
    format: Format,
    phase: &Phase1,
    answers: Option<&HashMap<String, Answer>>,
    unmasked: bool,
) -> Result<(), String> {
    let mut out = LineWriter::new(&mut sink, format);
    let mut first_row_of = vec![0; phase.distinct.len()];
    for row in &phase.rows {
        let number = row.number as u64;
        let shown_mobile;
        let (rejection, answer, same_as, shown) = match &row.parsed {
            Err(reason) => (
                Some(reason.as_str()),
                None,
                None,
                Shown::lengths(&row.raw.id, &row.raw.name, &row.raw.mobile),
            ),
            Ok(parsed) => {
                let first = &mut first_row_of[parsed.distinct];
                if *first == 0 {
                    *first = number;
                }
                let key = &phase.distinct[parsed.distinct].1;
                shown_mobile = shown_mobile_of(&row.raw.mobile);
                (
                    None,
                    answers.and_then(|a| a.get(key)),
                    (*first != number).then_some(*first),
                    Shown::masked(&parsed.request, shown_mobile.as_ref()),
                )
            }
        };
        let shown = if unmasked {
            Shown::AsGiven {
                id: &row.raw.id,
                name: &row.raw.name,
                mobile: &row.raw.mobile,
            }
        } else {
            shown
        };
        out.write(&Line::new(
            number,
            rejection,
            answer,
            answers.is_none(),
            same_as,
            shown,
        ))?;
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::Serialize;

    use super::*;

    /// The line as `write_output` serialized it before it was written by hand.
    #[derive(Serialize)]
    struct OutputRow<'a> {
        row: u64,
        status: &'a str,
        provider: &'a str,
        face: &'a str,
        raw_code: &'a str,
        vendor_request_id: &'a str,
        gateway_request_id: &'a str,
        billed_calls: u32,
        same_as_row: String,
        detail: &'a str,
        id: &'a str,
        name: &'a str,
        mobile: &'a str,
    }

    fn answer(texts: &[String; 6], billed_calls: u32) -> Answer {
        Answer {
            key: String::new(),
            status: texts[0].clone(),
            provider: Some(texts[1].clone()),
            face: None,
            raw_code: Some(texts[2].clone()),
            vendor_request_id: Some(texts[3].clone()),
            gateway_request_id: Some(texts[4].clone()),
            billed_calls,
            maybe_billed_calls: 0,
            cost_milli_yuan: None,
            from_ledger: false,
            detail: texts[5].clone(),
        }
    }

    proptest! {
        #[test]
        fn lines_are_what_csv_and_serde_json_write(
            texts in proptest::array::uniform6("\\PC{0,12}|[,\"\\r\\n\\t\\x00-\\x1f\\\\ a]{0,6}"),
            cells in proptest::array::uniform3("\\PC{0,12}|[,\"\\r\\n\\x00-\\x1f\\\\ 张]{0,6}"),
            row in 1..u64::MAX,
            billed in any::<u32>(),
            same_as in proptest::option::of(1..u64::MAX),
            lines in 1..4_usize,
            status in 0..6_usize,
        ) {
            // Statuses are the engine's own words.
            let status = ["match", "mismatch", "unverifiable", "error", "unresolved", "in_flight_elsewhere"][status];
            let mut answer = answer(&texts, billed);
            answer.status = status.to_owned();
            let expected = OutputRow {
                row,
                status,
                provider: &texts[1],
                face: "",
                raw_code: &texts[2],
                vendor_request_id: &texts[3],
                gateway_request_id: &texts[4],
                billed_calls: if same_as.is_some() { 0 } else { billed },
                same_as_row: same_as.map(|n| n.to_string()).unwrap_or_default(),
                detail: &texts[5],
                id: &cells[0],
                name: &cells[1],
                mobile: &cells[2],
            };
            for format in [Format::Csv, Format::Jsonl] {
                let mut written = Vec::new();
                let mut out = LineWriter::new(&mut written, format);
                for _ in 0..lines {
                    let shown = Shown::AsGiven { id: &cells[0], name: &cells[1], mobile: &cells[2] };
                    out.write(&Line::new(row, None, Some(&answer), false, same_as, shown)).unwrap();
                }
                out.finish().unwrap();
                let mut reference = Vec::new();
                match format {
                    Format::Csv => {
                        let mut writer = csv::Writer::from_writer(&mut reference);
                        for _ in 0..lines {
                            writer.serialize(&expected).unwrap();
                        }
                        writer.flush().unwrap();
                    }
                    Format::Jsonl => {
                        for _ in 0..lines {
                            serde_json::to_writer(&mut reference, &expected).unwrap();
                            reference.push(b'\n');
                        }
                    }
                }
                prop_assert_eq!(String::from_utf8_lossy(&written), String::from_utf8_lossy(&reference));
            }
        }
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        let mut out = Vec::new();
        for value in (0..100_000).chain([u64::from(u32::MAX), 1 << 32, u64::MAX]) {
            out.clear();
            push_u64(&mut out, value);
            assert_eq!(out, value.to_string().as_bytes());
        }
    }

    #[test]
    fn rejected_rows_show_lengths_and_valid_ones_masks() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        let name = Name::parse("欧阳娜娜").unwrap();
        let mobile = Mobile::parse("13800138000").unwrap();
        let mut written = Vec::new();
        let mut out = LineWriter::new(&mut written, Format::Csv);
        let masked = Shown::Masked {
            id: &id,
            name: &name,
            mobile: Some(&mobile),
        };
        out.write(&Line::new(1, None, None, true, None, masked))
            .unwrap();
        let lengths = Shown::lengths("1101", "张 三", "");
        out.write(&Line::new(
            2,
            Some("ID number: a, b"),
            None,
            true,
            None,
            lengths,
        ))
        .unwrap();
        out.write(&Line::new(
            3,
            None,
            None,
            false,
            Some(1),
            Shown::masked(&Request::identity(id, name.clone()), None),
        ))
        .unwrap();
        out.finish().unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            format!(
                "{}1,valid,,,,,,0,,,110105********002X,欧阳**,138****8000\n2,rejected,,,,,,0,,\"ID number: a, b\",(4 characters),(3 characters),\n3,not_sent,,,,,,0,1,\"{NOT_SENT}\",110105********002X,欧阳**,\n",
                String::from_utf8_lossy(CSV_HEADER)
            )
        );
    }
}
