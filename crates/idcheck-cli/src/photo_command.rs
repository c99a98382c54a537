//! `idcheck photo`: whether photos will be accepted by the face-verification vendor.

use std::io::{self, Write};
use std::process::ExitCode;

use idcheck::{FaceImage, FaceImageError, FaceImageParser, PhotoPayload};
use idcheck_batch::{PhotoSource as Source, load_photo as load};
use serde::Serialize;

use crate::each_input::{Checked, for_each_input, write_json_line};

pub(crate) fn run(args: &[String], parser: FaceImageParser, json: bool) -> ExitCode {
    for_each_input(args, |index, input, out| {
        let (source, result) = match load(&parser, input) {
            Ok(loaded) => loaded,
            Err(e) => {
                if json {
                    write_json_line(
                        out,
                        &Unreadable {
                            input: index,
                            valid: false,
                            error: e.to_string(),
                        },
                    )?;
                } else {
                    writeln!(out, "[{index}] cannot read the file: {e}")?;
                }
                return Ok(Checked::Unreadable);
            }
        };
        if json {
            write_json_line(out, &JsonLine::new(index, source, &result))?;
        } else {
            write_human(out, index, source, &result)?;
        }
        Ok(if result.is_ok() {
            Checked::Valid
        } else {
            Checked::Invalid
        })
    })
}

fn write_human(
    out: &mut dyn Write,
    index: usize,
    source: Source,
    result: &Result<FaceImage, FaceImageError>,
) -> io::Result<()> {
    let photo = match result {
        Err(e) => return writeln!(out, "[{index}] invalid: {e}"),
        Ok(photo) => photo,
    };
    match (photo.payload(), photo.info()) {
        (PhotoPayload::Url(_), _) => {
            writeln!(
                out,
                "[{index}] URL  valid (passed through; the vendor fetches it, size unknown)"
            )?;
        }
        (PhotoPayload::Base64(text), Some(info)) => {
            let from = if matches!(source, Source::Base64File) {
                " (from base64 text)"
            } else {
                ""
            };
            writeln!(
                out,
                "[{index}] {} {}×{}  valid{from}",
                info.format(),
                info.width(),
                info.height()
            )?;
            writeln!(out, "    base64    {} bytes", text.len())?;
        }
        (PhotoPayload::Base64(_), None) => writeln!(out, "[{index}] valid")?,
    }
    for warning in photo.warnings() {
        writeln!(out, "    warning   {warning}")?;
    }
    Ok(())
}

#[derive(Serialize)]
struct Unreadable {
    input: usize,
    valid: bool,
    error: String,
}

#[derive(Serialize)]
struct JsonLine {
    input: usize,
    valid: bool,
    source: Source,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    base64_len: Option<usize>,
    warnings: Vec<String>,
}

impl JsonLine {
    fn new(input: usize, source: Source, result: &Result<FaceImage, FaceImageError>) -> Self {
        let photo = result.as_ref().ok();
        let info = photo.and_then(FaceImage::info);
        Self {
            input,
            valid: photo.is_some(),
            source,
            error: result.as_ref().err().map(ToString::to_string),
            format: info.map(|i| i.format().name()),
            width: info.map(|i| i.width()),
            height: info.map(|i| i.height()),
            base64_len: photo.and_then(FaceImage::base64_len),
            warnings: photo
                .map(|p| p.warnings().iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
        }
    }
}
