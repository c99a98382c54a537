//! `idcheck id`: what ID numbers say by themselves.

use std::io::{self, Write};
use std::process::ExitCode;

use chrono::NaiveDate;
use idcheck::core::{Nationality, NationalityStatus};
use idcheck::{IdError, IdKind, IdNumber, IdParser, Region, RegionStatus, today_in_china};
use serde::Serialize;

use crate::each_input::{for_each_parsed, write_json_line};

pub(crate) fn run(args: &[String], strict: bool, json: bool) -> ExitCode {
    let parser = IdParser::new().strict(strict);
    let today = today_in_china();
    for_each_parsed(
        args,
        json,
        |input| parser.parse(input),
        |out, index, result| write_json_line(out, &JsonLine::new(index, result, today)),
        |out, index, result| write_human(out, index, result, today),
    )
}

fn kind_label(id: &IdNumber) -> String {
    if id.is_15_digit() {
        format!("{}, first generation (15 digits)", id.kind())
    } else {
        id.kind().to_string()
    }
}

fn region_label(region: &Region) -> String {
    let note = match region.status() {
        RegionStatus::Current => match (region.name(), region.current_name()) {
            (Some(then), Some(now)) if then != now => format!(" (now {now})"),
            _ => String::new(),
        },
        RegionStatus::Abolished { year } => format!(" (abolished in {year})"),
        RegionStatus::Unknown => " (address code not in the table)".to_owned(),
        _ => String::new(),
    };
    format!("{:06} {region}{note}", region.code())
}

fn nationality_label(nationality: Nationality) -> String {
    let note = match nationality.status() {
        NationalityStatus::Foreign => "",
        NationalityStatus::China => " (China: not a foreigner's nationality)",
        _ => " (not an assigned ISO 3166-1 code)",
    };
    format!("{nationality}{note}")
}

fn write_human(
    out: &mut dyn Write,
    index: usize,
    result: &Result<IdNumber, IdError>,
    today: NaiveDate,
) -> io::Result<()> {
    match result {
        Err(e) => writeln!(out, "[{index}] invalid: {e}"),
        Ok(id) => {
            writeln!(out, "[{index}] {}  valid", id.masked())?;
            writeln!(out, "    kind      {}", kind_label(id))?;
            writeln!(out, "    birthday  {}", id.birthday())?;
            if let Some(age) = id.age_on(today) {
                writeln!(out, "    age       {age}")?;
            }
            writeln!(out, "    sex       {}", id.sex())?;
            if let Some(region) = id.region() {
                writeln!(out, "    region    {}", region_label(&region))?;
            }
            if let Some(province) = id.issuing_province() {
                writeln!(out, "    issued in {:06} {province}", province.code())?;
            }
            if let Some(nationality) = id.nationality() {
                writeln!(out, "    nationality {}", nationality_label(nationality))?;
            }
            if id.is_15_digit() {
                writeln!(out, "    18-digit  {}", id.to_18().masked())?;
            }
            writeln!(out, "    masked    {}", id.masked())
        }
    }
}

#[derive(Serialize)]
struct JsonLine {
    input: usize,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    details: Option<JsonDetails>,
}

#[derive(Serialize)]
struct JsonDetails {
    masked: String,
    kind: &'static str,
    digits: u8,
    birthday: String,
    age: Option<u32>,
    sex: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    nationality_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nationality: Option<JsonNationality>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issuing_province: Option<JsonProvince>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<JsonRegion>,
}

/// A foreigners' permanent residence ID's nationality (digits 4–6).
#[derive(Serialize)]
struct JsonNationality {
    numeric: String,
    alpha3: Option<&'static str>,
    name_zh: Option<&'static str>,
    /// `foreign`, `china` or `unassigned`.
    status: &'static str,
}

/// A foreigners' permanent residence ID's issuing province (digits 2–3).
#[derive(Serialize)]
struct JsonProvince {
    code: String,
    name: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonRegion {
    code: String,
    province: Option<&'static str>,
    prefecture: Option<&'static str>,
    county: Option<&'static str>,
    current_name: Option<&'static str>,
    status: &'static str,
    abolished_in: Option<u16>,
}

impl JsonLine {
    fn new(input: usize, result: &Result<IdNumber, IdError>, today: NaiveDate) -> Self {
        match result {
            Err(e) => Self {
                input,
                valid: false,
                error: Some(e.to_string()),
                details: None,
            },
            Ok(id) => Self {
                input,
                valid: true,
                error: None,
                details: Some(JsonDetails {
                    masked: id.masked().to_string(),
                    kind: match id.kind() {
                        IdKind::Resident => "resident",
                        IdKind::HongKongPermit => "hong_kong_permit",
                        IdKind::MacauPermit => "macau_permit",
                        IdKind::TaiwanPermit => "taiwan_permit",
                        IdKind::ForeignPermanentResident => "foreign_permanent_resident",
                        _ => "other",
                    },
                    digits: if id.is_15_digit() { 15 } else { 18 },
                    birthday: id.birthday().to_string(),
                    age: id.age_on(today),
                    sex: id.sex().to_string(),
                    nationality_code: id.nationality_code(),
                    nationality: id.nationality().map(|n| JsonNationality {
                        numeric: format!("{:03}", n.numeric()),
                        alpha3: n.alpha3(),
                        name_zh: n.name_zh(),
                        status: match n.status() {
                            NationalityStatus::Foreign => "foreign",
                            NationalityStatus::China => "china",
                            _ => "unassigned",
                        },
                    }),
                    issuing_province: id.issuing_province().map(|p| JsonProvince {
                        code: format!("{:06}", p.code()),
                        name: p.name(),
                    }),
                    region: id.region().map(|r| {
                        let (status, abolished_in) = match r.status() {
                            RegionStatus::Current => ("current", None),
                            RegionStatus::Abolished { year } => ("abolished", Some(year)),
                            _ => ("unknown", None),
                        };
                        JsonRegion {
                            code: format!("{:06}", r.code()),
                            province: r.province(),
                            prefecture: r.prefecture(),
                            county: r.county(),
                            current_name: r.current_name(),
                            status,
                            abolished_in,
                        }
                    }),
                }),
            },
        }
    }
}
