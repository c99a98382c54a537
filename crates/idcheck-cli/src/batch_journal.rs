//! The batch journal: what was sent and what came back, appended and flushed as it happens,
//! so a re-run after a kill or Ctrl-C never pays twice. It holds salted hashes of the inputs,
//! never the inputs.
//!
//! Lines (JSON): a header `{"idcheck_journal":1,"salt":"…"}`, then `{"sent":"<key>"}` before
//! each call, and after it either `{"answer":{…}}` or, when the call ended without anything
//! billed (throttled, connect failure), `{"released":"<key>"}`. A request with `sent` and
//! neither was interrupted in flight and may have been billed: it is not sent again unless
//! asked.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One distinct request's final answer, as written to the journal and the output.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Answer {
    pub(crate) key: String,
    /// `match`, `mismatch`, `unverifiable` or `error`.
    pub(crate) status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) face: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) raw_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) vendor_request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) gateway_request_id: Option<String>,
    pub(crate) billed_calls: u32,
    pub(crate) maybe_billed_calls: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cost_milli_yuan: Option<u32>,
    pub(crate) tried: Vec<String>,
    /// The unverifiable reason, the error, notes: never personal data.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) detail: String,
}

#[derive(Serialize, Deserialize)]
struct Header {
    idcheck_journal: u32,
    salt: String,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Line {
    Sent { sent: String },
    Released { released: String },
    Answered { answer: Box<Answer> },
}

/// What an earlier run left.
pub(crate) struct Journal {
    pub(crate) salt: [u8; 32],
    pub(crate) answers: HashMap<String, Answer>,
    /// Sent, with no answer recorded: may have been billed.
    pub(crate) in_flight: HashSet<String>,
    writer: File,
}

impl Journal {
    /// Opens the journal at `path`, or starts one with a new random salt.
    pub(crate) fn open(path: &Path) -> Result<Self, String> {
        let describe = |e: io::Error| format!("journal {}: {e}", path.display());
        if !path.exists() {
            let mut salt = [0; 32];
            getrandom::fill(&mut salt).map_err(|e| format!("no randomness for a salt: {e}"))?;
            let mut writer = File::create(path).map_err(describe)?;
            let header = Header {
                idcheck_journal: 1,
                salt: hex(&salt),
            };
            let line = serde_json::to_string(&header).map_err(|e| e.to_string())?;
            writeln!(writer, "{line}").map_err(describe)?;
            writer.flush().map_err(describe)?;
            return Ok(Self {
                salt,
                answers: HashMap::new(),
                in_flight: HashSet::new(),
                writer,
            });
        }
        let reader = BufReader::new(File::open(path).map_err(describe)?);
        let mut lines = reader.lines();
        let header: Header = lines
            .next()
            .transpose()
            .map_err(describe)?
            .and_then(|l| serde_json::from_str(&l).ok())
            .ok_or_else(|| {
                format!(
                    "{} is not an idcheck journal; move it away or pass another --journal",
                    path.display()
                )
            })?;
        let salt = unhex(&header.salt).ok_or("the journal's salt is damaged")?;
        let mut answers = HashMap::new();
        let mut sent = HashSet::new();
        for line in lines {
            let line = line.map_err(describe)?;
            // A kill can cut the last line short; every complete line before it counts.
            match serde_json::from_str::<Line>(&line) {
                Ok(Line::Sent { sent: key }) => {
                    sent.insert(key);
                }
                Ok(Line::Released { released: key }) => {
                    sent.remove(&key);
                }
                Ok(Line::Answered { answer }) => {
                    answers.insert(answer.key.clone(), *answer);
                }
                Err(_) => {}
            }
        }
        let in_flight = sent
            .into_iter()
            .filter(|key| !answers.contains_key(key))
            .collect();
        let writer = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(describe)?;
        Ok(Self {
            salt,
            answers,
            in_flight,
            writer,
        })
    }

    /// Records that `key` is about to be sent, flushed before the call.
    pub(crate) fn sent(&mut self, key: &str) -> io::Result<()> {
        self.append(&Line::Sent {
            sent: key.to_owned(),
        })
    }

    /// Records that the call for `key` ended with nothing billed: it may be sent again.
    pub(crate) fn released(&mut self, key: &str) -> io::Result<()> {
        self.append(&Line::Released {
            released: key.to_owned(),
        })
    }

    /// Records an answer, flushed before anything else happens.
    pub(crate) fn answered(&mut self, answer: &Answer) -> io::Result<()> {
        self.append(&Line::Answered {
            answer: Box::new(answer.clone()),
        })
    }

    fn append(&mut self, line: &Line) -> io::Result<()> {
        let mut text = serde_json::to_string(line).map_err(io::Error::other)?;
        text.push('\n');
        // One write per line, then flush: a killed process leaves whole lines behind.
        self.writer.write_all(text.as_bytes())?;
        self.writer.flush()
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0; 32];
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn answer(key: &str) -> Answer {
        Answer {
            key: key.to_owned(),
            status: "match".to_owned(),
            provider: Some("idcardcert".to_owned()),
            face: None,
            raw_code: Some("01".to_owned()),
            vendor_request_id: None,
            gateway_request_id: None,
            billed_calls: 1,
            maybe_billed_calls: 0,
            cost_milli_yuan: None,
            tried: vec!["idcardcert".to_owned()],
            detail: String::new(),
        }
    }

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("idcheck-journal-{}-{name}", std::process::id()))
    }

    #[test]
    fn sent_answered_and_released_survive_a_reopen_with_a_cut_last_line() {
        let path = temp("reopen");
        let _ = std::fs::remove_file(&path);
        let salt = {
            let mut journal = Journal::open(&path).unwrap();
            journal.sent("a").unwrap();
            journal.answered(&answer("a")).unwrap();
            journal.sent("b").unwrap();
            journal.sent("c").unwrap();
            journal.released("c").unwrap();
            journal.salt
        };
        // A kill in the middle of a write leaves half a line.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(br#"{"answer":{"key":"b","sta"#).unwrap();
        drop(file);
        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.salt, salt);
        assert_eq!(journal.answers.len(), 1);
        assert_eq!(journal.answers["a"].raw_code.as_deref(), Some("01"));
        assert_eq!(journal.in_flight, HashSet::from(["b".to_owned()]));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_file_that_is_not_a_journal_is_refused() {
        let path = temp("foreign");
        std::fs::write(&path, "name,id\n").unwrap();
        let error = Journal::open(&path).err().unwrap();
        assert!(error.contains("is not an idcheck journal"), "{error}");
        std::fs::remove_file(&path).unwrap();
    }

    proptest! {
        #[test]
        fn any_journal_body_opens_without_panic(lines in proptest::collection::vec("\\PC{0,60}", 0..8)) {
            let path = temp(&format!("prop-{}", lines.len()));
            let header = r#"{"idcheck_journal":1,"salt":"0000000000000000000000000000000000000000000000000000000000000000"}"#;
            std::fs::write(&path, format!("{header}\n{}", lines.join("\n"))).unwrap();
            let journal = Journal::open(&path);
            prop_assert!(journal.is_ok());
            std::fs::remove_file(&path).unwrap();
        }

        #[test]
        fn hex_round_trips(salt in any::<[u8; 32]>()) {
            prop_assert_eq!(unhex(&hex(&salt)), Some(salt));
        }
    }
}
