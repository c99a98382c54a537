//! Phase 1, streamed: a file of people read one row at a time, each row parsed by the core's
//! parsers and its request looked up by an exact key. Memory grows with the distinct requests
//! only (about 30 bytes each), never with the file.

use std::fmt::Write as _;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use idcheck_core::{FaceImage, FaceImageParser, IdNumber, Mobile, Name};
use provider_trait::{Check, Request};

use crate::dedup::{Dedup, KeyParts, MAX_ROWS, Seen};
use crate::input::{ColumnNames, Columns, Delimiter, load_photo};
use crate::text::{
    MAX_ROW_BYTES, Sniffed, TextEncoding, TextReader, open_text, regular_file, sniff,
};

/// How much decoded text [`PeopleFile::open`] reads to choose the delimiter.
const DELIMITER_PREFIX: usize = 1 << 20;

/// A CSV file of people, opened for streaming: every byte already checked to be in one
/// encoding (UTF-8 ± BOM, UTF-16 with a BOM, GB18030/GBK), the delimiter chosen.
///
/// No `Debug` beyond the path, encoding and delimiter: it reads personal data.
#[derive(Debug)]
pub struct PeopleFile {
    path: PathBuf,
    sniffed: Sniffed,
    delimiter: Delimiter,
}

impl PeopleFile {
    /// Checks the file at `path`: a regular file whose bytes are all in one encoding (read
    /// once in chunks, in bounded memory). The delimiter is `delimiter`, or the most frequent
    /// of `,` `;` and tab in the first line of the first MiB ([`Delimiter::detect`]).
    ///
    /// # Errors
    ///
    /// Not a regular file, unreadable, or in no encoding read: the message gives the byte
    /// offset of the first byte in error, never the file's content.
    pub fn open(path: &Path, delimiter: Option<Delimiter>) -> Result<Self, String> {
        regular_file(path)?;
        let sniffed = sniff(path).map_err(|e| e.message_for(path))?;
        let delimiter = if let Some(delimiter) = delimiter {
            delimiter
        } else {
            let mut prefix = Vec::new();
            open_text(path, sniffed)
                .and_then(|text| text.take(DELIMITER_PREFIX as u64).read_to_end(&mut prefix))
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Delimiter::detect_in(&prefix)
        };
        Ok(Self {
            path: path.to_owned(),
            sniffed,
            delimiter,
        })
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The encoding the file is read as.
    #[must_use]
    pub fn encoding(&self) -> TextEncoding {
        self.sniffed.encoding
    }

    /// The character between cells.
    #[must_use]
    pub fn delimiter(&self) -> Delimiter {
        self.delimiter
    }

    /// Starts phase 1: reads the header row and finds the columns `check` needs. Photo paths
    /// are relative to the file's directory.
    ///
    /// # Errors
    ///
    /// As [`Rows::new`], or the file cannot be opened again.
    pub fn rows(
        &self,
        check: Check,
        columns: &ColumnNames,
        photo_parser: &FaceImageParser,
    ) -> Result<Rows<File>, String> {
        let text = open_text(&self.path, self.sniffed)
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
        let base_dir = self.path.parent().unwrap_or(Path::new("."));
        Rows::with_reader(text, self.delimiter, check, columns, photo_parser, base_dir)
    }
}

/// What phase 1 found, counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counts {
    /// Data rows read (the header row not counted).
    pub rows: u64,
    /// Valid rows, duplicates included.
    pub valid: u64,
    /// Distinct valid requests.
    pub distinct: u64,
    /// Rows rejected offline.
    pub rejected: u64,
}

impl Counts {
    /// Valid rows whose request an earlier row has.
    #[must_use]
    pub fn duplicates(&self) -> u64 {
        self.valid - self.distinct
    }
}

/// The parsed parts of a valid row.
pub(crate) struct Parts {
    pub(crate) id: IdNumber,
    pub(crate) name: Name,
    pub(crate) mobile: Option<Mobile>,
    pub(crate) photo: Option<FaceImage>,
}

impl Parts {
    pub(crate) fn request(&self) -> Request {
        match (&self.mobile, &self.photo) {
            (Some(mobile), _) => Request::mobile(self.id, self.name.clone(), *mobile),
            (None, Some(photo)) => Request::face(self.id, self.name.clone(), photo.clone()),
            (None, None) => Request::identity(self.id, self.name.clone()),
        }
    }
}

/// The cells of a row as given (trimmed), `""` for a column the check does not use. Personal
/// data: no `Debug`.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct Cells<'a> {
    /// The ID number cell.
    pub id: &'a str,
    /// The name cell.
    pub name: &'a str,
    /// The mobile cell (mobile checks).
    pub mobile: &'a str,
    /// The photo cell, a path or URL (face checks).
    pub photo: &'a str,
}

/// A row's verdict in phase 1.
pub(crate) enum Status<'a> {
    Valid {
        parts: &'a Parts,
        distinct: usize,
        same_as: Option<u64>,
    },
    Rejected(&'a str),
}

/// One row of phase 1, borrowed from [`Rows`] until the next. No `Debug`: personal data.
pub struct RowView<'a> {
    pub(crate) number: u64,
    pub(crate) cells: Cells<'a>,
    pub(crate) status: Status<'a>,
}

impl RowView<'_> {
    /// 1-based data row number (the header is row 0).
    #[must_use]
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The cells as given. Personal data: never log them.
    #[must_use]
    pub fn cells(&self) -> Cells<'_> {
        self.cells
    }

    /// Why the row was rejected offline (never the cell's text), or `None` for a valid row.
    #[must_use]
    pub fn rejection(&self) -> Option<&str> {
        match self.status {
            Status::Rejected(reason) => Some(reason),
            Status::Valid { .. } => None,
        }
    }

    /// For a valid row, the index of its distinct request (0 for the first request seen).
    #[must_use]
    pub fn distinct(&self) -> Option<usize> {
        match self.status {
            Status::Valid { distinct, .. } => Some(distinct),
            Status::Rejected(_) => None,
        }
    }

    /// For a valid row whose request an earlier row has, that first row's number.
    #[must_use]
    pub fn same_as_row(&self) -> Option<u64> {
        match self.status {
            Status::Valid { same_as, .. } => same_as,
            Status::Rejected(_) => None,
        }
    }

    /// For a valid row, its request (built on each call).
    #[must_use]
    pub fn request(&self) -> Option<Request> {
        match self.status {
            Status::Valid { parts, .. } => Some(parts.request()),
            Status::Rejected(_) => None,
        }
    }
}

/// Phase 1 over a stream of UTF-8 text, one row at a time ([`Rows::next_row`]); the header
/// row is read and the columns found when it is made.
pub struct Rows<R> {
    csv: csv::Reader<TextReader<R>>,
    record: csv::ByteRecord,
    columns: Columns,
    check: Check,
    photo_parser: FaceImageParser,
    base_dir: PathBuf,
    dedup: Dedup,
    counts: Counts,
    reason: String,
    parts: Option<Parts>,
}

impl<R> std::fmt::Debug for Rows<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("check", &self.check)
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl<R: Read> Rows<R> {
    /// Reads the header row of `text` (UTF-8, cells separated by `delimiter`) and finds the
    /// columns `check` needs. A row longer than 1 MiB stops the reading with an error.
    ///
    /// # Errors
    ///
    /// No header row, or a needed column is missing. The header row is described by the
    /// number of its cells and the kind of each (`digits(18)`, `CJK(2)`, `text(4)`,
    /// `empty`), never their text: in a file without a header row, it is a person.
    pub fn new(
        text: R,
        delimiter: Delimiter,
        check: Check,
        columns: &ColumnNames,
        photo_parser: &FaceImageParser,
        base_dir: &Path,
    ) -> Result<Self, String> {
        Self::with_reader(
            TextReader::new(text, TextEncoding::Utf8),
            delimiter,
            check,
            columns,
            photo_parser,
            base_dir,
        )
    }

    pub(crate) fn with_reader(
        text: TextReader<R>,
        delimiter: Delimiter,
        check: Check,
        columns: &ColumnNames,
        photo_parser: &FaceImageParser,
        base_dir: &Path,
    ) -> Result<Self, String> {
        let mut csv = csv::ReaderBuilder::new()
            .flexible(true)
            .delimiter(delimiter.byte())
            .buffer_capacity(64 * 1024)
            .from_reader(text);
        let headers = match csv.byte_headers() {
            Ok(headers) => headers
                .iter()
                .map(|cell| std::str::from_utf8(cell).map(|c| c.trim().to_owned()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| changed(0))?,
            Err(e) => return Err(read_error(csv.get_ref(), 0, &e)),
        };
        let columns = Columns::find(&headers, check, columns)?;
        let mark = csv.position().byte();
        csv.get_mut().mark(mark);
        Ok(Self {
            csv,
            record: csv::ByteRecord::new(),
            columns,
            check,
            photo_parser: *photo_parser,
            base_dir: base_dir.to_owned(),
            dedup: Dedup::new(check == Check::Mobile),
            counts: Counts::default(),
            reason: String::new(),
            parts: None,
        })
    }

    /// What phase 1 found so far.
    #[must_use]
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The check the rows are parsed for.
    #[must_use]
    pub fn check(&self) -> Check {
        self.check
    }

    /// Reads and checks the next row; `None` after the last.
    ///
    /// # Errors
    ///
    /// The file cannot be read any more, a row is longer than 1 MiB (a line that is no row
    /// of people, or a quote never closed), the file changed while it was read, or it has
    /// more than 4,294,967,295 rows. Nothing of the row is in the message.
    pub fn next_row(&mut self) -> Result<Option<RowView<'_>>, String> {
        let number = self.counts.rows + 1;
        match self.csv.read_byte_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => return Err(read_error(self.csv.get_ref(), number, &e)),
        }
        let end = self.csv.position().byte();
        self.csv.get_mut().mark(end);
        if number > MAX_ROWS {
            return Err(format!(
                "the file has more than {MAX_ROWS} rows: split it into smaller files"
            ));
        }
        self.counts.rows = number;
        let record = &self.record;
        let cell = |column: Option<usize>| -> Result<&str, String> {
            match column.and_then(|c| record.get(c)) {
                Some(bytes) => std::str::from_utf8(bytes)
                    .map(trim)
                    .map_err(|_| changed(number)),
                None => Ok(""),
            }
        };
        let cells = Cells {
            id: cell(Some(self.columns.id))?,
            name: cell(Some(self.columns.name))?,
            mobile: cell(self.columns.mobile)?,
            photo: cell(self.columns.photo)?,
        };
        self.reason.clear();
        self.parts = parse_row(
            &cells,
            self.check,
            &self.photo_parser,
            &self.base_dir,
            &mut self.reason,
        );
        let status = match &self.parts {
            None => {
                self.counts.rejected += 1;
                Status::Rejected(&self.reason)
            }
            Some(parts) => {
                self.counts.valid += 1;
                let key = KeyParts {
                    id: &parts.id,
                    name: &parts.name,
                    mobile: parts.mobile.as_ref(),
                    photo: parts.photo.as_ref().map(|_| cells.photo),
                };
                let (distinct, same_as) = match self.dedup.see(&key, number) {
                    Seen::First(distinct) => {
                        self.counts.distinct += 1;
                        (distinct, None)
                    }
                    Seen::Again {
                        distinct,
                        first_row,
                    } => (distinct, Some(first_row)),
                };
                Status::Valid {
                    parts,
                    distinct,
                    same_as,
                }
            }
        };
        Ok(Some(RowView {
            number,
            cells,
            status,
        }))
    }
}

/// `str::trim`, quick for a cell that starts and ends with an ASCII letter or digit (an ID
/// number, a mobile).
fn trim(cell: &str) -> &str {
    let bytes = cell.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last))
            if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() =>
        {
            cell
        }
        _ => cell.trim(),
    }
}

/// Parses a row's cells for `check` as the core says, in order (ID number, name, then the
/// mobile or the photo): the parts, or `None` with the first problem in `reason`.
fn parse_row(
    cells: &Cells<'_>,
    check: Check,
    photo_parser: &FaceImageParser,
    base_dir: &Path,
    reason: &mut String,
) -> Option<Parts> {
    let id = match IdNumber::parse(cells.id) {
        Ok(id) => id,
        Err(e) => {
            let _ = write!(reason, "ID number: {e}");
            return None;
        }
    };
    let name = match Name::parse(cells.name) {
        Ok(name) => name,
        Err(e) => {
            let _ = write!(reason, "name: {e}");
            return None;
        }
    };
    let (mobile, photo) = match check {
        Check::Mobile => match Mobile::parse(cells.mobile) {
            Ok(mobile) => (Some(mobile), None),
            Err(e) => {
                let _ = write!(reason, "mobile: {e}");
                return None;
            }
        },
        Check::Face => match parse_photo(cells.photo, photo_parser, base_dir) {
            Ok(photo) => (None, Some(photo)),
            Err(e) => {
                reason.push_str(&e);
                return None;
            }
        },
        _ => (None, None),
    };
    Some(Parts {
        id,
        name,
        mobile,
        photo,
    })
}

fn parse_photo(
    cell: &str,
    photo_parser: &FaceImageParser,
    base_dir: &Path,
) -> Result<FaceImage, String> {
    if cell.is_empty() {
        return Err("photo: empty".to_owned());
    }
    // Relative photo paths are relative to the CSV file.
    let source = if cell.contains("://") {
        cell.to_owned()
    } else {
        base_dir.join(cell).to_string_lossy().into_owned()
    };
    let (_, photo) = load_photo(photo_parser, &source)
        .map_err(|e| format!("photo: cannot read the file: {e}"))?;
    photo.map_err(|e| format!("photo: {e}"))
}

/// Why reading row `number` (0: the header row) failed.
fn read_error<R: Read>(text: &TextReader<R>, number: u64, error: &csv::Error) -> String {
    let row = if number == 0 {
        "the header row".to_owned()
    } else {
        format!("row {number}")
    };
    if text.too_long() {
        format!(
            "{row} is longer than {} MiB: this is no file of people, or a quote (\") is never closed; nothing after it was read",
            MAX_ROW_BYTES >> 20
        )
    } else if text.changed() {
        changed(number)
    } else {
        match error.kind() {
            csv::ErrorKind::Io(e) => format!("cannot read {row}: {e}"),
            _ => format!("cannot read {row}"),
        }
    }
}

/// The file changed between the check of its encoding and the reading of row `number`.
fn changed(number: u64) -> String {
    if number == 0 {
        "the file changed while it was read: its header row is no longer in the encoding it was found in".to_owned()
    } else {
        format!(
            "the file changed while it was read: row {number} is no longer in the encoding the file was found in"
        )
    }
}
