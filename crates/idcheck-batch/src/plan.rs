//! Phase 1 of a paid run: the distinct requests to send, and what each row needs to say once
//! they are answered (a distinct index, or a rejection), held compactly.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::{Mutex, PoisonError};

use idcheck_core::{FaceImageParser, IdNumber, Mobile, Name, PhotoPayload};
use provider_trait::Request;

use crate::Answer;
use crate::input::run_key;
use crate::output::{Format, Line, LineWriter, Shown};
use crate::run::DistinctRequests;
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
    distinct: PlannedRequests,
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
    /// A row could not be read ([`Rows::next_row`]); a face check's photos could not be
    /// written to the spill file ([`PlannedRequests`]); a part of the ID column below the rows
    /// looked at first was rounded by a spreadsheet. Nothing was sent.
    pub fn build<R: Read>(
        rows: &mut Rows<R>,
        salt: &[u8; 32],
        unmasked: bool,
    ) -> Result<Self, String> {
        let mut plan = Self {
            distinct: PlannedRequests {
                held: Vec::new(),
                spill: None,
            },
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
                        plan.distinct.push(request, key).map_err(|e| {
                            format!(
                                "cannot keep the photos for phase 2 in a temporary file ({e}): nothing was sent"
                            )
                        })?;
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
    pub fn distinct(&self) -> &PlannedRequests {
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
                    let (held, key) = &self.distinct.held[index as usize];
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
                        held.shown(shown_mobile),
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

/// A plan's distinct requests, each with its key within the run ([`DistinctRequests`]). A face
/// check's photos (up to 102,400 characters each: 10,000 people would hold a gigabyte) wait
/// in a spill file until they are sent, not in the process's memory: an unnamed temporary
/// file in the temporary directory (`$TMPDIR`; where that is a tmpfs, the file is in memory
/// all the same), readable by its owner only, removed by the system when the process ends,
/// however it ends.
pub struct PlannedRequests {
    held: Vec<(Held, String)>,
    spill: Option<Spill>,
}

impl std::fmt::Debug for PlannedRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlannedRequests")
            .field("len", &self.held.len())
            .field("spilled", &self.spill.as_ref().map(|s| s.end))
            .finish_non_exhaustive()
    }
}

enum Held {
    Request(Request),
    /// A face request whose base64 photo is in the spill file: `len` bytes at `at`.
    Face {
        id: IdNumber,
        name: Name,
        at: u64,
        len: usize,
    },
}

impl Held {
    fn shown<'a>(&'a self, shown_mobile: Option<&'a Mobile>) -> Shown<'a> {
        match self {
            Self::Request(request) => Shown::masked(request, shown_mobile),
            Self::Face { id, name, .. } => Shown::Masked {
                id,
                name,
                mobile: shown_mobile,
            },
        }
    }
}

/// The spill file, appended to while the plan is built, read while it is sent.
struct Spill {
    file: Mutex<std::fs::File>,
    end: u64,
}

impl PlannedRequests {
    /// How many there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    fn push(&mut self, request: Request, key: String) -> std::io::Result<()> {
        if let Request::Face(face) = &request {
            if let PhotoPayload::Base64(text) = face.photo.payload() {
                let spill = match &mut self.spill {
                    Some(spill) => spill,
                    None => self.spill.insert(Spill {
                        file: Mutex::new(tempfile::tempfile()?),
                        end: 0,
                    }),
                };
                let at = spill.end;
                spill
                    .file
                    .get_mut()
                    .unwrap_or_else(PoisonError::into_inner)
                    .write_all(text.as_bytes())?;
                spill.end += text.len() as u64;
                let held = Held::Face {
                    id: face.id,
                    name: face.name.clone(),
                    at,
                    len: text.len(),
                };
                self.held.push((held, key));
                return Ok(());
            }
        }
        self.held.push((Held::Request(request), key));
        Ok(())
    }
}

impl DistinctRequests for PlannedRequests {
    fn len(&self) -> usize {
        self.held.len()
    }

    fn key(&self, index: usize) -> &str {
        &self.held[index].1
    }

    fn request(&self, index: usize) -> Result<Request, String> {
        let (id, name, at, len) = match &self.held[index].0 {
            Held::Request(request) => return Ok(request.clone()),
            Held::Face { id, name, at, len } => (*id, name, *at, *len),
        };
        let mut text = vec![0; len];
        let read = self.spill.as_ref().map_or_else(
            || Err(std::io::Error::other("no spill file")),
            |spill| {
                let mut file = spill.file.lock().unwrap_or_else(PoisonError::into_inner);
                file.seek(SeekFrom::Start(at))?;
                file.read_exact(&mut text)
            },
        );
        read.map_err(|e| {
            format!("the photo could not be read back from its temporary file ({e})")
        })?;
        // Read as phase 1 gave it: within its limit already, canonical base64.
        let photo = std::str::from_utf8(&text)
            .ok()
            .and_then(|text| {
                FaceImageParser::new()
                    .max_base64_len(usize::MAX)
                    .from_base64(text)
                    .ok()
            })
            .ok_or_else(|| "the photo read back from its temporary file is damaged".to_owned())?;
        Ok(Request::face(id, name.clone(), photo))
    }
}

/// An index that [`Rows`] keeps within 32 bits (it refuses a file of more rows).
fn index(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}
