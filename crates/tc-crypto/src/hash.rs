//! Chain hashes: SM3 or SHA-256, both 32 bytes.
//!
//! A chained hash is stored as text that names its algorithm: SM3 digests carry the tag `sm3:`
//! before their hex, SHA-256 digests are bare hex (as every chain written before SM3 was
//! offered), so an existing SHA-256 chain verifies unchanged and a verifier reads from each
//! entry which algorithm made it. Changing the tag changes the stored hash, so an entry's
//! algorithm is as tamper-evident as its content.

use sha2::Digest;

/// The hash algorithm of a chain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlg {
    /// SHA-256 (FIPS 180-4): the algorithm of every chain written before SM3 was offered.
    #[default]
    Sha256,
    /// SM3 (GB/T 32905-2016), the national hash algorithm.
    Sm3,
}

impl HashAlg {
    /// The name in settings and reports: `sha256` or `sm3`.
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "sha256",
            HashAlg::Sm3 => "sm3",
        }
    }
    /// The algorithm named `s` (`sha256`, `sha-256`, `sm3`, any case).
    pub fn parse(s: &str) -> Option<HashAlg> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sha256" | "sha-256" => Some(HashAlg::Sha256),
            "sm3" => Some(HashAlg::Sm3),
            _ => None,
        }
    }
    /// The tag before the hex of a stored hash: none for SHA-256, `sm3:` for SM3.
    pub fn tag(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "",
            HashAlg::Sm3 => "sm3:",
        }
    }
    /// A fresh incremental hasher.
    pub fn hasher(self) -> Hasher {
        match self {
            HashAlg::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            HashAlg::Sm3 => Hasher::Sm3(sm3::Sm3::new()),
        }
    }
    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> [u8; 32] {
        let mut h = self.hasher();
        h.update(data);
        h.finalize()
    }
    /// `digest` as stored: the tag, then lowercase hex.
    pub fn tagged_hex(self, digest: &[u8; 32]) -> String {
        format!("{}{}", self.tag(), crate::to_hex(digest))
    }
}

/// Split a stored hash into its algorithm and its hex: `sm3:…` is SM3, anything else SHA-256.
pub fn split_tagged(stored: &str) -> (HashAlg, &str) {
    match stored.strip_prefix(HashAlg::Sm3.tag()) {
        Some(hex) => (HashAlg::Sm3, hex),
        None => (HashAlg::Sha256, stored),
    }
}

/// An incremental hasher of either algorithm.
#[derive(Clone)]
pub enum Hasher {
    Sha256(sha2::Sha256),
    Sm3(sm3::Sm3),
}

impl Hasher {
    pub fn update(&mut self, data: impl AsRef<[u8]>) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sm3(h) => h.update(data),
        }
    }
    pub fn finalize(self) -> [u8; 32] {
        match self {
            Hasher::Sha256(h) => h.finalize().into(),
            Hasher::Sm3(h) => h.finalize().into(),
        }
    }
    pub fn alg(&self) -> HashAlg {
        match self {
            Hasher::Sha256(_) => HashAlg::Sha256,
            Hasher::Sm3(_) => HashAlg::Sm3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::to_hex;

    #[test]
    fn known_answers() {
        // GB/T 32905-2016 appendix A, example 1: SM3("abc")
        assert_eq!(
            to_hex(&HashAlg::Sm3.digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            to_hex(&HashAlg::Sha256.digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn tags_name_the_algorithm() {
        let d = HashAlg::Sm3.digest(b"x");
        let s = HashAlg::Sm3.tagged_hex(&d);
        assert!(s.starts_with("sm3:"));
        assert_eq!(split_tagged(&s), (HashAlg::Sm3, &s[4..]));
        let d = HashAlg::Sha256.digest(b"x");
        let s = HashAlg::Sha256.tagged_hex(&d);
        assert_eq!(s.len(), 64);
        assert_eq!(split_tagged(&s), (HashAlg::Sha256, s.as_str()));
        assert_eq!(HashAlg::parse("SM3"), Some(HashAlg::Sm3));
        assert_eq!(HashAlg::parse("sha-256"), Some(HashAlg::Sha256));
        assert_eq!(HashAlg::parse("md5"), None);
    }

    #[test]
    fn incremental_equals_one_shot() {
        for alg in [HashAlg::Sha256, HashAlg::Sm3] {
            let mut h = alg.hasher();
            h.update(b"ab");
            h.update(b"c");
            assert_eq!(h.alg(), alg);
            assert_eq!(h.finalize(), alg.digest(b"abc"));
        }
    }
}
