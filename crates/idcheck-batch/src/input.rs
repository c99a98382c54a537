//! Phase 1, always offline: the columns of a file of people, and [`phase1`], which holds a
//! whole text's rows in memory (what [`crate::Rows`] streams).

use std::fmt::Write as _;
use std::path::Path;

use idcheck_core::{FaceImage, FaceImageError, FaceImageParser};
use idcheck_router::CacheKey;
use provider_trait::{Check, Request};

use crate::scan::{Rows, Status};
use crate::text::{TextEncoding, TextReader};

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

/// How the user described the file: its column names (`--id-column` …) and the character
/// between cells (`--delimiter`), each `None` for the defaults.
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
    /// The character between cells, or `None` to detect it from the header row.
    pub delimiter: Option<Delimiter>,
}

impl ColumnNames {
    /// The delimiter [`phase1`] uses for `text`: the chosen one, else [`Delimiter::detect`].
    #[must_use]
    pub fn delimiter_for(&self, text: &str) -> Delimiter {
        self.delimiter.unwrap_or_else(|| Delimiter::detect(text))
    }
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

/// The character between cells.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delimiter {
    /// `,`
    #[default]
    Comma,
    /// `;` (Excel's CSV where the decimal separator is a comma).
    Semicolon,
    /// A tab (Excel's "Unicode Text").
    Tab,
    /// `|`
    Pipe,
}

impl Delimiter {
    /// The delimiter's byte.
    #[must_use]
    pub fn byte(self) -> u8 {
        match self {
            Self::Comma => b',',
            Self::Semicolon => b';',
            Self::Tab => b'\t',
            Self::Pipe => b'|',
        }
    }

    /// The delimiter's name: `comma`, `semicolon`, `tab` or `pipe`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Comma => "comma",
            Self::Semicolon => "semicolon",
            Self::Tab => "tab",
            Self::Pipe => "pipe",
        }
    }

    /// The most frequent of `,` `;` and tab outside quotes in the first line of `text` (the
    /// header row), the first of them in that order on a tie; a comma when there is none.
    #[must_use]
    pub fn detect(text: &str) -> Self {
        Self::detect_in(text.as_bytes())
    }

    /// [`Delimiter::detect`] on the first bytes of a text in UTF-8 (or any ASCII-compatible
    /// encoding): only the bytes up to the end of the first line count.
    #[must_use]
    pub fn detect_in(text: &[u8]) -> Self {
        let mut counts = [0_usize; 3];
        let mut quoted = false;
        let start = text
            .iter()
            .position(|b| !matches!(b, b'\r' | b'\n'))
            .unwrap_or(text.len());
        for &byte in &text[start..] {
            match byte {
                b'"' => quoted = !quoted,
                b'\n' | b'\r' if !quoted => break,
                b',' if !quoted => counts[0] += 1,
                b';' if !quoted => counts[1] += 1,
                b'\t' if !quoted => counts[2] += 1,
                _ => {}
            }
        }
        let candidates = [Self::Comma, Self::Semicolon, Self::Tab];
        let mut best = 0;
        for (index, count) in counts.iter().enumerate() {
            if *count > counts[best] {
                best = index;
            }
        }
        candidates[best]
    }
}

impl std::fmt::Display for Delimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Delimiter {
    type Err = String;

    /// `,` `;` `|`, a tab, `\t` or `tab`, or a name (`comma`, `semicolon`, `tab`, `pipe`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "," => return Ok(Self::Comma),
            ";" => return Ok(Self::Semicolon),
            "\t" | "\\t" => return Ok(Self::Tab),
            "|" => return Ok(Self::Pipe),
            _ => {}
        }
        match text.trim().to_ascii_lowercase().as_str() {
            "comma" => Ok(Self::Comma),
            "semicolon" => Ok(Self::Semicolon),
            "tab" => Ok(Self::Tab),
            "pipe" => Ok(Self::Pipe),
            _ => Err("the delimiter is one of \",\", \";\", \"tab\" or \"|\"".to_owned()),
        }
    }
}

fn normalise(header: &str) -> String {
    header
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn find_column(headers: &[String], chosen: Option<&str>, defaults: &[&str]) -> Option<usize> {
    match chosen {
        Some(name) => headers.iter().position(|h| normalise(h) == normalise(name)),
        None => headers
            .iter()
            .position(|h| defaults.contains(&normalise(h).as_str())),
    }
}

/// Where the cells a check needs are in each row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Columns {
    pub(crate) id: usize,
    pub(crate) name: usize,
    pub(crate) mobile: Option<usize>,
    pub(crate) photo: Option<usize>,
}

impl Columns {
    /// Finds the columns `check` needs among `headers` (trimmed), by the user's names or the
    /// defaults. `delimited`: the header row is a text file's line (a one-cell row may mean
    /// another separator), not a workbook's row.
    pub(crate) fn find(
        headers: &[String],
        check: Check,
        columns: &ColumnNames,
        delimited: bool,
    ) -> Result<Self, String> {
        if headers.is_empty() {
            return Err("no header row: the file has no rows".to_owned());
        }
        let column = |chosen: &Option<String>, defaults: &[&str], what: &str, flag: &str| {
            find_column(headers, chosen.as_deref(), defaults).ok_or_else(|| {
                no_column(
                    headers,
                    what,
                    chosen.as_deref().unwrap_or(defaults[0]),
                    flag,
                    delimited,
                )
            })
        };
        let id = column(&columns.id, ID_HEADERS, "ID number", "--id-column")?;
        let name = column(&columns.name, NAME_HEADERS, "name", "--name-column")?;
        // Needed by a mobile check, or named by the user; otherwise shown (masked) in the
        // output when the file has one.
        let mobile = if check == Check::Mobile || columns.mobile.is_some() {
            Some(column(
                &columns.mobile,
                MOBILE_HEADERS,
                "mobile",
                "--mobile-column",
            )?)
        } else {
            find_column(headers, None, MOBILE_HEADERS)
        };
        let photo = match check {
            Check::Face => Some(column(
                &columns.photo,
                PHOTO_HEADERS,
                "photo",
                "--photo-column",
            )?),
            _ => None,
        };
        Ok(Self {
            id,
            name,
            mobile,
            photo,
        })
    }
}

/// Parses every row of `text` for `check`, its cells separated by
/// [`ColumnNames::delimiter_for`], and holds them all: for a file, [`crate::PeopleFile`]
/// streams the same rows in bounded memory. Errors are about the file (no header, missing
/// columns); row problems are per row. `salt` keys identical requests within the run.
///
/// # Errors
///
/// No header row, or a needed column is missing. The header row is described by the number
/// of its cells and the kind of each (`digits(18)`, `CJK(2)`, `text(4)`, `empty`), never their
/// text: in a file without a header row, it is a person.
pub fn phase1(
    text: &str,
    check: Check,
    columns: &ColumnNames,
    photo_parser: &FaceImageParser,
    base_dir: &Path,
    salt: &[u8; 32],
) -> Result<Phase1, String> {
    // The text is in memory already: no row is too long to hold.
    let reader = TextReader::new(text.as_bytes(), TextEncoding::Utf8).without_row_limit();
    let mut scan = Rows::with_reader(
        reader,
        columns.delimiter_for(text),
        check,
        columns,
        photo_parser,
        base_dir,
    )?;
    let mut rows = Vec::new();
    let mut distinct: Vec<(Request, String)> = Vec::new();
    while let Some(row) = scan.next_row()? {
        let cells = row.cells;
        let parsed = match row.status {
            Status::Rejected(reason) => Err(reason.to_owned()),
            Status::Valid {
                parts,
                distinct: index,
                ..
            } => {
                let request = parts.request();
                if index == distinct.len() {
                    let key = run_key(&request, cells.photo, salt);
                    distinct.push((request.clone(), key));
                }
                Ok(Parsed {
                    request,
                    distinct: index,
                })
            }
        };
        rows.push(Row {
            number: usize::try_from(row.number).unwrap_or(usize::MAX),
            raw: RawInputs {
                id: cells.id.to_owned(),
                name: cells.name.to_owned(),
                mobile: cells.mobile.to_owned(),
                photo: cells.photo.to_owned(),
            },
            parsed,
        });
    }
    Ok(Phase1 { rows, distinct })
}

/// Columns described in a "no … column" message at most; the rest are counted.
const DESCRIBED_COLUMNS: usize = 12;

/// Why no column is `what`, with the header row described by kinds of cells only.
fn no_column(headers: &[String], what: &str, name: &str, flag: &str, delimited: bool) -> String {
    let count = headers.len();
    let mut kinds = headers
        .iter()
        .take(DESCRIBED_COLUMNS)
        .map(|cell| cell_kind(cell))
        .collect::<Vec<_>>()
        .join(", ");
    if count > DESCRIBED_COLUMNS {
        let _ = write!(kinds, ", and {} more", count - DESCRIBED_COLUMNS);
    }
    let columns = if count == 1 { "column" } else { "columns" };
    if headers.iter().any(|cell| looks_like_a_number(cell)) {
        return format!(
            "no {what} column: the file seems to have no header row: its first row has {count} {columns} ({kinds}), and a cell looks like an ID number or a mobile; add a header row that names them (id, name, mobile, photo)"
        );
    }
    let hint = if count == 1 && delimited {
        " (if the cells are separated by another character, pass --delimiter)"
    } else {
        ""
    };
    format!(
        "no {what} column: the header row has {count} {columns} ({kinds}){hint}; name it {name:?} or pass {flag}"
    )
}

/// A cell's kind and length in characters: `digits(n)` (digits, an ID number's X),
/// `CJK(n)` (Chinese characters and the dot of transliterated names), `text(n)` or `empty`.
fn cell_kind(cell: &str) -> String {
    let length = cell.chars().count();
    if length == 0 {
        "empty".to_owned()
    } else if digits_or_x(cell) {
        format!("digits({length})")
    } else if cell
        .chars()
        .all(|c| is_cjk(c) || matches!(c, '·' | '•' | '・'))
    {
        format!("CJK({length})")
    } else {
        format!("text({length})")
    }
}

/// Digits, and maybe an ID number's check character X.
fn digits_or_x(cell: &str) -> bool {
    cell.bytes().any(|b| b.is_ascii_digit())
        && cell
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'X' || b == b'x')
}

/// An ID number or a mobile (11 or more digits or X): a header row never has one.
fn looks_like_a_number(cell: &str) -> bool {
    cell.len() >= 11 && digits_or_x(cell)
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3134F}')
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

/// The largest photo file read: a 64-megapixel BMP (the most pixels a photo may have) and
/// some room. A file named by a cell is not trusted: `/dev/zero` would fill the memory.
pub const MAX_PHOTO_FILE_BYTES: u64 = 256 << 20;

/// The bytes of a photo file: a regular file (a FIFO or a device named by a cell would block
/// or never end) of at most [`MAX_PHOTO_FILE_BYTES`].
///
/// # Errors
///
/// The file cannot be read, is not a regular file, or is larger than the limit.
pub fn read_photo_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let not_regular = || std::io::Error::other("not a regular file");
    // Looked at before it is opened: opening a FIFO blocks until someone writes to it.
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(not_regular());
    }
    let too_large = || {
        std::io::Error::other(format!(
            "larger than {} MiB, the most a photo file may be",
            MAX_PHOTO_FILE_BYTES >> 20
        ))
    };
    if metadata.len() > MAX_PHOTO_FILE_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or_default());
    // A file still growing is cut short of the memory it could take.
    file.take(MAX_PHOTO_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_PHOTO_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
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
    let bytes = read_photo_file(Path::new(input))?;
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

/// A salted SHA-256 of the request's inputs (and the photo's source), hex: the key of a
/// distinct request within one run, without personal data.
pub(crate) fn run_key(request: &Request, photo_source: &str, salt: &[u8; 32]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let key = CacheKey::naming_photo(request, salt, photo_source);
    let mut hex = String::with_capacity(64);
    for byte in key.as_bytes() {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 15)]));
    }
    hex
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::text::decode;

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
        // Another salt, other keys: a run's keys mean nothing outside it.
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
    fn gbk_is_decoded_and_damaged_utf8_or_binary_is_refused_with_the_offset() {
        // "张三,1" in GBK.
        let decoded = decode(&[0xD5, 0xC5, 0xC8, 0xFD, b',', b'1']).unwrap();
        assert_eq!(decoded.encoding, TextEncoding::Gb18030);
        assert_eq!(decoded.text, "张三,1");
        let decoded = decode("\u{feff}张三".as_bytes()).unwrap();
        assert_eq!(
            (decoded.encoding, decoded.text.as_str()),
            (TextEncoding::Utf8, "张三")
        );
        // 0x80 and 0xFF are no GB18030 byte.
        let error = decode(b"id,name\n\xFF\x80").err().unwrap();
        assert!(
            error.contains("offset 8") && error.contains("GB18030"),
            "{error}"
        );
        // UTF-8 names and one stray byte, all of which GB18030 decodes ("濮撳悕,韬唤璇佸彿…"):
        // refused, not read as garbage.
        let head = "姓名,身份证号\n张三,11010519491231002";
        let tail = "X\n李四,310104198506120035\n欧阳娜娜,11010519491231002X\n";
        let damaged = [head.as_bytes(), b"\xB0", tail.as_bytes()].concat();
        assert!(
            encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(&damaged)
                .is_some()
        );
        let error = decode(&damaged).err().unwrap();
        assert!(
            error.contains(&format!("offset {}", head.len())) && error.contains("damaged"),
            "{error}"
        );
        let error = decode(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xA4")
            .err()
            .unwrap();
        assert!(error.contains("workbook"), "{error}");
        // A UTF-16LE byte-order mark, then an unpaired surrogate at byte 4.
        let error = decode(&[0xFF, 0xFE, b'a', 0, 0x00, 0xD8, b'b', 0])
            .err()
            .unwrap();
        assert!(
            error.contains("UTF-16LE") && error.contains("offset 4"),
            "{error}"
        );
    }

    #[test]
    fn the_delimiter_is_the_most_frequent_outside_quotes_in_the_first_line() {
        assert_eq!(Delimiter::detect("name,id\n1;2;3;4\n"), Delimiter::Comma);
        assert_eq!(Delimiter::detect("name;id;mobile\n"), Delimiter::Semicolon);
        assert_eq!(Delimiter::detect("\r\nname\tid\r\n"), Delimiter::Tab);
        assert_eq!(Delimiter::detect("\"a;b;c\",name\n"), Delimiter::Comma);
        assert_eq!(
            Delimiter::detect("\"a\nb,c,d\";name;id\n"),
            Delimiter::Semicolon
        );
        assert_eq!(Delimiter::detect("name\n"), Delimiter::Comma);
        assert_eq!(Delimiter::detect(""), Delimiter::Comma);
        assert_eq!(
            Delimiter::detect("a;b,c\tq"),
            Delimiter::Comma,
            "a tie: comma first"
        );
        for (text, delimiter) in [
            (",", Delimiter::Comma),
            (";", Delimiter::Semicolon),
            ("\t", Delimiter::Tab),
            ("\\t", Delimiter::Tab),
            ("TAB", Delimiter::Tab),
            ("|", Delimiter::Pipe),
            ("pipe", Delimiter::Pipe),
        ] {
            assert_eq!(text.parse::<Delimiter>(), Ok(delimiter), "{text:?}");
        }
        assert!(":".parse::<Delimiter>().is_err());
    }

    #[test]
    fn a_missing_column_is_described_by_kinds_of_cells_never_their_text() {
        let error = run("张三,11010519491231002X,13800138000\n", Check::Identity)
            .err()
            .unwrap();
        assert!(error.contains("no header row"), "{error}");
        assert!(
            error.contains("3 columns (CJK(2), digits(18), digits(11))"),
            "{error}"
        );
        assert!(!error.contains("张三") && !error.contains("138"), "{error}");
        let error = run("姓名, Card No. ,\n张三,1,\n", Check::Identity)
            .err()
            .unwrap();
        assert!(!error.contains("no header row"), "{error}");
        assert!(
            error.contains("3 columns (CJK(2), text(8), empty)"),
            "{error}"
        );
        let error = run("name;id\n", Check::Identity).err();
        assert!(error.is_none(), "detected: {error:?}");
        let error = phase1(
            "name;id\n",
            Check::Identity,
            &ColumnNames {
                delimiter: Some(Delimiter::Comma),
                ..ColumnNames::default()
            },
            &FaceImageParser::new(),
            Path::new("."),
            &[1; 32],
        )
        .err()
        .unwrap();
        assert!(
            error.contains("1 column (text(7))") && error.contains("--delimiter"),
            "{error}"
        );
        // A huge line: a short message.
        let line = format!("{}\n", vec!["x".repeat(1000); 10_000].join(","));
        let error = run(&line, Check::Identity).err().unwrap();
        assert!(error.len() < 400, "{} bytes", error.len());
        assert!(
            error.contains("10000 columns (text(1000), ") && error.contains("and 9988 more"),
            "{error}"
        );
        let error = run("", Check::Identity).err().unwrap();
        assert!(error.contains("no rows"), "{error}");
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
        fn any_bytes_are_decoded_or_refused_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(decoded) = decode(&bytes) {
                if decoded.encoding == TextEncoding::Utf8 && std::str::from_utf8(&bytes).is_ok() {
                    prop_assert_eq!(decoded.text.as_bytes(), bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes));
                }
            }
        }

        #[test]
        fn any_cell_has_a_kind_and_a_length_only(cell in "\\PC{0,40}") {
            let kind = cell_kind(&cell);
            let length = cell.chars().count();
            let allowed = if length == 0 {
                vec!["empty".to_owned()]
            } else {
                ["digits", "CJK", "text"].map(|k| format!("{k}({length})")).to_vec()
            };
            prop_assert!(allowed.contains(&kind), "{}", kind);
        }
    }
}
