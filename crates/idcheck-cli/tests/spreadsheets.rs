//! Spreadsheets end to end, through the CLI against the sandbox: a workbook's chosen sheet
//! verified and paid once, an `.xlsx` output that reads back as the CSV output, and a column
//! Excel rounded that costs nothing.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Output, Stdio};

use calamine::{Data, Reader as _, Xlsx, open_workbook};
use common::fleet::{LEDGER_KEY, billed, people, workdir};
use idcheck_sandbox::{DEFAULT_APPCODE, Sandbox, SandboxConfig};
use rust_xlsxwriter::{Format, Workbook};

fn batch(dir: &Path, base_url: &str, args: &[&str]) -> Output {
    common::idcheck_command()
        .current_dir(dir)
        .arg("batch")
        .args(args)
        .args([
            "--provider",
            "idcardcert",
            "--base-url",
            base_url,
            "--ledger",
            "ledger.sqlite",
            "--rate",
            "0",
        ])
        .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
        .env("IDCHECK_APPCODE", DEFAULT_APPCODE)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// [`batch`] off the test's runtime (the sandbox answers on it).
async fn batch_off(dir: &Path, base_url: &str, args: &[&str]) -> Output {
    let (dir, base_url) = (dir.to_owned(), base_url.to_owned());
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        batch(&dir, &base_url, &args)
    })
    .await
    .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A workbook as an operations team keeps it: a notes sheet first, then the list under a
/// merged title, with a sequence column, empty rows, and one ID Excel stored as a number.
fn team_workbook(path: &Path, people: &[(String, String)]) {
    let mut workbook = Workbook::new();
    let notes = workbook.add_worksheet();
    notes.set_name("说明").unwrap();
    notes.write_string(0, 0, "本表用于实名核验").unwrap();
    let sheet = workbook.add_worksheet();
    sheet.set_name("名单").unwrap();
    sheet
        .merge_range(0, 0, 0, 2, "员工名单", &Format::new().set_bold())
        .unwrap();
    for (c, title) in ["序号", "姓名", "身份证号"].iter().enumerate() {
        sheet
            .write_string(1, u16::try_from(c).unwrap(), *title)
            .unwrap();
    }
    let mut r = 2;
    for (i, (id, name)) in people.iter().enumerate() {
        if i == 10 {
            r += 2; // two empty rows in the middle
        }
        sheet.write_number(r, 0, f64::from(r)).unwrap();
        sheet.write_string(r, 1, name).unwrap();
        sheet.write_string(r, 2, id).unwrap();
        r += 1;
    }
    // An 18-digit ID typed into a General cell: Excel keeps 15 digits of it.
    sheet.write_string(r, 1, "钱七").unwrap();
    sheet.write_number(r, 2, 110_105_194_912_310_016.0).unwrap();
    std::fs::write(path, workbook.save_to_buffer().unwrap()).unwrap();
}

/// The rows of a workbook's sheet as text, as the CSV output would hold them.
fn sheet_rows(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let range = workbook.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(f) => format!("{f}"),
                    Data::Int(i) => i.to_string(),
                    other => panic!("unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect()
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chosen_sheet_is_paid_once_and_the_xlsx_output_reads_back_as_the_csv() {
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0")
        .await
        .unwrap();
    let base = sandbox.base_url();
    let dir = workdir("sheets", "paid");
    let people = people(41, 30);
    team_workbook(&dir.join("people.xlsx"), &people);

    let args = ["people.xlsx", "--sheet", "名单", "--dry-run", "--output"];
    let dry_csv = batch_off(&dir, &base, &[&args[..], &["dry.csv"]].concat()).await;
    let dry_xlsx = batch_off(&dir, &base, &[&args[..], &["dry.xlsx"]].concat()).await;
    assert_eq!(dry_csv.status.code(), Some(0), "{}", stderr(&dry_csv));
    assert_eq!(dry_xlsx.status.code(), Some(0), "{}", stderr(&dry_xlsx));
    assert!(
        stderr(&dry_csv).contains("reading sheet \"名单\" (2 of 2)"),
        "{}",
        stderr(&dry_csv)
    );
    assert!(
        stderr(&dry_csv).contains("31 rows read from the sheet"),
        "{}",
        stderr(&dry_csv)
    );
    // The round trip: the workbook holds exactly the CSV's rows.
    let csv = csv_rows(&dir.join("dry.csv"));
    assert_eq!(csv.len(), 32, "a header and 31 people");
    assert_eq!(sheet_rows(&dir.join("dry.xlsx"), "results"), csv);
    let stored_as_number = csv
        .iter()
        .find(|row| row.iter().any(|c| c.contains("Excel")));
    assert!(stored_as_number.is_some(), "{csv:?}");
    assert_eq!(sandbox.billed_total(), 0, "a dry run sends nothing");

    // Paid: every valid person once, the number cell never.
    let paid = batch_off(
        &dir,
        &base,
        &["people.xlsx", "--sheet", "2", "--output", "paid.xlsx"],
    )
    .await;
    assert_eq!(paid.status.code(), Some(0), "{}", stderr(&paid));
    assert_eq!(billed(&sandbox, &people), vec![1; 30]);
    assert_eq!(sandbox.billed_total(), 30);
    let results = sheet_rows(&dir.join("paid.xlsx"), "results");
    let status = results[0].iter().position(|h| h == "status").unwrap();
    let id = results[0].iter().position(|h| h == "id").unwrap();
    assert_eq!(
        results[1..]
            .iter()
            .filter(|r| r[status] == "unverifiable") // the sandbox knows none of them
            .count(),
        30
    );
    assert_eq!(
        results[1..]
            .iter()
            .filter(|r| r[status] == "rejected")
            .count(),
        1
    );
    // Masked as in the CSV, and no number beside its birthday.
    for row in &results[1..] {
        assert!(
            people
                .iter()
                .all(|(full, _)| !row[id].contains(full.as_str())),
            "{row:?}"
        );
    }
    let summary = sheet_rows(&dir.join("paid.xlsx"), "summary");
    let value = |label: &str| {
        summary
            .iter()
            .find(|r| r[0] == label)
            .map_or_else(|| panic!("no {label} in {summary:?}"), |r| r[1].clone())
    };
    assert_eq!(value("rows"), "31");
    assert_eq!(value("rejected offline (free)"), "1");
    assert_eq!(value("billed calls"), "30");

    // Again, into CSV: nothing paid twice, and the same rows but for what this run billed.
    let again = batch_off(
        &dir,
        &base,
        &["people.xlsx", "--output", "again.csv", "--sheet", "名单"],
    )
    .await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(billed(&sandbox, &people), vec![1; 30]);
    let again = csv_rows(&dir.join("again.csv"));
    assert_eq!(again.len(), results.len());
    assert_eq!(again[0], results[0]);
    for (a, b) in again.iter().zip(&results) {
        assert_eq!(a[status], b[status]);
        assert_eq!(a[id], b[id]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sheet_without_the_columns_names_the_others_and_other_spreadsheet_outputs_are_refused() {
    let base = "http://127.0.0.1:9"; // never dialled: both are refused before a row is read
    let dir = workdir("sheets", "refusals");
    team_workbook(&dir.join("people.xlsx"), &people(43, 3));
    // The first sheet is notes: the error names the others.
    let first = batch_off(&dir, base, &["people.xlsx", "--dry-run"]).await;
    assert_eq!(first.status.code(), Some(2), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("--sheet") && stderr(&first).contains("\"名单\""),
        "{}",
        stderr(&first)
    );

    // Spreadsheet names idcheck does not write are refused, not filled with CSV text.
    let ods = batch_off(
        &dir,
        base,
        &["people.xlsx", "--dry-run", "--output", "out.ods"],
    )
    .await;
    assert_eq!(ods.status.code(), Some(2), "{}", stderr(&ods));
    assert!(stderr(&ods).contains("not as .ods"), "{}", stderr(&ods));
    assert!(!dir.join("out.ods").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_excel_rounded_costs_nothing() {
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0")
        .await
        .unwrap();
    let base = sandbox.base_url();
    let dir = workdir("sheets", "rounded");
    // The people's IDs as a CSV saved from Excel keeps them: 15 significant digits.
    let people = people(42, 220);
    let mut text = String::from("id,name\n");
    let mut passing = 0;
    for (id, name) in &people {
        let rounded = format!("{}000", &id[..15]);
        if idcheck::IdNumber::parse(&rounded).is_ok() {
            passing += 1;
        }
        let _ = writeln!(text, "{rounded},{name}");
    }
    assert!(passing > 0, "some rounded IDs pass their check");
    std::fs::write(dir.join("rounded.csv"), text).unwrap();
    let ran = batch_off(&dir, &base, &["rounded.csv", "--output", "out.csv"]).await;
    assert!(
        stderr(&ran).contains("rounded by Excel"),
        "{}",
        stderr(&ran)
    );
    assert_eq!(sandbox.started(), 0, "not one call sent");
    assert_eq!(sandbox.billed_total(), 0);
    let rows = csv_rows(&dir.join("out.csv"));
    let status = rows[0].iter().position(|h| h == "status").unwrap();
    assert_eq!(rows.len(), 221);
    assert!(
        rows[1..].iter().all(|r| r[status] == "rejected"),
        "{rows:?}"
    );
}
