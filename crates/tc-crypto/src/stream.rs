//! Streamed, chunked authenticated encryption of a whole file (backups, audit archives,
//! exports that carry full ID numbers).
//!
//! A sealed file is a text header, then chunks:
//!
//! ```text
//! TONGCHOU-SEALED 1
//! kind: backup-sqlite
//! cipher: sm4-gcm
//! key: file-key wrapped by <provider>
//! wrapped: <hex of the file key sealed by the KeyProvider as key number 0>
//! chunk: 1048576
//! <empty line>
//! [u32 BE length][u8 last flag][nonce 12 ‖ ciphertext ‖ tag 16]  … until a chunk flagged last
//! ```
//!
//! Every file has its own random key (the *file key*), sealed by the deployment's
//! [`KeyProvider`] (the master key, or a KMS/HSM) exactly as data keys are, under the reserved
//! key number 0, so a restore needs the master key and nothing from the database. Each chunk is
//! sealed with the deployment's field cipher (SM4-GCM or AES-256-GCM) under the file key, with
//! associated data SHA-256(header) ‖ chunk number ‖ last flag: a changed header, a reordered,
//! dropped, repeated or altered chunk, a cut-off end, or bytes after the end all fail.

use crate::field::{Cipher, FieldCipher};
use crate::{CryptoError, KeyProvider, random, to_hex};
use sha2::{Digest, Sha256};
use std::io::{self, BufRead, Read, Write};
use tongchou_core::tr;
use zeroize::Zeroizing;

const MAGIC: &str = "TONGCHOU-SEALED 1";
/// Plain bytes per chunk.
pub const CHUNK: usize = 1 << 20;
/// The key number under which file keys are wrapped (data keys start at 1).
pub const FILE_KEY_ID: u32 = 0;
const MAX_HEADER: usize = 64 * 1024;

/// What the header of a sealed file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// What the file holds (`backup-sqlite`, `backup-pg-dump`, `backup-pg-base`, `audit-archive`…).
    pub kind: String,
    pub cipher: Cipher,
    /// Which key opens it (the provider that wrapped the file key).
    pub key: String,
    wrapped: String,
    chunk: usize,
}

impl Header {
    fn text(&self) -> String {
        format!(
            "{MAGIC}\nkind: {}\ncipher: {}\nkey: {}\nwrapped: {}\nchunk: {}\n\n",
            self.kind,
            self.cipher.name(),
            self.key,
            self.wrapped,
            self.chunk
        )
    }
    fn parse(lines: &[String]) -> Result<Header, CryptoError> {
        let bad = not_sealed;
        if lines.first().map(String::as_str) != Some(MAGIC) {
            return Err(bad(tr!("crypto-sealed-first-line", magic = MAGIC)));
        }
        let field = |name: &str| {
            lines
                .iter()
                .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                .map(str::to_string)
                .ok_or_else(|| bad(tr!("crypto-sealed-missing", name = format!("{name:?}"))))
        };
        let cipher = field("cipher")?;
        let chunk = field("chunk")?
            .parse::<usize>()
            .ok()
            .filter(|c| (1..=16 * CHUNK).contains(c))
            .ok_or_else(|| bad(tr!("crypto-sealed-chunk-size")))?;
        Ok(Header {
            kind: field("kind")?,
            cipher: Cipher::parse(&cipher)
                .ok_or_else(|| bad(tr!("crypto-sealed-cipher", cipher = format!("{cipher:?}"))))?,
            key: field("key")?,
            wrapped: field("wrapped")?,
            chunk,
        })
    }
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn aad(header_digest: &[u8], index: u64, last: bool) -> Vec<u8> {
    let mut a = Vec::with_capacity(41);
    a.extend_from_slice(header_digest);
    a.extend_from_slice(&index.to_be_bytes());
    a.push(u8::from(last));
    a
}

fn io_err(e: CryptoError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.0)
}

/// Encrypts what is written to it into a sealed file; [`SealWriter::finish`] writes the last
/// chunk (without it the file does not open: a cut-off file is refused).
pub struct SealWriter<W: Write> {
    out: W,
    cipher: FieldCipher,
    digest: [u8; 32],
    buf: Vec<u8>,
    index: u64,
    written: u64,
}

impl<W: Write> SealWriter<W> {
    /// Start a sealed file of `kind` under a fresh file key wrapped by `p`.
    pub fn new(
        p: &dyn KeyProvider,
        cipher: Cipher,
        kind: &str,
        mut out: W,
    ) -> Result<SealWriter<W>, CryptoError> {
        let mut key = Zeroizing::new(vec![0u8; cipher.key_len()]);
        random(&mut key)?;
        let header = Header {
            kind: one_line(kind),
            cipher,
            key: one_line(&format!("file key wrapped by {}", p.describe())),
            wrapped: p.wrap(cipher, FILE_KEY_ID, &key)?,
            chunk: CHUNK,
        };
        let text = header.text();
        out.write_all(text.as_bytes()).map_err(|e| {
            CryptoError(tr!(
                "crypto-err-write",
                error = tongchou_core::i18n::io_text(&e)
            ))
        })?;
        Ok(SealWriter {
            out,
            cipher: FieldCipher::new(cipher, FILE_KEY_ID, &key)?,
            digest: Sha256::digest(text.as_bytes()).into(),
            buf: Vec::with_capacity(CHUNK),
            index: 0,
            written: 0,
        })
    }
    fn emit(&mut self, last: bool) -> io::Result<()> {
        let sealed = self
            .cipher
            .seal_bytes(&aad(&self.digest, self.index, last), &self.buf)
            .map_err(io_err)?;
        let len = u32::try_from(sealed.len())
            .map_err(|_| io::Error::other(tr!("crypto-err-chunk-large")))?;
        self.out.write_all(&len.to_be_bytes())?;
        self.out.write_all(&[u8::from(last)])?;
        self.out.write_all(&sealed)?;
        self.written += self.buf.len() as u64;
        self.buf.clear();
        self.index += 1;
        Ok(())
    }
    /// Seal the last chunk and flush; the plain bytes written and the output.
    pub fn finish(mut self) -> io::Result<(u64, W)> {
        self.emit(true)?;
        self.out.flush()?;
        Ok((self.written, self.out))
    }
}

impl<W: Write> Write for SealWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK {
            self.emit(false)?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Decrypts a sealed file as it is read. A chunk that does not authenticate, a file cut off
/// before its last chunk, or bytes after it are an error of kind `InvalidData`.
pub struct OpenReader<R: BufRead> {
    input: R,
    header: Header,
    cipher: FieldCipher,
    digest: [u8; 32],
    plain: Zeroizing<Vec<u8>>,
    pos: usize,
    index: u64,
    done: bool,
}

fn not_sealed(reason: String) -> CryptoError {
    CryptoError(tr!("crypto-err-not-sealed", reason = reason))
}

fn read_header(input: &mut impl BufRead) -> Result<(Vec<String>, String), CryptoError> {
    let (mut lines, mut raw) = (Vec::new(), String::new());
    loop {
        let mut line = String::new();
        let n = input
            .by_ref()
            .take(MAX_HEADER as u64)
            .read_line(&mut line)
            .map_err(|_| not_sealed(tr!("crypto-sealed-not-text")))?;
        raw.push_str(&line);
        if n == 0 || raw.len() >= MAX_HEADER {
            return Err(not_sealed(tr!("crypto-sealed-no-end")));
        }
        let l = line.trim_end_matches('\n');
        if l.is_empty() {
            return Ok((lines, raw));
        }
        lines.push(l.to_string());
    }
}

impl<R: BufRead> OpenReader<R> {
    /// Read the header and unwrap the file key with `p`.
    pub fn new(p: &dyn KeyProvider, mut input: R) -> Result<OpenReader<R>, CryptoError> {
        let (lines, raw) = read_header(&mut input)?;
        let header = Header::parse(&lines)?;
        let key = p
            .unwrap(header.cipher, FILE_KEY_ID, &header.wrapped)
            .map_err(|e| CryptoError(tr!("crypto-err-file-key", error = e)))?;
        Ok(OpenReader {
            cipher: FieldCipher::new(header.cipher, FILE_KEY_ID, &key)?,
            digest: Sha256::digest(raw.as_bytes()).into(),
            header,
            input,
            plain: Zeroizing::new(Vec::new()),
            pos: 0,
            index: 0,
            done: false,
        })
    }
    pub fn header(&self) -> &Header {
        &self.header
    }
    fn next_chunk(&mut self) -> io::Result<()> {
        let bad = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
        let mut head = [0u8; 5];
        self.input
            .read_exact(&mut head)
            .map_err(|_| bad(tr!("crypto-err-chunk-cut", chunk = self.index)))?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if len > self.header.chunk + 64 || head[4] > 1 {
            return Err(bad(tr!("crypto-err-chunk-malformed", chunk = self.index)));
        }
        let last = head[4] == 1;
        let mut sealed = vec![0u8; len];
        self.input
            .read_exact(&mut sealed)
            .map_err(|_| bad(tr!("crypto-err-chunk-short", chunk = self.index)))?;
        self.plain = self
            .cipher
            .open_bytes(&aad(&self.digest, self.index, last), &sealed)
            .map_err(|_| bad(tr!("crypto-err-chunk-auth", chunk = self.index)))?;
        self.pos = 0;
        self.index += 1;
        if last {
            self.done = true;
            if !self.input.fill_buf()?.is_empty() {
                return Err(bad(tr!("crypto-err-trailing")));
            }
        }
        Ok(())
    }
}

impl<R: BufRead> Read for OpenReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.plain.len() {
            if self.done {
                return Ok(0);
            }
            self.next_chunk()?;
        }
        let n = out.len().min(self.plain.len() - self.pos);
        out[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The header of a sealed file (what it holds, its cipher and key), without opening it.
pub fn peek_header(input: &mut impl BufRead) -> Result<Header, CryptoError> {
    Header::parse(&read_header(input)?.0)
}

/// SHA-256 of bytes as hex (a sealed file's fingerprint).
pub fn sha256_hex(data: &[u8]) -> String {
    to_hex(&Sha256::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MasterKey;
    use std::io::BufReader;

    fn seal(m: &MasterKey, cipher: Cipher, data: &[u8]) -> Vec<u8> {
        let mut w = SealWriter::new(m, cipher, "test", Vec::new()).expect("seal");
        w.write_all(data).expect("write");
        w.finish().expect("finish").1
    }

    fn open(m: &MasterKey, file: &[u8]) -> io::Result<Vec<u8>> {
        let mut r = OpenReader::new(m, BufReader::new(file)).map_err(io_err)?;
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn refusals_read_in_the_readers_language() {
        use tongchou_core::i18n::{Lang, other_language, scope};
        let (m, _) = MasterKey::generate("test").expect("master");
        let (other, _) = MasterKey::generate("other").expect("master");
        let file = seal(&m, Cipher::Sm4Gcm, b"abc");
        let mut altered = file.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        for lang in Lang::ALL {
            scope(lang, || {
                let bad: [&[u8]; 5] = [
                    &file[..file.len() - 3],
                    &altered,
                    b"TONGCHOU-SEALED 1\nkind: x\n\n",
                    b"hello\n\n",
                    b"TONGCHOU-SEALED 1\n",
                ];
                let mut texts: Vec<String> = bad
                    .iter()
                    .map(|b| open(&m, b).expect_err("refused").to_string())
                    .collect();
                texts.push(open(&other, &file).expect_err("other key").to_string());
                texts.push(
                    MasterKey::from_hex("abcd", "TONGCHOU_MASTER_KEY")
                        .expect_err("short")
                        .0,
                );
                for t in texts {
                    assert_eq!(other_language(&t, lang), None, "{lang:?}: {t}");
                }
            });
        }
    }

    #[test]
    fn roundtrip_and_every_tampering_refused() {
        let (m, _) = MasterKey::generate("test key").expect("master");
        let data: Vec<u8> = (0..(2 * CHUNK + 123)).map(|i| (i % 251) as u8).collect();
        for cipher in [Cipher::Sm4Gcm, Cipher::Aes256Gcm] {
            let file = seal(&m, cipher, &data);
            let text = String::from_utf8_lossy(&file[..200]).to_string();
            assert!(
                text.contains(&format!("cipher: {}", cipher.name())),
                "{text}"
            );
            assert!(text.contains("file key wrapped by test key"), "{text}");
            assert_eq!(open(&m, &file).expect("open"), data);
            assert_eq!(open(&m, &seal(&m, cipher, b"")).expect("empty"), b"");
            // one flipped byte in the second chunk
            let mut t = file.clone();
            let at = file.len() - CHUNK / 2;
            t[at] ^= 1;
            let e = open(&m, &t).expect_err("altered");
            assert!(e.to_string().contains("块未通过认证"), "{e}");
            // cut off before the last chunk, or with bytes after it
            let e = open(&m, &file[..file.len() - 200]).expect_err("cut");
            assert!(e.to_string().contains("被截断"), "{e}");
            let mut longer = file.clone();
            longer.push(0);
            assert!(open(&m, &longer).is_err());
            // the header's kind changed
            let s = String::from_utf8_lossy(&file).replacen("kind: test", "kind: tesu", 1);
            let mut h = file.clone();
            h[..40].copy_from_slice(&s.as_bytes()[..40]);
            assert!(open(&m, &h).is_err());
            // another master key
            let (other, _) = MasterKey::generate("other").expect("master");
            assert!(open(&other, &file).is_err());
        }
    }

    #[test]
    fn a_plain_file_is_not_sealed() {
        let (m, _) = MasterKey::generate("k").expect("master");
        assert!(OpenReader::new(&m, BufReader::new(&b"SQLite format 3\0"[..])).is_err());
    }
}
