//! A file's fingerprint: the SHA-256 of its bytes, so that a caller can recognise a file it has
//! already imported ("importing the same file again changes nothing and says so").

use sha2::{Digest, Sha256};
use std::fmt;
use std::io::{self, Read};
use std::str::FromStr;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn from_bytes(b: [u8; 32]) -> Fingerprint {
        Fingerprint(b)
    }
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
    /// The SHA-256 of a byte string.
    pub fn of(data: &[u8]) -> Fingerprint {
        let mut h = Hasher::new();
        h.update(data);
        h.finish()
    }
    /// The SHA-256 of everything a reader yields.
    pub fn of_reader(mut r: impl Read) -> io::Result<Fingerprint> {
        let mut h = Hasher::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = r.read(&mut buf)?;
            if n == 0 {
                return Ok(h.finish());
            }
            h.update(&buf[..n]);
        }
    }
}

/// Lowercase hex, 64 characters.
impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}
impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = String;
    fn from_str(s: &str) -> Result<Fingerprint, String> {
        let s = s.trim();
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("a fingerprint is 64 hex digits, got {s:?}"));
        }
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16)
                .map_err(|_| format!("bad hex in {s:?}"))?;
        }
        Ok(Fingerprint(out))
    }
}

/// Incremental SHA-256.
pub(crate) struct Hasher(Sha256);

impl Hasher {
    pub fn new() -> Hasher {
        Hasher(Sha256::new())
    }
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    pub fn finish(self) -> Fingerprint {
        let digest = self.0.finalize();
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_slice());
        Fingerprint(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_and_hex_round_trip() {
        let f = Fingerprint::of(b"abc");
        assert_eq!(
            f.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(f.to_string().parse::<Fingerprint>(), Ok(f));
        assert_eq!(
            Fingerprint::of_reader(&b"abc"[..]).expect("read"),
            Fingerprint::of(b"abc")
        );
        assert!("xyz".parse::<Fingerprint>().is_err());
    }
}
