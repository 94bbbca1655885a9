//! What the enforce mode reads for every call, cached: a principal's grants and a
//! subscription's tenant. Both change only through a handful of writes (role assignments,
//! group and resource deletes, transfers, reset), which bump the generation after they commit;
//! an entry read under an older generation is never used, so a read racing a write cannot
//! leave a stale entry behind. Bounded: it is emptied when it holds `MAX_ENTRIES`.
use crate::domain::authorization::Grant;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

const MAX_ENTRIES: usize = 10_000;

/// Entries keyed by principal or subscription, each with the generation it was read under.
type Entries<T> = RwLock<HashMap<String, (u64, T)>>;

#[derive(Debug, Default)]
pub struct GrantsCache {
    generation: AtomicU64,
    grants: Entries<Arc<Vec<Grant>>>,
    tenants: Entries<Option<String>>,
}

impl GrantsCache {
    /// The generation to read under (take it before reading the store).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// After a write that may change assignments or tenants has committed.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn grants(&self, principal: &str) -> Option<Arc<Vec<Grant>>> {
        let map = self.grants.read().unwrap_or_else(|e| e.into_inner());
        map.get(principal)
            .filter(|(g, _)| *g == self.generation())
            .map(|(_, v)| v.clone())
    }

    pub fn put_grants(&self, principal: &str, read_at: u64, grants: Arc<Vec<Grant>>) {
        let mut map = self.grants.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(principal.to_string(), (read_at, grants));
    }

    /// `Some(tenant)` when cached (the inner `None`: no such subscription).
    pub fn tenant(&self, subscription: &str) -> Option<Option<String>> {
        let map = self.tenants.read().unwrap_or_else(|e| e.into_inner());
        map.get(subscription)
            .filter(|(g, _)| *g == self.generation())
            .map(|(_, v)| v.clone())
    }

    pub fn put_tenant(&self, subscription: &str, read_at: u64, tenant: Option<String>) {
        let mut map = self.tenants.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(subscription.to_string(), (read_at, tenant));
    }
}
