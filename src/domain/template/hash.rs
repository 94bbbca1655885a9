//! The two deterministic functions of the template language whose values users hard-code:
//! `uniqueString` (ARM's 64-bit Murmur variant, base-32) and `guid` (a UUIDv5 in ARM's
//! namespace). Written by hand: no crate implements ARM's variant of Murmur (the standard
//! MurmurHash64A gives other values), and both are a few lines from their description in
//! docs/wire-contract.md ("Template functions").

/// ARM's namespace for `guid()`.
const GUID_NAMESPACE: uuid::Uuid = uuid::uuid!("11fb06fb-712d-4ddd-98c7-e71bbd588830");
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// `uniqueString(a, b, ...)`: 13 characters from the arguments joined with `-`.
pub fn unique_string(parts: &[&str]) -> String {
    let joined = parts.join("-");
    let mut h = murmur64(joined.as_bytes());
    (0..13)
        .map(|_| {
            let c = BASE32[(h >> 59) as usize] as char;
            h <<= 5;
            c
        })
        .collect()
}

/// `guid(a, b, ...)`: a UUIDv5 of the arguments joined with `-`, lowercase.
pub fn guid(parts: &[&str]) -> String {
    uuid::Uuid::new_v5(&GUID_NAMESPACE, parts.join("-").as_bytes()).to_string()
}

fn fmix32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x85EB_CA6B);
    x ^= x >> 13;
    x = x.wrapping_mul(0xC2B2_AE35);
    x ^ (x >> 16)
}

fn le(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .rev()
        .fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
}

fn mix_k1(k1: u32) -> u32 {
    k1.wrapping_mul(0x239B_961B)
        .rotate_left(15)
        .wrapping_mul(0xAB0E_9789)
}

fn mix_k2(k2: u32) -> u32 {
    k2.wrapping_mul(0xAB0E_9789)
        .rotate_left(17)
        .wrapping_mul(0x239B_961B)
}

fn murmur64(data: &[u8]) -> u64 {
    let (mut h1, mut h2) = (0u32, 0u32);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        h1 ^= mix_k1(le(&block[..4]));
        h1 = h1
            .rotate_left(19)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x561C_CD1B);
        h2 ^= mix_k2(le(&block[4..]));
        h2 = h2
            .rotate_left(13)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x0BCA_A747);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        h1 ^= mix_k1(le(&tail[..tail.len().min(4)]));
        if tail.len() > 4 {
            h2 ^= mix_k2(le(&tail[4..]));
        }
    }
    let len = data.len() as u32;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix32(h1);
    h2 = fmix32(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (u64::from(h2) << 32) | u64::from(h1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_string_matches_arms_published_values() {
        let cases: &[(&[&str], &str)] = &[
            (&["test"], "rbgf3xv4ufgzg"),
            (&["a"], "eveiun73364hy"),
            (&["ab"], "twldla3s3qb3q"),
            (&["abc"], "cgtzqvhu4i23s"),
            (&["abcdefg"], "logmp4qgzfm46"),
            (&["abcdefgh"], "q7ncvd5x2rx4e"),
            (&["abcdefghi"], "zignisl6otg3u"),
            (&["déjà vu"], "sjpsqt4vlgjwo"),
            (
                &["/subscriptions/x/resourceGroups/rg-a", "eastus2"],
                "vahbmjcrjob36",
            ),
            (
                &[
                    "/subscriptions/00000000-0000-0000-0000-000000000000",
                    "resource-id",
                ],
                "cwvxuqg24sifi",
            ),
        ];
        for (parts, want) in cases {
            assert_eq!(unique_string(parts), *want, "{parts:?}");
        }
    }

    #[test]
    fn guid_is_a_uuid_v5_in_arms_namespace() {
        assert_eq!(guid(&["test"]), "d6a5baf1-8b9b-542a-8525-2982f1f98a0c");
        assert_eq!(guid(&["a"]), "3703365d-5a9f-59b4-bca7-b9681389e4c1");
        assert_eq!(
            guid(&["test", "test2", "test3"]),
            "43ca56fb-e844-5667-aabf-b316c27c09cc"
        );
    }
}
