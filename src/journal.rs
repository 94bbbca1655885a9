//! The journal of recent token requests and refusals (`GET /simulator/journal`): who asked,
//! for what, the verdict and the rule behind it. In memory and bounded: the oldest entries go
//! first; reset empties it.
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;
use utoipa::ToSchema;

/// The most entries kept.
pub const MAX_ENTRIES: usize = 1000;
/// The longest text kept in one field.
const MAX_FIELD: usize = 512;

/// One request and its verdict.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Increasing; `?since=` a seen value lists only what came after.
    pub seq: u64,
    pub at: String,
    /// `imds` (an instance's token endpoints), `entra` (the token service) or `arm`.
    #[schema(example = "imds")]
    pub surface: &'static str,
    /// The instance's resource id, the client id, or the caller's object id.
    pub caller: String,
    /// What was asked: the audience of a token, or an ARM method and path.
    pub request: String,
    /// `issued`, `refused`, `fault` (an armed fault answered) or `throttled`.
    #[schema(example = "refused")]
    pub verdict: &'static str,
    pub status: u16,
    /// The rule that decided a refusal (R11, R12, ...), if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    pub detail: String,
}

/// A new entry (the journal numbers and dates it).
pub struct Record<'a> {
    pub surface: &'static str,
    pub caller: &'a str,
    pub request: &'a str,
    pub verdict: &'static str,
    pub status: u16,
    pub rule: Option<&'static str>,
    pub detail: &'a str,
}

#[derive(Debug, Default)]
pub struct Journal {
    inner: Mutex<(u64, VecDeque<Entry>)>,
}

fn bounded(s: &str) -> String {
    if s.len() <= MAX_FIELD {
        return s.to_string();
    }
    let mut end = MAX_FIELD;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl Journal {
    pub fn record(&self, at: String, r: Record<'_>) {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (seq, entries) = &mut *guard;
        *seq += 1;
        if entries.len() == MAX_ENTRIES {
            entries.pop_front();
        }
        entries.push_back(Entry {
            seq: *seq,
            at,
            surface: r.surface,
            caller: bounded(r.caller),
            request: bounded(r.request),
            verdict: r.verdict,
            status: r.status,
            rule: r.rule,
            detail: bounded(r.detail),
        });
    }

    /// The entries after `since`, oldest first, at most `limit`, newest kept.
    pub fn list(&self, since: u64, limit: usize) -> Vec<Entry> {
        let guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let after: Vec<&Entry> = guard.1.iter().filter(|e| e.seq > since).collect();
        let skip = after.len().saturating_sub(limit);
        after.into_iter().skip(skip).cloned().collect()
    }

    pub fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(j: &Journal, n: usize) {
        for _ in 0..n {
            j.record(
                "t".into(),
                Record {
                    surface: "imds",
                    caller: "c",
                    request: &"r".repeat(2000),
                    verdict: "issued",
                    status: 200,
                    rule: None,
                    detail: "",
                },
            );
        }
    }

    #[test]
    fn the_journal_keeps_the_newest_entries_and_bounds_each_field() {
        let j = Journal::default();
        rec(&j, MAX_ENTRIES + 5);
        let all = j.list(0, usize::MAX);
        assert_eq!(all.len(), MAX_ENTRIES);
        assert_eq!(all[0].seq, 6);
        assert!(all[0].request.len() < 600);
        assert_eq!(j.list(all[MAX_ENTRIES - 2].seq, 10).len(), 1);
        assert_eq!(j.list(0, 3)[2].seq, (MAX_ENTRIES + 5) as u64);
        j.clear();
        assert!(j.list(0, 10).is_empty());
    }
}
