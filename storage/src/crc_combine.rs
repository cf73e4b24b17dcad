//! Combining CRCs: the CRC of `A || B` from `crc(A)`, `crc(B)` and `len(B)`, without the
//! bytes. A multipart upload with a FULL_OBJECT checksum gets its object's CRC32, CRC32C or
//! CRC64NVME this way from its parts' CRCs, at completion, without reading the parts back.
//!
//! This is zlib's `crc32_combine` (1.2.12 and later) generalised to any reflected CRC whose
//! initial value and final XOR are equal (true of all three): multiply `crc(A)` by
//! `x^(8·len(B))` modulo the polynomial, then XOR `crc(B)`. Arithmetic is in GF(2) on the
//! bit-reflected representation, where the top bit is `x^0`.

use crate::ChecksumAlgorithm;

/// A reflected CRC's width and polynomial (reflected form).
struct Crc {
    width: u32,
    poly: u64,
}

const CRC32: Crc = Crc {
    width: 32,
    poly: 0xEDB8_8320,
};
const CRC32C: Crc = Crc {
    width: 32,
    poly: 0x82F6_3B78,
};
const CRC64NVME: Crc = Crc {
    width: 64,
    poly: 0x9A6C_9329_AC4B_C9B5,
};

impl Crc {
    fn of(algorithm: ChecksumAlgorithm) -> Option<Crc> {
        match algorithm {
            ChecksumAlgorithm::Crc32 => Some(CRC32),
            ChecksumAlgorithm::Crc32c => Some(CRC32C),
            ChecksumAlgorithm::Crc64Nvme => Some(CRC64NVME),
            ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256 => None,
        }
    }

    /// `x^0`: the top bit.
    fn one(&self) -> u64 {
        1 << (self.width - 1)
    }

    /// `a(x) · b(x) mod p(x)`.
    fn multiply(&self, a: u64, mut b: u64) -> u64 {
        let mut m = self.one();
        let mut product = 0;
        while m != 0 {
            if a & m != 0 {
                product ^= b;
            }
            m >>= 1;
            b = if b & 1 != 0 {
                (b >> 1) ^ self.poly
            } else {
                b >> 1
            };
        }
        product
    }

    /// `x^(8·bytes) mod p(x)`, by squaring: `x^8`, `x^16`, `x^32`, ...
    fn shift_of(&self, mut bytes: u64) -> u64 {
        let mut result = self.one();
        // x^8 = x^1 squared three times; x^1 is the bit after the top one.
        let mut power = self.one() >> 1;
        for _ in 0..3 {
            power = self.multiply(power, power);
        }
        while bytes != 0 {
            if bytes & 1 != 0 {
                result = self.multiply(power, result);
            }
            power = self.multiply(power, power);
            bytes >>= 1;
        }
        result
    }

    fn combine(&self, crc1: u64, crc2: u64, len2: u64) -> u64 {
        self.multiply(self.shift_of(len2), crc1) ^ crc2
    }
}

/// The raw (big-endian) CRC of the concatenation of parts given as (raw CRC, length), in
/// order; `None` for an algorithm that is not a CRC or a malformed part CRC.
pub(crate) fn combine_parts(
    algorithm: ChecksumAlgorithm,
    parts: &[(&[u8], u64)],
) -> Option<Vec<u8>> {
    let crc = Crc::of(algorithm)?;
    let bytes = (crc.width / 8) as usize;
    let value = |raw: &[u8]| -> Option<u64> {
        (raw.len() == bytes).then(|| raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    };
    let mut parts = parts.iter();
    let (first, _) = parts.next()?;
    let mut total = value(first)?;
    for (raw, len) in parts {
        total = crc.combine(total, value(raw)?, *len);
    }
    Some(total.to_be_bytes()[8 - bytes..].to_vec())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::Checksummer;

    proptest! {
        /// The combined CRC of any split equals the CRC of the whole, for every CRC.
        #[test]
        fn combining_equals_hashing_the_whole(
            data in proptest::collection::vec(any::<u8>(), 0..3000),
            cuts in proptest::collection::vec(0usize..3000, 0..4),
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
            cuts.sort_unstable();
            let mut bounds = vec![0];
            bounds.extend(cuts);
            bounds.push(data.len());
            for algorithm in [ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Crc64Nvme] {
                let parts: Vec<(Vec<u8>, u64)> = bounds
                    .windows(2)
                    .map(|w| (Checksummer::digest(algorithm, &data[w[0]..w[1]]), (w[1] - w[0]) as u64))
                    .collect();
                let refs: Vec<(&[u8], u64)> = parts.iter().map(|(c, l)| (c.as_slice(), *l)).collect();
                prop_assert_eq!(
                    combine_parts(algorithm, &refs).unwrap(),
                    Checksummer::digest(algorithm, &data),
                    "{:?}", algorithm
                );
            }
        }
    }

    #[test]
    fn only_crcs_combine() {
        let sha = Checksummer::digest(ChecksumAlgorithm::Sha256, b"x");
        assert!(combine_parts(ChecksumAlgorithm::Sha256, &[(&sha, 1)]).is_none());
        assert!(combine_parts(ChecksumAlgorithm::Crc32, &[(&[1, 2, 3], 1)]).is_none());
        assert!(combine_parts(ChecksumAlgorithm::Crc32, &[]).is_none());
    }
}
