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
    E: Display + Copy + PartialEq + Send,
    F: Fn(&str) -> Result<(), E> + Sync,
{
    let py = values.py();
    let list = as_list(values)?;
    let count = list.len();
    let joined = joined(&list)?;
    let checked: Option<Vec<Checked>> = if let Some(bytes) = &joined {
        let text = utf8(bytes)?;
        py.detach(|| {
            // Only when no value held a line break are the lines the values.
            (text.bytes().filter(|&b| b == b'\n').count() + 1 == count.max(1))
                .then(|| run(&Texts::Joined { text, count }, &check))
        })
    } else {
        None
    };
    let checked = if let Some(checked) = checked {
        checked
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
    // One string object per distinct reason, whichever thread found it.
    let mut reasons: HashMap<&str, Bound<'py, PyString>> = HashMap::new();
    for part in &checked {
        let shared: Vec<Bound<'py, PyString>> = part
            .reasons
            .iter()
            .map(|text| {
                reasons
                    .entry(text.as_str())
                    .or_insert_with(|| PyString::new(py, text))
                    .clone()
            })
            .collect();
        for &(index, reason) in &part.invalid {
            answer.set_item(part.first + index, &shared[reason as usize])?;
        }
    }
    Ok(answer)
}

/// What one thread found: the invalid items (index from `first`, reason) and the texts of
/// its reasons, each once.
struct Checked {
    first: usize,
    invalid: Vec<(usize, u32)>,
    reasons: Vec<String>,
}

/// How many recent distinct errors a thread compares a new one with before formatting it.
const RECENT: usize = 64;

/// Collects a thread's invalid items. An error equal to a recent one reuses its reason
/// without formatting it again (a column's errors repeat: a few check characters, lengths).
struct Collector<E> {
    invalid: Vec<(usize, u32)>,
    reasons: Vec<String>,
    by_text: HashMap<String, u32>,
    recent: Vec<(E, u32)>,
    next_slot: usize,
}

impl<E: Display + Copy + PartialEq> Collector<E> {
    fn new() -> Self {
        Self {
            invalid: Vec::new(),
            reasons: Vec::new(),
            by_text: HashMap::new(),
            recent: Vec::with_capacity(RECENT),
            next_slot: 0,
        }
    }

    fn push(&mut self, index: usize, error: E) {
        let reason = if let Some(&(_, reason)) = self.recent.iter().find(|(e, _)| *e == error) {
            reason
        } else {
            let text = error.to_string();
            let reason = if let Some(&reason) = self.by_text.get(&text) {
                reason
            } else {
                let reason = u32::try_from(self.reasons.len()).unwrap_or(u32::MAX);
                self.reasons.push(text.clone());
                self.by_text.insert(text, reason);
                reason
            };
            if self.recent.len() < RECENT {
                self.recent.push((error, reason));
            } else {
                self.recent[self.next_slot] = (error, reason);
                self.next_slot = (self.next_slot + 1) % RECENT;
            }
            reason
        };
        self.invalid.push((index, reason));
    }

    fn finish(self, first: usize) -> Checked {
        Checked {
            first,
            invalid: self.invalid,
            reasons: self.reasons,
        }
    }
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

/// `"\n".join(list).encode("utf-8", "replace")` when every item is a `str`; None otherwise.
/// (Whether a value held a line break is counted in Rust, with the GIL released.)
fn joined<'py>(list: &Bound<'py, PyList>) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let py = list.py();
    let joined = match PyString::new(py, "\n").call_method1("join", (list,)) {
        Ok(joined) => joined,
        // A value that is not a str (None, NaN, a number): item by item says which.
        Err(e) if e.is_instance_of::<PyTypeError>(py) => return Ok(None),
        Err(e) => return Err(e),
    };
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

/// Every item checked, on every core for a large column: one [`Checked`] per piece, in order.
fn run<E, F>(texts: &Texts<'_>, check: &F) -> Vec<Checked>
where
    E: Display + Copy + PartialEq + Send,
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
    // Several pieces a thread, taken in turn: a thread on a busy core takes fewer.
    let pieces = if threads == 1 { 1 } else { threads * 64 };
    match texts {
        Texts::Joined { text, count } => {
            if *count == 0 {
                return Vec::new();
            }
            let chunks = split_lines(text, pieces);
            let parts = in_parallel(chunks.len(), threads, |n| lines(chunks[n], check));
            let mut first = 0;
            parts
                .into_iter()
                .map(|(lines, collector)| {
                    let checked = collector.finish(first);
                    first += lines;
                    checked
                })
                .collect()
        }
        Texts::Spans { text, spans } => {
            let per_piece = spans.len().div_ceil(pieces).max(1);
            let chunks: Vec<&[Range<usize>]> = spans.chunks(per_piece).collect();
            in_parallel(chunks.len(), threads, |n| {
                let mut collector = Collector::new();
                for (i, span) in chunks[n].iter().enumerate() {
                    if let Err(e) = check(&text[span.clone()]) {
                        collector.push(i, e);
                    }
                }
                collector.finish(n * per_piece)
            })
        }
    }
}

/// `work(0..pieces)` on `threads` threads (this one among them), each taking the next piece
/// when done with one; the results in piece order.
fn in_parallel<T: Send>(pieces: usize, threads: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    if threads <= 1 || pieces <= 1 {
        return (0..pieces).map(work).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let worker = || {
        let mut done = Vec::new();
        loop {
            let piece = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if piece >= pieces {
                return done;
            }
            done.push((piece, work(piece)));
        }
    };
    let mut all: Vec<(usize, T)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(worker)).collect();
        let mut all = worker();
        for helper in helpers {
            all.extend(
                helper
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
        }
        all
    });
    all.sort_unstable_by_key(|(piece, _)| *piece);
    all.into_iter().map(|(_, result)| result).collect()
}

/// Each line of `text` checked: how many lines, and what was invalid (index within `text`).
fn lines<E, F>(text: &str, check: &F) -> (usize, Collector<E>)
where
    E: Display + Copy + PartialEq,
    F: Fn(&str) -> Result<(), E>,
{
    let mut collector = Collector::new();
    let mut count = 0;
    for (i, line) in text.split('\n').enumerate() {
        if let Err(e) = check(line) {
            collector.push(i, e);
        }
        count = i + 1;
    }
    (count, collector)
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
    use super::{Collector, RECENT, in_parallel, split_lines};

    #[test]
    fn equal_errors_share_one_reason_and_every_item_keeps_its_place() {
        let mut collector = Collector::new();
        // More distinct errors than the recent list holds, each seen twice, far apart.
        let distinct = u32::try_from(RECENT * 2).unwrap();
        let errors: Vec<u32> = (0..distinct).chain(0..distinct).collect();
        for (index, error) in errors.iter().enumerate() {
            collector.push(index, *error);
        }
        let checked = collector.finish(7);
        assert_eq!(checked.first, 7);
        assert_eq!(checked.reasons.len(), RECENT * 2);
        for (at, &(index, reason)) in checked.invalid.iter().enumerate() {
            assert_eq!(index, at);
            assert_eq!(checked.reasons[reason as usize], errors[at].to_string());
        }
    }

    #[test]
    fn pieces_come_back_in_order() {
        for threads in [1, 2, 3] {
            for pieces in [0, 1, 2, 17, 128] {
                let done = in_parallel(pieces, threads, |n| n * 10);
                assert_eq!(done, (0..pieces).map(|n| n * 10).collect::<Vec<_>>());
            }
        }
    }

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
