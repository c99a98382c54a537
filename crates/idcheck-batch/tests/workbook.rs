//! Workbooks of people, made here with `rust_xlsxwriter`: text IDs, IDs Excel stored as numbers,
//! mixed columns, several sheets, empty rows, a title row merged over the header, a formula,
//! a date in the ID column, password-protected and damaged files; and what Excel does to
//! IDs in a CSV (`1.1E+17`, a column rounded to `…000`). No panic on any bytes that start like
//! a workbook.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use idcheck_batch::{ColumnNames, Format, PeopleFile, SheetChoice, dry_run};
use idcheck_core::FaceImageParser;
use proptest::prelude::*;
use provider_trait::Check;
use rust_xlsxwriter::{Format as CellFormat, Formula, Workbook};

/// Valid ID numbers with their check characters (synthetic people).
const IDS: [&str; 4] = [
    "11010519491231002X",
    "110105194912310011",
    "440301199001010012",
    "510107197801010033",
];

fn dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("idcheck-workbook-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn save(workbook: &mut Workbook, path: &Path) {
    std::fs::write(path, workbook.save_to_buffer().unwrap()).unwrap();
}

/// The dry run's JSON lines for the file at `path` (a sheet chosen when given).
fn lines(
    path: &Path,
    sheet: Option<SheetChoice>,
    check: Check,
) -> Result<Vec<serde_json::Value>, String> {
    let mut file = PeopleFile::open(path, None)?;
    if let Some(sheet) = sheet {
        file = file.with_sheet(sheet)?;
    }
    let mut rows = file.rows(check, &ColumnNames::default(), &FaceImageParser::new())?;
    let mut out = Vec::new();
    dry_run(&mut rows, Format::Jsonl, false, &mut out)?;
    Ok(String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect())
}

fn valid_ids(path: &Path) -> usize {
    lines(path, None, Check::Identity)
        .unwrap()
        .iter()
        .filter(|l| l["status"] == "valid")
        .count()
}

#[test]
fn text_ids_are_read_like_csv() {
    let dir = dir("text");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "姓名").unwrap();
    sheet.write_string(0, 1, "身份证号").unwrap();
    for (i, id) in IDS.iter().enumerate() {
        let r = u32::try_from(i).unwrap() + 1;
        sheet.write_string(r, 0, "张三").unwrap();
        sheet.write_string(r, 1, *id).unwrap();
    }
    let path = dir.join("people.xlsx");
    save(&mut workbook, &path);
    let file = PeopleFile::open(&path, None).unwrap();
    assert!(file.is_workbook());
    let lines = lines(&path, None, Check::Identity).unwrap();
    assert_eq!(lines.len(), 4);
    assert!(lines.iter().all(|l| l["status"] == "valid"), "{lines:?}");
    assert_eq!(lines[0]["id"], "110105********002X");
    // A workbook under another name is still a workbook: told by its first bytes.
    let renamed = dir.join("people.csv");
    std::fs::copy(&path, &renamed).unwrap();
    assert_eq!(valid_ids(&renamed), 4);
}

#[test]
fn ids_stored_as_numbers_are_refused_naming_excel_and_mobiles_survive() {
    let dir = dir("numbers");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, header) in ["name", "id", "mobile"].iter().enumerate() {
        sheet
            .write_string(0, u16::try_from(c).unwrap(), *header)
            .unwrap();
    }
    // An 18-digit ID typed into a number cell: Excel keeps 15 significant digits.
    sheet.write_string(1, 0, "张三").unwrap();
    sheet.write_number(1, 1, 110_105_194_912_310_011.0).unwrap();
    sheet.write_number(1, 2, 13_800_138_000.0).unwrap();
    // A first-generation 15-digit ID survives a number cell whole.
    sheet.write_string(2, 0, "李四").unwrap();
    sheet.write_number(2, 1, 130_503_670_401_001.0).unwrap();
    sheet.write_number(2, 2, 13_900_139_000.0).unwrap();
    // Text beside numbers in the same column: each cell judged alone.
    sheet.write_string(3, 0, "王五").unwrap();
    sheet.write_string(3, 1, IDS[1]).unwrap();
    sheet.write_string(3, 2, "13700137000").unwrap();
    let path = dir.join("numbers.xlsx");
    save(&mut workbook, &path);
    let lines = lines(&path, None, Check::Mobile).unwrap();
    let statuses: Vec<&str> = lines
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["rejected", "valid", "valid"], "{lines:?}");
    let detail = lines[0]["detail"].as_str().unwrap();
    assert!(detail.contains("stored as a number by Excel"), "{detail}");
    assert!(detail.contains("format the column as Text"), "{detail}");
    assert_eq!(lines[1]["mobile"], "139****9000");
}

#[test]
fn sheets_are_chosen_by_name_or_number_and_unknown_ones_listed() {
    let dir = dir("sheets");
    let mut workbook = Workbook::new();
    for (name, id) in [
        ("说明", None),
        ("名单", Some(IDS[0])),
        ("补录", Some(IDS[1])),
    ] {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name).unwrap();
        if let Some(id) = id {
            sheet.write_string(0, 0, "id").unwrap();
            sheet.write_string(0, 1, "name").unwrap();
            sheet.write_string(1, 0, id).unwrap();
            sheet.write_string(1, 1, "张三").unwrap();
        } else {
            sheet.write_string(0, 0, "本表为核验名单").unwrap();
        }
    }
    let path = dir.join("sheets.xlsx");
    save(&mut workbook, &path);
    // The first sheet holds no header row of people.
    assert!(lines(&path, None, Check::Identity).is_err());
    let by_name = lines(
        &path,
        Some(SheetChoice::Named("名单".into())),
        Check::Identity,
    )
    .unwrap();
    assert_eq!(by_name[0]["id"], "110105********002X");
    let by_number = lines(&path, Some(SheetChoice::Number(3)), Check::Identity).unwrap();
    assert_eq!(by_number[0]["id"], "110105********0011");
    let error = lines(
        &path,
        Some(SheetChoice::Named("Sheet9".into())),
        Check::Identity,
    )
    .unwrap_err();
    assert!(
        error.contains("\"名单\"") && error.contains("\"补录\""),
        "{error}"
    );
    let error = lines(&path, Some(SheetChoice::Number(7)), Check::Identity).unwrap_err();
    assert!(error.contains("3 sheet"), "{error}");
    // A CSV has no sheets to choose.
    std::fs::write(dir.join("people.csv"), "id,name\n").unwrap();
    let error = PeopleFile::open(&dir.join("people.csv"), None)
        .unwrap()
        .with_sheet(SheetChoice::Number(1))
        .unwrap_err();
    assert!(error.contains("not a workbook"), "{error}");
}

#[test]
fn empty_rows_a_merged_title_a_formula_and_a_date_cell() {
    let dir = dir("shapes");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let bold = CellFormat::new().set_bold();
    // A title merged over the columns, above the header row.
    sheet
        .merge_range(0, 0, 0, 2, "2026 年 12 月 核验名单", &bold)
        .unwrap();
    sheet.write_string(1, 0, "序号").unwrap();
    sheet.write_string(1, 1, "姓名").unwrap();
    sheet.write_string(1, 2, "身份证号").unwrap();
    sheet.write_number(2, 0, 1).unwrap();
    sheet.write_string(2, 1, "张三").unwrap();
    sheet.write_string(2, 2, IDS[0]).unwrap();
    // Rows 4 and 5 (sheet rows) empty: skipped, the numbering kept.
    sheet.write_number(5, 0, 2).unwrap();
    sheet.write_string(5, 1, "李四").unwrap();
    // A formula whose result is the ID number.
    sheet
        .write_formula(
            5,
            2,
            Formula::new("=\"110105\"&\"19491231002X\"").set_result(IDS[0]),
        )
        .unwrap();
    // A date typed into the ID column.
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    sheet
        .write_number_with_format(6, 2, 45_000.0, &date)
        .unwrap();
    sheet.write_string(6, 1, "王五").unwrap();
    let path = dir.join("shapes.xlsx");
    save(&mut workbook, &path);
    let lines = lines(&path, None, Check::Identity).unwrap();
    let rows: Vec<(u64, &str)> = lines
        .iter()
        .map(|l| (l["row"].as_u64().unwrap(), l["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [(1, "valid"), (4, "valid"), (5, "rejected")],
        "{lines:?}"
    );
    assert!(
        lines[2]["detail"].as_str().unwrap().contains("a date cell"),
        "{lines:?}"
    );
}

#[test]
fn password_protected_and_damaged_workbooks_are_clear_errors() {
    let dir = dir("broken");
    // An encrypted Office file: an OLE compound file with an `EncryptedPackage` stream.
    let mut encrypted = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    encrypted.resize(1024, 0);
    encrypted.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    encrypted.resize(8192, 0);
    let path = dir.join("locked.xlsx");
    std::fs::write(&path, &encrypted).unwrap();
    let error = lines(&path, None, Check::Identity).unwrap_err();
    assert!(error.contains("password-protected"), "{error}");
    let mut damaged = b"PK\x03\x04".to_vec();
    damaged.extend((0..5000u32).map(|i| u8::try_from(i * 7 % 251).unwrap()));
    let path = dir.join("damaged.xlsx");
    std::fs::write(&path, &damaged).unwrap();
    let error = lines(&path, None, Check::Identity).unwrap_err();
    assert!(error.contains("damaged"), "{error}");
}

#[test]
fn excel_numbers_in_a_csv_are_named_and_a_rounded_column_is_sent_nowhere() {
    let dir = dir("csv");
    let path = dir.join("sci.csv");
    std::fs::write(
        &path,
        format!("id,name\n1.10105E+17,张三\n1.1e17,李四\n{},王五\n", IDS[1]),
    )
    .unwrap();
    let lines_sci = lines(&path, None, Check::Identity).unwrap();
    for line in &lines_sci[..2] {
        assert!(
            line["detail"]
                .as_str()
                .unwrap()
                .contains("stored as a number by Excel"),
            "{line}"
        );
    }
    assert_eq!(lines_sci[2]["status"], "valid");

    // A column rounded to 15 significant digits: every 18-digit number ends in 000, and
    // about one in eleven of those still passes its check.
    let mut csv = String::from("id,name\n");
    let mut passing = 0;
    for i in 0..220u32 {
        // Real numbers (sequence and check digit) as Excel keeps them: 15 significant digits.
        let body = format!(
            "4403011980{:02}{:02}{:03}",
            1 + i % 12,
            1 + i % 28,
            i % 1000
        );
        let id = format!("{}000", &body[..15]);
        if idcheck_core::IdNumber::parse(&id).is_ok() {
            passing += 1;
        }
        let _ = writeln!(csv, "{id},张三");
    }
    assert!(
        passing > 0,
        "the sample has rounded numbers that pass their check"
    );
    let path = dir.join("rounded.csv");
    std::fs::write(&path, &csv).unwrap();
    let rounded = lines(&path, None, Check::Identity).unwrap();
    assert_eq!(rounded.len(), 220);
    for line in &rounded {
        assert_eq!(line["status"], "rejected", "{line}");
        assert!(
            line["detail"]
                .as_str()
                .unwrap()
                .contains("rounded by Excel"),
            "{line}"
        );
    }
    // One round number in a healthy column is judged alone.
    let mut csv = String::from("id,name\n");
    for _ in 0..20 {
        let _ = write!(csv, "{},张三\n{},李四\n", IDS[0], IDS[1]);
    }
    csv.push_str("440301199001010000,赵六\n");
    let path = dir.join("healthy.csv");
    std::fs::write(&path, &csv).unwrap();
    let healthy = lines(&path, None, Check::Identity).unwrap();
    let last = healthy.last().unwrap();
    assert_eq!(last["status"], "rejected");
    assert!(
        last["detail"].as_str().unwrap().contains("check character"),
        "{last}"
    );
    assert_eq!(
        healthy.iter().filter(|l| l["status"] == "valid").count(),
        40
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_that_start_like_a_workbook_are_read_or_refused_without_panic(
        zip in any::<bool>(),
        tail in proptest::collection::vec(any::<u8>(), 0..4096),
    ) {
        let dir = std::env::temp_dir().join(format!("idcheck-workbook-prop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.xlsx", fastrand_name(&tail)));
        let mut bytes = if zip {
            b"PK\x03\x04".to_vec()
        } else {
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec()
        };
        bytes.extend(&tail);
        std::fs::write(&path, &bytes).unwrap();
        let _ = lines(&path, None, Check::Identity);
        let _ = std::fs::remove_file(&path);
    }
}

/// A file name from the bytes (no two cases share a file).
fn fastrand_name(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// `n` real-looking numbers as Excel keeps them in a number cell: 15 significant digits.
fn rounded_ids(n: u32) -> Vec<String> {
    (0..n)
        .map(|i| {
            let body = format!(
                "3101041985{:02}{:02}{:03}",
                1 + i % 12,
                1 + i % 28,
                i % 1000
            );
            format!("{}000", &body[..15])
        })
        .collect()
}

fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(u32::from(c) - u32::from('0') + 0xFF10).unwrap(),
            _ => c,
        })
        .collect()
}

#[test]
fn a_rounded_part_is_caught_in_full_width_beside_healthy_rows_and_below_the_first_rows() {
    let dir = dir("rounded-parts");
    let rounded = rounded_ids(40);
    assert!(
        rounded
            .iter()
            .any(|id| idcheck_core::IdNumber::parse(id).is_ok()),
        "some pass their check"
    );
    let sent_none = |path: &Path| {
        let lines = lines(path, None, Check::Identity).unwrap();
        assert!(
            lines.iter().all(|l| l["status"] == "rejected"),
            "{}",
            path.display()
        );
    };
    // Full-width digits: the core reads them, so the column check must too.
    let mut csv = String::from("id,name\n");
    for id in &rounded {
        let _ = writeln!(csv, "{},张三", full_width(id));
    }
    let path = dir.join("full-width.csv");
    std::fs::write(&path, &csv).unwrap();
    sent_none(&path);

    // A rounded part pasted beside more healthy rows than rounded ones.
    let mut csv = String::from("id,name\n");
    for i in 0..60 {
        let _ = writeln!(csv, "{},李四", IDS[i % IDS.len()]);
    }
    for id in &rounded {
        let _ = writeln!(csv, "{id},张三");
    }
    let path = dir.join("beside.csv");
    std::fs::write(&path, &csv).unwrap();
    sent_none(&path);

    // Below the rows looked at before the first is judged: a paid run stops before sending.
    let mut csv = String::from("id,name\n");
    for i in 0..100_000 {
        let _ = writeln!(csv, "{},李四", IDS[i % IDS.len()]);
    }
    for id in &rounded {
        let _ = writeln!(csv, "{id},张三");
    }
    let path = dir.join("below.csv");
    std::fs::write(&path, &csv).unwrap();
    let mut rows = PeopleFile::open(&path, None)
        .unwrap()
        .rows(
            Check::Identity,
            &ColumnNames::default(),
            &FaceImageParser::new(),
        )
        .unwrap();
    assert!(!rows.id_column_rounded());
    let refused = idcheck_batch::Plan::build(&mut rows, &[7; 32], false).unwrap_err();
    assert!(refused.contains("nothing was sent"), "{refused}");
    assert!(rows.id_column_rounded_further_down());
}

#[test]
fn a_sheet_too_large_to_hold_a_misnamed_workbook_and_a_hidden_first_sheet() {
    let dir = dir("extent");
    // One cell in Excel's last corner: a grid of 17 billion cells if read as one.
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "id").unwrap();
    sheet.write_string(0, 1, "name").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    let path = dir.join("corner.xlsx");
    save(&mut workbook, &path);
    let refused = lines(&path, None, Check::Identity).unwrap_err();
    assert!(
        refused.contains("spans 1048576 rows and 16384 columns"),
        "{refused}"
    );

    // A hidden sheet first: the default is the first sheet Excel shows.
    let mut workbook = Workbook::new();
    let hidden = workbook.add_worksheet();
    hidden.set_name("旧名单").unwrap();
    hidden.write_string(0, 0, "id").unwrap();
    hidden.write_string(0, 1, "name").unwrap();
    hidden.write_string(1, 0, IDS[0]).unwrap();
    hidden.write_string(1, 1, "张三").unwrap();
    hidden.set_hidden(true);
    let shown = workbook.add_worksheet();
    shown.set_name("员工").unwrap();
    shown.write_string(0, 0, "id").unwrap();
    shown.write_string(0, 1, "name").unwrap();
    for (r, id) in IDS.iter().enumerate() {
        let r = u32::try_from(r).unwrap() + 1;
        shown.write_string(r, 0, *id).unwrap();
        shown.write_string(r, 1, "李四").unwrap();
    }
    shown.set_active(true);
    // Named like another format: the bytes decide.
    let path = dir.join("people.ods");
    save(&mut workbook, &path);
    let file = PeopleFile::open(&path, None).unwrap();
    let rows = file
        .rows(
            Check::Identity,
            &ColumnNames::default(),
            &FaceImageParser::new(),
        )
        .unwrap();
    assert_eq!(rows.sheet(), Some(("员工", 2, 2)));
    assert_eq!(valid_ids(&path), IDS.len());
}

/// An `.ods` spreadsheet whose only sheet's rows are `rows` (XML of `table:table-row`s).
fn ods(path: &Path, rows: &str) {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", stored).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    zip.start_file("content.xml", stored).unwrap();
    write!(
        zip,
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="名单">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    )
    .unwrap();
    zip.finish().unwrap();
}

fn ods_row(cells: &[&str]) -> String {
    let mut row = String::from("<table:table-row>");
    for c in cells {
        let _ = write!(
            row,
            r#"<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>"#
        );
    }
    row.push_str("</table:table-row>");
    row
}

#[test]
fn an_ods_is_read_and_one_that_repeats_a_cell_a_billion_times_is_refused_unexpanded() {
    let dir = dir("ods");
    let path = dir.join("people.ods");
    let mut rows = ods_row(&["id", "name"]);
    for id in IDS {
        rows.push_str(&ods_row(&[id, "张三"]));
    }
    ods(&path, &rows);
    assert_eq!(valid_ids(&path), IDS.len());

    // 600 bytes that calamine would expand to 10^18 cells.
    let path = dir.join("bomb.ods");
    ods(
        &path,
        r#"<table:table-row table:number-rows-repeated="999999999"><table:table-cell table:number-columns-repeated="999999999" office:value-type="string"><text:p>X</text:p></table:table-cell></table:table-row>"#,
    );
    let refused = lines(&path, None, Check::Identity).unwrap_err();
    assert!(
        refused.contains("spans 999999999 rows and 999999999 columns"),
        "{refused}"
    );
}
