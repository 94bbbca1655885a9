//! GUIDs for everything mi-sim creates. Only this module makes them, so a run can be made
//! reproducible with a seed (DESIGN principle 6).
use std::sync::atomic::{AtomicU64, Ordering};
use uuid::Uuid;

/// Random (v4) GUIDs, or a deterministic sequence of v4-shaped GUIDs from a seed.
#[derive(Debug, Default)]
pub struct IdGen {
    seed: Option<u64>,
    counter: AtomicU64,
}

impl IdGen {
    pub fn random() -> Self {
        Self::default()
    }

    pub fn seeded(seed: u64) -> Self {
        Self {
            seed: Some(seed),
            counter: AtomicU64::new(0),
        }
    }

    /// The id of one of ARM's own operations (a group delete, a move, an export), written as
    /// ARM writes them in `operationresults` URLs: 32 uppercase hex digits.
    pub fn arm_operation(&self) -> String {
        self.uuid().simple().to_string().to_uppercase()
    }

    pub fn uuid(&self) -> Uuid {
        match self.seed {
            None => Uuid::new_v4(),
            Some(seed) => {
                let n = self.counter.fetch_add(1, Ordering::Relaxed);
                let hi = splitmix64(seed ^ n.wrapping_mul(2));
                let lo = splitmix64(seed ^ n.wrapping_mul(2).wrapping_add(1));
                uuid::Builder::from_random_bytes(
                    ((u128::from(hi) << 64) | u128::from(lo)).to_be_bytes(),
                )
                .into_uuid()
            }
        }
    }
}

// SplitMix64: a tiny, well-known mixing function; plenty for reproducible ids.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ids_repeat_and_differ() {
        let (a, b) = (IdGen::seeded(7), IdGen::seeded(7));
        let (a1, a2) = (a.uuid(), a.uuid());
        assert_eq!(a1, b.uuid());
        assert_ne!(a1, a2);
        assert_eq!(a1.get_version_num(), 4);
    }
}
