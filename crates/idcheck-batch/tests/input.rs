//! Phase 1 on what Excel writes: GBK/GB18030 and UTF-16 files read as their UTF-8 twin,
//! semicolons and tabs as commas, and a file without a header row refused without a word of it.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use idcheck_batch::{ColumnNames, Decoded, Delimiter, Phase1, TextEncoding, phase1, read_text};
use idcheck_core::FaceImageParser;
use proptest::prelude::*;
use provider_trait::Check;

const PEOPLE: &str = include_str!("../../../examples/people.csv");
/// A four-character name, and a duplicate of the first row.
const MORE: &str = "欧阳娜娜,11010519491231002X,13800138000\n张三,11010519491231002X,13800138000\n";

fn people() -> String {
    assert!(!PEOPLE.contains('"') && !PEOPLE.contains(';') && !PEOPLE.contains('\t'));
    format!("{PEOPLE}{MORE}")
}

/// [`read_text`] on `bytes` written to a file of their own, removed after.
fn read_bytes(bytes: &[u8]) -> Result<Decoded, String> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "idcheck-batch-input-{}-{}.csv",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::write(&path, bytes).unwrap();
    let decoded = read_text(&path);
    std::fs::remove_file(&path).unwrap();
    decoded
}

fn with_bom(bom: &[u8], units: impl Iterator<Item = [u8; 2]>) -> Vec<u8> {
    let mut bytes = bom.to_vec();
    bytes.extend(units.flatten());
    bytes
}

fn utf16le(text: &str) -> Vec<u8> {
    with_bom(&[0xFF, 0xFE], text.encode_utf16().map(u16::to_le_bytes))
}

fn utf16be(text: &str) -> Vec<u8> {
    with_bom(&[0xFE, 0xFF], text.encode_utf16().map(u16::to_be_bytes))
}

fn encode(encoding: &'static encoding_rs::Encoding, text: &str) -> Vec<u8> {
    let (bytes, used, unmappable) = encoding.encode(text);
    assert_eq!(used, encoding);
    assert!(!unmappable, "{} cannot encode the text", encoding.name());
    bytes.into_owned()
}

fn run(text: &str, columns: &ColumnNames) -> Result<Phase1, String> {
    phase1(
        text,
        Check::Mobile,
        columns,
        &FaceImageParser::new(),
        Path::new("."),
        &[7; 32],
    )
}

/// What phase 1 found, row by row, comparable (`Phase1` has no `Debug`: personal data).
fn summary(phase: &Phase1) -> Vec<String> {
    let mut lines: Vec<String> = phase
        .rows
        .iter()
        .map(|row| {
            let parsed = match &row.parsed {
                Ok(parsed) => format!("distinct {}", parsed.distinct),
                Err(reason) => format!("rejected: {reason}"),
            };
            format!(
                "{} [{}] [{}] [{}] {parsed}",
                row.number, row.raw.id, row.raw.name, row.raw.mobile
            )
        })
        .collect();
    lines.extend(phase.distinct.iter().map(|(_, key)| key.clone()));
    lines
}

#[test]
fn gbk_gb18030_and_utf16_files_give_what_their_utf8_twin_gives() {
    let text = people();
    let expected = summary(&run(&text, &ColumnNames::default()).unwrap());
    assert_eq!(expected.len(), 23 + 11, "23 rows, 11 distinct requests");
    assert!(expected.iter().any(|l| l.contains("[欧阳娜娜]")));

    let mut with_utf8_bom = b"\xEF\xBB\xBF".to_vec();
    with_utf8_bom.extend_from_slice(text.as_bytes());
    for (bytes, encoding) in [
        (text.as_bytes().to_vec(), TextEncoding::Utf8),
        (with_utf8_bom, TextEncoding::Utf8),
        (encode(encoding_rs::GBK, &text), TextEncoding::Gb18030),
        (encode(encoding_rs::GB18030, &text), TextEncoding::Gb18030),
        (utf16le(&text), TextEncoding::Utf16Le),
        (utf16be(&text), TextEncoding::Utf16Be),
    ] {
        let decoded = read_bytes(&bytes).unwrap();
        assert_eq!(decoded.encoding, encoding);
        assert_eq!(decoded.text, text, "{encoding}");
        let phase = run(&decoded.text, &ColumnNames::default()).unwrap();
        assert_eq!(summary(&phase), expected, "{encoding}");
    }
    assert_eq!(TextEncoding::Gb18030.to_string(), "GB18030");

    // Beyond GBK: four-byte GB18030 sequences (a name with 𠮷, U+20BB7).
    let rare = format!("{text}吉𠮷,11010519491231002X,13800138000\n");
    let bytes = encode(encoding_rs::GB18030, &rare);
    let decoded = read_bytes(&bytes).unwrap();
    assert_eq!(
        (decoded.encoding, decoded.text.as_str()),
        (TextEncoding::Gb18030, rare.as_str())
    );
}

#[test]
fn undecodable_files_are_refused_with_the_offset_and_without_their_content() {
    // GBK names, then a byte no encoding reads.
    let mut bytes = encode(encoding_rs::GBK, "姓名,身份证\n张三,11010519491231002X\n");
    let first_bad = 0; // 姓 in GBK is no UTF-8.
    bytes.push(0xFF);
    let error = read_bytes(&bytes).err().unwrap();
    assert!(error.contains(&format!("offset {first_bad}")), "{error}");
    assert!(
        !error.contains("110105") && !error.contains("张三"),
        "{error}"
    );

    // UTF-8 with one stray byte: refused, not read as GB18030 garbage.
    let text = people();
    let at = (text.len() / 2..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap();
    let mut bytes = text.into_bytes();
    bytes.insert(at, 0xFF);
    let error = read_bytes(&bytes).err().unwrap();
    assert!(error.contains(&format!("offset {at}")), "{error}");
    // … even where GB18030 would decode it all: a stray 0xB0 makes a pair with the X after it.
    let text = "姓名,身份证号\n张三,11010519491231002X\n李四,310104198506120035\n欧阳娜娜,11010519491231002X\n";
    let at = text.find("X\n").unwrap();
    let bytes = [&text.as_bytes()[..at], b"\xB0", &text.as_bytes()[at..]].concat();
    assert!(
        encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(&bytes)
            .is_some(),
        "GB18030 reads it as garbage"
    );
    let error = read_bytes(&bytes).err().unwrap();
    assert!(error.contains(&format!("offset {at}")), "{error}");

    let error = read_text(Path::new("/nonexistent/people.csv"))
        .err()
        .unwrap();
    assert!(error.starts_with("cannot read"), "{error}");
}

#[test]
fn semicolon_tab_and_pipe_files_are_parsed_as_the_comma_file() {
    let text = people();
    let expected = summary(&run(&text, &ColumnNames::default()).unwrap());
    for (separator, delimiter) in [(";", Delimiter::Semicolon), ("\t", Delimiter::Tab)] {
        let other = text.replace(',', separator);
        assert_eq!(Delimiter::detect(&other), delimiter);
        let phase = run(&other, &ColumnNames::default()).unwrap();
        assert_eq!(summary(&phase), expected, "{delimiter}");
    }
    // A pipe is never guessed: it is chosen.
    let piped = text.replace(',', "|");
    assert!(run(&piped, &ColumnNames::default()).is_err());
    let chosen = ColumnNames {
        delimiter: Some(Delimiter::Pipe),
        ..ColumnNames::default()
    };
    assert_eq!(summary(&run(&piped, &chosen).unwrap()), expected);
    // The choice wins over detection: a semicolon file read with commas has one column.
    let chosen = ColumnNames {
        delimiter: Some(Delimiter::Comma),
        ..ColumnNames::default()
    };
    let error = run(&text.replace(',', ";"), &chosen).err().unwrap();
    assert!(error.contains("1 column"), "{error}");
    // Quoted cells keep their separators.
    let quoted = "name;\"id\";mobile\n\"张;三\";11010519491231002X;13800138000\n";
    let phase = run(quoted, &ColumnNames::default()).unwrap();
    assert_eq!(phase.rows[0].raw.name, "张;三");
}

/// The longest run of ASCII digits in `text`.
fn longest_digit_run(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

#[test]
fn a_file_without_a_header_row_is_refused_without_a_word_of_its_first_row() {
    let headerless = people().split_once('\n').unwrap().1.to_owned();
    for text in [
        headerless.clone(),
        headerless.replace(',', ";"),
        headerless.replace(',', "\t"),
    ] {
        let error = run(&text, &ColumnNames::default()).err().unwrap();
        assert!(error.contains("no header row"), "{error}");
        assert!(
            error.contains("3 columns (CJK(2), digits(18), digits(11))"),
            "{error}"
        );
        assert!(longest_digit_run(&error) < 11, "{error}");
        assert!(!error.contains("张三") && !error.contains("张"), "{error}");
    }
    // The user's column names do not help: the first row is still not printed.
    let columns = ColumnNames {
        id: Some("身份证".to_owned()),
        ..ColumnNames::default()
    };
    let error = run(&headerless, &columns).err().unwrap();
    assert!(
        longest_digit_run(&error) < 11 && !error.contains("张三"),
        "{error}"
    );
}

proptest! {
    #[test]
    fn any_bytes_are_read_or_refused_without_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
        bom in 0..4_usize,
    ) {
        let prefix: &[u8] = [&b""[..], b"\xEF\xBB\xBF", b"\xFF\xFE", b"\xFE\xFF"][bom];
        let bytes = [prefix, &bytes].concat();
        match read_bytes(&bytes) {
            Ok(decoded) => {
                let expected = match bom {
                    0 if std::str::from_utf8(&bytes).is_ok() => TextEncoding::Utf8,
                    0 => TextEncoding::Gb18030,
                    1 => TextEncoding::Utf8,
                    2 => TextEncoding::Utf16Le,
                    _ => TextEncoding::Utf16Be,
                };
                // 0xEF 0xBB 0xBF or 0xFF 0xFE drawn by chance are a byte-order mark too.
                if bom != 0 || encoding_rs::Encoding::for_bom(&bytes).is_none() {
                    prop_assert_eq!(decoded.encoding, expected);
                }
                let _ = run(&decoded.text, &ColumnNames::default());
            }
            Err(error) => prop_assert!(error.contains("offset") || error.contains("workbook"), "{}", error),
        }
    }

    #[test]
    fn any_text_reads_back_from_utf16_and_gb18030(text in "\\PC{0,100}") {
        for (bytes, encoding) in [(utf16le(&text), TextEncoding::Utf16Le), (utf16be(&text), TextEncoding::Utf16Be)] {
            let decoded = read_bytes(&bytes).unwrap();
            prop_assert_eq!(decoded.encoding, encoding);
            prop_assert_eq!(&decoded.text, &text);
        }
        let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
        prop_assert!(!unmappable);
        // Read back as itself, or as UTF-8 when the bytes happen to be UTF-8, or refused.
        if let Ok(decoded) = read_bytes(&bytes) {
            match decoded.encoding {
                TextEncoding::Gb18030 => prop_assert_eq!(&decoded.text, &text),
                TextEncoding::Utf8 => prop_assert!(std::str::from_utf8(&bytes).is_ok()),
                other => prop_assert!(false, "{}", other),
            }
        }
    }

    #[test]
    fn the_delimiter_of_any_header_is_found_and_any_text_is_scanned_without_panic(
        cells in proptest::collection::vec("[a-zA-Z0-9 _姓名身份证号码手机照片]{0,10}", 2..8),
        delimiter in 0..3_usize,
        rest in "\\PC{0,200}",
    ) {
        let (separator, expected) = [(",", Delimiter::Comma), (";", Delimiter::Semicolon), ("\t", Delimiter::Tab)][delimiter];
        let text = format!("{}\n{rest}", cells.join(separator));
        prop_assert_eq!(Delimiter::detect(&text), expected);
        let _ = Delimiter::detect(&rest);
        prop_assert!(Delimiter::detect(&rest).to_string().parse::<Delimiter>().is_ok());
    }
}

#[cfg(unix)]
#[test]
fn a_device_is_refused_instead_of_read_until_memory_runs_out() {
    let error = idcheck_batch::read_text(std::path::Path::new("/dev/zero"))
        .err()
        .unwrap();
    assert!(error.contains("not a regular file"), "{error}");
}
