//! A minimal ZIP reader: enough for XLSX workbooks (stored and deflated entries, ZIP64 sizes).
//!
//! Entries are streamed through `miniz_oxide`'s raw inflater; the CRC-32 and the uncompressed
//! size recorded in the central directory are checked when an entry has been read to its end, so
//! a truncated or corrupted workbook is refused rather than half read.

use miniz_oxide::inflate::stream::{InflateState, inflate};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};
use std::io::{self, Read, Seek, SeekFrom};

/// The largest central directory accepted (an XLSX has a few dozen entries).
const CENTRAL_DIRECTORY_BYTES_MAX: u64 = 16 * 1024 * 1024;
/// The end-of-central-directory record is at most 22 bytes plus a 65535-byte comment.
const EOCD_SEARCH_BYTES_MAX: u64 = 22 + 65535;
const INPUT_BUFFER_BYTES: usize = 64 * 1024;

/// One entry of the central directory.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Normalized name: forward slashes, no leading slash.
    pub name: String,
    method: u16,
    flags: u16,
    crc32: u32,
    pub compressed_size: u64,
    pub size: u64,
    local_header_offset: u64,
}

/// A ZIP archive's directory over a seekable reader.
pub(crate) struct Archive<R> {
    reader: R,
    entries: Vec<Entry>,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn read_at<R: Read + Seek>(r: &mut R, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    r.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf)
        .map_err(|_| bad("the archive ends early (truncated file)"))?;
    Ok(buf)
}

impl<R: Read + Seek> Archive<R> {
    /// Read the central directory.
    pub fn open(mut reader: R) -> io::Result<Archive<R>> {
        let len = reader.seek(SeekFrom::End(0))?;
        if len < 22 {
            return Err(bad("too short to be a ZIP archive"));
        }
        let tail_len = len.min(EOCD_SEARCH_BYTES_MAX);
        let tail = read_at(&mut reader, len - tail_len, tail_len as usize)?;
        let Some(eocd) = (0..=tail.len() - 22)
            .rev()
            .find(|&i| u32_at(&tail, i) == 0x0605_4b50)
        else {
            return Err(bad(
                "no ZIP end-of-directory record (truncated or not a ZIP archive)",
            ));
        };
        let mut count = u16_at(&tail, eocd + 10) as u64;
        let mut cd_size = u32_at(&tail, eocd + 12) as u64;
        let mut cd_offset = u32_at(&tail, eocd + 16) as u64;
        if count == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF {
            // ZIP64: the locator sits just before the end-of-directory record.
            let eocd_abs = len - tail_len + eocd as u64;
            if eocd_abs < 20 {
                return Err(bad("ZIP64 locator missing"));
            }
            let loc = read_at(&mut reader, eocd_abs - 20, 20)?;
            if u32_at(&loc, 0) != 0x0706_4b50 {
                return Err(bad("ZIP64 locator missing"));
            }
            let rec = read_at(&mut reader, u64_at(&loc, 8), 56)?;
            if u32_at(&rec, 0) != 0x0606_4b50 {
                return Err(bad("ZIP64 end-of-directory record missing"));
            }
            count = u64_at(&rec, 32);
            cd_size = u64_at(&rec, 40);
            cd_offset = u64_at(&rec, 48);
        }
        if cd_size > CENTRAL_DIRECTORY_BYTES_MAX || cd_offset.saturating_add(cd_size) > len {
            return Err(bad("the ZIP directory is out of bounds (truncated file)"));
        }
        let cd = read_at(&mut reader, cd_offset, cd_size as usize)?;
        let mut entries = Vec::with_capacity(count.min(4096) as usize);
        let mut p = 0usize;
        for _ in 0..count {
            if p + 46 > cd.len() || u32_at(&cd, p) != 0x0201_4b50 {
                return Err(bad("corrupt ZIP directory entry"));
            }
            let name_len = u16_at(&cd, p + 28) as usize;
            let extra_len = u16_at(&cd, p + 30) as usize;
            let comment_len = u16_at(&cd, p + 32) as usize;
            let end = p + 46 + name_len + extra_len + comment_len;
            if end > cd.len() {
                return Err(bad("corrupt ZIP directory entry"));
            }
            let raw_name = &cd[p + 46..p + 46 + name_len];
            let name = String::from_utf8_lossy(raw_name).replace('\\', "/");
            let mut e = Entry {
                name: name.trim_start_matches('/').to_string(),
                method: u16_at(&cd, p + 10),
                flags: u16_at(&cd, p + 8),
                crc32: u32_at(&cd, p + 16),
                compressed_size: u32_at(&cd, p + 20) as u64,
                size: u32_at(&cd, p + 24) as u64,
                local_header_offset: u32_at(&cd, p + 42) as u64,
            };
            apply_zip64_extra(
                &mut e,
                &cd[p + 46 + name_len..p + 46 + name_len + extra_len],
            );
            entries.push(e);
            p = end;
        }
        Ok(Archive { reader, entries })
    }

    /// The entry with this name (ASCII case-insensitive), if any.
    pub fn find(&self, name: &str) -> Option<&Entry> {
        let name = name.trim_start_matches('/');
        self.entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
    }

    /// Read a whole (small) entry into memory, refusing entries over `limit` bytes.
    pub fn read_entry(&mut self, name: &str, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let Some(e) = self.find(name).cloned() else {
            return Ok(None);
        };
        if e.size > limit {
            return Err(bad(format!(
                "{} is {} bytes, over the {limit}-byte limit",
                e.name, e.size
            )));
        }
        // The directory's size is a claim, not a promise: reserve little up front.
        let mut out = Vec::with_capacity(e.size.min(1 << 24) as usize);
        self.entry_reader(&e)?.read_to_end(&mut out)?;
        Ok(Some(out))
    }

    /// A streaming reader over one entry's uncompressed bytes. The archive's reader is consumed
    /// (entries are read one at a time, so this takes `self` by value for the long sheet).
    pub fn into_entry_reader(mut self, e: &Entry) -> io::Result<EntryReader<R>> {
        self.seek_to_data(e)?;
        Ok(EntryReader::new(self.reader, e))
    }

    fn entry_reader(&mut self, e: &Entry) -> io::Result<EntryReader<&mut R>> {
        self.seek_to_data(e)?;
        Ok(EntryReader::new(&mut self.reader, e))
    }

    fn seek_to_data(&mut self, e: &Entry) -> io::Result<()> {
        if e.flags & 1 != 0 {
            return Err(bad(format!("{} is encrypted", e.name)));
        }
        if e.method != 0 && e.method != 8 {
            return Err(bad(format!(
                "{} uses compression method {}, only stored (0) and deflate (8) are supported",
                e.name, e.method
            )));
        }
        let h = read_at(&mut self.reader, e.local_header_offset, 30)?;
        if u32_at(&h, 0) != 0x0403_4b50 {
            return Err(bad(format!("{}: corrupt local header", e.name)));
        }
        let skip = u16_at(&h, 26) as u64 + u16_at(&h, 28) as u64;
        self.reader.seek(SeekFrom::Start(
            e.local_header_offset.saturating_add(30 + skip),
        ))?;
        Ok(())
    }
}

fn apply_zip64_extra(e: &mut Entry, mut extra: &[u8]) {
    while extra.len() >= 4 {
        let id = u16_at(extra, 0);
        let size = u16_at(extra, 2) as usize;
        if 4 + size > extra.len() {
            return;
        }
        if id == 0x0001 {
            let body = &extra[4..4 + size];
            let mut at = 0;
            let mut take = |v: &mut u64| {
                if *v == 0xFFFF_FFFF && at + 8 <= body.len() {
                    *v = u64_at(body, at);
                    at += 8;
                }
            };
            take(&mut e.size);
            take(&mut e.compressed_size);
            take(&mut e.local_header_offset);
            return;
        }
        extra = &extra[4 + size..];
    }
}

/// Streams one entry, inflating if needed, and checks CRC-32 and size at the end.
pub(crate) struct EntryReader<R> {
    inner: R,
    name: String,
    compressed_left: u64,
    deflate: Option<Box<InflateState>>,
    input: Vec<u8>,
    in_pos: usize,
    in_len: usize,
    finished: bool,
    crc: Crc32,
    produced: u64,
    expected_crc: u32,
    expected_size: u64,
    /// Compressed bytes taken from the archive so far (for progress).
    pub consumed: u64,
}

impl<R: Read> EntryReader<R> {
    fn new(inner: R, e: &Entry) -> EntryReader<R> {
        EntryReader {
            inner,
            name: e.name.clone(),
            compressed_left: e.compressed_size,
            deflate: (e.method == 8).then(|| InflateState::new_boxed(DataFormat::Raw)),
            input: vec![0u8; INPUT_BUFFER_BYTES],
            in_pos: 0,
            in_len: 0,
            finished: false,
            crc: Crc32::new(),
            produced: 0,
            expected_crc: e.crc32,
            expected_size: e.size,
            consumed: 0,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        let want = (self.input.len() as u64).min(self.compressed_left) as usize;
        if want == 0 {
            self.in_pos = 0;
            self.in_len = 0;
            return Ok(());
        }
        let n = self.inner.read(&mut self.input[..want])?;
        if n == 0 {
            return Err(bad(format!("{}: the archive ends early", self.name)));
        }
        self.compressed_left -= n as u64;
        self.consumed += n as u64;
        self.in_pos = 0;
        self.in_len = n;
        Ok(())
    }

    fn verify_end(&self) -> io::Result<()> {
        if self.produced != self.expected_size {
            return Err(bad(format!(
                "{}: {} bytes unpacked, the directory says {}",
                self.name, self.produced, self.expected_size
            )));
        }
        if self.crc.value() != self.expected_crc {
            return Err(bad(format!(
                "{}: CRC-32 mismatch (corrupt file)",
                self.name
            )));
        }
        Ok(())
    }

    fn account(&mut self, out: &[u8]) -> io::Result<()> {
        self.crc.update(out);
        self.produced += out.len() as u64;
        if self.produced > self.expected_size {
            return Err(bad(format!(
                "{}: more bytes than the directory says",
                self.name
            )));
        }
        Ok(())
    }
}

impl<R: Read> Read for EntryReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() || self.finished {
            return Ok(0);
        }
        loop {
            if self.in_pos == self.in_len {
                self.refill()?;
            }
            let input_ended = self.in_len == 0;
            let Some(state) = self.deflate.as_mut() else {
                // Stored entry.
                if input_ended {
                    self.finished = true;
                    self.verify_end()?;
                    return Ok(0);
                }
                let n = (self.in_len - self.in_pos).min(out.len());
                out[..n].copy_from_slice(&self.input[self.in_pos..self.in_pos + n]);
                self.in_pos += n;
                self.account(&out[..n])?;
                return Ok(n);
            };
            let r = inflate(
                state,
                &self.input[self.in_pos..self.in_len],
                out,
                MZFlush::None,
            );
            self.in_pos += r.bytes_consumed;
            match r.status {
                Ok(MZStatus::StreamEnd) => self.finished = true,
                Ok(_) | Err(MZError::Buf) => {}
                Err(_) => {
                    return Err(bad(format!("{}: corrupt compressed data", self.name)));
                }
            }
            let n = r.bytes_written;
            self.account(&out[..n])?;
            if self.finished {
                self.verify_end()?;
                return Ok(n);
            }
            if n > 0 {
                return Ok(n);
            }
            if input_ended && r.bytes_consumed == 0 {
                return Err(bad(format!(
                    "{}: the compressed data ends early (truncated file)",
                    self.name
                )));
            }
        }
    }
}

/// CRC-32 (IEEE 802.3, as in ZIP), table driven.
pub(crate) struct Crc32(u32);

/// Slicing-by-8 tables: table 0 is the classic byte table, table k advances k more bytes.
const fn crc_tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut i = 0;
    while i < 256 {
        let mut k = 1;
        while k < 8 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            k += 1;
        }
        i += 1;
    }
    t
}
static CRC_TABLES: [[u32; 256]; 8] = crc_tables();

impl Crc32 {
    pub fn new() -> Crc32 {
        Crc32(0xFFFF_FFFF)
    }
    pub fn update(&mut self, data: &[u8]) {
        let t = &CRC_TABLES;
        let mut c = self.0;
        let mut chunks = data.chunks_exact(8);
        for b in &mut chunks {
            let lo = c ^ u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            let hi = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
            c = t[7][(lo & 0xFF) as usize]
                ^ t[6][((lo >> 8) & 0xFF) as usize]
                ^ t[5][((lo >> 16) & 0xFF) as usize]
                ^ t[4][(lo >> 24) as usize]
                ^ t[3][(hi & 0xFF) as usize]
                ^ t[2][((hi >> 8) & 0xFF) as usize]
                ^ t[1][((hi >> 16) & 0xFF) as usize]
                ^ t[0][(hi >> 24) as usize];
        }
        for &b in chunks.remainder() {
            c = t[0][((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
        }
        self.0 = c;
    }
    pub fn value(&self) -> u32 {
        self.0 ^ 0xFFFF_FFFF
    }
}

/// CRC-32 of a byte string (test fixtures write ZIPs with it).
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = Crc32::new();
    c.update(data);
    c.value()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// Build a ZIP with the given (name, data, deflate?) entries.
    pub(crate) fn build_zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut cd = Vec::new();
        for (name, data, deflate) in entries {
            let body = if *deflate {
                miniz_oxide::deflate::compress_to_vec(data, 6)
            } else {
                data.to_vec()
            };
            let offset = out.len() as u32;
            let method: u16 = if *deflate { 8 } else { 0 };
            let crc = crc32(data);
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            out.extend_from_slice(&[20, 0, 0, 0]);
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0, 0, 0, 0]);
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&body);
            cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            cd.extend_from_slice(&[20, 0, 20, 0, 0, 0]);
            cd.extend_from_slice(&method.to_le_bytes());
            cd.extend_from_slice(&[0, 0, 0, 0]);
            cd.extend_from_slice(&crc.to_le_bytes());
            cd.extend_from_slice(&(body.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(data.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(name.len() as u16).to_le_bytes());
            cd.extend_from_slice(&[0u8; 12]);
            cd.extend_from_slice(&offset.to_le_bytes());
            cd.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&cd);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn crc_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        // Slicing-by-8 agrees with the bytewise definition at every length and split.
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let bytewise = |d: &[u8]| {
            let mut c = 0xFFFF_FFFFu32;
            for &b in d {
                c = CRC_TABLES[0][((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
            }
            c ^ 0xFFFF_FFFF
        };
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 999, 1000] {
            assert_eq!(crc32(&data[..len]), bytewise(&data[..len]), "{len}");
        }
        let mut split = Crc32::new();
        split.update(&data[..333]);
        split.update(&data[333..]);
        assert_eq!(split.value(), bytewise(&data));
    }

    #[test]
    fn stored_and_deflated_entries_round_trip() {
        let big: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let zip = build_zip(&[("a.txt", b"hello", false), ("Dir/B.bin", &big, true)]);
        let mut a = Archive::open(Cursor::new(zip)).expect("open");
        assert_eq!(
            a.read_entry("a.txt", 100).expect("read"),
            Some(b"hello".to_vec())
        );
        assert_eq!(
            a.read_entry("dir/b.bin", 10_000_000).expect("read"),
            Some(big.clone())
        );
        assert!(a.read_entry("missing", 10).expect("read").is_none());
        assert!(a.read_entry("a.txt", 2).is_err());
        let e = a.find("Dir/B.bin").cloned().expect("entry");
        let mut r = a.into_entry_reader(&e).expect("reader");
        let mut got = Vec::new();
        let mut chunk = [0u8; 777];
        loop {
            let n = r.read(&mut chunk).expect("chunk");
            if n == 0 {
                break;
            }
            got.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(got, big);
    }

    #[test]
    fn corruption_and_truncation_are_refused() {
        let data: Vec<u8> = (0..50_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let zip = build_zip(&[("x", &data, true)]);
        // Flip a byte inside the compressed body: inflate fails or the CRC does not match.
        let mut corrupt = zip.clone();
        corrupt[30 + 1 + 200] ^= 0x55;
        let mut a = Archive::open(Cursor::new(corrupt)).expect("directory intact");
        assert!(a.read_entry("x", u64::MAX).is_err());
        // Cut the file: the end-of-directory record is gone.
        let cut = zip[..zip.len() / 2].to_vec();
        assert!(Archive::open(Cursor::new(cut)).is_err());
        assert!(Archive::open(Cursor::new(b"PK\x03\x04 not really".to_vec())).is_err());
    }
}
