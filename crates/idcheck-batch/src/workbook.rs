//! Workbooks of people — `.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods` — read with calamine, one
//! sheet, its cells turned into the text the CSV path reads; and what Excel does to ID numbers
//! caught before anything is paid: an ID typed into a number cell keeps 15 significant digits
//! (its last three become `000`, the check character is gone), and a CSV saved from it keeps
//! `1.10105E+17` or the rounded digits.

use std::borrow::Cow;
use std::io::Read as _;
use std::path::Path;

use calamine::{Data, Range, Reader as _};

/// The first bytes of a ZIP archive (`.xlsx`, `.xlsm`, `.xlsb`, `.ods`) and of an OLE compound
/// file (`.xls`, and any password-protected Office file).
pub(crate) const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
pub(crate) const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Why an ID cell cannot be an ID number whatever it holds.
pub(crate) const STORED_AS_NUMBER: &str = "ID number: stored as a number by Excel: its last digits are lost; format the column as Text and re-enter the numbers, or export from the source system";
const DATE_IN_ID: &str =
    "ID number: a date cell, not an ID number: format the column as Text and re-enter the numbers";
/// Every row of a column that Excel rounded, whatever its own digits say.
pub(crate) const ROUNDED_COLUMN: &str = "ID number: the ID column was rounded by Excel (its numbers end in 000 and fail their check): the last digits are lost, so none of its rows is sent; format the column as Text and re-enter the numbers, or export from the source system";

/// Why a paid run stops after phase 1 when a rounded part of the ID column lies below the rows
/// looked at first.
pub(crate) const ROUNDED_FURTHER_DOWN: &str = "the ID column was rounded by Excel further down the file (its numbers end in 000 and fail their check): nothing was sent; format the column as Text and re-enter the numbers, or export from the source system";

/// Which sheet of a workbook: by name, or by its number (1 for the first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SheetChoice {
    /// The sheet with this name.
    Named(String),
    /// The sheet at this place, counting from 1.
    Number(usize),
}

impl std::str::FromStr for SheetChoice {
    type Err = std::convert::Infallible;

    /// A number (1, 2, …) chooses by place, anything else by name; a sheet literally named
    /// like a number is still found by that name first.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text.trim().parse::<usize>() {
            Ok(n) => Self::Number(n),
            Err(_) => Self::Named(text.to_owned()),
        })
    }
}

/// Whether the file starts like a workbook.
pub(crate) fn is_workbook(path: &Path) -> bool {
    let mut start = [0u8; 8];
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut filled = 0;
    while filled < start.len() {
        match file.read(&mut start[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    start.starts_with(ZIP_MAGIC) || start[..filled] == *OLE_MAGIC
}

/// One sheet of a workbook, read whole (calamine reads sheets whole; nothing is copied).
pub(crate) struct Sheet {
    pub(crate) name: String,
    /// Its place in the workbook, from 1, and how many sheets the workbook has.
    pub(crate) number: usize,
    pub(crate) of: usize,
    /// Every sheet's name, in order, to suggest another when this one is not a list.
    pub(crate) names: Vec<String>,
    pub(crate) range: Range<Data>,
}

impl Sheet {
    /// `error` (this sheet has no usable header), with the other sheets to try when there
    /// are any.
    pub(crate) fn not_a_list(&self, error: &str) -> String {
        let error = format!(
            "{error} (the header row is looked for among the sheet's first {} non-empty rows)",
            crate::scan::HEADER_SEARCH_ROWS
        );
        if self.of < 2 {
            return error;
        }
        format!(
            "{error}; in sheet {:?} ({} of {}): pass --sheet NAME or --sheet N to read another of {}",
            self.name,
            self.number,
            self.of,
            quoted(&self.names)
        )
    }
}

/// Reads the chosen sheet (the first by default) of the workbook at `path`.
///
/// # Errors
///
/// The workbook cannot be read (damaged, password-protected, not a workbook) or has no such
/// sheet. Messages never quote the file's content.
pub(crate) fn open_sheet(path: &Path, choice: Option<&SheetChoice>) -> Result<Sheet, String> {
    let unreadable = || {
        if is_password_protected(path) || is_encrypted_ods(path) {
            format!(
                "{} is a password-protected workbook: save it again without a password (File › Info › Protect Workbook › Encrypt with Password: empty), or export it as CSV",
                path.display()
            )
        } else {
            format!(
                "cannot read the workbook {}: it is damaged, or in a format other than .xlsx, .xlsm, .xlsb, .xls or .ods",
                path.display()
            )
        }
    };
    // calamine panics on some damaged files (its own test files): a damaged file is an
    // error, not a crash.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_sheet(path, choice))) {
        Ok(Ok(sheet)) => Ok(sheet),
        Ok(Err(SheetError::Unreadable)) | Err(_) => Err(unreadable()),
        Ok(Err(SheetError::Refused(why))) => Err(why),
    }
}

/// Why [`read_sheet`] gave up.
enum SheetError {
    /// Damaged, encrypted, or not a workbook.
    Unreadable,
    /// Read, but not usable as asked (no such sheet, too large), with the reason.
    Refused(String),
}

/// Larger sheets are refused before they are read: calamine holds a sheet as one grid of
/// cells (32 bytes each) from its first used cell to its last, so a single cell at `XFD1048576`
/// would ask for 512 GiB. 2^24 cells is 512 MiB: a sheet of all 1,048,576 rows and 16 columns.
const MAX_CELLS: u64 = 1 << 24;

type Book = calamine::Sheets<std::io::BufReader<std::fs::File>>;

/// Opens the workbook by its bytes (an `.xls` named `.xlsx` is still an `.xls`).
fn open_book(path: &Path) -> Result<Book, SheetError> {
    use calamine::{Ods, Sheets, Xls, Xlsb, Xlsx, open_workbook};
    let mut start = [0_u8; 8];
    let mut file = std::fs::File::open(path).map_err(|_| SheetError::Unreadable)?;
    let filled = file.read(&mut start).map_err(|_| SheetError::Unreadable)?;
    if start[..filled] == *OLE_MAGIC {
        return open_workbook::<Xls<_>, _>(path)
            .map(Sheets::Xls)
            .map_err(|_| SheetError::Unreadable);
    }
    open_workbook::<Xlsx<_>, _>(path)
        .map(Sheets::Xlsx)
        .or_else(|_| open_workbook::<Xlsb<_>, _>(path).map(Sheets::Xlsb))
        .map_err(|_| SheetError::Unreadable)
        .or_else(|_| {
            check_ods_extent(path)?;
            open_workbook::<Ods<_>, _>(path)
                .map(Sheets::Ods)
                .map_err(|_| SheetError::Unreadable)
        })
}

fn read_sheet(path: &Path, choice: Option<&SheetChoice>) -> Result<Sheet, SheetError> {
    use calamine::{SheetType, SheetVisible};
    let mut workbook = open_book(path)?;
    let names = workbook.sheet_names();
    if names.is_empty() {
        return Err(SheetError::Refused(format!(
            "the workbook {} has no sheets",
            path.display()
        )));
    }
    let index = match choice {
        // The first sheet Excel shows: not a hidden one, nor a chart.
        None => workbook
            .sheets_metadata()
            .iter()
            .position(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
            .unwrap_or(0),
        Some(SheetChoice::Named(name)) => {
            names.iter().position(|n| n == name).ok_or_else(|| {
                SheetError::Refused(format!(
                    "the workbook has no sheet named {name:?}; its sheets: {}",
                    quoted(&names)
                ))
            })?
        }
        Some(SheetChoice::Number(n)) => names
            .iter()
            .position(|name| *name == n.to_string())
            .or_else(|| n.checked_sub(1).filter(|i| *i < names.len()))
            .ok_or_else(|| {
                SheetError::Refused(format!(
                    "the workbook has {} sheet(s), not {n}; its sheets: {}",
                    names.len(),
                    quoted(&names)
                ))
            })?,
    };
    let name = names[index].clone();
    let range = read_range(&mut workbook, &name)?;
    Ok(Sheet {
        name,
        number: index + 1,
        of: names.len(),
        names,
        range,
    })
}

/// The sheet's cells, refused once its used cells span more than [`MAX_CELLS`]: an `.xlsx`
/// or `.xlsb` read cell by cell (in one pass, as calamine would, but stopping there); an
/// `.xls` cannot be larger, and an `.ods` was measured before it was opened.
fn read_range(workbook: &mut Book, name: &str) -> Result<Range<Data>, SheetError> {
    let mut extent = Extent::default();
    let mut cells = Vec::new();
    let mut keep = |cell: calamine::Cell<calamine::DataRef<'_>>| {
        if matches!(cell.get_value(), calamine::DataRef::Empty) {
            return Ok(());
        }
        extent.see(cell.get_position());
        if extent.cells() > MAX_CELLS {
            return Err(too_large(name, extent.rows(), extent.columns()));
        }
        cells.push(calamine::Cell::new(
            cell.get_position(),
            Data::from(cell.get_value().clone()),
        ));
        Ok(())
    };
    match workbook {
        calamine::Sheets::Xlsx(book) => {
            let mut reader = match book.worksheet_cells_reader(name) {
                Ok(reader) => reader,
                // A chart sheet: no cells (as calamine reads it), so "empty".
                Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(Range::default()),
                Err(_) => return Err(SheetError::Unreadable),
            };
            while let Some(cell) = reader.next_cell().map_err(|_| SheetError::Unreadable)? {
                keep(cell)?;
            }
        }
        calamine::Sheets::Xlsb(book) => {
            let mut reader = book
                .worksheet_cells_reader(name)
                .map_err(|_| SheetError::Unreadable)?;
            while let Some(cell) = reader.next_cell().map_err(|_| SheetError::Unreadable)? {
                keep(cell)?;
            }
        }
        calamine::Sheets::Ods(_) | calamine::Sheets::Xls(_) => {
            return workbook
                .worksheet_range(name)
                .map_err(|_| SheetError::Unreadable);
        }
    }
    Ok(Range::from_sparse(cells))
}

fn too_large(name: &str, rows: u64, columns: u64) -> SheetError {
    SheetError::Refused(format!(
        "the sheet {name:?} spans {rows} rows and {columns} columns of used cells, more than idcheck reads ({MAX_CELLS} cells): delete the rows and columns around the list, or save the sheet as CSV"
    ))
}

/// An `.ods` file saved with a password lists how each part was encrypted in its
/// manifest.
fn is_encrypted_ods(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let Ok(mut zip) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return false;
    };
    let Ok(manifest) = zip.by_name("META-INF/manifest.xml") else {
        return false;
    };
    let mut text = String::new();
    manifest
        .take(1 << 20)
        .read_to_string(&mut text)
        .is_ok_and(|_| text.contains("manifest:encryption-data"))
}

/// Every sheet's extent in an `.ods` file, from its XML, where a few bytes can repeat a cell
/// across millions of columns and rows (calamine would expand them all, every sheet as it
/// opens the file): the rows up to the last used one, times the widest used row. Not an
/// `.ods`: nothing to refuse (calamine then says what it is).
fn check_ods_extent(path: &Path) -> Result<(), SheetError> {
    use quick_xml::events::{BytesStart, Event};
    let count = |e: &BytesStart<'_>, key: &[u8]| -> u64 {
        e.try_get_attribute(key)
            .ok()
            .flatten()
            .and_then(|a| std::str::from_utf8(&a.value).ok()?.parse().ok())
            .unwrap_or(1)
    };
    let has = |e: &BytesStart<'_>, key: &[u8]| e.try_get_attribute(key).ok().flatten().is_some();
    let file = std::fs::File::open(path).map_err(|_| SheetError::Unreadable)?;
    let mut zip =
        zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|_| SheetError::Unreadable)?;
    let Ok(content) = zip.by_name("content.xml") else {
        return Ok(());
    };
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let mut buf = Vec::new();
    let (mut in_sheet, mut name, mut rows, mut width) = (false, String::new(), 0_u64, 0_u64);
    let (mut row_repeat, mut column, mut row_width) = (1_u64, 0_u64, 0_u64);
    loop {
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|_| SheetError::Unreadable)?;
        let (start, ends_row) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), e.name().as_ref() == b"table:table-row"),
            Event::End(e) => (None, e.name().as_ref() == b"table:table-row"),
            Event::Eof => break,
            _ => (None, false),
        };
        if let Some(e) = start {
            match e.name().as_ref() {
                b"table:table" => {
                    in_sheet = true;
                    (rows, width) = (0, 0);
                    name = e
                        .try_get_attribute(b"table:name")
                        .ok()
                        .flatten()
                        .and_then(|a| a.decode_and_unescape_value(xml.decoder()).ok())
                        .map(std::borrow::Cow::into_owned)
                        .unwrap_or_default();
                }
                b"table:table-row" if in_sheet => {
                    row_repeat = count(e, b"table:number-rows-repeated");
                    (column, row_width) = (0, 0);
                }
                b"table:table-cell" | b"table:covered-table-cell" if in_sheet => {
                    column = column.saturating_add(count(e, b"table:number-columns-repeated"));
                    if has(e, b"office:value-type") || has(e, b"table:formula") {
                        row_width = column;
                    }
                }
                _ => {}
            }
        }
        if ends_row && in_sheet {
            rows = rows.saturating_add(row_repeat);
            // Rows up to this used one, times the widest used row so far.
            if row_width > 0 {
                width = width.max(row_width);
                if rows.saturating_mul(width) > MAX_CELLS {
                    return Err(too_large(&name, rows, width));
                }
            }
        }
        buf.clear();
    }
    Ok(())
}

/// The used cells' bounding box.
#[derive(Default)]
struct Extent {
    used: Option<((u32, u32), (u32, u32))>,
}

impl Extent {
    fn see(&mut self, (r, c): (u32, u32)) {
        self.used = Some(match self.used {
            None => ((r, c), (r, c)),
            Some(((r0, c0), (r1, c1))) => ((r0.min(r), c0.min(c)), (r1.max(r), c1.max(c))),
        });
    }

    fn rows(&self) -> u64 {
        self.used
            .map_or(0, |((r0, _), (r1, _))| u64::from(r1 - r0) + 1)
    }

    fn columns(&self) -> u64 {
        self.used
            .map_or(0, |((_, c0), (_, c1))| u64::from(c1 - c0) + 1)
    }

    fn cells(&self) -> u64 {
        self.rows() * self.columns()
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An Office file encrypted with a password is an OLE compound file holding a stream named
/// `EncryptedPackage` (its name in UTF-16 in the directory, near the start of small files).
fn is_password_protected(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut start = Vec::new();
    if file.take(1 << 20).read_to_end(&mut start).is_err() || !start.starts_with(OLE_MAGIC) {
        return false;
    }
    let needle: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    start.windows(needle.len()).any(|w| w == needle)
}

/// The role of a column, for turning its cells into text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Id,
    Name,
    Mobile,
    Photo,
}

impl Role {
    fn label(self) -> &'static str {
        match self {
            Self::Id => "ID number",
            Self::Name => "name",
            Self::Mobile => "mobile",
            Self::Photo => "photo",
        }
    }
}

/// A cell as the text a CSV would hold, or why the cell cannot be what its column needs.
pub(crate) fn cell_text(cell: &Data, role: Role) -> Result<Cow<'_, str>, Cow<'static, str>> {
    match cell {
        Data::Empty => Ok(Cow::Borrowed("")),
        Data::Float(value) => number_text(*value, role),
        #[allow(clippy::cast_precision_loss)] // as the spreadsheet held it: a double
        Data::Int(value) => number_text(*value as f64, role),
        Data::Bool(value) => Ok(Cow::Borrowed(if *value { "TRUE" } else { "FALSE" })),
        Data::DateTime(_) | Data::DateTimeIso(_) | Data::DurationIso(_) if role == Role::Id => {
            Err(Cow::Borrowed(DATE_IN_ID))
        }
        Data::DateTime(date) => Ok(Cow::Owned(date.to_string())),
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => {
            Ok(Cow::Borrowed(text))
        }
        Data::Error(error) => Err(Cow::Owned(format!(
            "{}: the cell holds a formula error ({error})",
            role.label()
        ))),
    }
}

/// A number cell as text: whole numbers in full (a mobile survives a number cell: 11 digits
/// are far below the 15 a spreadsheet keeps). In the ID column only a 15-digit whole number is
/// kept (a first-generation ID fits in 15 digits); anything longer lost its last digits.
fn number_text(value: f64, role: Role) -> Result<Cow<'static, str>, Cow<'static, str>> {
    let whole = value.is_finite() && value.fract() == 0.0 && value.abs() < 1e18;
    if role == Role::Id {
        return if whole && (1e14..1e15).contains(&value) {
            Ok(Cow::Owned(format!("{value:.0}")))
        } else {
            Err(Cow::Borrowed(STORED_AS_NUMBER))
        };
    }
    if role == Role::Mobile && value < 0.0 {
        return Err(Cow::Borrowed("mobile: a negative number"));
    }
    Ok(Cow::Owned(if whole {
        format!("{value:.0}")
    } else {
        value.to_string()
    }))
}

/// Counts of a file's ID column, for [`Rounding::by_excel`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Rounding {
    /// ID cells of 18 digits (ASCII or full-width) ending in `000`.
    ending_000: u32,
    /// Of those, not valid ID numbers (mostly: a wrong check character).
    failing: u32,
}

/// Rows of a file looked at to decide whether its ID column was rounded.
pub(crate) const ROUNDING_SAMPLE: usize = 100_000;

impl Rounding {
    /// Counts one ID cell (as text, trimmed).
    pub(crate) fn see(&mut self, id: &str) {
        // Full-width digits too: the core reads them, so a rounded column typed in them
        // would be sent.
        let Some(digits) = idcheck_core::IdNumber::typed_digits(id) else {
            return;
        };
        if digits[17] == b'X' {
            return;
        }
        if digits.ends_with(b"000") {
            self.ending_000 += 1;
            // The core's own rule: mostly the check character, which about 10 in 11
            // rounded numbers fail.
            if idcheck_core::IdNumber::parse(id.trim()).is_err() {
                self.failing += 1;
            }
        }
    }

    /// A column Excel rounded: at least three of its numbers end in `000`, and at least half
    /// of those fail their check (about 10 in 11 rounded ones do; real ones pass). A lone
    /// `…000` in a healthy column is not this: it is judged alone.
    pub(crate) fn by_excel(self) -> bool {
        // A real number ends in 000 about once in 1,100, and passes its check: three that
        // end so, most of them failing, are a rounded column (or a rounded part of one:
        // rows pasted from a rounded sheet), however many healthy rows are beside them.
        self.ending_000 >= 3 && self.failing * 2 >= self.ending_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_cells_in_the_id_column_are_refused_but_mobiles_survive() {
        let rounded = Data::Float(110_105_194_912_310_000.0);
        assert_eq!(cell_text(&rounded, Role::Id).unwrap_err(), STORED_AS_NUMBER);
        let fifteen = Data::Float(130_503_670_401_001.0);
        assert_eq!(cell_text(&fifteen, Role::Id).unwrap(), "130503670401001");
        let mobile = Data::Float(13_800_138_000.0);
        assert_eq!(cell_text(&mobile, Role::Mobile).unwrap(), "13800138000");
        assert_eq!(cell_text(&Data::Int(42), Role::Name).unwrap(), "42");
        assert_eq!(
            cell_text(&Data::String("11010519491231002X".into()), Role::Id).unwrap(),
            "11010519491231002X"
        );
        assert!(
            cell_text(&Data::Error(calamine::CellErrorType::Ref), Role::Name)
                .unwrap_err()
                .starts_with("name:")
        );
    }

    #[test]
    fn a_rounded_column_is_told_from_a_lone_round_number() {
        let mut rounded = Rounding::default();
        for i in 0..20 {
            rounded.see(&format!("1101051949123{i:02}000"));
        }
        assert!(rounded.by_excel());
        let mut healthy = Rounding::default();
        healthy.see("110105194912310000");
        for _ in 0..50 {
            healthy.see("11010519491231002X");
            healthy.see("110105194912310021");
        }
        assert!(!healthy.by_excel());
    }

    #[test]
    fn a_sheet_is_chosen_by_name_or_number() {
        assert_eq!("2".parse::<SheetChoice>().unwrap(), SheetChoice::Number(2));
        assert_eq!(
            "名单".parse::<SheetChoice>().unwrap(),
            SheetChoice::Named("名单".to_owned())
        );
    }
}
