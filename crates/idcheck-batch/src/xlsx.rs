//! Results as an `.xlsx` workbook, for the people who work in Excel: the same rows and
//! columns as the CSV output (it is made from it, so the two never differ), ID and mobile
//! cells as text with the `@` format (an edit keeps them text; Excel's "number stored as
//! text" warning is turned off for them), the header frozen with a filter, each status in a
//! colour, and a second sheet with the run's summary.

use std::io::{Seek, Write};

use provider_trait::Price;
use rust_xlsxwriter::{Color, Format, FormatBorder, IgnoreError, Workbook, XlsxError};

/// The run's numbers, for the summary sheet.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RunSummary {
    /// Nothing was sent (phase 1 only).
    pub dry_run: bool,
    /// Calls billed in this run.
    pub billed_calls: u32,
    /// What they cost, when every billed call was priced.
    pub cost: Option<Price>,
    /// The price of one call, to show what the rejected rows saved.
    pub unit_price: Option<Price>,
}

impl RunSummary {
    /// A dry run's summary.
    #[must_use]
    pub fn dry_run(unit_price: Option<Price>) -> Self {
        Self {
            dry_run: true,
            unit_price,
            ..Self::default()
        }
    }

    /// A paid run's summary.
    #[must_use]
    pub fn paid(billed_calls: u32, cost: Option<Price>, unit_price: Option<Price>) -> Self {
        Self {
            dry_run: false,
            billed_calls,
            cost,
            unit_price,
        }
    }
}

/// Rows an `.xlsx` sheet holds below its header (Excel's limit, 2^20 rows in all).
pub const XLSX_MAX_ROWS: u64 = 1_048_575;

/// Characters a cell holds at most (Excel's limit); longer text (only ever a cell as given,
/// with `--unmasked`) is cut there, ending in `…`.
const MAX_CELL_CHARS: usize = 32_767;

fn within_cell_limit(value: &str) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(MAX_CELL_CHARS - 1) {
        Some((at, _)) if value.chars().count() > MAX_CELL_CHARS => {
            std::borrow::Cow::Owned(format!("{}…", &value[..at]))
        }
        _ => std::borrow::Cow::Borrowed(value),
    }
}

/// Statuses and the colours that make them readable at a glance.
const STATUS_COLOURS: [(&str, u32); 9] = [
    ("match", 0x00C6_EFCE),
    ("valid", 0x00C6_EFCE),
    ("mismatch", 0x00FF_C7CE),
    ("unverifiable", 0x00FF_EB9C),
    ("rejected", 0x00D9_D9D9),
    ("error", 0x00F8_CBAD),
    ("unresolved", 0x00F8_CBAD),
    ("in_flight_elsewhere", 0x00F8_CBAD),
    ("not_sent", 0x00F8_CBAD),
];

/// Writes the CSV results `csv` (the batch's CSV output) as an `.xlsx` workbook to `out`.
///
/// # Errors
///
/// The CSV is not the batch's output, or the workbook could not be written.
pub fn csv_to_xlsx<W: Write + Seek + Send>(
    csv: &[u8],
    summary: &RunSummary,
    out: W,
) -> Result<(), String> {
    write_workbook(csv, summary, out).map_err(|e| format!("cannot write the workbook: {e}"))
}

fn write_workbook<W: Write + Seek + Send>(
    csv: &[u8],
    summary: &RunSummary,
    out: W,
) -> Result<(), XlsxError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv);
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        _ => csv::StringRecord::new(),
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let status_column = column("status");
    let text_columns: Vec<u16> = ["id", "mobile", "name", "detail"]
        .iter()
        .filter_map(|name| column(name))
        .filter_map(|c| u16::try_from(c).ok())
        .collect();
    let number_columns: Vec<usize> = ["row", "billed_calls", "same_as_row"]
        .iter()
        .filter_map(|name| column(name))
        .collect();

    let bold = Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    let status_formats = status_formats();

    let mut workbook = Workbook::new();
    let mut counts: Vec<(String, u64)> = Vec::new();
    let mut last_row: u32 = 0;
    {
        let sheet = workbook.add_worksheet_with_constant_memory();
        sheet.set_name("results")?;
        for (c, name) in header.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            sheet.write_string_with_format(0, c, name, &bold)?;
            let width = match name {
                "detail" => 48,
                "id" | "vendor_request_id" | "gateway_request_id" => 22,
                "name" | "mobile" | "status" | "provider" => 14,
                _ => 10,
            };
            sheet.set_column_width(c, width)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (r, record) in records.enumerate() {
            let record = record.map_err(|e| XlsxError::ParameterError(e.to_string()))?;
            let r = u32::try_from(r + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
            last_row = r;
            for (c, value) in record.iter().enumerate() {
                let col = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
                if Some(c) == status_column {
                    match counts.iter_mut().find(|(s, _)| s == value) {
                        Some((_, n)) => *n += 1,
                        None => counts.push((value.to_owned(), 1)),
                    }
                    match status_formats.iter().find(|(s, _)| *s == value) {
                        Some((_, format)) => {
                            sheet.write_string_with_format(r, col, value, format)?
                        }
                        None => sheet.write_string(r, col, value)?,
                    };
                } else if text_columns.contains(&col) {
                    // Text, whatever it looks like: an ID number is no number.
                    sheet.write_string_with_format(
                        r,
                        col,
                        within_cell_limit(value).as_ref(),
                        &text,
                    )?;
                } else if number_columns.contains(&c) && !value.is_empty() {
                    match value.parse::<u32>() {
                        Ok(n) => sheet.write_number(r, col, n)?,
                        Err(_) => sheet.write_string(r, col, value)?,
                    };
                } else if !value.is_empty() {
                    sheet.write_string(r, col, within_cell_limit(value).as_ref())?;
                }
            }
        }
        let last_col = u16::try_from(header.len().saturating_sub(1)).unwrap_or(0);
        if !header.is_empty() {
            sheet.autofilter(0, 0, last_row, last_col)?;
        }
        if last_row > 0 {
            for col in &text_columns {
                sheet.ignore_error_range(
                    1,
                    *col,
                    last_row,
                    *col,
                    IgnoreError::NumberStoredAsText,
                )?;
            }
        }
    }
    write_summary(&mut workbook, summary, &counts, last_row, &bold)?;
    workbook.save_to_writer(out)
}

fn status_formats() -> Vec<(&'static str, Format)> {
    STATUS_COLOURS
        .iter()
        .map(|(status, colour)| {
            (
                *status,
                Format::new().set_background_color(Color::RGB(*colour)),
            )
        })
        .collect()
}

fn write_summary(
    workbook: &mut Workbook,
    summary: &RunSummary,
    counts: &[(String, u64)],
    rows: u32,
    bold: &Format,
) -> Result<(), XlsxError> {
    let sheet = workbook.add_worksheet();
    sheet.set_name("summary")?;
    sheet.set_column_width(0, 36)?;
    sheet.set_column_width(1, 16)?;
    let count = |status: &str| {
        counts
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n)
    };
    let rejected = count("rejected");
    let mut lines: Vec<(String, String)> = vec![
        ("rows".into(), rows.to_string()),
        ("rejected offline (free)".into(), rejected.to_string()),
    ];
    for (status, n) in counts {
        if status != "rejected" {
            lines.push((format!("rows {status}"), n.to_string()));
        }
    }
    if summary.dry_run {
        lines.push(("sent".into(), "nothing: a dry run".into()));
    } else {
        lines.push(("billed calls".into(), summary.billed_calls.to_string()));
        lines.push((
            "cost".into(),
            summary
                .cost
                .map_or_else(|| "unpriced".to_owned(), |p| p.to_string()),
        ));
    }
    if let Some(price) = summary.unit_price {
        let saved = price
            .milli_yuan()
            .saturating_mul(u32::try_from(rejected).unwrap_or(u32::MAX));
        lines.push((
            "saved by rejecting offline".into(),
            Price::from_milli_yuan(saved).to_string(),
        ));
    }
    sheet.write_string_with_format(0, 0, "idcheck batch", bold)?;
    for (i, (label, value)) in lines.iter().enumerate() {
        let r = u32::try_from(i + 1).unwrap_or(u32::MAX);
        sheet.write_string(r, 0, label)?;
        // Counts as numbers (they add up in Excel); prices and words as text.
        match value.parse::<u32>() {
            Ok(n) => sheet.write_number(r, 1, n)?,
            Err(_) => sheet.write_string(r, 1, value)?,
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_longer_than_excel_holds_are_cut_with_an_ellipsis() {
        let long = "名".repeat(40_000);
        let cut = within_cell_limit(&long);
        assert_eq!(cut.chars().count(), MAX_CELL_CHARS);
        assert!(cut.ends_with('…'));
        let exact = "a".repeat(MAX_CELL_CHARS);
        assert_eq!(within_cell_limit(&exact), exact.as_str());
        let mut out = std::io::Cursor::new(Vec::new());
        let csv = format!("row,status,name\n1,valid,{long}\n");
        csv_to_xlsx(csv.as_bytes(), &RunSummary::dry_run(None), &mut out).unwrap();
        assert!(out.into_inner().len() > 1000);
    }
}
