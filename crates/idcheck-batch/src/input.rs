//! Phase 1, always offline: read the CSV, find the columns, parse every row, and group
//! identical requests so each is called once.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use idcheck_core::{FaceImage, FaceImageError, FaceImageParser, IdNumber, Mobile, Name};
use idcheck_router::CacheKey;
use provider_trait::{Check, Request};

/// Header names accepted for each column, compared without case, spaces, `_` or `-`.
const ID_HEADERS: &[&str] = &[
    "id",
    "idcard",
    "idno",
    "idnumber",
    "身份证",
    "身份证号",
    "身份证号码",
];
const NAME_HEADERS: &[&str] = &["name", "姓名"];
const MOBILE_HEADERS: &[&str] = &[
    "mobile",
    "phone",
    "mobilephone",
    "手机",
    "手机号",
    "手机号码",
];
const PHOTO_HEADERS: &[&str] = &["photo", "image", "face", "照片"];

/// Column names the user chose (`--id-column` …), or `None` for the defaults.
#[derive(Default)]
pub struct ColumnNames {
    /// The ID number column's header.
    pub id: Option<String>,
    /// The name column's header.
    pub name: Option<String>,
    /// The mobile column's header.
    pub mobile: Option<String>,
    /// The photo column's header.
    pub photo: Option<String>,
}

/// One data row after phase 1.
pub struct Row {
    /// 1-based data row number (the header is row 0).
    pub number: usize,
    /// The input as given, for `--unmasked` output. Personal data: never logged.
    pub raw: RawInputs,
    /// The parsed request, or why the row was rejected (never the cell's text).
    pub parsed: Result<Parsed, String>,
}

/// The cells as given. No `Debug`: they are personal data.
#[derive(Clone, Default)]
pub struct RawInputs {
    /// The ID number cell.
    pub id: String,
    /// The name cell.
    pub name: String,
    /// The mobile cell.
    pub mobile: String,
    /// The photo cell (a path or URL).
    pub photo: String,
}

/// A valid row: its request and the index of the distinct request it shares.
pub struct Parsed {
    /// The request.
    pub request: Request,
    /// Index into [`Phase1::distinct`].
    pub distinct: usize,
}

/// Everything phase 1 found.
pub struct Phase1 {
    /// Every data row, in order.
    pub rows: Vec<Row>,
    /// One entry per distinct valid request, with its key within this run.
    pub distinct: Vec<(Request, String)>,
}

impl Phase1 {
    /// Rows rejected offline.
    #[must_use]
    pub fn rejected(&self) -> usize {
        self.rows.iter().filter(|r| r.parsed.is_err()).count()
    }

    /// Valid rows (duplicates included).
    #[must_use]
    pub fn valid(&self) -> usize {
        self.rows.len() - self.rejected()
    }
}

/// Reads and decodes the file: UTF-8 with or without BOM. GBK (what Excel writes on Chinese
/// Windows) is refused with the way out, rather than guessed.
///
/// # Errors
///
/// The file cannot be read, or is not UTF-8 (the message says what it looks like).
pub fn read_utf8(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(e) => {
            let hint = if looks_like_gbk(bytes) {
                "it looks like GBK/GB18030 (Excel's \"CSV\" on Chinese Windows): save it as \"CSV UTF-8\", or convert it with `iconv -f GB18030 -t UTF-8`"
            } else {
                "convert it to UTF-8"
            };
            Err(format!(
                "the file is not UTF-8 (first bad byte at offset {}): {hint}",
                e.valid_up_to()
            ))
        }
    }
}

/// Most non-ASCII bytes pair as GBK lead (0x81–0xFE) and trail (0x40–0xFE, not 0x7F) bytes.
fn looks_like_gbk(bytes: &[u8]) -> bool {
    let (mut pairs, mut strays) = (0_usize, 0_usize);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
        } else if (0x81..=0xFE).contains(&b)
            && bytes
                .get(i + 1)
                .is_some_and(|t| (0x40..=0xFE).contains(t) && *t != 0x7F)
        {
            pairs += 1;
            i += 2;
        } else {
            strays += 1;
            i += 1;
        }
    }
    pairs > 0 && strays * 10 <= pairs
}

fn normalise(header: &str) -> String {
    header
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn find_column(
    headers: &csv::StringRecord,
    chosen: Option<&str>,
    defaults: &[&str],
) -> Option<usize> {
    match chosen {
        Some(name) => headers.iter().position(|h| normalise(h) == normalise(name)),
        None => headers
            .iter()
            .position(|h| defaults.contains(&normalise(h).as_str())),
    }
}

/// Parses every row of `text` for `check`. Errors are about the file (no header, missing
/// columns); row problems are per row. `salt` keys identical requests within the run.
///
/// # Errors
///
/// No header row, or a needed column is missing.
pub fn phase1(
    text: &str,
    check: Check,
    columns: &ColumnNames,
    photo_parser: &FaceImageParser,
    base_dir: &Path,
    salt: &[u8; 32],
) -> Result<Phase1, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("cannot read the header row: {e}"))?
        .clone();
    let column = |chosen: &Option<String>, defaults: &[&str], what: &str, flag: &str| {
        find_column(&headers, chosen.as_deref(), defaults).ok_or_else(|| {
            format!(
                "no {what} column: the header row has {:?}; name it {:?} or pass {flag}",
                headers.iter().collect::<Vec<_>>(),
                chosen.as_deref().unwrap_or(defaults[0])
            )
        })
    };
    let id_column = column(&columns.id, ID_HEADERS, "ID number", "--id-column")?;
    let name_column = column(&columns.name, NAME_HEADERS, "name", "--name-column")?;
    let mobile_column = match check {
        Check::Mobile => Some(column(
            &columns.mobile,
            MOBILE_HEADERS,
            "mobile",
            "--mobile-column",
        )?),
        _ => None,
    };
    let photo_column = match check {
        Check::Face => Some(column(
            &columns.photo,
            PHOTO_HEADERS,
            "photo",
            "--photo-column",
        )?),
        _ => None,
    };

    let mut rows = Vec::new();
    let mut distinct: Vec<(Request, String)> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, record) in reader.records().enumerate() {
        let number = index + 1;
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                rows.push(Row {
                    number,
                    raw: RawInputs::default(),
                    parsed: Err(format!("unreadable CSV row: {e}")),
                });
                continue;
            }
        };
        let cell = |column: Option<usize>| {
            column
                .and_then(|c| record.get(c))
                .unwrap_or_default()
                .to_owned()
        };
        let raw = RawInputs {
            id: cell(Some(id_column)),
            name: cell(Some(name_column)),
            mobile: cell(mobile_column),
            photo: cell(photo_column),
        };
        let parsed = parse_row(&raw, check, photo_parser, base_dir).map(|request| {
            let key = run_key(&request, &raw.photo, salt);
            let next = distinct.len();
            let index = *seen.entry(key.clone()).or_insert(next);
            if index == next {
                distinct.push((request.clone(), key));
            }
            Parsed {
                request,
                distinct: index,
            }
        });
        rows.push(Row {
            number,
            raw,
            parsed,
        });
    }
    Ok(Phase1 { rows, distinct })
}

fn parse_row(
    raw: &RawInputs,
    check: Check,
    photo_parser: &FaceImageParser,
    base_dir: &Path,
) -> Result<Request, String> {
    let id = IdNumber::parse(&raw.id).map_err(|e| format!("ID number: {e}"))?;
    let name = Name::parse(&raw.name).map_err(|e| format!("name: {e}"))?;
    Ok(match check {
        Check::Mobile => {
            let mobile = Mobile::parse(&raw.mobile).map_err(|e| format!("mobile: {e}"))?;
            Request::mobile(id, name, mobile)
        }
        Check::Face => {
            if raw.photo.is_empty() {
                return Err("photo: empty".to_owned());
            }
            // Relative photo paths are relative to the CSV file.
            let source = if raw.photo.contains("://") {
                raw.photo.clone()
            } else {
                base_dir.join(&raw.photo).to_string_lossy().into_owned()
            };
            let (_, photo) = load_photo(photo_parser, &source)
                .map_err(|e| format!("photo: cannot read the file: {e}"))?;
            Request::face(id, name, photo.map_err(|e| format!("photo: {e}"))?)
        }
        _ => Request::identity(id, name),
    })
}

/// Where a photo came from (file names are not kept: they often are ID numbers or names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PhotoSource {
    /// An http(s) URL, passed to the vendor as is.
    Url,
    /// An image file.
    File,
    /// A file of base64 text.
    Base64File,
}

/// Reads a photo: an http(s) URL, an image file, or a file of base64 text.
///
/// # Errors
///
/// The file cannot be read; the photo's own problems are in the inner result.
pub fn load_photo(
    parser: &FaceImageParser,
    input: &str,
) -> std::io::Result<(PhotoSource, Result<FaceImage, FaceImageError>)> {
    let trimmed = input.trim();
    let lower = trimmed.get(..8).unwrap_or(trimmed).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok((PhotoSource::Url, parser.from_url(trimmed)));
    }
    let bytes = std::fs::read(Path::new(input))?;
    let as_image = parser.from_bytes(&bytes);
    if matches!(as_image, Err(FaceImageError::UnrecognizedFormat)) {
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let as_text = parser.from_base64(text);
            if !matches!(
                as_text,
                Err(FaceImageError::InvalidBase64 { .. } | FaceImageError::UnrecognizedFormat)
            ) {
                return Ok((PhotoSource::Base64File, as_text));
            }
        }
    }
    Ok((PhotoSource::File, as_image))
}

/// A salted SHA-256 of the request's inputs (and the photo's source), hex: groups identical
/// rows within one run without holding personal data.
fn run_key(request: &Request, photo_source: &str, salt: &[u8; 32]) -> String {
    let key = CacheKey::naming_photo(request, salt, photo_source);
    let mut hex = String::with_capacity(64);
    for byte in key.as_bytes() {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn run(text: &str, check: Check) -> Result<Phase1, String> {
        phase1(
            text,
            check,
            &ColumnNames::default(),
            &FaceImageParser::new(),
            Path::new("."),
            &[1; 32],
        )
    }

    #[test]
    fn headers_are_found_by_alias_without_case_or_separators() {
        let phase = run(
            "Name, ID_Card ,phone\n张三,11010519491231002X,13800138000\n",
            Check::Mobile,
        )
        .unwrap();
        assert_eq!(phase.valid(), 1);
        let phase = run(
            "姓名,身份证号码\n张三,11010519491231002X\n",
            Check::Identity,
        )
        .unwrap();
        assert_eq!(phase.valid(), 1);
        let error = run("name,id\n张三,11010519491231002X\n", Check::Mobile)
            .err()
            .unwrap();
        assert!(error.contains("no mobile column"), "{error}");
    }

    #[test]
    fn identical_requests_share_one_distinct_entry_and_key() {
        let text =
            "name,id\n张三,11010519491231002X\n张三,11010519491231002x\n李四,11010519491231002X\n";
        let phase = run(text, Check::Identity).unwrap();
        assert_eq!(phase.valid(), 3);
        assert_eq!(phase.distinct.len(), 2);
        let keys: Vec<_> = phase.distinct.iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(keys[0].len(), 64);
        assert!(!keys[0].contains("110105"));
        // Another salt, other keys: a journal's keys mean nothing outside it.
        let other = phase1(
            text,
            Check::Identity,
            &ColumnNames::default(),
            &FaceImageParser::new(),
            Path::new("."),
            &[2; 32],
        )
        .unwrap();
        assert_ne!(other.distinct[0].1, phase.distinct[0].1);
    }

    #[test]
    fn gbk_is_recognised_and_other_binary_is_not_called_gbk() {
        assert!(looks_like_gbk(&[0xD5, 0xC5, 0xC8, 0xFD, b',', b'1']));
        assert!(!looks_like_gbk(&[0xFF, 0xFF, 0x00, 0x80, 0x80, 0x80]));
        assert!(!looks_like_gbk(b"plain ascii"));
    }

    proptest! {
        #[test]
        fn any_text_is_read_without_panic(text in "\\PC{0,200}", check in 0..3_u8) {
            let check = [Check::Identity, Check::Mobile, Check::Identity][usize::from(check)];
            let header = "name,id,mobile\n";
            if let Ok(phase) = run(&format!("{header}{text}"), check) {
                prop_assert_eq!(phase.valid() + phase.rejected(), phase.rows.len());
                prop_assert!(phase.distinct.len() <= phase.valid());
            }
            let _ = run(&text, check);
        }

        #[test]
        fn any_bytes_are_classified_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = looks_like_gbk(&bytes);
        }
    }
}
