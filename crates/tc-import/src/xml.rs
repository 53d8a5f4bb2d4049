//! A minimal streaming XML pull parser for the parts of an XLSX workbook.
//!
//! It knows elements, attributes, text, the five predefined entities and character references,
//! CDATA sections, comments and processing instructions. Document type declarations are refused
//! (no entity expansion, so no "billion laughs"). Names are compared by local name (the part
//! after any namespace prefix). Every token is bounded in size, so memory stays bounded by the
//! largest cell, whatever the size of the sheet.

use std::io::{self, BufRead, Read};

/// The longest tag (name and attributes) accepted.
const TAG_BYTES_MAX: usize = 64 * 1024;
/// The longest text run accepted (Excel caps a cell at 32 767 characters).
const TEXT_BYTES_MAX: usize = 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// `<name ...>`
    Start,
    /// `<name .../>`
    Empty,
    /// `</name>`
    End,
    /// Character data (entities already replaced), available through [`XmlReader::text`].
    Text,
    Eof,
}

pub(crate) struct XmlReader<R> {
    r: R,
    tag: Vec<u8>,
    text: Vec<u8>,
    raw: Vec<u8>,
    /// A `<` was consumed while reading text; the next token is a tag.
    at_tag: bool,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// The local part of a qualified name.
fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&c| c == b':') {
        Some(p) => &name[p + 1..],
        None => name,
    }
}

impl<R: BufRead> XmlReader<R> {
    pub fn new(r: R) -> XmlReader<R> {
        XmlReader {
            r,
            tag: Vec::new(),
            text: Vec::new(),
            raw: Vec::new(),
            at_tag: false,
        }
    }

    /// The underlying reader (for progress accounting).
    pub fn get_ref(&self) -> &R {
        &self.r
    }

    /// Read up to and including `delim` into `raw`, bounded by `max`. Returns false at EOF.
    fn read_until(&mut self, delim: u8, max: usize) -> io::Result<bool> {
        let room = (max + 1).saturating_sub(self.raw.len()) as u64;
        // std's `read_until` searches with its fast memchr; `take` bounds the token.
        (&mut self.r).take(room).read_until(delim, &mut self.raw)?;
        if self.raw.last() == Some(&delim) {
            return Ok(true);
        }
        if self.raw.len() > max {
            return Err(bad(format!("an XML token is longer than {max} bytes")));
        }
        Ok(false)
    }

    /// The next event.
    pub fn next(&mut self) -> io::Result<Event> {
        loop {
            if !self.at_tag {
                self.raw.clear();
                let found = self.read_until(b'<', TEXT_BYTES_MAX)?;
                if found {
                    self.raw.pop();
                    self.at_tag = true;
                }
                if !self.raw.is_empty() {
                    self.text.clear();
                    unescape(&self.raw, &mut self.text)?;
                    return Ok(Event::Text);
                }
                if !found {
                    return Ok(Event::Eof);
                }
            }
            self.at_tag = false;
            self.raw.clear();
            if !self.read_until(b'>', TAG_BYTES_MAX)? {
                return Err(bad("the XML ends inside a tag (truncated)"));
            }
            match self.raw.first() {
                Some(b'?') => {
                    while !self.raw.ends_with(b"?>") {
                        if !self.read_until(b'>', TAG_BYTES_MAX)? {
                            return Err(bad("unterminated processing instruction"));
                        }
                    }
                }
                Some(b'!') if self.raw.starts_with(b"!--") => {
                    while !(self.raw.len() >= 5 && self.raw.ends_with(b"-->")) {
                        if !self.read_until(b'>', TEXT_BYTES_MAX)? {
                            return Err(bad("unterminated XML comment"));
                        }
                    }
                }
                Some(b'!') if self.raw.starts_with(b"![CDATA[") => {
                    while !(self.raw.len() >= 11 && self.raw.ends_with(b"]]>")) {
                        if !self.read_until(b'>', TEXT_BYTES_MAX)? {
                            return Err(bad("unterminated CDATA section"));
                        }
                    }
                    self.text.clear();
                    self.text
                        .extend_from_slice(&self.raw[8..self.raw.len() - 3]);
                    return Ok(Event::Text);
                }
                Some(b'!') => {
                    return Err(bad(
                        "XML document type declarations are not accepted in a workbook",
                    ));
                }
                Some(b'/') => {
                    self.raw.pop();
                    let name_end = self.raw.len();
                    self.tag.clear();
                    self.tag
                        .extend_from_slice(self.raw[1..name_end].trim_ascii());
                    return Ok(Event::End);
                }
                _ => {
                    // A '>' inside a quoted attribute value does not end the tag.
                    while quotes_open(&self.raw) {
                        if !self.read_until(b'>', TAG_BYTES_MAX)? {
                            return Err(bad("the XML ends inside a tag (truncated)"));
                        }
                    }
                    self.raw.pop();
                    let empty = self.raw.last() == Some(&b'/');
                    if empty {
                        self.raw.pop();
                    }
                    self.tag.clear();
                    self.tag.extend_from_slice(&self.raw);
                    return Ok(if empty { Event::Empty } else { Event::Start });
                }
            }
        }
    }

    /// The local name of the last start, empty or end tag.
    pub fn name(&self) -> &[u8] {
        let end = self
            .tag
            .iter()
            .position(|c| c.is_ascii_whitespace())
            .unwrap_or(self.tag.len());
        local(&self.tag[..end])
    }

    /// The text of the last [`Event::Text`].
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// The value of the attribute with this local name on the last start or empty tag.
    pub fn attr(&self, want: &[u8], out: &mut Vec<u8>) -> io::Result<bool> {
        let mut rest = match self.tag.iter().position(|c| c.is_ascii_whitespace()) {
            Some(p) => &self.tag[p..],
            None => return Ok(false),
        };
        loop {
            rest = rest.trim_ascii_start();
            if rest.is_empty() {
                return Ok(false);
            }
            let Some(eq) = rest.iter().position(|&c| c == b'=') else {
                return Err(bad("malformed XML attribute"));
            };
            let name = rest[..eq].trim_ascii();
            let after = rest[eq + 1..].trim_ascii_start();
            let Some(&q) = after.first() else {
                return Err(bad("malformed XML attribute"));
            };
            if q != b'"' && q != b'\'' {
                return Err(bad("unquoted XML attribute value"));
            }
            let Some(close) = after[1..].iter().position(|&c| c == q) else {
                return Err(bad("unterminated XML attribute value"));
            };
            let value = &after[1..1 + close];
            if local(name) == want {
                out.clear();
                unescape(value, out)?;
                return Ok(true);
            }
            rest = &after[close + 2..];
        }
    }
}

fn quotes_open(tag: &[u8]) -> bool {
    let mut open: Option<u8> = None;
    for &c in tag {
        match open {
            None if c == b'"' || c == b'\'' => open = Some(c),
            Some(q) if c == q => open = None,
            _ => {}
        }
    }
    open.is_some()
}

/// Replace entity and character references.
pub(crate) fn unescape(raw: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    let mut i = 0;
    while i < raw.len() {
        let Some(amp) = raw[i..].iter().position(|&c| c == b'&') else {
            out.extend_from_slice(&raw[i..]);
            return Ok(());
        };
        out.extend_from_slice(&raw[i..i + amp]);
        let start = i + amp + 1;
        let Some(semi) = raw[start..].iter().take(12).position(|&c| c == b';') else {
            return Err(bad("malformed XML entity reference"));
        };
        let name = &raw[start..start + semi];
        match name {
            b"lt" => out.push(b'<'),
            b"gt" => out.push(b'>'),
            b"amp" => out.push(b'&'),
            b"quot" => out.push(b'"'),
            b"apos" => out.push(b'\''),
            _ if name.first() == Some(&b'#') => {
                let digits = std::str::from_utf8(&name[1..]).unwrap_or("");
                let code = match digits.strip_prefix('x').or(digits.strip_prefix('X')) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => digits.parse::<u32>().ok(),
                };
                let Some(ch) = code.and_then(char::from_u32) else {
                    return Err(bad("bad XML character reference"));
                };
                let mut tmp = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
            }
            _ => {
                return Err(bad(format!(
                    "unknown XML entity &{};",
                    String::from_utf8_lossy(name)
                )));
            }
        }
        i = start + semi + 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(xml: &str) -> Vec<String> {
        // A tiny buffer capacity exercises tokens split across refills.
        let mut r = XmlReader::new(io::BufReader::with_capacity(3, xml.as_bytes()));
        let mut out = Vec::new();
        let mut v = Vec::new();
        loop {
            let e = r.next().expect("event");
            let name = String::from_utf8_lossy(r.name()).to_string();
            match e {
                Event::Start => {
                    let a = if r.attr(b"r", &mut v).expect("attr") {
                        format!(" r={}", String::from_utf8_lossy(&v))
                    } else {
                        String::new()
                    };
                    out.push(format!("<{name}{a}>"));
                }
                Event::Empty => out.push(format!("<{name}/>")),
                Event::End => out.push(format!("</{name}>")),
                Event::Text => out.push(String::from_utf8_lossy(r.text()).to_string()),
                Event::Eof => break,
            }
        }
        out
    }

    #[test]
    fn tokens() {
        let got = events(
            "<?xml version=\"1.0\"?><!-- a > b --><x:row r=\"1\" s='a>b'><c/>A&amp;B&#x4E2D;&#25991;\
             <![CDATA[<raw>]]></x:row >",
        );
        assert_eq!(got, vec!["<row r=1>", "<c/>", "A&B中文", "<raw>", "</row>"]);
    }

    #[test]
    fn refusals() {
        let mut r = XmlReader::new("<!DOCTYPE x [<!ENTITY a \"b\">]><x/>".as_bytes());
        assert!(r.next().is_err());
        let mut r = XmlReader::new("<x>&bogus;</x>".as_bytes());
        assert_eq!(r.next().expect("start"), Event::Start);
        assert!(r.next().is_err());
        let mut r = XmlReader::new("<x a=\"1".as_bytes());
        assert!(r.next().is_err());
    }
}
