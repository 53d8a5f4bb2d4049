//! Authenticated encryption of one field: SM4-GCM or AES-256-GCM.
//!
//! A stored field is text: a letter for the cipher (`S` SM4-GCM, `A` AES-256-GCM), the data
//! key's number, `:`, then the hex of a fresh 12-byte nonce, the ciphertext and the 16-byte tag.
//! The associated data names the column (`persons.id_number`), so a value moved to another
//! column does not decrypt. The envelope names its key, so fields under an old key still read
//! while a rotation moves them to the new one.

use crate::{CryptoError, from_hex, random, to_hex};
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce};
use tongchou_core::tr;
use zeroize::Zeroizing;

const NONCE: usize = 12;

/// The field cipher of a deployment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Cipher {
    /// SM4 (GB/T 32907-2016) in Galois/counter mode: the default.
    #[default]
    Sm4Gcm,
    /// AES-256 in Galois/counter mode.
    Aes256Gcm,
}

impl Cipher {
    pub fn name(self) -> &'static str {
        match self {
            Cipher::Sm4Gcm => "sm4-gcm",
            Cipher::Aes256Gcm => "aes-256-gcm",
        }
    }
    pub fn parse(s: &str) -> Option<Cipher> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sm4-gcm" | "sm4" => Some(Cipher::Sm4Gcm),
            "aes-256-gcm" | "aes256gcm" | "aes" => Some(Cipher::Aes256Gcm),
            _ => None,
        }
    }
    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Cipher::Sm4Gcm => 16,
            Cipher::Aes256Gcm => 32,
        }
    }
    /// The hash of the same family, for key derivation and the blind index.
    pub fn hash(self) -> crate::HashAlg {
        match self {
            Cipher::Sm4Gcm => crate::HashAlg::Sm3,
            Cipher::Aes256Gcm => crate::HashAlg::Sha256,
        }
    }
    fn letter(self) -> char {
        match self {
            Cipher::Sm4Gcm => 'S',
            Cipher::Aes256Gcm => 'A',
        }
    }
    fn of_letter(c: u8) -> Option<Cipher> {
        match c {
            b'S' => Some(Cipher::Sm4Gcm),
            b'A' => Some(Cipher::Aes256Gcm),
            _ => None,
        }
    }
}

type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

enum Inner {
    Sm4(Box<Sm4Gcm>),
    Aes(Box<Aes256Gcm>),
}

/// A data key ready to seal and open fields.
pub struct FieldCipher {
    cipher: Cipher,
    key_id: u32,
    inner: Inner,
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FieldCipher({}, key {})",
            self.cipher.name(),
            self.key_id
        )
    }
}

fn bad_key(c: Cipher) -> CryptoError {
    CryptoError(tr!(
        "crypto-err-key-length",
        cipher = c.name(),
        bytes = c.key_len()
    ))
}

impl FieldCipher {
    pub fn new(cipher: Cipher, key_id: u32, key: &[u8]) -> Result<FieldCipher, CryptoError> {
        if key.len() != cipher.key_len() {
            return Err(bad_key(cipher));
        }
        let inner = match cipher {
            Cipher::Sm4Gcm => Inner::Sm4(Box::new(
                Sm4Gcm::new_from_slice(key).map_err(|_| bad_key(cipher))?,
            )),
            Cipher::Aes256Gcm => Inner::Aes(Box::new(
                Aes256Gcm::new_from_slice(key).map_err(|_| bad_key(cipher))?,
            )),
        };
        Ok(FieldCipher {
            cipher,
            key_id,
            inner,
        })
    }
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Seal raw bytes: nonce ‖ ciphertext ‖ tag.
    pub fn seal_bytes(&self, aad: &[u8], msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE];
        random(&mut nonce)?;
        let n = Nonce::<U12>::from(nonce);
        let p = Payload { msg, aad };
        let ct = match &self.inner {
            Inner::Sm4(c) => c.encrypt(&n, p),
            Inner::Aes(c) => c.encrypt(&n, p),
        }
        .map_err(|_| CryptoError(tr!("crypto-err-encrypt")))?;
        let mut out = Vec::with_capacity(NONCE + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Open what [`FieldCipher::seal_bytes`] made with the same associated data.
    pub fn open_bytes(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed.len() < NONCE + 16 {
            return Err(CryptoError(tr!("crypto-err-too-short")));
        }
        let (nonce, ct) = sealed.split_at(NONCE);
        let mut nb = [0u8; NONCE];
        nb.copy_from_slice(nonce);
        let n = Nonce::<U12>::from(nb);
        let p = Payload { msg: ct, aad };
        match &self.inner {
            Inner::Sm4(c) => c.decrypt(&n, p),
            Inner::Aes(c) => c.decrypt(&n, p),
        }
        .map(Zeroizing::new)
        .map_err(|_| {
            CryptoError(tr!(
                "crypto-err-field-auth",
                cipher = self.cipher.name(),
                key = self.key_id
            ))
        })
    }

    /// Encrypt a field for column `column` into its stored text.
    pub fn encrypt(&self, column: &str, plain: &str) -> Result<String, CryptoError> {
        let sealed = self.seal_bytes(column.as_bytes(), plain.as_bytes())?;
        Ok(format!(
            "{}{}:{}",
            self.cipher.letter(),
            self.key_id,
            to_hex(&sealed)
        ))
    }

    /// Decrypt a stored field of column `column`; it must be under this key.
    pub fn decrypt(&self, column: &str, stored: &str) -> Result<String, CryptoError> {
        let (cipher, key_id, hex) = envelope(stored)
            .ok_or_else(|| CryptoError(tr!("crypto-err-not-encrypted", column = column)))?;
        if (cipher, key_id) != (self.cipher, self.key_id) {
            return Err(CryptoError(tr!(
                "crypto-err-other-key",
                column = column,
                cipher = cipher.name(),
                key = key_id,
                own_cipher = self.cipher.name(),
                own_key = self.key_id
            )));
        }
        let sealed = from_hex(hex)
            .ok_or_else(|| CryptoError(tr!("crypto-err-field-hex", column = column)))?;
        let plain = self.open_bytes(column.as_bytes(), &sealed)?;
        String::from_utf8(plain.to_vec())
            .map_err(|_| CryptoError(tr!("crypto-err-not-text", column = column)))
    }
}

/// The cipher, key number and hex of a stored field, or `None` for plain text.
pub fn envelope(stored: &str) -> Option<(Cipher, u32, &str)> {
    let b = stored.as_bytes();
    let cipher = Cipher::of_letter(*b.first()?)?;
    let (id, hex) = stored[1..].split_once(':')?;
    if id.is_empty() || !id.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((cipher, id.parse().ok()?, hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ciphers_roundtrip_and_refuse_tampering() {
        for cipher in [Cipher::Sm4Gcm, Cipher::Aes256Gcm] {
            let key = vec![7u8; cipher.key_len()];
            let f = FieldCipher::new(cipher, 3, &key).expect("key");
            let id = "14010519800101001X";
            let a = f.encrypt("persons.id_number", id).expect("enc");
            let b = f.encrypt("persons.id_number", id).expect("enc");
            assert_ne!(a, b, "a fresh nonce every time");
            assert!(!a.contains(id));
            assert_eq!(envelope(&a).map(|e| (e.0, e.1)), Some((cipher, 3)));
            assert_eq!(f.decrypt("persons.id_number", &a).expect("dec"), id);
            // another column's associated data
            assert!(f.decrypt("payees.account", &a).is_err());
            // one flipped nibble of the ciphertext
            let mut t = a.clone().into_bytes();
            let last = t.len() - 1;
            t[last] = if t[last] == b'0' { b'1' } else { b'0' };
            let t = String::from_utf8(t).expect("utf8");
            assert!(f.decrypt("persons.id_number", &t).is_err());
            // another key with the same number
            let g = FieldCipher::new(cipher, 3, &vec![8u8; cipher.key_len()]).expect("key");
            assert!(g.decrypt("persons.id_number", &a).is_err());
            assert!(FieldCipher::new(cipher, 1, &[0u8; 5]).is_err());
        }
    }

    #[test]
    fn sm4_gcm_is_sm4() {
        // The same key and message under the two ciphers give different ciphertexts, and a
        // plain ID number is not an envelope.
        assert_eq!(envelope("14010519800101001X"), None);
        assert_eq!(envelope("S:00"), None);
        assert_eq!(Cipher::parse("SM4-GCM"), Some(Cipher::Sm4Gcm));
        assert_eq!(Cipher::parse("aes-256-gcm"), Some(Cipher::Aes256Gcm));
    }

    #[test]
    fn sm4_block_known_answer() {
        // GB/T 32907-2016 appendix A example 1: key = plaintext = 0123456789abcdeffedcba9876543210
        use sm4::cipher::{BlockCipherEncrypt, KeyInit};
        let k = crate::from_hex("0123456789abcdeffedcba9876543210").expect("hex");
        let c = sm4::Sm4::new_from_slice(&k).expect("key");
        let mut block = sm4::cipher::Array::try_from(&k[..]).expect("block");
        c.encrypt_block(&mut block);
        assert_eq!(crate::to_hex(&block), "681edf34d206965e86b3e94f536e4246");
    }
}
