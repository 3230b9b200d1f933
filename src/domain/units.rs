//! Quota in integer bytes, written the way a receipt or a message shows it.

/// Bytes in one GiB; quota is always integer bytes.
pub const GIB: i64 = 1024 * 1024 * 1024;
pub const MIB: i64 = 1024 * 1024;

/// A quota size. Displays whole GiB as `5 GB`, anything else in whole MiB (`512 MB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bytes(pub i64);

impl std::fmt::Display for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 % GIB == 0 { write!(f, "{} GB", self.0 / GIB) } else { write!(f, "{} MB", self.0 / MIB) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(Bytes(5 * GIB).to_string(), "5 GB");
        assert_eq!(Bytes(512 * MIB).to_string(), "512 MB");
        assert_eq!(Bytes(0).to_string(), "0 GB");
    }
}
