-- The data keys of field encryption (tongchou-crypto, docs/CRYPTO.md), stored only wrapped by
-- the master key that lives outside the database (key file, environment, or a KMS/HSM behind
-- tongchou_crypto::KeyProvider). `purpose` 'field' keys encrypt fields (the newest one not
-- retired encrypts, every one decrypts what it encrypted); the one 'index' key keys the blind
-- indexes. A key is never deleted: `retired_at` marks one no field uses any more.
CREATE TABLE IF NOT EXISTS crypto_keys (
    id          BIGINT PRIMARY KEY,
    purpose     TEXT NOT NULL CHECK (purpose IN ('field', 'index')),
    -- 'sm4-gcm' or 'aes-256-gcm'
    cipher      TEXT NOT NULL,
    -- hex of nonce || sealed key || tag under the master key's key-encryption key
    wrapped     TEXT NOT NULL,
    -- where the master key was (KeyProvider::describe), for the record; never the key
    provider    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    retired_at  TEXT
);
