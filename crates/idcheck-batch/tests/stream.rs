//! The streamed phase 1 writes, byte for byte, what the engine wrote when it held the whole
//! file: for a generated file of every kind of row (valid, invalid, duplicated, quoted, short,
//! long, outside the BMP), in every encoding and delimiter, for each check, format and
//! masking. The expected output is computed here independently, the old way: the whole text
//! decoded, `csv::StringRecord`s trimmed by the reader, duplicates found by their full
//! strings, lines written by `csv::Writer::serialize` and `serde_json::to_writer`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use idcheck_batch::{ColumnNames, Format, PeopleFile, Plan, dry_run, load_photo};
use idcheck_core::{FaceImageParser, IdNumber, Mobile, Name};
use provider_trait::Check;
use serde::Serialize;

/// A small deterministic generator (xorshift), so the file is the same on every run.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % n as u64).unwrap()
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

fn check_character(first17: &str) -> char {
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    char::from(b"10X98765432"[sum as usize % 11])
}

fn id_cell(r: &mut Random) -> String {
    let region = r.pick(&["110105", "310104", "440305", "650102", "130503", "200105"]);
    let (month, day) = if r.below(20) == 0 {
        [(2, 30), (13, 1), (4, 31)][r.below(3)]
    } else {
        (1 + r.below(12), 1 + r.below(28))
    };
    let first17 = format!(
        "{region}{}{month:02}{day:02}{:03}",
        1940 + r.below(70),
        r.below(1000)
    );
    let mut id = format!("{first17}{}", check_character(&first17));
    match r.below(40) {
        0 => id.replace_range(17.., "0"),
        1 => id = id.to_lowercase(),
        2 => id = format!(" {id} "),
        3 => {
            id = format!(
                "{region}{:02}{month:02}{day:02}{:03}",
                40 + r.below(60),
                r.below(1000)
            );
        }
        4 => id = id.replacen('1', "１", 1),
        5 => id.truncate(10),
        6 => id.clear(),
        7 => id = format!("{}-{}-{}", &id[..6], &id[6..14], &id[14..]),
        _ => {}
    }
    id
}

fn name_cell(r: &mut Random) -> String {
    let surname = r.pick(&["张", "王", "李", "欧阳", "司马", "吉", "〇"]);
    let given: String = (0..=r.below(2))
        .map(|_| r.pick(&["伟", "芳", "娜", "𠮷", "敏", "静", "兀"]))
        .collect();
    match r.below(30) {
        0 => "阿卜杜·热合曼".to_owned(),
        1 => "阿卜杜•热合曼·买买提".to_owned(),
        2 => format!("\u{3000}{surname}{given}\u{3000}"),
        3 => "钱 四".to_owned(),
        4 => "张,三".to_owned(),
        5 => "张\"三".to_owned(),
        6 => "张\n三".to_owned(),
        7 => String::new(),
        8 => "Zhang San".to_owned(),
        9 => "欧阳娜娜娜娜".to_owned(),
        10 => "·张三".to_owned(),
        _ => format!("{surname}{given}"),
    }
}

fn mobile_cell(r: &mut Random) -> String {
    let mobile = format!(
        "{}{:08}",
        r.pick(&["138", "139", "186", "192", "154"]),
        r.below(100_000_000)
    );
    match r.below(20) {
        0 => format!("+86 {}-{}-{}", &mobile[..3], &mobile[3..7], &mobile[7..]),
        1 => mobile[..10].to_owned(),
        2 => String::new(),
        _ => mobile,
    }
}

fn photo_cell(r: &mut Random) -> String {
    r.pick(&[
        "https://oss.example.com/a.jpg",
        "https://oss.example.com/b.jpg",
        "face.jpg",
        "missing.jpg",
        "",
        " https://oss.example.com/a.jpg ",
    ])
    .to_owned()
}

/// A CSV cell, quoted when it must be.
fn quoted(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

/// `rows` rows of every kind, comma-separated, with a header row.
fn generated(rows: usize) -> String {
    let mut r = Random(0x1D_C4EC);
    let mut lines: Vec<String> = Vec::new();
    let mut text = "name,id,mobile,photo,note\n".to_owned();
    for _ in 0..rows {
        let line = if !lines.is_empty() && r.below(8) == 0 {
            let again = lines[r.below(lines.len())].clone();
            if r.below(3) == 0 {
                again.replacen('X', "x", 1)
            } else {
                again
            }
        } else {
            let mut cells = vec![
                name_cell(&mut r),
                id_cell(&mut r),
                mobile_cell(&mut r),
                photo_cell(&mut r),
            ];
            match r.below(20) {
                0 => cells.truncate(2),
                1 => cells.push("extra".to_owned()),
                2 => cells.truncate(1),
                _ => {}
            }
            let line = cells
                .iter()
                .map(|c| quoted(c))
                .collect::<Vec<_>>()
                .join(",");
            lines.push(line.clone());
            line
        };
        text.push_str(&line);
        text.push('\n');
        if r.below(50) == 0 {
            text.push('\n');
        }
    }
    text
}

#[derive(Serialize)]
struct OutputRow<'a> {
    row: usize,
    status: &'a str,
    provider: &'a str,
    face: &'a str,
    raw_code: &'a str,
    vendor_request_id: &'a str,
    gateway_request_id: &'a str,
    billed_calls: u32,
    same_as_row: String,
    detail: &'a str,
    id: String,
    name: String,
    mobile: String,
}

fn masked_if_mobile(cell: &str) -> String {
    Mobile::parse(cell)
        .map(|m| m.to_string())
        .unwrap_or_default()
}

/// A row's cells (id, name, mobile, photo) parsed as the engine always has: its exact key
/// and its masked id, name and mobile, or why it is rejected.
fn parse_as_before(
    check: Check,
    [id, name, mobile, photo]: [&str; 4],
    base: &Path,
) -> Result<(String, String, String, String), String> {
    let parsed_id = IdNumber::parse(id).map_err(|e| format!("ID number: {e}"))?;
    let parsed_name = Name::parse(name).map_err(|e| format!("name: {e}"))?;
    let (key_tail, shown_mobile) = match check {
        Check::Mobile => {
            let m = Mobile::parse(mobile).map_err(|e| format!("mobile: {e}"))?;
            (m.as_str().to_owned(), m.to_string())
        }
        // A check that does not send the mobile shows the file's, when it is one.
        Check::Face => {
            photo_problem(photo, base)?;
            (photo.to_owned(), masked_if_mobile(mobile))
        }
        _ => (String::new(), masked_if_mobile(mobile)),
    };
    let key = format!(
        "{}\u{0}{}\u{0}{key_tail}",
        parsed_id.as_str(),
        parsed_name.as_str()
    );
    Ok((
        key,
        parsed_id.to_string(),
        parsed_name.to_string(),
        shown_mobile,
    ))
}

/// The output of a dry run (or, `dry_run` false, of a paid run in which nothing was sent),
/// computed the way the engine did before it streamed.
fn expected(
    text: &str,
    delimiter: u8,
    check: Check,
    format: Format,
    unmasked: bool,
    dry: bool,
    base: &Path,
) -> Vec<u8> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id_column, name_column) = (column("id"), column("name"));
    let mobile_column = headers.iter().position(|h| h == "mobile");
    assert!(check != Check::Mobile || mobile_column.is_some());
    let photo_column = (check == Check::Face).then(|| column("photo"));
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    let mut csv_out = csv::Writer::from_writer(Vec::new());
    for (index, record) in reader.records().enumerate() {
        let record = record.unwrap();
        let number = index + 1;
        let cell = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or_default().to_owned();
        let (id, name, mobile, photo) = (
            cell(Some(id_column)),
            cell(Some(name_column)),
            cell(mobile_column),
            cell(photo_column),
        );
        let parsed = parse_as_before(check, [&id, &name, &mobile, &photo], base);
        let hidden = |c: &str| {
            if c.is_empty() {
                String::new()
            } else {
                format!("({} characters)", c.chars().count())
            }
        };
        let (status, detail, same_as, shown) = match &parsed {
            Err(reason) => (
                "rejected",
                reason.as_str(),
                None,
                (hidden(&id), hidden(&name), hidden(&mobile)),
            ),
            Ok((key, i, n, m)) => {
                let first = *first_row_of.entry(key.clone()).or_insert(number);
                let status = if dry { "valid" } else { "not_sent" };
                let detail = if dry {
                    ""
                } else {
                    "not sent: the run stopped, or an unbilled error; run again"
                };
                (
                    status,
                    detail,
                    (first != number).then_some(first),
                    (i.clone(), n.clone(), m.clone()),
                )
            }
        };
        let shown = if unmasked {
            (id.clone(), name.clone(), mobile.clone())
        } else {
            shown
        };
        let line = OutputRow {
            row: number,
            status,
            provider: "",
            face: "",
            raw_code: "",
            vendor_request_id: "",
            gateway_request_id: "",
            billed_calls: 0,
            same_as_row: same_as.map(|n| n.to_string()).unwrap_or_default(),
            detail,
            id: shown.0,
            name: shown.1,
            mobile: shown.2,
        };
        if format == Format::Csv {
            csv_out.serialize(&line).unwrap();
        } else {
            serde_json::to_writer(&mut out, &line).unwrap();
            out.push(b'\n');
        }
    }
    match format {
        Format::Csv => csv_out.into_inner().unwrap(),
        _ => out,
    }
}

/// Why a photo cell is refused (a path is relative to the file's directory).
fn photo_problem(cell: &str, base: &Path) -> Result<(), String> {
    if cell.is_empty() {
        return Err("photo: empty".to_owned());
    }
    let source = if cell.contains("://") {
        cell.to_owned()
    } else {
        base.join(cell).to_string_lossy().into_owned()
    };
    let (_, photo) = load_photo(&FaceImageParser::new(), &source)
        .map_err(|e| format!("photo: cannot read the file: {e}"))?;
    photo.map(|_| ()).map_err(|e| format!("photo: {e}"))
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("idcheck-batch-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_encoding_check_format_and_mask_writes_what_the_whole_file_engine_wrote() {
    let dir = scratch_dir();
    std::fs::write(dir.join("face.jpg"), jpeg(480, 640)).unwrap();
    let text = generated(3000);
    let utf16 = |big: bool, text: &str| -> Vec<u8> {
        let mut bytes = if big {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            bytes.extend(if big {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        bytes
    };
    let variants: Vec<(&str, Vec<u8>, u8)> = vec![
        ("utf8", text.clone().into_bytes(), b','),
        (
            "bom-crlf",
            [&b"\xEF\xBB\xBF"[..], text.replace('\n', "\r\n").as_bytes()].concat(),
            b',',
        ),
        (
            "gb18030-semicolon",
            encoding_rs::GB18030
                .encode(&text.replace(',', ";"))
                .0
                .into_owned(),
            b';',
        ),
        ("utf16le-tab", utf16(false, &text.replace(',', "\t")), b'\t'),
        ("utf16be", utf16(true, &text), b','),
    ];
    let mut compared = 0;
    for (name, bytes, delimiter) in variants {
        let path = dir.join(format!("{name}.csv"));
        std::fs::write(&path, &bytes).unwrap();
        // What the test wrote, as the reference reads it: CRLF and separators as written.
        let written = match name {
            "bom-crlf" => text.replace('\n', "\r\n"),
            "gb18030-semicolon" => text.replace(',', ";"),
            "utf16le-tab" => text.replace(',', "\t"),
            _ => text.clone(),
        };
        let file = PeopleFile::open(&path, None).unwrap();
        assert_eq!(file.delimiter().byte(), delimiter, "{name}");
        for check in [Check::Identity, Check::Mobile, Check::Face] {
            for format in [Format::Csv, Format::Jsonl] {
                for unmasked in [false, true] {
                    let mut rows = file
                        .rows(check, &ColumnNames::default(), &FaceImageParser::new())
                        .unwrap();
                    let mut out = Vec::new();
                    let counts = dry_run(&mut rows, format, unmasked, &mut out).unwrap();
                    let want = expected(&written, delimiter, check, format, unmasked, true, &dir);
                    assert!(
                        out == want,
                        "{name} {check:?} {format:?} unmasked {unmasked}:\n{}",
                        first_difference(&out, &want)
                    );
                    assert_eq!(counts.valid + counts.rejected, counts.rows);
                    compared += 1;
                    // A paid run in which nothing was sent: every valid row `not_sent`.
                    let mut rows = file
                        .rows(check, &ColumnNames::default(), &FaceImageParser::new())
                        .unwrap();
                    let plan = Plan::build(&mut rows, &[3; 32], unmasked).unwrap();
                    assert_eq!(plan.counts(), counts);
                    assert_eq!(plan.distinct().len() as u64, counts.distinct);
                    let mut out = Vec::new();
                    plan.write(format, &HashMap::new(), &mut out).unwrap();
                    let want = expected(&written, delimiter, check, format, unmasked, false, &dir);
                    assert!(
                        out == want,
                        "{name} {check:?} {format:?} unmasked {unmasked}, not sent:\n{}",
                        first_difference(&out, &want)
                    );
                }
            }
        }
    }
    assert_eq!(compared, 5 * 3 * 2 * 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The first line that differs, for a failure message (generated people only).
fn first_difference(got: &[u8], want: &[u8]) -> String {
    let (got, want) = (String::from_utf8_lossy(got), String::from_utf8_lossy(want));
    for (i, (a, b)) in got.lines().zip(want.lines()).enumerate() {
        if a != b {
            return format!("line {i}:\n got  {a}\n want {b}");
        }
    }
    format!(
        "{} lines against {}",
        got.lines().count(),
        want.lines().count()
    )
}

/// A JPEG header of the given size (enough for the photo checks).
fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
    out.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    out.extend_from_slice(&[0xFF, 0xC0, 0, 17, 8]);
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    out
}
