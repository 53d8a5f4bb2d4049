//! Bounds on the XML of an uploaded workbook, checked on the bytes before `quick-xml` sees them.
//!
//! `quick-xml` reads each event (a tag, a text run, a comment...) whole into one buffer, however
//! long it is, and has no limit to set. A worksheet is attacker-controlled and can inflate to
//! gigabytes from a file of one megabyte (a "zip bomb"), so without a bound one text run could
//! take all the memory. [`Guard`] sits between the inflated bytes and the XML reader, follows
//! just enough of XML's lexical structure (text, tags with quoted attribute values, comments,
//! CDATA sections, processing instructions) to know where each event ends, and fails the read
//! as soon as one grows past its limit. Document type declarations are refused outright (no
//! entity definitions, so no entity expansion).
//!
//! Why this is not left to a crate: measured with `calamine` 0.38 (the well-kept XLSX reader,
//! which uses `quick-xml` the same way), a 1.0 MiB workbook whose sheet inflates to 1 GiB of
//! text in one cell took 3.0 GiB of peak memory (`/usr/bin/time -v`, streaming its cell reader,
//! 9.6 s) before yielding the cell; this reader refuses the same file within a few MiB (see the
//! test `a_worksheet_that_inflates_to_1_gib_is_refused_with_bounded_memory`).

use std::io::{self, Read};

/// The longest tag (name and attributes), comment or processing instruction accepted.
pub(crate) const TAG_BYTES_MAX: usize = 64 * 1024;
/// The most character data accepted between two element tags (Excel caps a cell at 32 767
/// characters; with entity references that is at most about 300 KiB of XML).
pub(crate) const TEXT_BYTES_MAX: usize = 1024 * 1024;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lex {
    Text,
    /// Just after `<`, until the kind of markup is known (`prefix` holds the bytes seen).
    Open,
    /// An element tag; the quote character of an attribute value being read, if any.
    Tag(Option<u8>),
    Comment,
    CData,
    Pi,
}

/// A reader that refuses XML whose events would be longer than the limits above.
pub(crate) struct Guard<R> {
    inner: R,
    lex: Lex,
    /// Bytes of the current markup token, from its `<`.
    token: usize,
    /// Bytes of character data since the last element tag (comments do not reset it).
    text: usize,
    prefix: [u8; 9],
    /// The last two bytes of the current token (to find `-->`, `]]>` and `?>`).
    last: [u8; 2],
}

fn too_long(what: &str, max: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{what} is longer than {max} bytes"),
    )
}

impl<R: Read> Guard<R> {
    pub fn new(inner: R) -> Guard<R> {
        Guard {
            inner,
            lex: Lex::Text,
            token: 0,
            text: 0,
            prefix: [0; 9],
            last: [0; 2],
        }
    }

    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    fn check(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut i = 0;
        while i < bytes.len() {
            match self.lex {
                Lex::Text => {
                    let rest = &bytes[i..];
                    let run = memchr::memchr(b'<', rest).unwrap_or(rest.len());
                    self.text += run;
                    if self.text > TEXT_BYTES_MAX {
                        return Err(too_long("a text run", TEXT_BYTES_MAX));
                    }
                    i += run;
                    if i < bytes.len() {
                        i += 1;
                        self.lex = Lex::Open;
                        self.token = 1;
                    }
                    continue;
                }
                Lex::Open => {
                    let b = bytes[i];
                    i += 1;
                    if self.token <= self.prefix.len() {
                        self.prefix[self.token - 1] = b;
                    }
                    self.token += 1;
                    let seen = &self.prefix[..(self.token - 1).min(self.prefix.len())];
                    self.lex = match seen {
                        [b'?', ..] => Lex::Pi,
                        b"!--" => Lex::Comment,
                        b"![CDATA[" => Lex::CData,
                        [b'!', rest @ ..] if b"--".starts_with(rest) => Lex::Open,
                        [b'!', rest @ ..] if b"[CDATA[".starts_with(rest) => Lex::Open,
                        [b'!', ..] => {
                            return Err(io::Error::new(
                                io::ErrorKind::InvalidData,
                                "a document type declaration is not allowed in a workbook",
                            ));
                        }
                        [b'>', ..] => {
                            self.text = 0;
                            Lex::Text
                        }
                        [b'"' | b'\'', ..] => Lex::Tag(Some(b)),
                        _ => Lex::Tag(None),
                    };
                    self.last = [0, b];
                    continue;
                }
                Lex::Tag(quote) => {
                    // Skip to the next byte that matters: a '>' or a quote.
                    let rest = &bytes[i..];
                    let skip = match quote {
                        None => memchr::memchr3(b'>', b'"', b'\'', rest),
                        Some(q) => memchr::memchr(q, rest),
                    }
                    .unwrap_or(rest.len());
                    self.token += skip;
                    i += skip;
                    if self.token > TAG_BYTES_MAX {
                        return Err(too_long("an XML tag", TAG_BYTES_MAX));
                    }
                    if i == bytes.len() {
                        continue;
                    }
                    let b = bytes[i];
                    i += 1;
                    self.token += 1;
                    match (quote, b) {
                        (None, b'>') => {
                            self.lex = Lex::Text;
                            self.text = 0;
                            continue;
                        }
                        (None, b'"' | b'\'') => self.lex = Lex::Tag(Some(b)),
                        (Some(q), _) if q == b => self.lex = Lex::Tag(None),
                        _ => {}
                    }
                    if self.token > TAG_BYTES_MAX {
                        return Err(too_long("an XML tag", TAG_BYTES_MAX));
                    }
                }
                Lex::Comment | Lex::CData | Lex::Pi => {
                    let b = bytes[i];
                    i += 1;
                    self.token += 1;
                    let ended = b == b'>'
                        && match self.lex {
                            Lex::Comment => self.last == *b"--" && self.token >= 7,
                            Lex::CData => self.last == *b"]]",
                            _ => self.last[1] == b'?' && self.token >= 4,
                        };
                    self.last = [self.last[1], b];
                    if ended {
                        self.lex = Lex::Text;
                        continue;
                    }
                    if self.lex == Lex::CData {
                        self.text += 1;
                        if self.text > TEXT_BYTES_MAX {
                            return Err(too_long("a text run", TEXT_BYTES_MAX));
                        }
                    } else if self.token > TAG_BYTES_MAX {
                        return Err(too_long("an XML comment or instruction", TAG_BYTES_MAX));
                    }
                }
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.check(&buf[..n])?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(xml: &[u8]) -> io::Result<()> {
        // One byte at a time and all at once must agree.
        let mut whole = Guard::new(xml);
        let a = whole.check(xml);
        let mut bytewise = Guard::new(&b""[..]);
        let b = xml.iter().try_for_each(|&c| bytewise.check(&[c]));
        assert_eq!(a.is_ok(), b.is_ok(), "{}", String::from_utf8_lossy(xml));
        a
    }

    #[test]
    fn ordinary_xml_passes() {
        let xml = br#"<?xml version="1.0"?><!-- a > comment --><a x="1>2" y='"'><![CDATA[<b>]]>text &amp; more</a><c/>"#;
        assert!(check(xml).is_ok());
    }

    #[test]
    fn long_tokens_are_refused() {
        let mut tag = b"<a x=\"".to_vec();
        tag.extend(std::iter::repeat_n(b'>', TAG_BYTES_MAX));
        assert!(check(&tag).is_err(), "a quoted '>' does not end the tag");

        let mut text = b"<v>".to_vec();
        text.extend(std::iter::repeat_n(b'a', TEXT_BYTES_MAX + 1));
        assert!(check(&text).is_err());

        // Text split by comments still counts as one run.
        let mut split = b"<v>".to_vec();
        for _ in 0..20 {
            split.extend(std::iter::repeat_n(b'a', TEXT_BYTES_MAX / 16));
            split.extend_from_slice(b"<!---->");
        }
        assert!(check(&split).is_err());

        // ... but element tags reset it.
        let mut rows = Vec::new();
        for _ in 0..20 {
            rows.extend_from_slice(b"<v>");
            rows.extend(std::iter::repeat_n(b'a', TEXT_BYTES_MAX / 16));
            rows.extend_from_slice(b"</v>");
        }
        assert!(check(&rows).is_ok());

        let mut comment = b"<!--".to_vec();
        comment.extend(std::iter::repeat_n(b'>', TAG_BYTES_MAX));
        assert!(
            check(&comment).is_err(),
            "'>' inside a comment does not end it"
        );

        let mut cdata = b"<![CDATA[".to_vec();
        cdata.extend(std::iter::repeat_n(b'<', TEXT_BYTES_MAX + 1));
        assert!(check(&cdata).is_err());

        assert!(check(b"<!DOCTYPE x [<!ENTITY a \"b\">]><x/>").is_err());
        assert!(check(b"<!--->-->").is_ok());
    }
}
