//! One input at a time: `parse_id`, `parse_mobile`, `parse_name`, `check_photo`, `fit_photo`,
//! and the objects they return. Every rule is the core's; `repr` and `str` show only what the
//! core masks.

use chrono::NaiveDate;
use idcheck::core::{Nationality as CoreNationality, NationalityStatus};
use idcheck::{
    FaceImage, FaceImageParser, IdKind, IdNumber as CoreIdNumber, IdParser, Mobile as CoreMobile,
    MobileParser, Name as CoreName, PhotoPayload, Region as CoreRegion, RegionStatus,
    today_in_china,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::errors;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<IdNumber>()?;
    m.add_class::<Region>()?;
    m.add_class::<Nationality>()?;
    m.add_class::<Mobile>()?;
    m.add_class::<Name>()?;
    m.add_class::<Photo>()?;
    m.add_function(wrap_pyfunction!(parse_id, m)?)?;
    m.add_function(wrap_pyfunction!(parse_mobile, m)?)?;
    m.add_function(wrap_pyfunction!(parse_name, m)?)?;
    m.add_function(wrap_pyfunction!(check_photo, m)?)?;
    m.add_function(wrap_pyfunction!(fit_photo, m)?)?;
    m.add("DEFAULT_MAX_BASE64_LEN", idcheck::DEFAULT_MAX_BASE64_LEN)?;
    m.add("DEFAULT_MIN_SIDE", idcheck::DEFAULT_MIN_SIDE)?;
    Ok(())
}

/// The text of a `str` argument (under the stable ABI of Python 3.9 it is copied once).
pub(crate) fn text_of(value: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    let string = value.cast::<PyString>().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err(format!(
            "{what}: expected str, got {}",
            type_name(value)
        ))
    })?;
    // A lone surrogate cannot be UTF-8: it becomes U+FFFD, which the core then refuses.
    Ok(string.to_string_lossy().into_owned())
}

/// The name of a value's type, never the value.
pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "an object".to_owned(), |n| n.to_string())
}

fn kind_label(kind: IdKind) -> &'static str {
    match kind {
        IdKind::Resident => "resident",
        IdKind::HongKongPermit => "hong_kong_permit",
        IdKind::MacauPermit => "macau_permit",
        IdKind::TaiwanPermit => "taiwan_permit",
        IdKind::ForeignPermanentResident => "foreign_permanent_resident",
        _ => "other",
    }
}

/// Parses an ID number as people type it; lenient unless `strict`.
#[pyfunction]
#[pyo3(signature = (text, strict = false))]
fn parse_id(py: Python<'_>, text: &Bound<'_, PyAny>, strict: bool) -> PyResult<IdNumber> {
    let text = text_of(text, "parse_id")?;
    IdParser::new()
        .strict(strict)
        .parse(&text)
        .map(|id| IdNumber { id })
        .map_err(|e| errors::id_error(py, &e))
}

/// A valid ID number. `repr` and `str` show only the masked number.
#[pyclass(frozen, eq, hash, module = "idcheck", name = "IdNumber")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct IdNumber {
    pub(crate) id: CoreIdNumber,
}

#[pymethods]
impl IdNumber {
    /// The masked form, e.g. `110105********002X`.
    #[getter]
    fn masked(&self) -> String {
        self.id.masked().to_string()
    }

    /// The full number, explicitly. Personal data: send it, don't log it.
    fn as_str(&self) -> &str {
        self.id.as_str()
    }

    /// The birthday the number encodes.
    #[getter]
    fn birthday(&self) -> NaiveDate {
        self.id.birthday()
    }

    /// `male` or `female`, from the parity of the sequence code.
    #[getter]
    fn sex(&self) -> &'static str {
        match self.id.sex() {
            idcheck::Sex::Male => "male",
            idcheck::Sex::Female => "female",
        }
    }

    /// Age in whole years today (China Standard Time).
    #[getter]
    fn age(&self) -> Option<u32> {
        self.id.age_on(today_in_china())
    }

    /// Age in whole years on `date`, or None before the birthday.
    fn age_on(&self, date: NaiveDate) -> Option<u32> {
        self.id.age_on(date)
    }

    /// `resident`, `hong_kong_permit`, `macau_permit`, `taiwan_permit` or
    /// `foreign_permanent_resident`.
    #[getter]
    fn kind(&self) -> &'static str {
        kind_label(self.id.kind())
    }

    /// Whether this is a first-generation 15-digit number.
    #[getter]
    fn is_15_digit(&self) -> bool {
        self.id.is_15_digit()
    }

    /// The six-digit address code, e.g. `110105`.
    #[getter]
    fn address_code(&self) -> String {
        format!("{:06}", self.id.address_code())
    }

    /// What the address code says, named as in the birth year; None for a foreigners'
    /// permanent residence ID.
    #[getter]
    fn region(&self) -> Option<Region> {
        self.id.region().map(|region| Region { region })
    }

    /// For a foreigners' permanent residence ID: the issuing province.
    #[getter]
    fn issuing_province(&self) -> Option<Region> {
        self.id.issuing_province().map(|region| Region { region })
    }

    /// For a foreigners' permanent residence ID: the nationality (digits 4–6).
    #[getter]
    fn nationality(&self) -> Option<Nationality> {
        self.id
            .nationality()
            .map(|nationality| Nationality { nationality })
    }

    /// The 18-character form (a 15-digit number gains `19` and a check character).
    fn to_18(&self) -> IdNumber {
        IdNumber {
            id: self.id.to_18(),
        }
    }

    fn __str__(&self) -> String {
        self.masked()
    }

    fn __repr__(&self) -> String {
        format!("IdNumber('{}')", self.id.masked())
    }
}

/// What an address code says, with names as they were in a given year.
#[pyclass(frozen, module = "idcheck", name = "Region")]
pub(crate) struct Region {
    region: CoreRegion,
}

#[pymethods]
impl Region {
    /// The six-digit address code.
    #[getter]
    fn code(&self) -> String {
        format!("{:06}", self.region.code())
    }

    /// The year the names are given for (for an ID number: the birth year).
    #[getter]
    fn year(&self) -> u16 {
        self.region.year()
    }

    /// The code's own name in that year.
    #[getter]
    fn name(&self) -> Option<&'static str> {
        self.region.name()
    }

    /// The province, as named in that year.
    #[getter]
    fn province(&self) -> Option<&'static str> {
        self.region.province()
    }

    /// The prefecture, as named in that year.
    #[getter]
    fn prefecture(&self) -> Option<&'static str> {
        self.region.prefecture()
    }

    /// The county-level name, as named in that year.
    #[getter]
    fn county(&self) -> Option<&'static str> {
        self.region.county()
    }

    /// The name the code carries today, if still in force.
    #[getter]
    fn current_name(&self) -> Option<&'static str> {
        self.region.current_name()
    }

    /// `current`, `abolished` or `unknown` (not in the table).
    #[getter]
    fn status(&self) -> &'static str {
        match self.region.status() {
            RegionStatus::Current => "current",
            RegionStatus::Abolished { .. } => "abolished",
            _ => "unknown",
        }
    }

    /// The first year whose list no longer has the code, for an abolished code.
    #[getter]
    fn abolished_in(&self) -> Option<u16> {
        match self.region.status() {
            RegionStatus::Abolished { year } => Some(year),
            _ => None,
        }
    }

    /// Whether the code is in the table.
    #[getter]
    fn is_known(&self) -> bool {
        self.region.is_known()
    }

    /// Every name the code carried, oldest first: (name, first year, last year or None).
    #[getter]
    fn history(&self) -> Vec<(&'static str, u16, Option<u16>)> {
        self.region
            .history()
            .iter()
            .map(|span| (span.name(), span.first_year(), span.last_year()))
            .collect()
    }

    /// The same code, named as in another year.
    fn in_year(&self, year: u16) -> Region {
        Region {
            region: self.region.in_year(year),
        }
    }

    fn __str__(&self) -> String {
        self.region.to_string()
    }

    /// Code and names; not the year, which for an ID number is the birth year.
    fn __repr__(&self) -> String {
        format!("Region('{:06}', '{}')", self.region.code(), self.region)
    }
}

/// A foreigners' permanent residence ID's nationality (ISO 3166-1 numeric).
#[pyclass(frozen, module = "idcheck", name = "Nationality")]
pub(crate) struct Nationality {
    nationality: CoreNationality,
}

#[pymethods]
impl Nationality {
    /// The three-digit numeric code, e.g. `840`.
    #[getter]
    fn code(&self) -> String {
        format!("{:03}", self.nationality.numeric())
    }

    /// The alpha-3 code, e.g. `USA`, when assigned.
    #[getter]
    fn alpha3(&self) -> Option<&'static str> {
        self.nationality.alpha3()
    }

    /// The Chinese name, e.g. `美国`, when assigned.
    #[getter]
    fn name_zh(&self) -> Option<&'static str> {
        self.nationality.name_zh()
    }

    /// `foreign`, `china` or `unassigned`.
    #[getter]
    fn status(&self) -> &'static str {
        match self.nationality.status() {
            NationalityStatus::Foreign => "foreign",
            NationalityStatus::China => "china",
            _ => "unassigned",
        }
    }

    fn __repr__(&self) -> String {
        format!("Nationality('{:03}')", self.nationality.numeric())
    }
}

/// Parses a mainland mobile number as people type it (`+86`, spaces, hyphens, full-width).
#[pyfunction]
#[pyo3(signature = (text, accept_data_cards = false))]
fn parse_mobile(
    py: Python<'_>,
    text: &Bound<'_, PyAny>,
    accept_data_cards: bool,
) -> PyResult<Mobile> {
    let text = text_of(text, "parse_mobile")?;
    MobileParser::new()
        .accept_data_cards(accept_data_cards)
        .parse(&text)
        .map(|mobile| Mobile { mobile })
        .map_err(|e| errors::mobile_error(py, &e))
}

/// A valid mobile number. `repr` and `str` show only the masked number.
#[pyclass(frozen, eq, hash, module = "idcheck", name = "Mobile")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct Mobile {
    pub(crate) mobile: CoreMobile,
}

#[pymethods]
impl Mobile {
    /// The masked form, e.g. `138****8000`.
    #[getter]
    fn masked(&self) -> String {
        self.mobile.masked().to_string()
    }

    /// The 11-digit national number, explicitly. Personal data.
    fn as_str(&self) -> &str {
        self.mobile.as_str()
    }

    /// The segment (号段), e.g. `138`.
    #[getter]
    fn segment(&self) -> &'static str {
        self.mobile.segment().prefix()
    }

    /// What the segment is for, e.g. `mobile`, `virtual operator`, `data card`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.mobile.kind().label()
    }

    /// The carrier the segment was first allocated to (numbers may have been ported since).
    #[getter]
    fn original_carrier(&self) -> &'static str {
        self.mobile.original_carrier().name_en()
    }

    /// The same, in Chinese, e.g. `中国移动`.
    #[getter]
    fn original_carrier_zh(&self) -> &'static str {
        self.mobile.original_carrier().name_zh()
    }

    fn __str__(&self) -> String {
        self.masked()
    }

    fn __repr__(&self) -> String {
        format!("Mobile('{}')", self.mobile.masked())
    }
}

/// Parses a name as written on a Chinese ID card (middle dots normalised).
#[pyfunction]
fn parse_name(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Name> {
    let text = text_of(text, "parse_name")?;
    CoreName::parse(&text)
        .map(|name| Name { name })
        .map_err(|e| errors::name_error(py, &e))
}

/// A valid name. `repr` and `str` show only the masked name.
#[pyclass(frozen, eq, hash, module = "idcheck", name = "Name")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct Name {
    pub(crate) name: CoreName,
}

#[pymethods]
impl Name {
    /// The masked form, e.g. `张*`, `欧阳**`, `阿卜杜·***`.
    #[getter]
    fn masked(&self) -> String {
        self.name.masked().to_string()
    }

    /// The normalised name, explicitly. Personal data.
    fn as_str(&self) -> &str {
        self.name.as_str()
    }

    /// Characters, dots included.
    #[getter]
    fn char_count(&self) -> usize {
        self.name.char_count()
    }

    /// Whether the name has dotted parts.
    #[getter]
    fn is_transliterated(&self) -> bool {
        self.name.is_transliterated()
    }

    fn __str__(&self) -> String {
        self.masked()
    }

    fn __repr__(&self) -> String {
        format!("Name('{}')", self.name.masked())
    }
}

/// A photo: image bytes (bytes, bytearray, memoryview), or a str holding an http(s) URL or
/// base64 text (a `data:` prefix allowed) — the core's three constructors.
pub(crate) fn photo_of(
    parser: &FaceImageParser,
    value: &Bound<'_, PyAny>,
) -> PyResult<Result<FaceImage, idcheck::FaceImageError>> {
    if let Ok(text) = value.cast::<PyString>() {
        let text = text.to_string_lossy();
        let lower = text
            .trim_start()
            .get(..8)
            .unwrap_or(text.trim_start())
            .to_ascii_lowercase();
        return Ok(
            if lower.starts_with("http://") || lower.starts_with("https://") {
                parser.from_url(&text)
            } else {
                parser.from_base64(&text)
            },
        );
    }
    let bytes = bytes_of(value, "photo")?;
    let py = value.py();
    Ok(py.detach(|| parser.from_bytes(&bytes)))
}

/// The bytes of a bytes-like value (one copy).
pub(crate) fn bytes_of(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    if value.is_instance_of::<pyo3::types::PyByteArray>() || value.hasattr("tobytes")? {
        let bytes = value
            .py()
            .get_type::<PyBytes>()
            .call1((value,))?
            .cast_into::<PyBytes>()?;
        return Ok(bytes.as_bytes().to_vec());
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "{what}: expected bytes (an image file's contents) or str (a URL or base64), got {}",
        type_name(value)
    )))
}

/// Checks a face photo offline: format, dimensions and size against the vendor's limit.
#[pyfunction]
#[pyo3(signature = (photo, max_base64_len = idcheck::DEFAULT_MAX_BASE64_LEN, min_side = idcheck::DEFAULT_MIN_SIDE))]
fn check_photo(
    py: Python<'_>,
    photo: &Bound<'_, PyAny>,
    max_base64_len: usize,
    min_side: u32,
) -> PyResult<Photo> {
    let parser = FaceImageParser::new()
        .max_base64_len(max_base64_len)
        .min_side(min_side);
    photo_of(&parser, photo)?
        .map(|photo| Photo { photo })
        .map_err(|e| errors::photo_error(py, &e))
}

/// An accepted photo. `repr` shows format, size and dimensions, never image data or a URL.
#[pyclass(frozen, module = "idcheck", name = "Photo")]
pub(crate) struct Photo {
    pub(crate) photo: FaceImage,
}

#[pymethods]
impl Photo {
    /// `JPEG`, `PNG` or `BMP`; None for a URL (not fetched offline).
    #[getter]
    fn format(&self) -> Option<&'static str> {
        self.photo.info().map(|info| info.format().name())
    }

    /// Width in pixels; None for a URL.
    #[getter]
    fn width(&self) -> Option<u32> {
        self.photo.info().map(|info| info.width())
    }

    /// Height in pixels; None for a URL.
    #[getter]
    fn height(&self) -> Option<u32> {
        self.photo.info().map(|info| info.height())
    }

    /// Bytes of base64 the vendor receives; None for a URL.
    #[getter]
    fn base64_len(&self) -> Option<usize> {
        self.photo.base64_len()
    }

    /// Whether the photo is a URL the vendor fetches.
    #[getter]
    fn is_url(&self) -> bool {
        matches!(self.photo.payload(), PhotoPayload::Url(_))
    }

    /// Warnings about an accepted photo (e.g. smaller than recommended).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.photo
            .warnings()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// What the vendor receives: canonical base64, or the URL. Personal data.
    fn payload(&self) -> &str {
        match self.photo.payload() {
            PhotoPayload::Base64(text) | PhotoPayload::Url(text) => text,
        }
    }

    fn __repr__(&self) -> String {
        match (self.photo.info(), self.photo.base64_len()) {
            (Some(info), Some(len)) => format!(
                "Photo(format='{}', width={}, height={}, base64_len={len})",
                info.format().name(),
                info.width(),
                info.height()
            ),
            _ => "Photo(url)".to_owned(),
        }
    }
}

/// Makes a photo (a JPEG, PNG or BMP file's bytes) fit in `max_base64_len` bytes of base64:
/// the image file the vendor would receive (a new JPEG, or the original when it fits).
#[pyfunction]
#[pyo3(signature = (photo, max_base64_len = idcheck::DEFAULT_MAX_BASE64_LEN))]
fn fit_photo<'py>(
    py: Python<'py>,
    photo: &Bound<'py, PyAny>,
    max_base64_len: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    let bytes = bytes_of(photo, "fit_photo")?;
    let fitted = py.detach(|| FaceImage::fit_within(&bytes, max_base64_len));
    match fitted {
        Ok(fitted) => Ok(PyBytes::new(py, fitted.bytes())),
        Err(e) => Err(errors::photo_error(py, &e)),
    }
}
