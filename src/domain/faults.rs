//! Faults a user arms through `/simulator/faults` to see how their code copes with what Azure
//! does on a bad day: throttling, errors and late answers of the instance metadata service,
//! Entra's token endpoint throttled or unavailable, ARM throttling, a VM that will not start,
//! and R18's DNS failure of the legacy extension. A fault fires on its target for the next N
//! requests, or on a seeded share of them, and goes when spent.

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// R18: provisioning the managed-identity extension on the target VM fails on a DNS lookup
    /// error, and so does every retry until the VM restarts.
    ExtensionDnsFailure,
    /// The instance's token endpoints answer 429 with `Retry-After`.
    ImdsThrottled,
    /// The instance's token endpoints answer 500.
    ImdsError,
    /// The instance's token endpoints answer 503 with `Retry-After`.
    ImdsUnavailable,
    /// The instance's token endpoints answer after `delayMs`.
    ImdsSlow,
    /// Entra's token endpoint of the target tenant answers 429 with `Retry-After`.
    EntraThrottled,
    /// Entra's token endpoint of the target tenant answers 503 with `Retry-After`.
    EntraUnavailable,
    /// ARM answers 429 `TooManyRequests` with `Retry-After` for paths matching the target.
    ArmThrottled,
    /// Starting the target VM fails with `AllocationFailed`.
    VmStartFailure,
}

/// What a fault's target names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A resource of one of these types, by id.
    Resource(&'static [&'static str]),
    /// A tenant id, or `*` for every tenant.
    Tenant,
    /// An ARM path pattern: `*` matches any run of characters, case is ignored.
    PathPattern,
}

const VM: &str = "Microsoft.Compute/virtualMachines";
const INSTANCES: &[&str] = &[VM, "Microsoft.ContainerInstance/containerGroups"];

impl FaultKind {
    pub const ALL: [FaultKind; 9] = [
        FaultKind::ExtensionDnsFailure,
        FaultKind::ImdsThrottled,
        FaultKind::ImdsError,
        FaultKind::ImdsUnavailable,
        FaultKind::ImdsSlow,
        FaultKind::EntraThrottled,
        FaultKind::EntraUnavailable,
        FaultKind::ArmThrottled,
        FaultKind::VmStartFailure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExtensionDnsFailure => "extensionDnsFailure",
            Self::ImdsThrottled => "imdsThrottled",
            Self::ImdsError => "imdsError",
            Self::ImdsUnavailable => "imdsUnavailable",
            Self::ImdsSlow => "imdsSlow",
            Self::EntraThrottled => "entraThrottled",
            Self::EntraUnavailable => "entraUnavailable",
            Self::ArmThrottled => "armThrottled",
            Self::VmStartFailure => "vmStartFailure",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(raw))
    }

    /// One bit per kind, for the cheap "is any fault of this kind armed" check.
    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }

    pub fn target(self) -> TargetKind {
        match self {
            Self::ExtensionDnsFailure | Self::VmStartFailure => TargetKind::Resource(&[VM]),
            Self::ImdsThrottled | Self::ImdsError | Self::ImdsUnavailable | Self::ImdsSlow => {
                TargetKind::Resource(INSTANCES)
            }
            Self::EntraThrottled | Self::EntraUnavailable => TargetKind::Tenant,
            Self::ArmThrottled => TargetKind::PathPattern,
        }
    }

    /// Whether the kind answers with `Retry-After`.
    pub fn retries(self) -> bool {
        matches!(
            self,
            Self::ImdsThrottled
                | Self::ImdsUnavailable
                | Self::EntraThrottled
                | Self::EntraUnavailable
                | Self::ArmThrottled
        )
    }

    /// The status an answer the fault makes has (0: it changes no answer's status).
    pub fn status(self) -> u16 {
        match self {
            Self::ImdsThrottled | Self::EntraThrottled | Self::ArmThrottled => 429,
            Self::ImdsError => 500,
            Self::ImdsUnavailable | Self::EntraUnavailable => 503,
            Self::ExtensionDnsFailure | Self::ImdsSlow | Self::VmStartFailure => 0,
        }
    }

    /// What a fault of this kind does, for listings.
    pub fn describe(self) -> &'static str {
        match self {
            Self::ExtensionDnsFailure => "provisioning the managed-identity extension fails on a DNS lookup error until the VM restarts (R18)",
            Self::ImdsThrottled => "the instance's token endpoints answer 429 Too Many Requests with Retry-After",
            Self::ImdsError => "the instance's token endpoints answer 500",
            Self::ImdsUnavailable => "the instance's token endpoints answer 503 with Retry-After",
            Self::ImdsSlow => "the instance's token endpoints answer late (delayMs)",
            Self::EntraThrottled => "Entra's token endpoint answers 429 with Retry-After",
            Self::EntraUnavailable => "Entra's token endpoint answers 503 temporarily_unavailable with Retry-After",
            Self::ArmThrottled => "ARM answers 429 TooManyRequests with Retry-After for matching paths",
            Self::VmStartFailure => "starting the VM fails with AllocationFailed",
        }
    }
}

/// The most times one fault can be armed to fire.
pub const MAX_FAULT_COUNT: i64 = 1000;
/// The most faults armed at once.
pub const MAX_FAULTS: i64 = 1000;
/// The longest delay a slow answer may have (below every client's timeout we know of, and
/// below the server's own time limits).
pub const MAX_DELAY_MS: i64 = 30_000;
/// The delay of a slow answer when none is given.
pub const DEFAULT_DELAY_MS: i64 = 2_000;
/// The longest `Retry-After` a fault may ask for.
pub const MAX_RETRY_AFTER: i64 = 3_600;
/// The longest path pattern.
pub const MAX_PATTERN_LEN: usize = 1024;

/// Whether the `seen`th request a fault is asked about fires it: a seeded draw, the same for
/// the same seed, so a run with a probability replays exactly.
pub fn draw(probability: Option<f64>, seed: i64, seen: i64) -> bool {
    let Some(p) = probability else {
        return true;
    };
    // splitmix64: a well-known, tiny mixing function; one draw per request needs nothing more.
    let mut z = (seed as u64) ^ (seen as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    ((z >> 11) as f64 / (1u64 << 53) as f64) < p
}

/// Whether a path matches a pattern: `*` is any run of characters, case is ignored.
/// Iterative with one backtrack point, so its cost is linear-times-pattern, never exponential.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let (p, s) = (pattern.as_bytes(), path.as_bytes());
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi].eq_ignore_ascii_case(&s[si]) {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_in_any_case_and_have_distinct_bits() {
        assert_eq!(
            FaultKind::parse("IMDSUNAVAILABLE"),
            Some(FaultKind::ImdsUnavailable)
        );
        let bits: u32 = FaultKind::ALL.iter().map(|k| k.bit()).sum();
        assert_eq!(bits.count_ones() as usize, FaultKind::ALL.len());
    }

    #[test]
    fn patterns_match_with_stars_ignoring_case() {
        let path =
            "/subscriptions/s/resourceGroups/RG1/providers/Microsoft.Compute/virtualMachines/vm1";
        assert!(path_matches("/subscriptions/*/resourcegroups/rg1*", path));
        assert!(path_matches("*virtualmachines*", path));
        assert!(!path_matches("*/rg2/*", path));
        assert!(path_matches("*", ""));
        assert!(!path_matches(&"*a".repeat(30), &"a".repeat(29)));
    }

    #[test]
    fn seeded_draws_replay_and_follow_the_probability() {
        let fired = |seed| (0..10_000).filter(|n| draw(Some(0.3), seed, *n)).count();
        assert_eq!(fired(7), fired(7));
        assert!((2_700..3_300).contains(&fired(7)), "{}", fired(7));
        assert!(draw(None, 0, 0));
    }
}
