//! `idcheck photo`: whether photos will be accepted by the face-verification vendor, and
//! `idcheck photo --fit OUT FILE` to make one fit.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

use idcheck::core::FittedPhoto;
use idcheck::{FaceImage, FaceImageError, FaceImageParser, ImageInfo, PhotoPayload};
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

/// `idcheck photo --fit OUT FILE`: re-encodes one image file as a JPEG within the limit and
/// writes it to `output` (a photo that already fits is copied unchanged). Exit code 0 when
/// written, 1 when the photo cannot be fitted, 2 on usage and file errors. File names are not
/// printed: they often are ID numbers or names.
pub(crate) fn fit(args: &[String], output: &Path, parser: FaceImageParser, json: bool) -> ExitCode {
    let usage = |message: &str| {
        eprintln!("idcheck: {message}");
        ExitCode::from(2)
    };
    let [input] = args else {
        return usage("--fit takes exactly one image file");
    };
    let lower = input.trim().to_ascii_lowercase();
    if input == "-" || lower.starts_with("http://") || lower.starts_with("https://") {
        return usage("--fit takes an image file (JPEG, PNG or BMP), not a URL or standard input");
    }
    let input = Path::new(input);
    if is_same_file(input, output) {
        return usage("--fit would overwrite the input file: choose another output file");
    }
    let bytes = match idcheck_batch::read_photo_file(input) {
        Ok(bytes) => bytes,
        Err(e) => return usage(&format!("cannot read the file: {e}")),
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let fitted = match parser.fit(&bytes) {
        Ok(fitted) => fitted,
        Err(e) => {
            let printed = if json {
                write_json_line(
                    &mut out,
                    &Unreadable {
                        input: 1,
                        valid: false,
                        error: e.to_string(),
                    },
                )
            } else {
                writeln!(out, "[1] cannot fit: {e}")
            };
            return match printed.and_then(|()| out.flush()) {
                Ok(()) => ExitCode::from(1),
                Err(e) => usage(&e.to_string()),
            };
        }
    };
    if let Err(e) = write_atomically(output, fitted.bytes()) {
        return usage(&format!("cannot write the fitted photo: {e}"));
    }
    let printed = if json {
        write_json_line(&mut out, &FitLine::new(&fitted))
    } else {
        write_fit_human(&mut out, &fitted)
    };
    match printed.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => usage(&e.to_string()),
    }
}

fn write_fit_human(out: &mut dyn Write, fitted: &FittedPhoto) -> io::Result<()> {
    if fitted.is_unchanged() {
        writeln!(
            out,
            "[1] already within the limit, copied unchanged: {fitted}"
        )?;
    } else {
        writeln!(out, "[1] fitted: {fitted}")?;
    }
    for warning in fitted.photo().warnings() {
        writeln!(out, "    warning   {warning}")?;
    }
    Ok(())
}

/// Whether `output` is `input` itself (also through a link or another spelling of the path).
fn is_same_file(input: &Path, output: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if let (Ok(a), Ok(b)) = (std::fs::metadata(input), std::fs::metadata(output)) {
            return (a.dev(), a.ino()) == (b.dev(), b.ino());
        }
    }
    match (std::fs::canonicalize(input), std::fs::canonicalize(output)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Writes `bytes` to a new file beside `path`, then renames it over `path`: readers see the
/// old file or the whole new one, never a part.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let name = path
        .file_name()
        .ok_or("the output path does not name a file")?;
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut temp_name = OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}-{nanos}.tmp", std::process::id()));
    let temp = dir.join(temp_name);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(|e| format!("cannot create a file in the output's directory ({e})"))?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write the output's directory ({e})"))
        .and_then(|()| {
            std::fs::rename(&temp, path)
                .map_err(|e| format!("cannot replace the output file ({e})"))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[derive(Serialize)]
struct FitLine {
    input: usize,
    valid: bool,
    unchanged: bool,
    from: FitSide,
    to: FitSide,
    #[serde(skip_serializing_if = "Option::is_none")]
    quality: Option<u8>,
    orientation_applied: bool,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct FitSide {
    format: &'static str,
    width: u32,
    height: u32,
    base64_len: usize,
}

impl FitLine {
    fn new(fitted: &FittedPhoto) -> Self {
        let side = |info: ImageInfo, base64_len| FitSide {
            format: info.format().name(),
            width: info.width(),
            height: info.height(),
            base64_len,
        };
        Self {
            input: 1,
            valid: true,
            unchanged: fitted.is_unchanged(),
            from: side(fitted.original(), fitted.original_base64_len()),
            to: side(fitted.info(), fitted.base64_len()),
            quality: fitted.quality(),
            orientation_applied: fitted.orientation_applied(),
            warnings: fitted
                .photo()
                .warnings()
                .iter()
                .map(ToString::to_string)
                .collect(),
        }
    }
}
