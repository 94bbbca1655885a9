//! Managed-identity tokens already signed, per principal and audience: IMDS hands out the same
//! token until shortly before it expires. The key is partly the caller's (`resource`), so the
//! cache is bounded in entries and in bytes, the least recently used going first.
use crate::domain::token_rules::REFRESH_BEFORE_EXPIRY_SECS;
use hashlink::LruCache;
use std::sync::Mutex;

/// Entries kept at most.
pub const MAX_ENTRIES: usize = 10_000;
/// Bytes of keys and tokens kept at most (about 16 MB).
pub const MAX_BYTES: usize = 16 << 20;

/// A token handed to code on an instance.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub client_id: String,
    pub resource: String,
    pub not_before: i64,
    pub expires_on: i64,
    /// Seconds left, counted from now (a cached token's count goes down, as IMDS's does).
    pub expires_in: i64,
}

/// (principal id, resource).
pub type Key = (String, String);

#[derive(Debug)]
struct Inner {
    tokens: LruCache<Key, IssuedToken>,
    bytes: usize,
}

/// The cache; `AppState` holds one.
#[derive(Debug)]
pub struct TokenCache {
    inner: Mutex<Inner>,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                tokens: LruCache::new_unbounded(),
                bytes: 0,
            }),
        }
    }
}

fn size(key: &Key, t: &IssuedToken) -> usize {
    key.0.len() + key.1.len() + t.access_token.len() + t.client_id.len() + t.resource.len() + 64
}

impl TokenCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached token for `key` if it is valid now and not due for refresh.
    pub fn get(&self, key: &Key, now: i64) -> Option<IssuedToken> {
        let mut inner = self.lock();
        let t = inner.tokens.get(key)?;
        (now >= t.not_before && now < t.expires_on - REFRESH_BEFORE_EXPIRY_SECS).then(|| {
            IssuedToken {
                expires_in: t.expires_on - now,
                ..t.clone()
            }
        })
    }

    pub fn put(&self, key: Key, token: IssuedToken) {
        let mut inner = self.lock();
        let added = size(&key, &token);
        if let Some(old) = inner.tokens.remove(&key) {
            inner.bytes -= size(&key, &old);
        }
        inner.tokens.insert(key, token);
        inner.bytes += added;
        while inner.tokens.len() > MAX_ENTRIES || inner.bytes > MAX_BYTES {
            let Some((k, t)) = inner.tokens.remove_lru() else {
                break;
            };
            inner.bytes -= size(&k, &t);
        }
    }

    /// Entries and bytes held now.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.tokens.len(), inner.bytes)
    }

    /// Forgets every token and gives the memory back (reset).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.tokens = LruCache::new_unbounded();
        inner.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(resource: &str) -> IssuedToken {
        IssuedToken {
            access_token: "x".repeat(1000),
            client_id: "c".into(),
            resource: resource.into(),
            not_before: 0,
            expires_on: 86_400,
            expires_in: 86_400,
        }
    }

    #[test]
    fn the_cache_keeps_at_most_its_entry_and_byte_bounds_least_recent_out() {
        let cache = TokenCache::default();
        for i in 0..MAX_ENTRIES + 10 {
            let r = format!("r{i}");
            cache.put(("p".into(), r.clone()), token(&r));
        }
        assert_eq!(cache.usage().0, MAX_ENTRIES);
        assert!(
            cache.get(&("p".into(), "r0".into()), 10).is_none(),
            "oldest went first"
        );
        assert!(cache
            .get(&("p".into(), format!("r{}", MAX_ENTRIES + 9)), 10)
            .is_some());

        let big = "b".repeat(8 * 1024);
        for i in 0..5_000 {
            let r = format!("{big}{i}");
            cache.put(("p".into(), r.clone()), token(&r));
        }
        assert!(cache.usage().1 <= MAX_BYTES);
        cache.clear();
        assert_eq!(cache.usage(), (0, 0));
    }
}
