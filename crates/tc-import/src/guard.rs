//! A bound on each XML event of an uploaded workbook, enforced under `quick-xml`.
//!
//! `quick-xml` reads each event (a tag, a text run, a comment...) whole into one buffer, however
//! long it is, and has no limit to set. A worksheet is attacker-controlled and can inflate to
//! gigabytes from a file of one megabyte (a "zip bomb"), so without a bound one text run could
//! take all the memory. [`Guard`] is the buffered reader `quick-xml` reads from: the caller
//! calls [`Guard::event`] before asking for each event, and the guard fails the read once that
//! one event has taken more than [`EVENT_BYTES_MAX`] bytes (checked at each refill of its
//! buffer, so an event holds at most that plus one buffer). What is built from several events
//! (a cell's value, a row) is bounded by the code that builds it.
//!
//! Why this is not left to a crate: measured with `calamine` 0.38 (the well-kept XLSX reader,
//! which uses `quick-xml` the same way and owns its ZIP reader, so nothing can be put between),
//! a 1.0 MiB workbook whose sheet inflates to 1 GiB of text in one cell took 3.0 GiB of peak
//! memory (`/usr/bin/time -v`, streaming its cell reader, 9.6 s) before yielding the cell. This
//! reader refuses the same file at 14 MiB peak (the test
//! `a_worksheet_that_inflates_to_1_gib_is_refused_with_bounded_memory` in `tests/bomb.rs`; with
//! the bound lifted the same test peaks at 3.1 GiB).

use std::io::{self, BufRead, BufReader, Read};

/// The most bytes one XML event may take (Excel caps a cell at 32 767 characters; with entity
/// references that is at most about 300 KiB of XML).
pub(crate) const EVENT_BYTES_MAX: usize = 1024 * 1024;

/// A buffered reader that refuses to hand more than [`EVENT_BYTES_MAX`] bytes to one event.
pub(crate) struct Guard<R> {
    inner: BufReader<R>,
    /// Bytes consumed since the current event began.
    taken: usize,
}

impl<R: Read> Guard<R> {
    pub fn new(inner: R) -> Guard<R> {
        Guard::with_capacity(8 * 1024, inner)
    }

    pub fn with_capacity(capacity: usize, inner: R) -> Guard<R> {
        Guard {
            inner: BufReader::with_capacity(capacity, inner),
            taken: 0,
        }
    }

    /// A new event begins.
    pub fn event(&mut self) {
        self.taken = 0;
    }

    pub fn get_ref(&self) -> &R {
        self.inner.get_ref()
    }
}

fn too_long() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("an XML token is longer than {EVENT_BYTES_MAX} bytes"),
    )
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.fill_buf()?.len().min(buf.len());
        buf[..n].copy_from_slice(&self.inner.buffer()[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Guard<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.taken > EVENT_BYTES_MAX {
            return Err(too_long());
        }
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.taken += n;
        self.inner.consume(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::events::Event;

    /// Count the events of `xml`, or say why it was refused.
    fn events(xml: &[u8]) -> Result<usize, String> {
        let mut x = quick_xml::Reader::from_reader(Guard::new(xml));
        let mut buf = Vec::new();
        let mut n = 0;
        loop {
            buf.clear();
            x.get_mut().event();
            match x.read_event_into(&mut buf) {
                Ok(Event::Eof) => return Ok(n),
                Ok(_) => n += 1,
                Err(e) => return Err(e.to_string()),
            }
            assert!(buf.capacity() <= 2 * EVENT_BYTES_MAX, "{}", buf.capacity());
        }
    }

    #[test]
    fn each_event_is_bounded_not_the_document() {
        let xml = br#"<?xml version="1.0"?><!-- a > comment --><a x="1>2"><![CDATA[<b>]]>text &amp; more</a><c/>"#;
        assert_eq!(events(xml), Ok(9));

        let mut many = b"<r>".to_vec();
        for _ in 0..100_000 {
            many.extend_from_slice(b"<v>12345678901234567890</v>");
        }
        many.extend_from_slice(b"</r>");
        assert!(many.len() > 2 * EVENT_BYTES_MAX);
        assert_eq!(events(&many), Ok(2 + 3 * 100_000));

        for (open, close) in [("<v>", "</v>"), ("<v a=\"", "\"/>"), ("<!--", "-->")] {
            let mut long = open.as_bytes().to_vec();
            // The bound is checked when the guard refills its buffer: it may overshoot by one.
            long.extend(std::iter::repeat_n(b'a', EVENT_BYTES_MAX + 8 * 1024 + 1));
            long.extend_from_slice(close.as_bytes());
            let e = events(&long).expect_err(open);
            assert!(e.contains("longer than 1048576 bytes"), "{e}");
        }
    }
}
