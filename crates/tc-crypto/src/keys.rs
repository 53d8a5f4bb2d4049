//! The key hierarchy: a master key outside the database wraps the data keys that the database
//! stores (wrapped), and the data keys encrypt the fields and key the blind index.
//!
//! The master key is 32 random bytes, written as 64 hex digits in a key file readable by its
//! owner only, or in an environment variable for the embedded default (`tc-store::keys` reads
//! both). A key-encryption key per cipher is derived from it with HMAC (SM3 for SM4-GCM,
//! SHA-256 for AES-256-GCM), and a data key is sealed under it with the associated data
//! `tongchou data key N`, so a wrapped key cannot be swapped for another number.
//!
//! [`KeyProvider`] is the adapter: [`MasterKey`] implements it in process; a key management
//! service or a hardware security module implements `wrap` and `unwrap` with its own calls and
//! the master key never enters this process.

use crate::blind::hmac;
use crate::field::{Cipher, FieldCipher};
use crate::{CryptoError, from_hex, random, to_hex};
use tongchou_core::tr;
use zeroize::Zeroizing;

/// Wraps and unwraps data keys. Implementations must not store the master key in the database.
pub trait KeyProvider: Send + Sync {
    /// Seal `material` (a data key) for key number `key_id`; the text goes into the database.
    fn wrap(&self, cipher: Cipher, key_id: u32, material: &[u8]) -> Result<String, CryptoError>;
    /// Open what `wrap` made.
    fn unwrap(
        &self,
        cipher: Cipher,
        key_id: u32,
        wrapped: &str,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError>;
    /// Where the master key lives (for reports; never the key).
    fn describe(&self) -> String;
}

/// A master key held in process memory (zeroized when dropped).
pub struct MasterKey {
    key: Zeroizing<[u8; 32]>,
    source: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.source)
    }
}

impl MasterKey {
    /// From 64 hex digits (surrounding white space ignored); `source` says where it came from.
    pub fn from_hex(text: &str, source: &str) -> Result<MasterKey, CryptoError> {
        let bytes = Zeroizing::new(from_hex(text.trim()).unwrap_or_default());
        if bytes.len() != 32 {
            return Err(CryptoError(tr!("crypto-err-master-hex", source = source)));
        }
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&bytes);
        Ok(MasterKey {
            key,
            source: source.to_string(),
        })
    }
    /// A new random master key, and its hex for the key file.
    pub fn generate(source: &str) -> Result<(MasterKey, Zeroizing<String>), CryptoError> {
        let mut b = Zeroizing::new([0u8; 32]);
        random(b.as_mut())?;
        let hex = Zeroizing::new(to_hex(b.as_ref()));
        Ok((MasterKey::from_hex(&hex, source)?, hex))
    }
    fn kek(&self, cipher: Cipher, key_id: u32) -> Result<FieldCipher, CryptoError> {
        let k = Zeroizing::new(hmac(
            cipher.hash(),
            self.key.as_ref(),
            &[b"tongchou key-encryption key", cipher.name().as_bytes()],
        ));
        FieldCipher::new(cipher, key_id, &k[..cipher.key_len()])
    }
}

fn aad(key_id: u32) -> Vec<u8> {
    format!("tongchou data key {key_id}").into_bytes()
}

impl KeyProvider for MasterKey {
    fn wrap(&self, cipher: Cipher, key_id: u32, material: &[u8]) -> Result<String, CryptoError> {
        let sealed = self.kek(cipher, 0)?.seal_bytes(&aad(key_id), material)?;
        Ok(to_hex(&sealed))
    }
    fn unwrap(
        &self,
        cipher: Cipher,
        key_id: u32,
        wrapped: &str,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let sealed = from_hex(wrapped)
            .ok_or_else(|| CryptoError(tr!("crypto-err-wrapped-hex", key = key_id)))?;
        self.kek(cipher, 0)?
            .open_bytes(&aad(key_id), &sealed)
            .map_err(|_| CryptoError(tr!("crypto-err-unwrap", key = key_id, source = self.source)))
    }
    fn describe(&self) -> String {
        self.source.clone()
    }
}

/// A data key in the clear (zeroized when dropped): the field cipher's key and the blind
/// index key, 32 bytes each (SM4 uses the first 16).
pub struct DataKey {
    pub id: u32,
    pub cipher: Cipher,
    material: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKey({}, {})", self.id, self.cipher.name())
    }
}

impl DataKey {
    /// A new random data key.
    pub fn generate(id: u32, cipher: Cipher) -> Result<DataKey, CryptoError> {
        let mut material = Zeroizing::new(vec![0u8; 64]);
        random(&mut material)?;
        Ok(DataKey {
            id,
            cipher,
            material,
        })
    }
    pub fn wrap(&self, p: &dyn KeyProvider) -> Result<String, CryptoError> {
        p.wrap(self.cipher, self.id, &self.material)
    }
    pub fn unwrap(
        p: &dyn KeyProvider,
        id: u32,
        cipher: Cipher,
        wrapped: &str,
    ) -> Result<DataKey, CryptoError> {
        let material = p.unwrap(cipher, id, wrapped)?;
        if material.len() != 64 {
            return Err(CryptoError(tr!("crypto-err-data-key-length", key = id)));
        }
        Ok(DataKey {
            id,
            cipher,
            material,
        })
    }
    /// The field cipher of this key.
    pub fn field_cipher(&self) -> Result<FieldCipher, CryptoError> {
        FieldCipher::new(
            self.cipher,
            self.id,
            &self.material[..self.cipher.key_len()],
        )
    }
    /// The blind index of this key (keyed by its second half).
    pub fn blind_index(&self) -> crate::BlindIndex {
        crate::BlindIndex::new(self.cipher.hash(), &self.material[32..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_keys_unwrap_only_under_their_master_and_number() {
        for cipher in [Cipher::Sm4Gcm, Cipher::Aes256Gcm] {
            let (m, hex) = MasterKey::generate("test").expect("master");
            assert_eq!(hex.len(), 64);
            let dk = DataKey::generate(1, cipher).expect("dk");
            let w = dk.wrap(&m).expect("wrap");
            let back = DataKey::unwrap(&m, 1, cipher, &w).expect("unwrap");
            let f = dk.field_cipher().expect("fc");
            let g = back.field_cipher().expect("fc");
            let e = f.encrypt("c", "6222021234567890123").expect("enc");
            assert_eq!(g.decrypt("c", &e).expect("dec"), "6222021234567890123");
            assert_eq!(
                dk.blind_index().of("id_number", "x"),
                back.blind_index().of("id_number", "x")
            );
            // another number, another master key
            assert!(DataKey::unwrap(&m, 2, cipher, &w).is_err());
            let (m2, _) = MasterKey::generate("other").expect("master");
            let err = DataKey::unwrap(&m2, 1, cipher, &w).expect_err("wrong master");
            assert!(err.0.contains("other"), "{err}");
        }
        assert!(MasterKey::from_hex("abcd", "env").is_err());
        assert!(MasterKey::from_hex(&"0".repeat(64), "env").is_ok());
    }
}
