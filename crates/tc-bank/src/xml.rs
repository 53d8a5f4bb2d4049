//! A small, strict XML pull parser: enough for bank status reports, and nothing that could be
//! abused.
//!
//! It checks well-formedness (matching tags, one root, valid names, attribute uniqueness, valid
//! character and entity references, no `]]>` in text, no stray content after the root), resolves
//! namespaces, normalises line ends and attribute whitespace as XML 1.0 says, and decodes the
//! five predefined entities, character references and CDATA sections. It refuses any DOCTYPE (so
//! no external entities, no entity expansion bombs), non-UTF-8 encodings and nesting deeper than
//! [`MAX_DEPTH`].

use crate::BankError;
use std::borrow::Cow;
use std::rc::Rc;

/// Deepest element nesting accepted. A pain.002 needs about 12.
pub const MAX_DEPTH: usize = 64;
/// Most attributes (namespace declarations included) accepted on one element.
pub const MAX_ATTRIBUTES: usize = 64;

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// An attribute after namespace resolution (unprefixed attributes have no namespace).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    pub ns: Rc<str>,
    pub local: String,
    pub value: String,
}

/// A start tag after namespace resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element<'a> {
    /// Namespace URI, empty when none (shared: one allocation per declaration, not per element).
    pub ns: Rc<str>,
    /// Local name, borrowed from the document.
    pub local: &'a str,
    pub attrs: Vec<Attr>,
}

impl Element<'_> {
    /// Value of the unprefixed attribute `local`.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_empty() && a.local == local)
            .map(|a| a.value.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    Start(Element<'a>),
    /// Character data (text or CDATA), already decoded; borrowed from the document when nothing
    /// needed decoding. One element's text may come in pieces.
    Text(Cow<'a, str>),
    End,
}

/// Namespace declarations of one element: prefix (empty for the default) and URI.
type Bindings<'a> = Vec<(&'a str, Rc<str>)>;

pub struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// Open elements: qualified name and how many namespace bindings it declared (the last
    /// ones of `scope`).
    stack: Vec<(&'a str, usize)>,
    /// The namespace bindings in force, outermost first.
    scope: Bindings<'a>,
    no_namespace: Rc<str>,
    pending_end: bool,
    root_seen: bool,
    finished: bool,
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':' || (!c.is_ascii() && c.is_alphabetic())
}
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || c.is_ascii_digit()
        || c == '-'
        || c == '.'
        || (!c.is_ascii() && c.is_alphanumeric())
}
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl<'a> Parser<'a> {
    /// Start parsing `src`. Skips a UTF-8 byte-order mark and reads the prolog up to the root.
    pub fn new(src: &'a str) -> Result<Parser<'a>, BankError> {
        let src = src.strip_prefix('\u{FEFF}').unwrap_or(src);
        let mut p = Parser {
            src,
            pos: 0,
            stack: Vec::new(),
            scope: Vec::new(),
            pending_end: false,
            root_seen: false,
            finished: false,
            no_namespace: Rc::from(""),
        };
        if p.rest().starts_with("<?xml") && p.src.len() > 5 && is_space(p.src.as_bytes()[5]) {
            p.xml_declaration()?;
        }
        p.misc()?;
        if !p.rest().starts_with('<') {
            return Err(p.err("expected the root element"));
        }
        Ok(p)
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn err(&self, reason: impl Into<String>) -> BankError {
        let before = &self.src[..self.pos.min(self.src.len())];
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        BankError::Xml {
            line,
            column,
            reason: reason.into(),
        }
    }

    fn skip_space(&mut self) -> bool {
        let start = self.pos;
        while self.pos < self.src.len() && is_space(self.src.as_bytes()[self.pos]) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn expect(&mut self, s: &str) -> Result<(), BankError> {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            Ok(())
        } else {
            Err(self.err(format!("expected {s:?}")))
        }
    }

    fn xml_declaration(&mut self) -> Result<(), BankError> {
        let end = self
            .rest()
            .find("?>")
            .ok_or_else(|| self.err("unterminated XML declaration"))?;
        let decl = &self.rest()[5..end];
        self.pos += end + 2;
        // Pseudo-attributes: version (required), encoding, standalone.
        let mut version_seen = false;
        for part in decl.split_whitespace() {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| self.err("malformed XML declaration"))?;
            let v = v.trim_matches(|c| c == '"' || c == '\'');
            match k {
                "version" if v == "1.0" => version_seen = true,
                "version" => return Err(self.err(format!("XML version {v} is not supported"))),
                "encoding" if v.eq_ignore_ascii_case("UTF-8") => {}
                "encoding" => {
                    return Err(self.err(format!("encoding {v} is not supported: UTF-8 only")));
                }
                "standalone" if v == "yes" || v == "no" => {}
                _ => return Err(self.err(format!("malformed XML declaration near {part:?}"))),
            }
        }
        if !version_seen {
            return Err(self.err("XML declaration without version"));
        }
        Ok(())
    }

    /// Whitespace, comments and processing instructions outside the root.
    fn misc(&mut self) -> Result<(), BankError> {
        loop {
            self.skip_space();
            let r = self.rest();
            if r.starts_with("<!--") {
                self.comment()?;
            } else if r.starts_with("<?") {
                self.processing_instruction()?;
            } else if r.starts_with("<!DOCTYPE") || r.starts_with("<!doctype") {
                return Err(self.err("DOCTYPE is refused"));
            } else {
                return Ok(());
            }
        }
    }

    fn comment(&mut self) -> Result<(), BankError> {
        self.pos += 4;
        let end = self
            .rest()
            .find("--")
            .ok_or_else(|| self.err("unterminated comment"))?;
        let body = &self.rest()[..end];
        if let Some(c) = body.chars().find(|&c| !is_xml_char(c)) {
            return Err(self.err(format!("character U+{:04X} in a comment", c as u32)));
        }
        self.pos += end;
        if !self.rest().starts_with("-->") {
            return Err(self.err("'--' inside a comment"));
        }
        self.pos += 3;
        Ok(())
    }

    fn processing_instruction(&mut self) -> Result<(), BankError> {
        self.pos += 2;
        let target_len = self
            .rest()
            .find(|c: char| !is_name_char(c))
            .unwrap_or(self.rest().len());
        let target = &self.rest()[..target_len];
        if target.is_empty() || target.eq_ignore_ascii_case("xml") {
            return Err(self.err("misplaced XML declaration or bad processing instruction"));
        }
        let end = self
            .rest()
            .find("?>")
            .ok_or_else(|| self.err("unterminated processing instruction"))?;
        self.pos += end + 2;
        Ok(())
    }

    fn name(&mut self) -> Result<&'a str, BankError> {
        let r = self.rest();
        let mut chars = r.char_indices();
        match chars.next() {
            Some((_, c)) if is_name_start(c) => {}
            _ => return Err(self.err("expected a name")),
        }
        let len = chars
            .find(|&(_, c)| !is_name_char(c))
            .map_or(r.len(), |(i, _)| i);
        self.pos += len;
        Ok(&r[..len])
    }

    /// Decode character data up to `end_byte` (exclusive) of the source, for text (`attr` false)
    /// or an attribute value (`attr` true, whitespace characters become spaces).
    fn decode(&self, raw: &'a str, attr: bool) -> Result<Cow<'a, str>, BankError> {
        // Fast path: nothing to decode or normalise, only characters to check.
        let plain = |c: char| {
            is_xml_char(c) && !matches!(c, '&' | '<' | '\r') && !(attr && matches!(c, '\t' | '\n'))
        };
        if raw.chars().all(plain) {
            return Ok(Cow::Borrowed(raw));
        }
        let mut out = String::with_capacity(raw.len());
        let mut it = raw.char_indices().peekable();
        while let Some((i, c)) = it.next() {
            match c {
                '&' => {
                    let semi = raw[i..]
                        .find(';')
                        .ok_or_else(|| self.err("unterminated entity reference"))?;
                    let name = &raw[i + 1..i + semi];
                    let ch = match name {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        _ => {
                            let code = if let Some(hex) = name.strip_prefix("#x") {
                                u32::from_str_radix(hex, 16)
                                    .ok()
                                    .filter(|_| !hex.is_empty())
                            } else if let Some(dec) = name.strip_prefix('#') {
                                dec.parse::<u32>()
                                    .ok()
                                    .filter(|_| dec.bytes().all(|b| b.is_ascii_digit()))
                            } else {
                                return Err(self.err(format!("unknown entity &{name};")));
                            };
                            code.and_then(char::from_u32)
                                .filter(|&c| is_xml_char(c))
                                .ok_or_else(|| {
                                    self.err(format!("bad character reference &{name};"))
                                })?
                        }
                    };
                    out.push(ch);
                    // Skip the reference's remaining characters.
                    while let Some(&(j, _)) = it.peek() {
                        if j > i + semi {
                            break;
                        }
                        it.next();
                    }
                }
                '\r' => {
                    // CR LF and lone CR both become LF (then a space in attributes).
                    if matches!(it.peek(), Some(&(_, '\n'))) {
                        it.next();
                    }
                    out.push(if attr { ' ' } else { '\n' });
                }
                '\t' | '\n' if attr => out.push(' '),
                '<' => return Err(self.err("'<' in an attribute value")),
                c if !is_xml_char(c) => {
                    return Err(self.err(format!(
                        "character U+{:04X} is not allowed in XML",
                        c as u32
                    )));
                }
                c => out.push(c),
            }
        }
        Ok(Cow::Owned(out))
    }

    fn resolve(&self, prefix: &str, own: &[(&str, Rc<str>)]) -> Option<Rc<str>> {
        if prefix == "xml" {
            return Some(Rc::from(XML_NS));
        }
        own.iter()
            .rev()
            .chain(self.scope.iter().rev())
            // lengths first: most names have no prefix, and this runs for every element
            .find(|(p, _)| p.len() == prefix.len() && (prefix.is_empty() || *p == prefix))
            .map(|(_, uri)| uri.clone())
            .or_else(|| prefix.is_empty().then(|| self.no_namespace.clone()))
    }

    fn start_tag(&mut self) -> Result<Event<'a>, BankError> {
        self.pos += 1;
        let qname = self.name()?;
        let mut raw_attrs: Vec<(&'a str, String)> = Vec::new();
        let mut bindings: Bindings<'a> = Vec::new();
        let empty;
        loop {
            let had_space = self.skip_space();
            let r = self.rest();
            if r.starts_with("/>") {
                self.pos += 2;
                empty = true;
                break;
            }
            if r.starts_with('>') {
                self.pos += 1;
                empty = false;
                break;
            }
            if !had_space {
                return Err(self.err("expected whitespace, '>' or '/>'"));
            }
            if raw_attrs.len() + bindings.len() >= MAX_ATTRIBUTES {
                return Err(self.err(format!("more than {MAX_ATTRIBUTES} attributes")));
            }
            let an = self.name()?;
            self.skip_space();
            self.expect("=")?;
            self.skip_space();
            let quote = match self.rest().as_bytes().first() {
                Some(&q @ (b'"' | b'\'')) => q as char,
                _ => return Err(self.err("attribute value must be quoted")),
            };
            self.pos += 1;
            let len = self
                .rest()
                .find(quote)
                .ok_or_else(|| self.err("unterminated attribute value"))?;
            let raw = &self.rest()[..len];
            let value = self.decode(raw, true)?.into_owned();
            self.pos += len + 1;
            if raw_attrs.iter().any(|(n, _)| *n == an)
                || bindings.iter().any(|(p, _)| {
                    (an == "xmlns" && p.is_empty()) || an.strip_prefix("xmlns:") == Some(*p)
                })
            {
                return Err(self.err(format!("attribute {an} repeated")));
            }
            if an == "xmlns" {
                bindings.push(("", Rc::from(value)));
            } else if let Some(p) = an.strip_prefix("xmlns:") {
                if value.is_empty() || p == "xmlns" || p == "xml" || value == XMLNS_NS {
                    return Err(self.err(format!("bad namespace declaration {an}")));
                }
                bindings.push((p, Rc::from(value)));
            } else {
                raw_attrs.push((an, value));
            }
        }
        let (prefix, local) = split_qname(qname);
        let ns = self
            .resolve(prefix, &bindings)
            .ok_or_else(|| self.err(format!("namespace prefix {prefix:?} is not declared")))?;
        let mut attrs = Vec::with_capacity(raw_attrs.len());
        for (an, value) in raw_attrs {
            let (p, l) = split_qname(an);
            let ans: Rc<str> = if p.is_empty() {
                self.no_namespace.clone()
            } else {
                self.resolve(p, &bindings)
                    .ok_or_else(|| self.err(format!("namespace prefix {p:?} is not declared")))?
            };
            if attrs.iter().any(|a: &Attr| a.ns == ans && a.local == l) {
                return Err(self.err(format!("attribute {l} repeated")));
            }
            attrs.push(Attr {
                ns: ans,
                local: l.to_string(),
                value,
            });
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(format!("elements nested deeper than {MAX_DEPTH}")));
        }
        self.stack.push((qname, bindings.len()));
        self.scope.extend(bindings);
        self.root_seen = true;
        self.pending_end = empty;
        Ok(Event::Start(Element { ns, local, attrs }))
    }

    /// Close the innermost element: its bindings go out of scope.
    fn pop(&mut self) -> Option<&'a str> {
        let (name, declared) = self.stack.pop()?;
        self.scope.truncate(self.scope.len() - declared);
        Some(name)
    }

    fn end_tag(&mut self) -> Result<Event<'a>, BankError> {
        self.pos += 2;
        let name = self.name()?;
        self.skip_space();
        self.expect(">")?;
        match self.pop() {
            Some(open) if open == name => {}
            Some(open) => return Err(self.err(format!("</{name}> closes <{open}>"))),
            None => return Err(self.err(format!("</{name}> without an open element"))),
        }
        self.after_end()?;
        Ok(Event::End)
    }

    fn after_end(&mut self) -> Result<(), BankError> {
        if self.stack.is_empty() {
            self.misc()?;
            if !self.rest().is_empty() {
                return Err(self.err("content after the root element"));
            }
            self.finished = true;
        }
        Ok(())
    }

    /// The next event, or `None` once the root element has closed (and only whitespace,
    /// comments or processing instructions followed it).
    pub fn next_event(&mut self) -> Result<Option<Event<'a>>, BankError> {
        if self.pending_end {
            self.pending_end = false;
            self.pop();
            self.after_end()?;
            return Ok(Some(Event::End));
        }
        if self.finished {
            return Ok(None);
        }
        let r = self.rest();
        if r.is_empty() {
            return Err(self.err("unexpected end of document"));
        }
        if self.stack.is_empty() {
            if self.root_seen {
                return Err(self.err("a second root element"));
            }
            if !r.starts_with('<')
                || r.starts_with("</")
                || r.starts_with("<!")
                || r.starts_with("<?")
            {
                return Err(self.err("expected the root element"));
            }
            return self.start_tag().map(Some);
        }
        if r.starts_with("</") {
            return self.end_tag().map(Some);
        }
        if r.starts_with("<!--") {
            self.comment()?;
            return self.next_event();
        }
        if r.starts_with("<![CDATA[") {
            self.pos += 9;
            let end = self
                .rest()
                .find("]]>")
                .ok_or_else(|| self.err("unterminated CDATA section"))?;
            let body = &self.rest()[..end];
            if let Some(c) = body.chars().find(|&c| !is_xml_char(c)) {
                return Err(self.err(format!("character U+{:04X} in CDATA", c as u32)));
            }
            let text = if body.contains('\r') {
                Cow::Owned(body.replace("\r\n", "\n").replace('\r', "\n"))
            } else {
                Cow::Borrowed(body)
            };
            self.pos += end + 3;
            return Ok(Some(Event::Text(text)));
        }
        if r.starts_with("<!") {
            return Err(self.err("DOCTYPE or declaration inside the document is refused"));
        }
        if r.starts_with("<?") {
            self.processing_instruction()?;
            return self.next_event();
        }
        if r.starts_with('<') {
            return self.start_tag().map(Some);
        }
        let len = r.find('<').unwrap_or(r.len());
        let raw = &r[..len];
        if raw.contains("]]>") {
            return Err(self.err("']]>' in text"));
        }
        let text = self.decode(raw, false)?;
        self.pos += len;
        Ok(Some(Event::Text(text)))
    }
}

fn split_qname(q: &str) -> (&str, &str) {
    match q.split_once(':') {
        Some((p, l)) => (p, l),
        None => ("", q),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(src: &str) -> Result<Vec<Event<'_>>, BankError> {
        let mut p = Parser::new(src)?;
        let mut out = Vec::new();
        while let Some(e) = p.next_event()? {
            out.push(e);
        }
        Ok(out)
    }

    fn text_of(evs: &[Event]) -> String {
        evs.iter()
            .filter_map(|e| match e {
                Event::Text(t) => Some(t.as_ref()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn namespaces_entities_cdata() {
        let src = "\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- c -->\n\
            <p:Doc xmlns:p=\"urn:a\" xmlns=\"urn:b\" k='v&amp;&#x4E2D;'><X a=\"1\tz\"/>\
            <Y>&lt;&gt;&amp;&apos;&quot;&#20013;<![CDATA[<&>]]>a\r\nb</Y><Z xmlns=\"\"/></p:Doc>\n<?pi x?>";
        let evs = events(src).unwrap();
        let Event::Start(root) = &evs[0] else {
            panic!()
        };
        assert_eq!((&*root.ns, root.local), ("urn:a", "Doc"));
        assert_eq!(root.attr("k"), Some("v&中"));
        let Event::Start(x) = &evs[1] else { panic!() };
        assert_eq!((&*x.ns, x.local), ("urn:b", "X"));
        assert_eq!(x.attr("a"), Some("1 z"));
        assert_eq!(evs[2], Event::End);
        assert_eq!(text_of(&evs), "<>&'\"中<&>a\nb");
        let z = evs
            .iter()
            .find_map(|e| match e {
                Event::Start(e) if e.local == "Z" => Some(e),
                _ => None,
            })
            .unwrap();
        assert_eq!(&*z.ns, "");
        assert_eq!(evs.iter().filter(|e| **e == Event::End).count(), 4);
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "",
            "text",
            "<a>",
            "<a></b>",
            "<a></a><b/>",
            "<a/>junk",
            "<a>&foo;</a>",
            "<a>&amp</a>",
            "<a>&#0;</a>",
            "<a>&#xD800;</a>",
            "<a>&#;</a>",
            "<a x='1' x='2'/>",
            "<a x='<'/>",
            "<a x=1/>",
            "<a x='1'y='2'/>",
            "<p:a/>",
            "<a>]]></a>",
            "<a>\u{1}</a>",
            "<!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><a>&e;</a>",
            "<a><!DOCTYPE b></a>",
            "<?xml version=\"1.0\" encoding=\"GBK\"?><a/>",
            "<?xml version=\"1.1\"?><a/>",
            "<a><?xml version=\"1.0\"?></a>",
            "<a><!-- x -- y --></a>",
            "<a><![CDATA[x</a>",
            "<1a/>",
            "<a xmlns:p=''/>",
            "<a xmlns:p='urn:x' xmlns:q='urn:x' p:k='1' q:k='2'/>",
        ] {
            assert!(events(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn refuses_too_many_attributes() {
        let attrs: String = (0..MAX_ATTRIBUTES).map(|i| format!(" a{i}='x'")).collect();
        assert!(events(&format!("<a{attrs}/>")).is_ok());
        assert!(events(&format!("<a{attrs} z='1'/>")).is_err());
    }

    #[test]
    fn refuses_deep_nesting() {
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert!(events(&deep).is_err());
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(events(&ok).is_ok());
    }

    #[test]
    fn error_positions() {
        match events("<a>\n  <b></c>\n</a>") {
            Err(BankError::Xml { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
    }
}
