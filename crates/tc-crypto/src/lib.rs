//! Tongchou's cryptography, pure apart from the operating system's random source:
//!
//! - [`hash`]: the chain hashes of the ledger journal and the audit log, SM3 (GB/T 32905) or
//!   SHA-256, chosen per deployment and written into every chained hash ([`HashAlg::tag`]);
//! - [`field`]: authenticated encryption of personal fields (ID numbers, bank accounts) with
//!   SM4-GCM (GB/T 32907 in GCM, as GB/T 36624 allows) or AES-256-GCM, the envelope that names
//!   the algorithm and the data key;
//! - [`keys`]: data keys wrapped by a master key that never sits in the database, and the
//!   [`keys::KeyProvider`] adapter where a key management service or a hardware module plugs in;
//! - [`blind`]: the keyed blind index (HMAC-SM3 or HMAC-SHA-256) that lets equality search,
//!   uniqueness and imports work on encrypted ID numbers without decrypting them.
//!
//! `docs/CRYPTO.md` says which data each protects, where each key lives and what is not covered.

pub mod blind;
pub mod field;
pub mod hash;
pub mod keys;
pub mod stream;

pub use blind::BlindIndex;
pub use field::{Cipher, FieldCipher};
pub use hash::{HashAlg, Hasher};
pub use keys::{DataKey, KeyProvider, MasterKey};

/// Lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

/// Bytes from lowercase or uppercase hex; `None` for an odd length or a non-hex digit.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    b.chunks(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

/// A cryptographic failure: a key that does not fit, a ciphertext that does not authenticate.
/// Its text is a message of the catalogue (`crypto-err-*`) in the current language
/// (`tongchou_core::i18n`), as the store's refusals are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CryptoError(pub String);

impl std::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for CryptoError {}

/// Fill `buf` from the operating system's random source.
pub fn random(buf: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(buf)
        .map_err(|e| CryptoError(tongchou_core::tr!("crypto-err-random", error = e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_roundtrip() {
        let b = [0u8, 1, 0xab, 0xff];
        assert_eq!(to_hex(&b), "0001abff");
        assert_eq!(from_hex("0001ABff"), Some(b.to_vec()));
        assert_eq!(from_hex("0"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
