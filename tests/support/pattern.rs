//! Deterministic pseudo-random bytes (xorshift), so bodies do not compress or dedupe: shared
//! by the integration tests and the benchmarks (each includes this file with `#[path]`).

/// `len` bytes, the same for the same `seed`.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9 ^ u32::from(seed);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}
