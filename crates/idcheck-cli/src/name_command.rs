//! `idcheck name`: whether names follow the rules the vendors enforce.

use std::io::{self, Write};
use std::process::ExitCode;

use idcheck::{Name, NameError};
use serde::Serialize;

use crate::each_input::{for_each_parsed, write_json_line};

pub(crate) fn run(args: &[String], json: bool) -> ExitCode {
    for_each_parsed(
        args,
        json,
        Name::parse,
        |out, index, result| write_json_line(out, &JsonLine::new(index, result)),
        write_human,
    )
}

fn write_human(
    out: &mut dyn Write,
    index: usize,
    result: &Result<Name, NameError>,
) -> io::Result<()> {
    match result {
        Err(e) => writeln!(out, "[{index}] invalid: {e}"),
        Ok(name) => {
            writeln!(out, "[{index}] {name}  valid")?;
            writeln!(out, "    characters {}", name.char_count())?;
            if name.is_transliterated() {
                writeln!(out, "    dotted    yes (middle dots normalised to U+00B7)")?;
            }
            Ok(())
        }
    }
}

#[derive(Serialize)]
struct JsonLine {
    input: usize,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    masked: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    characters: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dotted: Option<bool>,
}

impl JsonLine {
    fn new(input: usize, result: &Result<Name, NameError>) -> Self {
        let name = result.as_ref().ok();
        Self {
            input,
            valid: name.is_some(),
            error: result.as_ref().err().map(ToString::to_string),
            masked: name.map(|n| n.masked().to_string()),
            characters: name.map(Name::char_count),
            dotted: name.map(Name::is_transliterated),
        }
    }
}
