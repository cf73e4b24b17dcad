//! Byte ranges: turning what a client asked for into inclusive positions, with S3 / RFC 9110
//! semantics (<https://www.rfc-editor.org/rfc/rfc9110#section-14.1.2>). No I/O.

use crate::{ByteRange, Error, Result};

impl ByteRange {
    /// The inclusive `(first, last)` byte positions for an object of `size` bytes, or
    /// [`Error::InvalidRange`] when the range is not satisfiable (S3: 416).
    ///
    /// - `a-b`: `a >= size` or `a > b` is unsatisfiable; `b` clamps to `size - 1`.
    /// - `a-`: `a >= size` is unsatisfiable.
    /// - `-n`: `n == 0` is unsatisfiable; `n > size` means the whole object.
    /// - Any range of a 0-byte object is unsatisfiable (there is no byte to point at).
    pub fn resolve(self, size: u64) -> Result<(u64, u64)> {
        let invalid = Err(Error::InvalidRange { size });
        if size == 0 {
            return invalid;
        }
        match self {
            ByteRange::FromTo(a, b) => {
                if a >= size || a > b {
                    return invalid;
                }
                Ok((a, b.min(size - 1)))
            }
            ByteRange::From(a) => {
                if a >= size {
                    return invalid;
                }
                Ok((a, size - 1))
            }
            ByteRange::Suffix(n) => {
                if n == 0 {
                    return invalid;
                }
                Ok((size - n.min(size), size - 1))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(r: ByteRange, size: u64) -> Option<(u64, u64)> {
        r.resolve(size).ok()
    }

    #[test]
    fn from_to() {
        assert_eq!(ok(ByteRange::FromTo(0, 0), 10), Some((0, 0)));
        assert_eq!(ok(ByteRange::FromTo(2, 5), 10), Some((2, 5)));
        assert_eq!(ok(ByteRange::FromTo(2, 500), 10), Some((2, 9)));
        assert_eq!(ok(ByteRange::FromTo(9, 9), 10), Some((9, 9)));
        assert_eq!(ok(ByteRange::FromTo(10, 12), 10), None);
        assert_eq!(ok(ByteRange::FromTo(5, 4), 10), None);
    }

    #[test]
    fn from() {
        assert_eq!(ok(ByteRange::From(0), 10), Some((0, 9)));
        assert_eq!(ok(ByteRange::From(9), 10), Some((9, 9)));
        assert_eq!(ok(ByteRange::From(10), 10), None);
    }

    #[test]
    fn suffix() {
        assert_eq!(ok(ByteRange::Suffix(1), 10), Some((9, 9)));
        assert_eq!(ok(ByteRange::Suffix(10), 10), Some((0, 9)));
        assert_eq!(ok(ByteRange::Suffix(11), 10), Some((0, 9)));
        assert_eq!(ok(ByteRange::Suffix(0), 10), None);
    }

    #[test]
    fn empty_object_has_no_satisfiable_range() {
        for r in [
            ByteRange::FromTo(0, 0),
            ByteRange::From(0),
            ByteRange::Suffix(1),
        ] {
            assert!(matches!(r.resolve(0), Err(Error::InvalidRange { size: 0 })));
        }
    }
}
