//! Phase 1 of a paid run: the distinct requests to send, and what each row needs to say once
//! they are answered (a distinct index, or a rejection), held compactly.

use std::collections::HashMap;
use std::io::{Read, Write};

use idcheck_core::Mobile;
use provider_trait::Request;

use crate::Answer;
use crate::input::run_key;
use crate::output::{Format, Line, LineWriter, Shown};
use crate::scan::{Counts, Rows, Status};

/// A row, as the output needs it after phase 2.
#[derive(Clone, Copy)]
enum Planned {
    /// A valid row: the index of its distinct request.
    Valid(u32),
    /// A rejected row: the index of its rejection.
    Rejected(u32),
}

/// A rejected row: why (an index into the reasons), and the length of each cell in
/// characters.
struct Rejection {
    reason: u32,
    lengths: [u32; 3],
}

/// Phase 1 of a paid run, read from [`Rows`]: each distinct valid request once (with its key
/// within the run, a salted hash), and per row only what the output needs (8 bytes for a
/// valid row; the cells as given are kept only for an unmasked output).
pub struct Plan {
    distinct: Vec<(Request, String)>,
    first_rows: Vec<u64>,
    rows: Vec<Planned>,
    rejections: Vec<Rejection>,
    /// Each distinct reason once: rows share them.
    reasons: Vec<Box<str>>,
    /// The cells as given (id, name, mobile), for `--unmasked`.
    as_given: Option<Vec<[Box<str>; 3]>>,
    /// Each row's mobile, when the check does not send it but the file has one (made at the
    /// first such row).
    shown_mobiles: Option<Vec<Option<Mobile>>>,
    counts: Counts,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl Plan {
    /// Reads every row of `rows`. `salt` keys the distinct requests within the run (the keys
    /// mean nothing outside it); `unmasked` keeps each row's cells as given, for
    /// [`Plan::write`] to show.
    ///
    /// # Errors
    ///
    /// A row could not be read ([`Rows::next_row`]).
    pub fn build<R: Read>(
        rows: &mut Rows<R>,
        salt: &[u8; 32],
        unmasked: bool,
    ) -> Result<Self, String> {
        let mut plan = Self {
            distinct: Vec::new(),
            first_rows: Vec::new(),
            rows: Vec::new(),
            rejections: Vec::new(),
            reasons: Vec::new(),
            as_given: unmasked.then(Vec::new),
            shown_mobiles: None,
            counts: Counts::default(),
        };
        let mut reason_index: HashMap<Box<str>, u32> = HashMap::new();
        while let Some(row) = rows.next_row()? {
            let cells = row.cells;
            let planned = match row.status {
                Status::Rejected(reason) => {
                    let lengths = [cells.id, cells.name, cells.mobile]
                        .map(|cell| index(cell.chars().count()));
                    let reason = if let Some(&at) = reason_index.get(reason) {
                        at
                    } else {
                        plan.reasons.push(reason.into());
                        let at = index(plan.reasons.len() - 1);
                        reason_index.insert(reason.into(), at);
                        at
                    };
                    plan.rejections.push(Rejection { reason, lengths });
                    Planned::Rejected(index(plan.rejections.len() - 1))
                }
                Status::Valid {
                    parts, distinct, ..
                } => {
                    if parts.mobile.is_none() && !unmasked {
                        if let Some(mobile) = crate::output::shown_mobile_of(cells.mobile) {
                            let shown = plan
                                .shown_mobiles
                                .get_or_insert_with(|| vec![None; plan.rows.len()]);
                            shown.resize(plan.rows.len(), None);
                            shown.push(Some(mobile));
                        }
                    }
                    if distinct == plan.distinct.len() {
                        let request = parts.request();
                        let key = run_key(&request, cells.photo, salt);
                        plan.distinct.push((request, key));
                        plan.first_rows.push(row.number);
                    }
                    Planned::Valid(index(distinct))
                }
            };
            plan.rows.push(planned);
            if let Some(as_given) = &mut plan.as_given {
                as_given.push([cells.id.into(), cells.name.into(), cells.mobile.into()]);
            }
        }
        if rows.id_column_rounded_further_down() {
            return Err(crate::workbook::ROUNDED_FURTHER_DOWN.to_owned());
        }
        plan.counts = rows.counts();
        Ok(plan)
    }

    /// What phase 1 found.
    #[must_use]
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Each distinct valid request once, in the order first seen, with its key within the
    /// run: what [`crate::run`] sends.
    #[must_use]
    pub fn distinct(&self) -> &[(Request, String)] {
        &self.distinct
    }

    /// Writes one line per row to `sink`: the row's outcome from `answers` (by key, as
    /// [`crate::Outcome::answers`] holds them), inputs masked unless the plan was built
    /// unmasked.
    ///
    /// # Errors
    ///
    /// The sink could not be written, with the reason.
    #[allow(clippy::implicit_hasher)] // the map `run` returns
    pub fn write(
        &self,
        format: Format,
        answers: &HashMap<String, Answer>,
        sink: &mut dyn Write,
    ) -> Result<(), String> {
        let mut out = LineWriter::new(sink, format);
        for (at, planned) in self.rows.iter().enumerate() {
            let number = at as u64 + 1;
            let (rejection, answer, same_as, shown) = match *planned {
                Planned::Rejected(index) => {
                    let rejection = &self.rejections[index as usize];
                    (
                        Some(&*self.reasons[rejection.reason as usize]),
                        None,
                        None,
                        Shown::Lengths(rejection.lengths.map(|n| n as usize)),
                    )
                }
                Planned::Valid(index) => {
                    let (request, key) = &self.distinct[index as usize];
                    let first = self.first_rows[index as usize];
                    let shown_mobile = self
                        .shown_mobiles
                        .as_ref()
                        .and_then(|shown| shown.get(at))
                        .and_then(Option::as_ref);
                    (
                        None,
                        answers.get(key),
                        (first != number).then_some(first),
                        Shown::masked(request, shown_mobile),
                    )
                }
            };
            let shown = match &self.as_given {
                Some(as_given) => {
                    let [id, name, mobile] = &as_given[at];
                    Shown::AsGiven { id, name, mobile }
                }
                None => shown,
            };
            out.write(&Line::new(number, rejection, answer, false, same_as, shown))?;
        }
        out.finish()
    }
}

/// An index that [`Rows`] keeps within 32 bits (it refuses a file of more rows).
fn index(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}
