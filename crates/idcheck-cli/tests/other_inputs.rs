//! `idcheck mobile`, `idcheck name` and `idcheck photo` end to end: output, exit codes, JSON,
//! standard input, nothing unmasked.

mod common;

use std::path::PathBuf;

use provider_testkit::noisy_bmp;

use common::{idcheck, json_lines, stdout};

/// A file in a directory of this test binary's own, removed by nobody: target/ is scratch.
fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("other_inputs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The header of a baseline JPEG of `width`×`height`: SOI, a JFIF APP0, SOF0, then EOI.
fn jpeg_header(width: u16, height: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
    out.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    out.extend_from_slice(&[0xFF, 0xC0, 0, 17, 8]);
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    out
}

#[test]
fn mobile_numbers() {
    let out = idcheck(&["mobile", "+86 138-0013-8000", "19212345678"], None);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for expected in [
        "[1] 138****8000  valid",
        "China Mobile (中国移动)",
        "[2] 192****5678",
        "China Broadnet",
        "ported",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(
        !text.contains("13800138000") && !text.contains("0013"),
        "{text}"
    );

    let out = idcheck(
        &["mobile", "--json", "-"],
        Some("1440123456789\n14712345678\n15400138000\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3);
    assert!(lines[0]["error"].as_str().unwrap().contains("13-digit IoT"));
    assert!(lines[1]["error"].as_str().unwrap().contains("data card"));
    assert_eq!(
        lines[2]["error"],
        "segment 154 is not allocated to any carrier"
    );

    let out = idcheck(
        &["mobile", "--accept-data-cards", "--json", "14712345678"],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let line = &json_lines(&out)[0];
    assert_eq!(line["kind"], "data card");
    assert_eq!(line["original_carrier"], "China Mobile");
    assert_eq!(line["masked"], "147****5678");
}

#[test]
fn names() {
    let out = idcheck(&["name", "张三", " 阿卜杜•热合曼 "], None);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("[1] 张*  valid"), "{text}");
    assert!(text.contains("[2] 阿卜杜·***  valid"), "{text}");
    assert!(!text.contains("三") && !text.contains("热合曼"), "{text}");

    let out = idcheck(&["name", "--json", "张 三", "李四"], None);
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(
        lines[0]["error"],
        "space not allowed in a name, at position 2"
    );
    assert_eq!(lines[1]["masked"], "李*");
    assert!(!stdout(&out).contains("三"));
}

#[test]
fn photos_from_files_base64_files_and_urls() {
    use base64::Engine as _;
    let jpeg = scratch_file("face.jpg", &jpeg_header(480, 640));
    let small = scratch_file("small.jpg", &jpeg_header(64, 64));
    let encoded = base64::engine::general_purpose::STANDARD.encode(jpeg_header(300, 400));
    let text = scratch_file(
        "face.b64",
        format!("data:image/jpeg;base64,{encoded}\n").as_bytes(),
    );
    let gif = scratch_file("face.gif", b"GIF89a\x01\x00\x01\x00");
    let out = idcheck(
        &[
            "photo",
            jpeg.to_str().unwrap(),
            small.to_str().unwrap(),
            text.to_str().unwrap(),
            "https://oss.example.com/110105194912310021.jpg",
            gif.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let text_out = stdout(&out);
    for expected in [
        "[1] JPEG 480×640  valid",
        "[2] JPEG 64×64  valid",
        "warning   64×64 px is below the recommended 100×100",
        "[3] JPEG 300×400  valid (from base64 text)",
        "[4] URL  valid",
        "[5] invalid: GIF images are not accepted: use JPEG, PNG or BMP",
    ] {
        assert!(
            text_out.contains(expected),
            "missing {expected:?} in\n{text_out}"
        );
    }
    assert!(!text_out.contains("110105194912310021"), "{text_out}");

    let out = idcheck(
        &[
            "photo",
            "--json",
            "--max-base64-len",
            "40",
            jpeg.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let line = &json_lines(&out)[0];
    assert_eq!(line["valid"], false);
    assert!(
        line["error"]
            .as_str()
            .unwrap()
            .starts_with("photo too large"),
        "{line}"
    );

    let out = idcheck(&["photo", "--json", jpeg.to_str().unwrap()], None);
    let line = &json_lines(&out)[0];
    assert_eq!(
        (
            line["format"].as_str(),
            line["width"].as_u64(),
            line["height"].as_u64()
        ),
        (Some("JPEG"), Some(480), Some(640))
    );
    assert_eq!(line["source"], "file");
}

#[test]
fn an_unreadable_photo_file_is_a_usage_error() {
    let out = idcheck(&["photo", "/nonexistent/idcheck/face.jpg"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains("[1] cannot read the file"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn photo_fit_writes_a_jpeg_within_the_limit() {
    let original = noisy_bmp(300, 400, 0);
    let input = scratch_file("110105194912310021.bmp", &original);
    let output = input.with_file_name("fitted.jpg");
    let _ = std::fs::remove_file(&output);
    let fit = |args: &[&str]| {
        let mut all = vec!["photo"];
        all.extend_from_slice(args);
        idcheck(&all, None)
    };
    let out = fit(&["--fit", output.to_str().unwrap(), input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.starts_with("[1] fitted: BMP 300×400, 480072 base64 chars → JPEG "),
        "{text}"
    );
    assert!(!text.contains("110105194912310021"), "{text}");
    let written = std::fs::read(&output).unwrap();
    assert!(written.starts_with(&[0xFF, 0xD8]));
    assert_eq!(std::fs::read(&input).unwrap(), original);
    let out = idcheck(&["photo", output.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // JSON, a tighter limit: made smaller, never below the minimum side; replaces OUT.
    let out = fit(&[
        "--json",
        "--max-base64-len",
        "20000",
        "--fit",
        output.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let line = &json_lines(&out)[0];
    assert_eq!(line["unchanged"], false, "{line}");
    assert_eq!(line["from"]["format"], "BMP");
    assert_eq!(line["from"]["width"], 300);
    assert_eq!(line["to"]["format"], "JPEG");
    let to = &line["to"];
    assert!(to["base64_len"].as_u64().unwrap() <= 20_000, "{line}");
    assert!(to["width"].as_u64().unwrap() >= 100, "{line}");
    let ratio = to["height"].as_f64().unwrap() / to["width"].as_f64().unwrap();
    assert!((ratio - 4.0 / 3.0).abs() < 0.02, "{line}");
    assert_eq!(
        std::fs::read(&output).unwrap().len().div_ceil(3) * 4,
        usize::try_from(to["base64_len"].as_u64().unwrap()).unwrap()
    );

    // Impossible: said so, exit code 1, nothing written.
    let _ = std::fs::remove_file(&output);
    let out = fit(&[
        "--max-base64-len",
        "500",
        "--fit",
        output.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stdout(&out).starts_with(
            "[1] cannot fit: photo cannot fit in 500 bytes of base64 without going below the recommended 100 px side: at 100×133 px"
        ),
        "{}",
        stdout(&out)
    );
    assert!(!output.exists());

    // Already within the limit: copied as it is.
    let small = noisy_bmp(40, 30, 0);
    let small_input = scratch_file("small.bmp", &small);
    let out = fit(&[
        "--fit",
        output.to_str().unwrap(),
        small_input.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        stdout(&out).starts_with("[1] already within the limit, copied unchanged: BMP 40×30"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("warning   40×30 px is below the recommended"));
    assert_eq!(std::fs::read(&output).unwrap(), small);
}

#[test]
fn photo_fit_refuses_what_it_cannot_do_safely() {
    let original = noisy_bmp(120, 160, 0);
    let input = scratch_file("refuse.bmp", &original);
    let stderr = |out: &std::process::Output| String::from_utf8(out.stderr.clone()).unwrap();

    // Never over the input, whatever the spelling of the path.
    let same = input.parent().unwrap().join(".").join("refuse.bmp");
    for output in [&input, &same] {
        let out = idcheck(
            &[
                "photo",
                "--fit",
                output.to_str().unwrap(),
                input.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        assert!(
            stderr(&out).contains("would overwrite the input file"),
            "{out:?}"
        );
    }
    assert_eq!(std::fs::read(&input).unwrap(), original);

    // A directory that cannot take the output.
    let out = idcheck(
        &[
            "photo",
            "--fit",
            "/nonexistent/idcheck/out.jpg",
            input.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        stderr(&out).starts_with(
            "idcheck: cannot write the fitted photo: cannot create a file in the output's directory"
        ),
        "{out:?}"
    );

    // One image file, not several, a URL or standard input.
    let output = input.with_file_name("refused.jpg");
    for inputs in [
        vec![input.to_str().unwrap(), input.to_str().unwrap()],
        vec!["https://oss.example.com/face.jpg"],
        vec!["-"],
    ] {
        let mut args = vec!["photo", "--fit", output.to_str().unwrap()];
        args.extend(inputs);
        let out = idcheck(&args, None);
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        assert!(stderr(&out).starts_with("idcheck: --fit takes"), "{out:?}");
    }
    assert!(!output.exists());
}

#[test]
fn batch_fit_photos_fits_oversized_photo_files_instead_of_rejecting_their_rows() {
    let photo = scratch_file("fit-batch-photo.bmp", &noisy_bmp(300, 400, 0));
    let csv = scratch_file(
        "fit-batch.csv",
        format!(
            "id,name,photo\n11010519491231002X,张三,{}\n",
            photo.file_name().unwrap().to_str().unwrap()
        )
        .as_bytes(),
    );
    let run = |extra: &[&str]| {
        let mut args = vec![
            "batch",
            csv.to_str().unwrap(),
            "--check",
            "face",
            "--dry-run",
        ];
        args.extend_from_slice(extra);
        idcheck(&args, None)
    };
    let refused = run(&[]);
    let text = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(
        text.contains("0 valid") && text.contains("1 rejected"),
        "{text}"
    );
    assert!(
        stdout(&refused).contains("idcheck photo --fit"),
        "{}",
        stdout(&refused)
    );

    let fitted = run(&["--fit-photos", "--progress-every", "1"]);
    let text = String::from_utf8_lossy(&fitted.stderr).into_owned();
    assert_eq!(fitted.status.code(), Some(0), "{text}");
    assert!(
        text.contains("1 valid") && text.contains("0 rejected"),
        "{text}"
    );
    // Phase 1's progress, a line a row here (no terminal).
    assert!(
        text.contains("idcheck batch: rows read 1, photos read 1 (0 rows rejected)"),
        "{text}"
    );

    // Standard error closed before the run (`2>&1 | head -1` after its reader left): the run
    // goes on and writes its output.
    let output = csv.with_file_name("fit-batch-out.csv");
    let mut child = common::idcheck_command()
        .args([
            "batch",
            csv.to_str().unwrap(),
            "--check",
            "face",
            "--dry-run",
        ])
        .args(["--fit-photos", "--progress-every", "1", "--output"])
        .arg(&output)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let written = std::fs::read_to_string(&output).unwrap();
    assert!(
        written.lines().nth(1).unwrap().starts_with("1,valid,"),
        "{written}"
    );
}
