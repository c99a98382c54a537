//! A column at a time: `check_ids`, `check_mobiles`, `check_names`. The strings are collected
//! once at the edge (one `"\n".join` and one UTF-8 encoding in C when every item is a `str`
//! without a line break, item by item otherwise), the GIL is released while the core parses
//! every one of them (on every core for large columns), and the answer is built as
//! `[None] * n` with each invalid row's reason set in place (one string object per distinct
//! reason).

use std::collections::HashMap;
use std::fmt::Display;
use std::ops::Range;

use idcheck::{IdParser, MobileParser, Name};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyFloat, PyList, PyString};

use crate::core_types::type_name;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check_ids, m)?)?;
    m.add_function(wrap_pyfunction!(check_mobiles, m)?)?;
    m.add_function(wrap_pyfunction!(check_names, m)?)?;
    Ok(())
}

/// Below this many items one thread parses them all (starting threads costs more).
const PARALLEL_FROM: usize = 32 * 1024;

/// Checks every ID number of `values` (a list, any iterable of str, a pandas or polars
/// Series): None where valid, else the core's reason. None and NaN count as empty.
#[pyfunction]
#[pyo3(signature = (values, strict = false))]
fn check_ids<'py>(values: &Bound<'py, PyAny>, strict: bool) -> PyResult<Bound<'py, PyList>> {
    let parser = IdParser::new().strict(strict);
    check_all(values, |text| parser.parse(text).map(|_| ()))
}

/// Checks every mobile number of `values`, as `check_ids` does.
#[pyfunction]
#[pyo3(signature = (values, accept_data_cards = false))]
fn check_mobiles<'py>(
    values: &Bound<'py, PyAny>,
    accept_data_cards: bool,
) -> PyResult<Bound<'py, PyList>> {
    let parser = MobileParser::new().accept_data_cards(accept_data_cards);
    check_all(values, |text| parser.parse(text).map(|_| ()))
}

/// Checks every name of `values`, as `check_ids` does.
#[pyfunction]
fn check_names<'py>(values: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
    check_all(values, |text| Name::parse(text).map(|_| ()))
}

/// The strings of a column, in one UTF-8 buffer.
enum Texts<'a> {
    /// `count` strings separated by `\n` (none of them holds one).
    Joined { text: &'a str, count: usize },
    /// Each string's byte range (an empty range for a missing value).
    Spans {
        text: &'a str,
        spans: Vec<Range<usize>>,
    },
}

fn check_all<'py, E, F>(values: &Bound<'py, PyAny>, check: F) -> PyResult<Bound<'py, PyList>>
where
    E: Display + Send,
    F: Fn(&str) -> Result<(), E> + Sync,
{
    let py = values.py();
    let list = as_list(values)?;
    let count = list.len();
    let invalid: Vec<(usize, E)> = if let Some(bytes) = joined(&list)? {
        let text = utf8(&bytes)?;
        py.detach(|| run(&Texts::Joined { text, count }, &check))
    } else {
        let (buffer, spans) = item_by_item(&list)?;
        let texts = Texts::Spans {
            text: &buffer,
            spans,
        };
        py.detach(|| run(&texts, &check))
    };
    let none = PyList::new(py, [py.None()])?;
    let answer = none.as_sequence().repeat(count)?.cast_into::<PyList>()?;
    let mut reasons: HashMap<String, Bound<'py, PyString>> = HashMap::new();
    let mut message = String::new();
    for (index, error) in invalid {
        message.clear();
        std::fmt::Write::write_fmt(&mut message, format_args!("{error}"))
            .map_err(|_| PyValueError::new_err("formatting a reason failed"))?;
        let reason = if let Some(reason) = reasons.get(message.as_str()) {
            reason.clone()
        } else {
            let reason = PyString::new(py, &message);
            reasons.insert(message.clone(), reason.clone());
            reason
        };
        answer.set_item(index, reason)?;
    }
    Ok(answer)
}

/// The values as a list: a list as it is; a pandas or polars Series (or a `NumPy` array)
/// through its own bulk `to_list()`/`tolist()`; any other iterable through `list()`.
fn as_list<'py>(values: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
    let py = values.py();
    if values.is_instance_of::<PyString>() || values.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(
            "expected an iterable of str (a column), got a single str or bytes: wrap it in a list",
        ));
    }
    if let Ok(list) = values.cast::<PyList>() {
        return Ok(list.clone());
    }
    let converted = if values.hasattr("to_list")? {
        values.call_method0("to_list")?
    } else if values.hasattr("tolist")? {
        values.call_method0("tolist")?
    } else {
        values.clone()
    };
    match converted.cast_into::<PyList>() {
        Ok(list) => Ok(list),
        Err(other) => Ok(py
            .get_type::<PyList>()
            .call1((other.into_inner(),))?
            .cast_into::<PyList>()?),
    }
}

/// `"\n".join(list).encode("utf-8", "replace")`, when every item is a `str` and none holds a
/// line break; None otherwise.
fn joined<'py>(list: &Bound<'py, PyList>) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let py = list.py();
    let joined = match PyString::new(py, "\n").call_method1("join", (list,)) {
        Ok(joined) => joined,
        // A value that is not a str (None, NaN, a number): item by item says which.
        Err(e) if e.is_instance_of::<PyTypeError>(py) => return Ok(None),
        Err(e) => return Err(e),
    };
    let breaks: usize = joined.call_method1("count", ("\n",))?.extract()?;
    if breaks + 1 != list.len().max(1) {
        return Ok(None);
    }
    // A lone surrogate cannot be UTF-8: it becomes `?`, which no rule accepts.
    Ok(Some(
        joined
            .call_method1("encode", ("utf-8", "replace"))?
            .cast_into::<PyBytes>()?,
    ))
}

fn utf8<'a>(bytes: &'a Bound<'_, PyBytes>) -> PyResult<&'a str> {
    std::str::from_utf8(bytes.as_bytes())
        .map_err(|_| PyValueError::new_err("the encoder returned invalid UTF-8"))
}

/// Each item's text in one buffer: a `str` as it is, None and NaN (pandas' missing values)
/// as empty; anything else is a `TypeError` naming its position and type, not its value.
fn item_by_item(list: &Bound<'_, PyList>) -> PyResult<(String, Vec<Range<usize>>)> {
    let mut buffer = String::new();
    let mut spans = Vec::with_capacity(list.len());
    for (index, item) in list.iter().enumerate() {
        let start = buffer.len();
        if let Ok(text) = item.cast::<PyString>() {
            buffer.push_str(&text.to_string_lossy());
        } else if !is_missing(&item)? {
            return Err(PyTypeError::new_err(format!(
                "item {index}: expected str (or None for a missing value), got {}; read the column as text (e.g. dtype=str)",
                type_name(&item)
            )));
        }
        spans.push(start..buffer.len());
    }
    Ok((buffer, spans))
}

/// None, a float NaN, or pandas' `NA`.
fn is_missing(item: &Bound<'_, PyAny>) -> PyResult<bool> {
    if item.is_none() {
        return Ok(true);
    }
    if let Ok(number) = item.cast::<PyFloat>() {
        return Ok(number.value().is_nan());
    }
    let ty = item.get_type();
    Ok(ty.name()?.to_cow()? == "NAType" && ty.module()?.to_cow()?.starts_with("pandas"))
}

/// The invalid items' indexes and errors, in order.
fn run<E, F>(texts: &Texts<'_>, check: &F) -> Vec<(usize, E)>
where
    E: Send,
    F: Fn(&str) -> Result<(), E> + Sync,
{
    let count = match texts {
        Texts::Joined { count, .. } => *count,
        Texts::Spans { spans, .. } => spans.len(),
    };
    let threads = if count >= PARALLEL_FROM {
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    } else {
        1
    };
    match texts {
        Texts::Joined { text, count } => {
            if *count == 0 {
                return Vec::new();
            }
            let chunks = split_lines(text, threads);
            let parts: Vec<(usize, Vec<(usize, E)>)> = if chunks.len() == 1 {
                vec![lines(text, check)]
            } else {
                std::thread::scope(|scope| {
                    let handles: Vec<_> = chunks
                        .iter()
                        .map(|chunk| scope.spawn(move || lines(chunk, check)))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                        .collect()
                })
            };
            let mut offset = 0;
            let mut invalid = Vec::new();
            for (lines, errors) in parts {
                invalid.extend(errors.into_iter().map(|(i, e)| (offset + i, e)));
                offset += lines;
            }
            invalid
        }
        Texts::Spans { text, spans } => {
            let per_thread = spans.len().div_ceil(threads).max(1);
            std::thread::scope(|scope| {
                let handles: Vec<_> = spans
                    .chunks(per_thread)
                    .enumerate()
                    .map(|(n, chunk)| {
                        scope.spawn(move || {
                            let mut invalid = Vec::new();
                            for (i, span) in chunk.iter().enumerate() {
                                if let Err(e) = check(&text[span.clone()]) {
                                    invalid.push((n * per_thread + i, e));
                                }
                            }
                            invalid
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        }
    }
}

/// Each line of `text` checked: how many lines, and the invalid ones (index within `text`).
fn lines<E, F>(text: &str, check: &F) -> (usize, Vec<(usize, E)>)
where
    F: Fn(&str) -> Result<(), E>,
{
    let mut invalid = Vec::new();
    let mut count = 0;
    for (i, line) in text.split('\n').enumerate() {
        if let Err(e) = check(line) {
            invalid.push((i, e));
        }
        count = i + 1;
    }
    (count, invalid)
}

/// `text` cut into about `parts` pieces at line breaks (the breaks themselves dropped).
fn split_lines(text: &str, parts: usize) -> Vec<&str> {
    let mut chunks = Vec::with_capacity(parts);
    let mut rest = text;
    for remaining in (2..=parts).rev() {
        let target = rest.len() / remaining;
        match rest.as_bytes()[target..].iter().position(|&b| b == b'\n') {
            Some(at) => {
                let cut = target + at;
                chunks.push(&rest[..cut]);
                rest = &rest[cut + 1..];
            }
            None => break,
        }
    }
    chunks.push(rest);
    chunks
}

#[cfg(test)]
mod tests {
    use super::split_lines;

    #[test]
    fn splitting_keeps_every_line_once() {
        for text in ["", "a", "a\nb", "aa\nb\nccc\n\nd", "\n\n\n", "x\n"] {
            for parts in 1..6 {
                let chunks = split_lines(text, parts);
                assert!(chunks.len() <= parts.max(1));
                assert_eq!(chunks.join("\n"), text, "{text:?} in {parts}");
            }
        }
    }
}
