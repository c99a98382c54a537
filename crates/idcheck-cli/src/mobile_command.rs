//! `idcheck mobile`: what mobile numbers say by themselves.

use std::io::{self, Write};
use std::process::ExitCode;

use idcheck::{Mobile, MobileError, MobileParser};
use serde::Serialize;

use crate::each_input::{for_each_parsed, write_json_line};

pub(crate) fn run(args: &[String], accept_data_cards: bool, json: bool) -> ExitCode {
    let parser = MobileParser::new().accept_data_cards(accept_data_cards);
    for_each_parsed(
        args,
        json,
        |input| parser.parse(input),
        |out, index, result| write_json_line(out, &JsonLine::new(index, result)),
        write_human,
    )
}

fn write_human(
    out: &mut dyn Write,
    index: usize,
    result: &Result<Mobile, MobileError>,
) -> io::Result<()> {
    match result {
        Err(e) => writeln!(out, "[{index}] invalid: {e}"),
        Ok(mobile) => {
            let carrier = mobile.original_carrier();
            writeln!(out, "[{index}] {mobile}  valid")?;
            writeln!(out, "    segment   {}", mobile.segment().prefix())?;
            writeln!(out, "    kind      {}", mobile.kind())?;
            writeln!(
                out,
                "    carrier   {} ({}), as allocated; the number may have been ported since",
                carrier,
                carrier.name_zh()
            )
        }
    }
}

#[derive(Serialize)]
struct JsonLine {
    input: usize,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    details: Option<JsonDetails>,
}

#[derive(Serialize)]
struct JsonDetails {
    masked: String,
    segment: &'static str,
    kind: &'static str,
    original_carrier: &'static str,
    original_carrier_zh: &'static str,
}

impl JsonLine {
    fn new(input: usize, result: &Result<Mobile, MobileError>) -> Self {
        match result {
            Err(e) => Self {
                input,
                valid: false,
                error: Some(e.to_string()),
                details: None,
            },
            Ok(mobile) => Self {
                input,
                valid: true,
                error: None,
                details: Some(JsonDetails {
                    masked: mobile.masked().to_string(),
                    segment: mobile.segment().prefix(),
                    kind: mobile.kind().label(),
                    original_carrier: mobile.original_carrier().name_en(),
                    original_carrier_zh: mobile.original_carrier().name_zh(),
                }),
            },
        }
    }
}
