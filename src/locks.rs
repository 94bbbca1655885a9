//! The groups a running move holds (ARM locks both the source and the target group for
//! writes and deletes while resources move). Kept in memory so the front door can check every
//! write without a query: there are few locks and they are short. `group_locks` holds them too,
//! so a restart during a move keeps them (`startup` loads the ones still held).
use chrono::{DateTime, Utc};
use std::sync::Mutex;

/// One locked group.
#[derive(Debug, Clone)]
pub struct GroupLock {
    pub subscription: String,
    pub group_key: String,
    pub operation: String,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct GroupLocks(Mutex<Vec<GroupLock>>);

impl GroupLocks {
    fn locks(&self) -> std::sync::MutexGuard<'_, Vec<GroupLock>> {
        // A poisoned lock only means a panic elsewhere while holding it; the list is plain data.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The lock held on a group at `now`, if any (expired ones are dropped on the way).
    pub fn held(
        &self,
        subscription: &str,
        group_key: &str,
        now: DateTime<Utc>,
    ) -> Option<GroupLock> {
        let mut locks = self.locks();
        if locks.is_empty() {
            return None;
        }
        locks.retain(|l| l.until > now);
        locks
            .iter()
            .find(|l| l.subscription.eq_ignore_ascii_case(subscription) && l.group_key == group_key)
            .cloned()
    }

    pub fn add(&self, new: impl IntoIterator<Item = GroupLock>) {
        self.locks().extend(new);
    }

    /// Whether any lock may still be held (the front door's fast path).
    pub fn any(&self) -> bool {
        !self.locks().is_empty()
    }

    pub fn clear(&self) {
        self.locks().clear();
    }
}
