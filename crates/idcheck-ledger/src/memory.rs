//! The in-memory store: for tests and short-lived programs. Exclusion within one process.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use crate::LedgerError;
use crate::record::{
    CallEnd, CallRecord, CallState, NewClaim, OpenCall, Stats, billing_str, parse_billing,
};
use crate::store::{AnswerRow, Claimed, Finished, Reserved, Since, Step, Store};

#[derive(Debug, Default)]
pub(crate) struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    key_check: Option<String>,
    next_id: i64,
    calls: BTreeMap<i64, Row>,
    /// Budgets ((`budget`, client, day) → used) and rate slots ((`slots`, name, 0) → the next
    /// free slot, µs).
    counters: HashMap<(String, String, i64), i64>,
    /// The calls of each (entry, target), oldest first: claims look only at their own.
    by_pair: HashMap<(String, String), Vec<i64>>,
}

impl State {
    fn remove(&mut self, id: i64) {
        if let Some(row) = self.calls.remove(&id) {
            let key = (row.claim.entry, row.claim.target);
            if let Some(ids) = self.by_pair.get_mut(&key) {
                ids.retain(|i| *i != id);
                if ids.is_empty() {
                    self.by_pair.remove(&key);
                }
            }
        }
    }

    fn pair(&self, entry: &str, target: &str) -> impl DoubleEndedIterator<Item = &Row> {
        self.by_pair
            .get(&(entry.to_owned(), target.to_owned()))
            .into_iter()
            .flatten()
            .filter_map(|id| self.calls.get(id))
    }
}

#[derive(Debug, Clone)]
struct Row {
    id: i64,
    claim: NewClaim,
    claimed_at_ms: i64,
    state: CallState,
    lease_until_ms: i64,
    ended_at_ms: Option<i64>,
    end: Option<CallEnd>,
}

impl Row {
    fn record(&self) -> CallRecord {
        CallRecord {
            id: crate::CallId(self.id),
            entry: self.claim.entry.clone(),
            vendor: self.claim.vendor.clone(),
            base_url: self.claim.base_url.clone(),
            state: self.state,
            claimed_at_ms: self.claimed_at_ms,
            ended_at_ms: self.ended_at_ms,
            billing: self
                .end
                .as_ref()
                .and_then(|e| parse_billing(Some(billing_str(e.billing)))),
            cost_milli_yuan: self.end.as_ref().and_then(|e| e.cost_milli_yuan),
            outcome: self.end.as_ref().map(|e| e.outcome.clone()),
            gateway_request_id: self.end.as_ref().and_then(|e| e.gateway_request_id.clone()),
            vendor_request_id: self.end.as_ref().and_then(|e| e.vendor_request_id.clone()),
            client: self.claim.client.clone(),
        }
    }

    fn answered_since(&self, start_ms: i64) -> Option<AnswerRow> {
        if self.state != CallState::Answered {
            return None;
        }
        let ended = self.ended_at_ms.filter(|t| *t >= start_ms)?;
        let answer = self.end.as_ref()?.answer.clone()?;
        Some((self.id, ended, answer))
    }
}

impl MemoryStore {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

const fn is_open(state: CallState) -> bool {
    matches!(state, CallState::Claimed | CallState::Unresolved)
}

fn now() -> i64 {
    crate::clock::machine_now_ms()
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn init(&self, key_check: &str) -> Result<(), LedgerError> {
        self.with(|s| match &s.key_check {
            Some(stored) if stored != key_check => Err(LedgerError::WrongKey {
                location: "memory".to_owned(),
            }),
            Some(_) => Ok(()),
            None => {
                s.key_check = Some(key_check.to_owned());
                Ok(())
            }
        })
    }

    async fn now_ms(&self) -> Result<i64, LedgerError> {
        Ok(now())
    }

    async fn claim(&self, claim: &NewClaim, since: Since) -> Result<Step, LedgerError> {
        let now = now();
        let start = since.start_at(now);
        Ok(self.with(|s| {
            let newest = s
                .pair(&claim.entry, &claim.target)
                .filter_map(|r| r.answered_since(start))
                .max_by_key(|(id, ended, _)| (*ended, *id));
            if let Some(answer) = newest {
                return Step::Answered(answer);
            }
            if s.pair(&claim.entry, &claim.target)
                .any(|r| is_open(r.state))
            {
                return Step::Blocked;
            }
            s.next_id += 1;
            let id = s.next_id;
            let lease_until_ms = now.saturating_add(claim.lease_ms);
            s.calls.insert(
                id,
                Row {
                    id,
                    claim: claim.clone(),
                    claimed_at_ms: now,
                    state: CallState::Claimed,
                    lease_until_ms,
                    ended_at_ms: None,
                    end: None,
                },
            );
            s.by_pair
                .entry((claim.entry.clone(), claim.target.clone()))
                .or_default()
                .push(id);
            Step::Claimed(Claimed { id, now_ms: now })
        }))
    }

    async fn open_call(&self, entry: &str, target: &str) -> Result<Option<OpenCall>, LedgerError> {
        let now = now();
        Ok(self.with(|s| {
            s.pair(entry, target)
                .find(|r| is_open(r.state))
                .map(|r| OpenCall {
                    id: r.id,
                    state: r.state,
                    holder: r.claim.holder.clone(),
                    lease_until_ms: r.lease_until_ms,
                    settle_at_ms: r.lease_until_ms.saturating_add(r.claim.max_call_ms),
                    ended: r.ended_at_ms.is_some(),
                    now_ms: now,
                })
        }))
    }

    async fn own_claim(
        &self,
        entry: &str,
        target: &str,
        holder: &str,
    ) -> Result<Option<i64>, LedgerError> {
        Ok(self.with(|s| {
            s.pair(entry, target)
                .find(|r| r.state == CallState::Claimed && r.claim.holder == holder)
                .map(|r| r.id)
        }))
    }

    async fn delete_claim(&self, id: i64, holder: &str) -> Result<(), LedgerError> {
        self.with(|s| {
            let ours = s
                .calls
                .get(&id)
                .is_some_and(|r| r.state == CallState::Claimed && r.claim.holder == holder);
            if ours {
                s.remove(id);
            }
        });
        Ok(())
    }

    async fn expire(&self, id: i64) -> Result<bool, LedgerError> {
        let now = now();
        Ok(self.with(|s| {
            s.calls
                .get_mut(&id)
                .filter(|r| r.state == CallState::Claimed && r.lease_until_ms < now)
                .map(|r| r.state = CallState::Unresolved)
                .is_some()
        }))
    }

    async fn expire_stale(&self) -> Result<u64, LedgerError> {
        let now = now();
        Ok(self.with(|s| {
            let mut expired = 0;
            for row in s.calls.values_mut() {
                if row.state == CallState::Claimed && row.lease_until_ms < now {
                    row.state = CallState::Unresolved;
                    expired += 1;
                }
            }
            expired
        }))
    }

    async fn mark_resent(&self, id: i64) -> Result<bool, LedgerError> {
        let now = now();
        Ok(self.with(|s| {
            s.calls
                .get_mut(&id)
                .filter(|r| {
                    is_open(r.state)
                        && (r.ended_at_ms.is_some()
                            || r.lease_until_ms.saturating_add(r.claim.max_call_ms) < now)
                })
                .map(|r| {
                    r.state = CallState::Resent;
                    r.ended_at_ms = Some(now);
                })
                .is_some()
        }))
    }

    async fn finish(&self, id: i64, holder: &str, end: &CallEnd) -> Result<Finished, LedgerError> {
        let now = now();
        Ok(self.with(|s| {
            let Some(row) = s.calls.get_mut(&id).filter(|r| r.claim.holder == holder) else {
                return Finished::Lost;
            };
            let recorded_answer = row.state == CallState::Answered
                && row.end.as_ref().is_some_and(|e| {
                    e.answer.is_some() && !e.outcome.starts_with("resolved by hand")
                });
            let billed_by_hand = row.state == CallState::Answered
                && row
                    .end
                    .as_ref()
                    .is_some_and(|e| e.billing == provider_trait::Billing::Billed)
                && end.state != CallState::Answered;
            if recorded_answer || billed_by_hand {
                return if row.state == CallState::Claimed {
                    Finished::Lost
                } else {
                    Finished::AlreadyWritten
                };
            }
            if is_open(row.state)
                || end.state == CallState::Answered
                || (end.state == CallState::Released && row.state == CallState::Resent)
            {
                row.state = end.state;
            }
            row.ended_at_ms = Some(now);
            row.end = Some(end.clone());
            Finished::Written
        }))
    }

    async fn renew(&self, id: i64, holder: &str, lease_ms: i64) -> Result<bool, LedgerError> {
        let now = now();
        Ok(self.with(|s| {
            s.calls
                .get_mut(&id)
                .filter(|r| {
                    r.claim.holder == holder
                        && r.state == CallState::Claimed
                        && r.lease_until_ms >= now
                })
                .map(|r| r.lease_until_ms = now.saturating_add(lease_ms))
                .is_some()
        }))
    }

    async fn calls_in(&self, state: CallState) -> Result<Vec<CallRecord>, LedgerError> {
        Ok(self.with(|s| {
            s.calls
                .values()
                .filter(|r| r.state == state)
                .map(Row::record)
                .collect()
        }))
    }

    async fn calls_since(&self, since_ms: i64) -> Result<Vec<CallRecord>, LedgerError> {
        Ok(self.with(|s| {
            s.calls
                .values()
                .filter(|r| r.claimed_at_ms >= since_ms)
                .map(Row::record)
                .collect()
        }))
    }

    async fn resolve(&self, id: i64, end: &CallEnd) -> Result<bool, LedgerError> {
        let now = now();
        Ok(self.with(|s| {
            s.calls
                .get_mut(&id)
                .filter(|r| r.state == CallState::Unresolved)
                .map(|r| {
                    r.state = end.state;
                    r.ended_at_ms = Some(now);
                    r.end = Some(end.clone());
                })
                .is_some()
        }))
    }

    async fn give_back(&self, id: i64) -> Result<bool, LedgerError> {
        Ok(self.with(|s| {
            let Some(reservation) = s
                .calls
                .get_mut(&id)
                .and_then(|r| r.claim.reservation.take())
            else {
                return false;
            };
            if let Some(used) = s.counters.get_mut(&(
                "budget".to_owned(),
                reservation.client.clone(),
                reservation.day,
            )) {
                *used = (*used - reservation.amount).max(0);
            }
            true
        }))
    }

    async fn latest_answer(
        &self,
        entry: &str,
        target: &str,
        since: Since,
    ) -> Result<Option<AnswerRow>, LedgerError> {
        let start = since.start_at(now());
        Ok(self.with(|s| {
            s.pair(entry, target)
                .filter_map(|r| r.answered_since(start))
                .max_by_key(|(id, ended, _)| (*ended, *id))
        }))
    }

    async fn purge(&self, age_ms: i64) -> Result<u64, LedgerError> {
        let before_ms = now().saturating_sub(age_ms);
        Ok(self.with(|s| {
            let old: Vec<i64> = s
                .calls
                .values()
                .filter(|r| !is_open(r.state) && r.ended_at_ms.is_some_and(|t| t < before_ms))
                .map(|r| r.id)
                .collect();
            for id in &old {
                s.remove(*id);
            }
            old.len() as u64
        }))
    }

    async fn reserve_budget(
        &self,
        client: &str,
        day_offset_ms: i64,
        amount: i64,
        limit: i64,
    ) -> Result<Reserved, LedgerError> {
        let now = now();
        let day = crate::day_of(now, day_offset_ms);
        Ok(self.with(|s| {
            let used = s
                .counters
                .entry(("budget".to_owned(), client.to_owned(), day))
                .or_insert(0);
            if used.saturating_add(amount) <= limit {
                *used += amount;
                Reserved::On(day)
            } else {
                Reserved::Refused {
                    resets_at_ms: crate::next_day_start(now, day_offset_ms),
                }
            }
        }))
    }

    async fn refund_budget(&self, client: &str, day: i64, amount: i64) -> Result<(), LedgerError> {
        self.with(|s| {
            if let Some(used) = s
                .counters
                .get_mut(&("budget".to_owned(), client.to_owned(), day))
            {
                *used = (*used - amount).max(0);
            }
        });
        Ok(())
    }

    async fn budget_used(&self, client: &str, day: i64) -> Result<i64, LedgerError> {
        Ok(self.with(|s| {
            s.counters
                .get(&("budget".to_owned(), client.to_owned(), day))
                .copied()
                .unwrap_or(0)
        }))
    }

    async fn take_slot(
        &self,
        name: &str,
        interval_us: i64,
        max_wait_ms: i64,
    ) -> Result<Option<i64>, LedgerError> {
        let now_us = now().saturating_mul(1000);
        Ok(self.with(|s| {
            let next = s
                .counters
                .entry(("slots".to_owned(), name.to_owned(), 0))
                .or_insert(now_us);
            let slot = (*next).max(now_us);
            if slot > now_us.saturating_add(max_wait_ms.saturating_mul(1000)) {
                return None;
            }
            *next = slot.saturating_add(interval_us);
            Some((slot - now_us) / 1000)
        }))
    }

    async fn stats(&self) -> Result<Stats, LedgerError> {
        Ok(self.with(|s| {
            let mut stats = Stats::default();
            let mut entries = std::collections::HashSet::new();
            for r in s.calls.values() {
                entries.insert(r.claim.entry.as_str());
                match r.state {
                    CallState::Claimed => stats.claimed += 1,
                    CallState::Answered => stats.answered += 1,
                    CallState::Released => stats.released += 1,
                    CallState::Unresolved => stats.unresolved += 1,
                    CallState::Resent => stats.resent += 1,
                }
                if let Some(end) = &r.end {
                    if end.billing == provider_trait::Billing::Billed {
                        stats.billed += 1;
                        stats.cost_milli_yuan += end.cost_milli_yuan.unwrap_or(0);
                    }
                }
            }
            stats.entries = entries.len() as u64;
            stats
        }))
    }

    async fn ping(&self) -> Result<(), LedgerError> {
        Ok(())
    }
}
