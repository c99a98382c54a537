//! A face check's photos are read and fitted on every core while phase 1 reads ahead: the
//! rows still come in order, each with its own photo and its own reason, exactly what each
//! row gets when its photo is loaded alone.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use idcheck_batch::{ColumnNames, PeopleFile, Plan, Rows, load_photo};
use idcheck_core::{FaceImage, FaceImageParser};
use provider_testkit::noisy_bmp;
use provider_trait::{Check, Request};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// A valid ID number whose sequence part is `n`.
fn id_number(n: usize) -> String {
    let first17 = format!("11010519800101{:03}", n % 1000);
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{first17}{}", char::from(b"10X98765432"[sum as usize % 11]))
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("idcheck-batch-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a row's photo cell gives when loaded alone, as phase 1 words it.
fn alone(parser: &FaceImageParser, dir: &Path, cell: &str) -> Result<FaceImage, String> {
    if cell.is_empty() {
        return Err("photo: empty".to_owned());
    }
    let (_, photo) = load_photo(parser, &dir.join(cell).to_string_lossy())
        .map_err(|e| format!("photo: cannot read the file: {e}"))?;
    photo.map_err(|e| format!("photo: {e}"))
}

/// A file of 43 face rows in `dir` and its rows' (ID number, photo cell): large photos first,
/// missing files, empty cells, wrong ID numbers, a damaged photo, a base64 file, a repeat.
fn faces_file(dir: &Path) -> (PathBuf, Vec<(String, String)>) {
    // The first photos are the largest (the slowest to fit), so later rows' photos are ready
    // first: rows must still come in order, each with its own photo.
    let mut lines = vec!["id,name,photo".to_owned()];
    let mut cells = Vec::new();
    for n in 0..40_u32 {
        let cell = match n % 10 {
            7 => "missing.bmp".to_owned(),
            8 => String::new(),
            _ => {
                // 400×533 down to 166×221: all over the limit as BMPs.
                let side = 400 - n * 6;
                let name = format!("face-{n}.bmp");
                std::fs::write(dir.join(&name), noisy_bmp(side, side * 4 / 3, n)).unwrap();
                name
            }
        };
        // Every ninth row's ID number is wrong: its photo is never needed.
        let id = if n % 9 == 4 {
            "110105198001011234".to_owned()
        } else {
            id_number(n as usize)
        };
        lines.push(format!("{id},张三,{cell}"));
        cells.push((id, cell));
    }
    // A damaged photo over the limit (a header, then too few pixels) and a repeated row.
    let mut damaged = noisy_bmp(400, 400, 99);
    damaged.truncate(200_000);
    std::fs::write(dir.join("damaged.bmp"), &damaged).unwrap();
    lines.push(format!("{},李四,damaged.bmp", id_number(90)));
    cells.push((id_number(90), "damaged.bmp".to_owned()));
    // A file of base64 text over the limit, as a data: URL with line breaks: fitted too.
    let bmp = noisy_bmp(300, 400, 98);
    let mut text = "data:image/bmp;base64,".to_owned();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bmp);
    for line in encoded.as_bytes().chunks(76) {
        text.push_str(std::str::from_utf8(line).unwrap());
        text.push('\n');
    }
    std::fs::write(dir.join("face.b64"), text).unwrap();
    lines.push(format!("{},王五,face.b64", id_number(91)));
    cells.push((id_number(91), "face.b64".to_owned()));
    lines.push(lines[1].clone());
    cells.push(cells[0].clone());
    let path = dir.join("faces.csv");
    std::fs::write(&path, lines.join("\n")).unwrap();
    (path, cells)
}

/// The rows of `text` (comma-separated, a header row first) for a face check, photos
/// relative to `dir`.
fn face_rows<'a>(text: &'a str, parser: &FaceImageParser, dir: &Path) -> Rows<&'a [u8]> {
    Rows::new(
        text.as_bytes(),
        idcheck_batch::Delimiter::Comma,
        Check::Face,
        &ColumnNames::default(),
        parser,
        dir,
    )
    .unwrap()
}

#[test]
fn photos_fitted_ahead_come_back_in_row_order_each_as_if_loaded_alone() {
    let dir = scratch_dir("photos-ahead");
    let (path, cells) = faces_file(&dir);

    let parser = FaceImageParser::new().fit_oversized(true);
    let file = PeopleFile::open(&path, None).unwrap();
    let mut rows = file
        .rows(Check::Face, &ColumnNames::default(), &parser)
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let observed = Arc::clone(&seen);
    rows.on_face_row(move |counts| observed.lock().unwrap().push(counts));
    let mut judged = 0;
    let mut fitted = 0;
    while let Some(row) = rows.next_row().unwrap() {
        let (id, cell) = &cells[judged];
        judged += 1;
        assert_eq!(row.number(), judged as u64);
        assert_eq!(row.cells().photo, cell, "row {judged}");
        if id.ends_with("1234") {
            assert!(
                row.rejection().unwrap().starts_with("ID number: "),
                "row {judged}"
            );
            continue;
        }
        match (alone(&parser, &dir, cell), row.request(), row.rejection()) {
            (Ok(want), Some(Request::Face(got)), None) => {
                assert!(got.photo == want, "row {judged}: another photo");
                let file_len = std::fs::metadata(dir.join(cell)).unwrap().len();
                let file_base64_len = if cell == "face.b64" {
                    usize::try_from(file_len).unwrap()
                } else {
                    usize::try_from(file_len.div_ceil(3) * 4).unwrap()
                };
                fitted += usize::from(got.photo.base64_len() < Some(file_base64_len));
            }
            (Err(want), None, Some(got)) => {
                assert_eq!(got, want, "row {judged}");
            }
            (want, got, reason) => panic!(
                "row {judged}: alone {:?}, ahead {:?} / {reason:?}",
                want.is_ok(),
                got.is_some()
            ),
        }
    }
    assert_eq!(judged, cells.len());
    // 40 rows: 8 without a photo file, 4 with a wrong ID number; the base64 file and the
    // repeated first row.
    assert_eq!(fitted, 28 + 1 + 1);
    let counts = rows.counts();
    // Every row with a valid ID number, a name and a photo cell had its photo read, once.
    let valid_ids = cells
        .iter()
        .filter(|(id, cell)| !id.ends_with("1234") && !cell.is_empty())
        .count();
    assert_eq!(counts.photos, valid_ids as u64);
    // Told after every row, in order, with the counts so far.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter().map(|c| c.rows).collect::<Vec<_>>(),
        (1..=counts.rows).collect::<Vec<_>>()
    );
    assert!(seen.windows(2).all(|w| w[0].photos <= w[1].photos));
    assert_eq!(seen.last(), Some(&counts));
    assert_eq!(counts.valid + counts.rejected, counts.rows);
    // 4 missing files, 4 empty cells, 4 wrong ID numbers, the damaged photo.
    assert_eq!(counts.rejected, 4 + 4 + 4 + 1, "{counts:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_photo_cell_naming_a_device_a_fifo_or_a_huge_file_is_refused_without_reading_it() {
    let dir = scratch_dir("photos-hostile");
    let fifo = dir.join("fifo.jpg");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Sparse: 300 MiB on paper, nothing on disk.
    let huge = std::fs::File::create(dir.join("huge.bmp")).unwrap();
    huge.set_len(300 << 20).unwrap();
    let text = format!(
        "id,name,photo\n{id},张三,/dev/zero\n{id},张三,fifo.jpg\n{id},张三,huge.bmp\n{id},张三,{dir}\n",
        id = id_number(1),
        dir = dir.display()
    );
    for parser in [
        FaceImageParser::new(),
        FaceImageParser::new().fit_oversized(true),
    ] {
        let mut rows = face_rows(&text, &parser, &dir);
        for want in [
            "not a regular file",
            "not a regular file",
            "larger than 256 MiB, the most a photo file may be",
            "not a regular file",
        ] {
            let row = rows.next_row().unwrap().unwrap();
            assert_eq!(
                row.rejection(),
                Some(format!("photo: cannot read the file: {want}").as_str()),
                "row {}",
                row.number()
            );
        }
        assert!(rows.next_row().unwrap().is_none());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_row_that_cannot_be_read_stops_phase_one_after_the_rows_before_it() {
    let dir = scratch_dir("photos-stop");
    std::fs::write(dir.join("face.bmp"), noisy_bmp(300, 400, 1)).unwrap();
    let mut text = "id,name,photo\n".to_owned();
    for n in 0..5 {
        writeln!(text, "{},张三,face.bmp", id_number(n)).unwrap();
    }
    // A quote never closed: the rest of the file is one cell, longer than a row may be.
    writeln!(text, "{},\"张三,face.bmp", id_number(9)).unwrap();
    text.push_str(&"x".repeat(2 << 20));
    let parser = FaceImageParser::new().fit_oversized(true);
    let mut rows = face_rows(&text, &parser, &dir);
    for n in 1..=5 {
        let row = rows.next_row().unwrap().unwrap();
        assert_eq!(row.number(), n);
        assert!(row.rejection().is_none(), "row {n}: {:?}", row.rejection());
    }
    let error = rows.next_row().err().unwrap();
    assert!(error.contains("longer than"), "{error}");
    // Told once; then the rows are over.
    assert!(rows.next_row().unwrap().is_none());
    assert_eq!(rows.counts().photos, 5);

    // The same rows in a paid run's plan: the error stops it, nothing is planned.
    let mut rows = face_rows(&text, &parser, &dir);
    assert!(Plan::build(&mut rows, &[0; 32], false).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A paid run's plan keeps its face photos in a spill file: each request read back is the one
/// phase 1 made, photo for photo, in order, and its key is the row's.
#[test]
fn a_plans_photos_are_read_back_from_the_spill_file_as_they_were() {
    use idcheck_batch::DistinctRequests as _;
    let dir = scratch_dir("photos-spill");
    let (path, _) = faces_file(&dir);
    let parser = FaceImageParser::new().fit_oversized(true);
    let file = PeopleFile::open(&path, None).unwrap();
    let mut rows = file
        .rows(Check::Face, &ColumnNames::default(), &parser)
        .unwrap();
    let mut made = Vec::new();
    while let Some(row) = rows.next_row().unwrap() {
        if row.distinct() == Some(made.len()) {
            made.push(row.request().unwrap());
        }
    }
    let mut rows = file
        .rows(Check::Face, &ColumnNames::default(), &parser)
        .unwrap();
    let plan = Plan::build(&mut rows, &[7; 32], false).unwrap();
    let distinct = plan.distinct();
    assert_eq!(distinct.len(), made.len());
    assert!(made.len() >= 25, "{}", made.len());
    for (index, want) in made.iter().enumerate() {
        assert!(distinct.request(index).unwrap() == *want, "request {index}");
        // Read again, out of order: the same.
        let back = made.len() - 1 - index;
        assert!(
            distinct.request(back).unwrap() == made[back],
            "request {back}"
        );
    }
    let keys: std::collections::HashSet<&str> =
        (0..distinct.len()).map(|i| distinct.key(i)).collect();
    assert_eq!(keys.len(), made.len());
    std::fs::remove_dir_all(&dir).unwrap();
}
