//! Phase 1, streamed: a file of people read one row at a time, each row parsed by the core's
//! parsers and its request looked up by an exact key. Memory grows with the distinct requests
//! only (about 30 bytes each), never with the file.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use idcheck_core::{FaceImage, FaceImageParser, IdNumber, Mobile, Name};
use provider_trait::{Check, Request};

use calamine::Data;

use crate::dedup::{Dedup, KeyParts, MAX_ROWS, Seen};
use crate::input::{ColumnNames, Columns, Delimiter, load_photo};
use crate::photo_loader::{PendingPhoto, PhotoLoader, PhotoOutcome};
use crate::text::{
    MAX_ROW_BYTES, Sniffed, TextEncoding, TextReader, open_text, regular_file, sniff,
};
use crate::workbook::{self, ROUNDING_SAMPLE, Role, Rounding, Sheet, SheetChoice};

/// How many of a sheet's first non-empty rows are looked at for the header row.
pub(crate) const HEADER_SEARCH_ROWS: usize = 10;

/// How much decoded text [`PeopleFile::open`] reads to choose the delimiter.
const DELIMITER_PREFIX: usize = 1 << 20;

/// A file of people, opened for streaming: a CSV file, every byte already checked to be in
/// one encoding (UTF-8 ± BOM, UTF-16 with a BOM, GB18030/GBK), the delimiter chosen; or a
/// workbook (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`, told by its first bytes), one sheet
/// of it read.
///
/// No `Debug` beyond the path, encoding and delimiter: it reads personal data.
#[derive(Debug)]
pub struct PeopleFile {
    path: PathBuf,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Text {
        sniffed: Sniffed,
        delimiter: Delimiter,
    },
    Workbook {
        sheet: Option<SheetChoice>,
    },
}

impl PeopleFile {
    /// Checks the file at `path`: a regular file, a workbook, or text whose bytes are all in
    /// one encoding (read once in chunks, in bounded memory). The delimiter is `delimiter`,
    /// or the most frequent of `,` `;` and tab in the first line of the first MiB
    /// ([`Delimiter::detect`]).
    ///
    /// # Errors
    ///
    /// Not a regular file, unreadable, or in no encoding read: the message gives the byte
    /// offset of the first byte in error, never the file's content.
    pub fn open(path: &Path, delimiter: Option<Delimiter>) -> Result<Self, String> {
        regular_file(path)?;
        if workbook::is_workbook(path) {
            return Ok(Self {
                path: path.to_owned(),
                kind: Kind::Workbook { sheet: None },
            });
        }
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
            kind: Kind::Text { sniffed, delimiter },
        })
    }

    /// For a workbook, the sheet to read (the first by default).
    ///
    /// # Errors
    ///
    /// The file is not a workbook.
    pub fn with_sheet(mut self, choice: SheetChoice) -> Result<Self, String> {
        match &mut self.kind {
            Kind::Workbook { sheet } => {
                *sheet = Some(choice);
                Ok(self)
            }
            Kind::Text { .. } => Err(format!(
                "{} is a text file, not a workbook: it has no sheets to choose",
                self.path.display()
            )),
        }
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file is a workbook.
    #[must_use]
    pub fn is_workbook(&self) -> bool {
        matches!(self.kind, Kind::Workbook { .. })
    }

    /// The encoding the file is read as (a workbook's text is Unicode: UTF-8).
    #[must_use]
    pub fn encoding(&self) -> TextEncoding {
        match &self.kind {
            Kind::Text { sniffed, .. } => sniffed.encoding,
            Kind::Workbook { .. } => TextEncoding::Utf8,
        }
    }

    /// The character between cells (a comma for a workbook, which has cells of its own).
    #[must_use]
    pub fn delimiter(&self) -> Delimiter {
        match &self.kind {
            Kind::Text { delimiter, .. } => *delimiter,
            Kind::Workbook { .. } => Delimiter::Comma,
        }
    }

    /// Starts phase 1: reads the header row and finds the columns `check` needs, then looks
    /// at the ID column (its first 100,000 rows) for the damage of a spreadsheet that rounded
    /// it. Photo paths are relative to the file's directory.
    ///
    /// # Errors
    ///
    /// As [`Rows::new`]; the file cannot be opened again; a workbook that cannot be read, or
    /// has no such sheet.
    pub fn rows(
        &self,
        check: Check,
        columns: &ColumnNames,
        photo_parser: &FaceImageParser,
    ) -> Result<Rows<File>, String> {
        let base_dir = self.path.parent().unwrap_or(Path::new("."));
        match &self.kind {
            Kind::Text { sniffed, delimiter } => {
                let open = || {
                    open_text(&self.path, *sniffed)
                        .map_err(|e| format!("cannot read {}: {e}", self.path.display()))
                };
                let mut rows =
                    Rows::with_reader(open()?, *delimiter, check, columns, photo_parser, base_dir)?;
                // A second reading of the first rows: whether the column was rounded is
                // known before the first row is judged.
                let mut sample = csv::ReaderBuilder::new()
                    .flexible(true)
                    .delimiter(delimiter.byte())
                    .from_reader(open()?);
                let mut record = csv::ByteRecord::new();
                let mut rounding = Rounding::default();
                for _ in 0..ROUNDING_SAMPLE {
                    match sample.read_byte_record(&mut record) {
                        Ok(true) => {}
                        _ => break,
                    }
                    if let Some(Ok(id)) = record.get(rows.columns.id).map(std::str::from_utf8) {
                        rounding.see(id);
                    }
                }
                rows.rounded = rounding.by_excel();
                Ok(rows)
            }
            Kind::Workbook { sheet } => Rows::from_sheet(
                workbook::open_sheet(&self.path, sheet.as_ref())?,
                check,
                columns,
                photo_parser,
                base_dir,
            ),
        }
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
    /// Photos read (a face check: rows whose ID number and name are valid and whose photo
    /// cell is not empty), fitted or not.
    pub photos: u64,
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
    source: Source<R>,
    columns: Columns,
    check: Check,
    dedup: Dedup,
    counts: Counts,
    reason: String,
    parts: Option<Parts>,
    /// The ID column was rounded by a spreadsheet: no row of it is sent.
    rounded: bool,
    /// The ID cells read so far, looked at the same way: a rounded part below the rows
    /// looked at first stops a paid run before anything is sent ([`crate::Plan::build`]).
    rounding_read: Rounding,
    /// Rows read from a CSV source (rows judged: `counts.rows`, fewer when reading ahead).
    read: u64,
    /// A face check's rows read ahead, their photos loading on every core.
    ahead: Option<Ahead>,
    /// The cells of the row judged, when it was read ahead.
    current: [String; 4],
    /// Told of each row of a face check ([`Rows::on_face_row`]).
    face_observer: Option<Box<dyn FnMut(Counts) + Send>>,
}

/// A face check's rows read ahead of the one judged ([`PhotoLoader`]).
struct Ahead {
    loader: PhotoLoader,
    rows: VecDeque<AheadRow>,
    /// Why reading stopped, told once the rows before it are judged: the end (`Ok`), or an
    /// error.
    end: Option<Result<(), String>>,
}

struct AheadRow {
    number: u64,
    /// id, name, mobile, photo; trimmed.
    cells: [String; 4],
    problem: Option<String>,
    /// Loading when the row's ID number and name are valid.
    photo: Option<PendingPhoto>,
}

/// Where rows come from.
enum Source<R> {
    Csv {
        csv: csv::Reader<TextReader<R>>,
        record: csv::ByteRecord,
    },
    Sheet(SheetRows),
}

/// A workbook sheet's rows, their needed cells as text.
struct SheetRows {
    sheet: Sheet,
    /// The header row's index in the sheet's range, and the next row's.
    header: usize,
    next: usize,
    /// The needed cells of the current row as text (id, name, mobile, photo).
    text: [String; 4],
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
        let columns = Columns::find(&headers, check, columns, true)?;
        let mark = csv.position().byte();
        csv.get_mut().mark(mark);
        Ok(Self::over(
            Source::Csv {
                csv,
                record: csv::ByteRecord::new(),
            },
            columns,
            check,
            photo_parser,
            base_dir,
        ))
    }

    fn over(
        source: Source<R>,
        columns: Columns,
        check: Check,
        photo_parser: &FaceImageParser,
        base_dir: &Path,
    ) -> Self {
        let ahead = (check == Check::Face).then(|| Ahead {
            loader: PhotoLoader::new(*photo_parser, base_dir.to_owned()),
            rows: VecDeque::new(),
            end: None,
        });
        Self {
            source,
            columns,
            check,
            dedup: Dedup::new(check == Check::Mobile),
            counts: Counts::default(),
            reason: String::new(),
            parts: None,
            rounded: false,
            rounding_read: Rounding::default(),
            read: 0,
            ahead,
            current: Default::default(),
            face_observer: None,
        }
    }

    /// Phase 1 over a workbook's sheet: its first non-empty row is the header row.
    fn from_sheet(
        sheet: Sheet,
        check: Check,
        columns: &ColumnNames,
        photo_parser: &FaceImageParser,
        base_dir: &Path,
    ) -> Result<Self, String> {
        // The header row: the first non-empty row that names the needed columns, among the
        // first few (a title row, merged across the columns, often sits above it).
        let texts = |row: &[Data]| -> Vec<String> {
            row.iter()
                .map(|cell| {
                    workbook::cell_text(cell, Role::Name)
                        .map(|text| text.trim().to_owned())
                        .unwrap_or_default()
                })
                .collect()
        };
        let mut candidates = sheet
            .range
            .rows()
            .enumerate()
            .filter(|(_, row)| row.iter().any(|cell| !matches!(cell, Data::Empty)))
            .take(HEADER_SEARCH_ROWS);
        let (first, first_row) = candidates
            .next()
            .ok_or_else(|| sheet.not_a_list("the sheet is empty"))?;
        let (header, columns) = match Columns::find(&texts(first_row), check, columns, false) {
            Ok(found) => (first, found),
            Err(first_error) => candidates
                .find_map(|(at, row)| {
                    Columns::find(&texts(row), check, columns, false)
                        .ok()
                        .map(|found| (at, found))
                })
                .ok_or_else(|| sheet.not_a_list(&first_error))?,
        };
        let mut rounding = Rounding::default();
        // The whole sheet: it is in memory already.
        for row in sheet.range.rows().skip(header + 1) {
            if let Some(Data::String(id)) = row.get(columns.id) {
                rounding.see(id);
            }
        }
        let mut rows = Self::over(
            Source::Sheet(SheetRows {
                sheet,
                header,
                next: header + 1,
                text: Default::default(),
            }),
            columns,
            check,
            photo_parser,
            base_dir,
        );
        rows.rounded = rounding.by_excel();
        Ok(rows)
    }

    /// For a workbook: the sheet read, its place (from 1) and the number of sheets.
    #[must_use]
    pub fn sheet(&self) -> Option<(&str, usize, usize)> {
        match &self.source {
            Source::Sheet(rows) => Some((&rows.sheet.name, rows.sheet.number, rows.sheet.of)),
            Source::Csv { .. } => None,
        }
    }

    /// Whether the ID column was found rounded by a spreadsheet (none of its rows is sent).
    #[must_use]
    pub fn id_column_rounded(&self) -> bool {
        self.rounded
    }

    /// Whether the rows read so far show a part of the ID column rounded by a spreadsheet
    /// below the rows looked at before the first was judged (a CSV's first 100,000; a
    /// workbook's sheet is looked at whole, so never there): the
    /// rows were judged one by one, so a paid run must not go on ([`crate::Plan::build`]
    /// refuses it).
    #[must_use]
    pub fn id_column_rounded_further_down(&self) -> bool {
        !self.rounded && self.rounding_read.by_excel()
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

    /// Reads and checks the next row; `None` after the last. A face check reads a few rows
    /// ahead and loads (fits) their photos on every core, in bounded memory; rows still come
    /// in order, each judged as if alone.
    ///
    /// # Errors
    ///
    /// The file cannot be read any more, a row is longer than 1 MiB (a line that is no row
    /// of people, or a quote never closed), the file changed while it was read, or it has
    /// more than 4,294,967,295 rows. Nothing of the row is in the message.
    #[allow(clippy::too_many_lines)] // one row's steps in order, over disjoint fields
    pub fn next_row(&mut self) -> Result<Option<RowView<'_>>, String> {
        let (number, problem, mut photo) = if self.ahead.is_some() {
            let Some(row) = self.next_read_ahead()? else {
                return Ok(None);
            };
            self.current = row.cells;
            (row.number, row.problem, row.photo)
        } else {
            let Some((number, problem)) = self.read_row()? else {
                return Ok(None);
            };
            (number, problem, None)
        };
        if self.counts.rows + 1 > MAX_ROWS {
            return Err(format!(
                "the file has more than {MAX_ROWS} rows: split it into smaller files"
            ));
        }
        self.counts.rows += 1;
        let cells = if self.ahead.is_some() {
            let [id, name, mobile, photo] = &self.current;
            Cells {
                id,
                name,
                mobile,
                photo,
            }
        } else {
            cells_of(&self.source, &self.columns, number)?
        };
        self.reason.clear();
        // A sheet's whole column was looked at before its first row; a CSV's first rows only.
        if !self.rounded && matches!(self.source, Source::Csv { .. }) {
            self.rounding_read.see(cells.id);
        }
        self.parts = if self.rounded {
            self.reason.push_str(workbook::ROUNDED_COLUMN);
            None
        } else if let Some(problem) = problem {
            self.reason.push_str(&problem);
            None
        } else {
            let ahead = self.ahead.as_ref();
            let counts = &mut self.counts;
            parse_row(&cells, self.check, &mut self.reason, |cell| {
                counts.photos += u64::from(!cell.is_empty());
                match (photo.take(), ahead) {
                    (Some(pending), _) => pending.wait(),
                    // Not given to the loader as it was read (a face check's rows always are).
                    (None, Some(ahead)) => ahead.loader.load_here(cell),
                    (None, None) => {
                        Err("photo: not read (only a face check reads photos)".to_owned())
                    }
                }
            })
        };
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
        if let Some(observer) = &mut self.face_observer {
            observer(self.counts);
        }
        Ok(Some(RowView {
            number,
            cells,
            status,
        }))
    }
}

impl<R: Read> Rows<R> {
    /// For a face check, calls `observer` after each row with the counts so far: reading
    /// (and fitting) photos can take most of phase 1, and this is its progress. Other checks
    /// read millions of rows a second and never call it.
    pub fn on_face_row(&mut self, observer: impl FnMut(Counts) + Send + 'static) {
        if self.check == Check::Face {
            self.face_observer = Some(Box::new(observer));
        }
    }

    /// Reads the next row into the source: its number and the first problem of its cells.
    fn read_row(&mut self) -> Result<Option<(u64, Option<String>)>, String> {
        match &mut self.source {
            Source::Csv { csv, record } => {
                let number = self.read + 1;
                match csv.read_byte_record(record) {
                    Ok(true) => {}
                    Ok(false) => return Ok(None),
                    Err(e) => return Err(read_error(csv.get_ref(), number, &e)),
                }
                let end = csv.position().byte();
                csv.get_mut().mark(end);
                self.read = number;
                Ok(Some((number, None)))
            }
            Source::Sheet(rows) => Ok(rows.next_row(&self.columns)),
        }
    }

    /// The next row of a face check, read ahead: rows are read until as many as the loader
    /// keeps busy are waiting, each valid row's photo given to the loader as it is read.
    fn next_read_ahead(&mut self) -> Result<Option<AheadRow>, String> {
        let Some(mut ahead) = self.ahead.take() else {
            return Ok(None);
        };
        while ahead.end.is_none() && ahead.rows.len() < ahead.loader.ahead() {
            let read = self.read_row().and_then(|row| {
                row.map(|(number, problem)| {
                    cells_of(&self.source, &self.columns, number).map(|c| (number, problem, c))
                })
                .transpose()
            });
            match read {
                Ok(None) => ahead.end = Some(Ok(())),
                Err(e) => ahead.end = Some(Err(e)),
                Ok(Some((number, problem, cells))) => {
                    // The photo is needed when parse_row will get to it.
                    let photo = (problem.is_none()
                        && !self.rounded
                        && parse_id_and_name(&cells, &mut String::new()).is_some())
                    .then(|| ahead.loader.load(cells.photo.to_owned()));
                    ahead.rows.push_back(AheadRow {
                        number,
                        cells: [cells.id, cells.name, cells.mobile, cells.photo].map(str::to_owned),
                        problem,
                        photo,
                    });
                }
            }
        }
        let row = ahead.rows.pop_front();
        let end = if row.is_none() {
            // Told once; then the rows are over.
            ahead.end.replace(Ok(()))
        } else {
            None
        };
        self.ahead = Some(ahead);
        match (row, end) {
            (Some(row), _) => Ok(Some(row)),
            (None, Some(Err(e))) => Err(e),
            (None, _) => Ok(None),
        }
    }
}

/// The needed cells of the row just read into `source` (row `number`), trimmed.
fn cells_of<'a, R>(
    source: &'a Source<R>,
    columns: &Columns,
    number: u64,
) -> Result<Cells<'a>, String> {
    Ok(match source {
        Source::Csv { record, .. } => {
            let cell = |column: Option<usize>| -> Result<&str, String> {
                match column.and_then(|c| record.get(c)) {
                    Some(bytes) => std::str::from_utf8(bytes)
                        .map(trim)
                        .map_err(|_| changed(number)),
                    None => Ok(""),
                }
            };
            Cells {
                id: cell(Some(columns.id))?,
                name: cell(Some(columns.name))?,
                mobile: cell(columns.mobile)?,
                photo: cell(columns.photo)?,
            }
        }
        Source::Sheet(rows) => Cells {
            id: rows.text[0].trim(),
            name: rows.text[1].trim(),
            mobile: rows.text[2].trim(),
            photo: rows.text[3].trim(),
        },
    })
}

impl SheetRows {
    /// The next row that is not empty in the needed columns: its number (rows below the
    /// header, as the sheet numbers them) and the first of its cells that cannot be what its
    /// column needs (a number or a date in the ID column, a formula error). Its cells' text
    /// is left in `text`.
    fn next_row(&mut self, columns: &Columns) -> Option<(u64, Option<String>)> {
        let needed = [
            (Some(columns.id), Role::Id),
            (Some(columns.name), Role::Name),
            (columns.mobile, Role::Mobile),
            (columns.photo, Role::Photo),
        ];
        loop {
            if self.next >= self.sheet.range.height() {
                return None;
            }
            let at = self.next;
            self.next += 1;
            let cell = |column: Option<usize>| {
                column
                    .and_then(|c| self.sheet.range.get((at, c)))
                    .unwrap_or(&Data::Empty)
            };
            if needed
                .iter()
                .all(|(column, _)| matches!(cell(*column), Data::Empty))
            {
                continue;
            }
            let mut problem = None;
            for (slot, (column, role)) in needed.iter().enumerate() {
                self.text[slot].clear();
                match workbook::cell_text(cell(*column), *role) {
                    Ok(text) => self.text[slot].push_str(&text),
                    Err(why) => {
                        problem.get_or_insert_with(|| why.into_owned());
                    }
                }
            }
            return Some(((at - self.header) as u64, problem));
        }
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
/// mobile or the photo, from `photo_of` given the photo cell): the parts, or `None` with the
/// first problem in `reason`.
/// The first two steps of [`parse_row`]: the ID number, then the name.
fn parse_id_and_name(cells: &Cells<'_>, reason: &mut String) -> Option<(IdNumber, Name)> {
    let id = match IdNumber::parse(cells.id) {
        Ok(id) => id,
        Err(e) => {
            let _ = write!(reason, "ID number: {e}");
            return None;
        }
    };
    match Name::parse(cells.name) {
        Ok(name) => Some((id, name)),
        Err(e) => {
            let _ = write!(reason, "name: {e}");
            None
        }
    }
}

fn parse_row(
    cells: &Cells<'_>,
    check: Check,
    reason: &mut String,
    photo_of: impl FnOnce(&str) -> PhotoOutcome,
) -> Option<Parts> {
    let (id, name) = parse_id_and_name(cells, reason)?;
    let (mobile, photo) = match check {
        Check::Mobile => match Mobile::parse(cells.mobile) {
            Ok(mobile) => (Some(mobile), None),
            Err(e) => {
                let _ = write!(reason, "mobile: {e}");
                return None;
            }
        },
        Check::Face => match photo_of(cells.photo) {
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

/// The photo a row's cell names (a path relative to `base_dir`, or a URL), or why its row is
/// rejected.
pub(crate) fn parse_photo(
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
