//! Strict, namespace-aware XML reading for bank status reports, on top of `quick-xml`'s
//! [`NsReader`].
//!
//! `quick-xml` tokenises, matches end tags, resolves namespaces, rejects `--` in comments and
//! unterminated markup, and decodes attribute values. It deliberately leaves most of XML 1.0's
//! well-formedness rules to the caller, and a bank's file is untrusted input, so this layer adds
//! them: valid names, one root and nothing but comments, processing instructions and whitespace
//! around it, whitespace between attributes, no `<` in attribute values, attribute uniqueness
//! after namespace resolution, only the five predefined entities and character references of
//! legal characters, no illegal characters anywhere, no `]]>` in text, no undeclaring or
//! rebinding of reserved prefixes. It refuses any DOCTYPE (so no external entities, no entity
//! expansion bombs), any encoding but UTF-8, any version but 1.0, more than [`MAX_ATTRIBUTES`]
//! attributes on an element and nesting deeper than [`MAX_DEPTH`]. Text comes out decoded, with
//! line ends normalised as XML 1.0 says (attribute values also with whitespace normalised).
//!
//! # Cost
//!
//! Reading pain.002 returns is on the monthly path, so this layer is kept to one table-driven
//! pass over each piece of text and no copy of names or text that need no decoding. Measured
//! with `cargo run --release -p tongchou-bank --example throughput` (100 000 payments, a 27 MB
//! pain.002) under `valgrind --tool=callgrind`, because wall time on the shared 2-core machine
//! varied 3x between runs: `read_pain002` takes 2.55 G instructions a read, against
//! 2.58 G with the hand-written parser this replaced (quick-xml's tokeniser alone takes 1.40 G
//! of them; the old parser 1.51 G). Details in docs/PERFORMANCE.md.

use crate::BankError;
use quick_xml::NsReader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesDecl, BytesRef, BytesStart, Event as QEvent};
use quick_xml::name::{QName, ResolveResult};
use std::borrow::Cow;
use std::rc::Rc;

/// Deepest element nesting accepted. A pain.002 needs about 12.
pub const MAX_DEPTH: usize = 64;
/// Most attributes (namespace declarations included) accepted on one element.
pub const MAX_ATTRIBUTES: usize = 64;

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
    /// Namespace URI, empty when none (shared: one allocation per run of elements in the same
    /// namespace, not per element).
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
    /// Character data (text, a reference or CDATA), already decoded; borrowed from the document
    /// when nothing needed decoding. One element's text may come in pieces.
    Text(Cow<'a, str>),
    End,
}

/// Where the reader is with respect to the root element.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    BeforeRoot,
    InRoot,
    AfterRoot,
    Finished,
}

pub struct Parser<'a> {
    src: &'a str,
    reader: NsReader<&'a [u8]>,
    depth: usize,
    stage: Stage,
    /// The namespace of the last element, reused while the next ones share it.
    last_ns: Rc<str>,
    no_namespace: Rc<str>,
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
/// Bytes an ASCII name may hold (letters, digits, `_`, `:`, `-`, `.`); 1 where allowed.
const ASCII_NAME: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'-' | b'.');
        i += 1;
    }
    t
};

fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    // Fast path: the ASCII names every bank file uses.
    let ascii_start = b
        .first()
        .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_');
    if ascii_start
        && b.iter()
            .all(|&c| ASCII_NAME.get(usize::from(c)) == Some(&true))
    {
        return true;
    }
    let mut cs = s.chars();
    cs.next().is_some_and(is_name_start) && cs.all(is_name_char)
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// What one pass over character data finds.
#[derive(Clone, Copy)]
struct Scan {
    /// A byte that may start a character XML forbids (a control, or 0xEF of U+FFFE/U+FFFF).
    suspect: bool,
    /// A carriage return: line ends need normalising.
    cr: bool,
    /// A `]`: `]]>` must be looked for.
    bracket: bool,
}

/// Per byte value, what it tells [`scan`]: bit 0 a byte that may start a character XML
/// forbids (a control but tab, line feed and carriage return; 0xEF, which starts U+FFFE and
/// U+FFFF), bit 1 a carriage return, bit 2 a `]`.
const SCAN_FLAGS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = 1;
        i += 1;
    }
    t[b'\t' as usize] = 0;
    t[b'\n' as usize] = 0;
    t[b'\r' as usize] = 2;
    t[0xEF] = 1;
    t[b']' as usize] = 4;
    t
};

/// One pass over `s`. Text pieces are short (a value, an indentation), so a table lookup per
/// byte beats vector code.
fn scan(s: &str) -> Scan {
    let m = s
        .as_bytes()
        .iter()
        .fold(0u8, |m, &b| m | SCAN_FLAGS[usize::from(b)]);
    Scan {
        suspect: m & 1 != 0,
        cr: m & 2 != 0,
        bracket: m & 4 != 0,
    }
}

/// The first character XML 1.0 forbids in `s`. Most text is plain: a byte scan decides it
/// (only controls below U+0020 and the non-characters U+FFFE/U+FFFF, which start with 0xEF,
/// can be illegal in a `str`).
fn bad_char(s: &str) -> Option<char> {
    if scan(s).suspect {
        s.chars().find(|&c| !is_xml_char(c))
    } else {
        None
    }
}

fn char_error(c: char, place: &str) -> String {
    format!("character U+{:04X} is not allowed in {place}", c as u32)
}

/// The character a reference `&name;` stands for: one of the five predefined entities or a
/// character reference to a legal character.
fn resolve_reference(r: &BytesRef<'_>) -> Result<Cow<'static, str>, String> {
    let name: &str = r;
    let predefined = match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "apos" => "'",
        "quot" => "\"",
        _ if r.is_char_ref() => {
            let valid_digits = match name.strip_prefix("#x") {
                Some(hex) => !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()),
                None => name.len() > 1 && name[1..].bytes().all(|b| b.is_ascii_digit()),
            };
            let c = r
                .resolve_char_ref()
                .ok()
                .flatten()
                .filter(|&c| valid_digits && is_xml_char(c))
                .ok_or_else(|| format!("bad character reference &{name};"))?;
            return Ok(Cow::Owned(c.to_string()));
        }
        _ => return Err(format!("unknown entity &{name};")),
    };
    Ok(Cow::Borrowed(predefined))
}

/// The XML declaration: version 1.0, encoding UTF-8 if given, standalone yes or no if given,
/// nothing else.
fn check_declaration(d: &BytesDecl<'_>) -> Result<(), String> {
    let mut version_seen = false;
    // The declaration's content is `xml` and pseudo-attributes: read them as a start tag's.
    let content: &str = d;
    let as_tag = BytesStart::from_content(content, 3);
    for a in as_tag.attributes() {
        let a = a.map_err(|e| format!("malformed XML declaration: {e}"))?;
        let v = a.value.as_ref();
        match a.key.0 {
            "version" if v == "1.0" => version_seen = true,
            "version" => return Err(format!("XML version {v} is not supported")),
            "encoding" if v.eq_ignore_ascii_case("UTF-8") => {}
            "encoding" => return Err(format!("encoding {v} is not supported: UTF-8 only")),
            "standalone" if v == "yes" || v == "no" => {}
            k => return Err(format!("malformed XML declaration near {k:?}")),
        }
    }
    if version_seen {
        Ok(())
    } else {
        Err("XML declaration without version".into())
    }
}

/// Attributes must be separated by whitespace (`a='1'b='2'` is not XML); `quick-xml` does not
/// require it. `raw` is what follows the element name in the start tag.
fn check_attribute_spacing(raw: &str) -> Result<(), String> {
    let mut quote: Option<u8> = None;
    let b = raw.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                if b.get(i + 1).is_some_and(|&n| !is_space(n)) {
                    return Err("expected whitespace, '>' or '/>' after an attribute".into());
                }
            }
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None => {}
        }
    }
    Ok(())
}

fn split_qname(q: &str) -> (&str, &str) {
    match q.split_once(':') {
        Some((p, l)) => (p, l),
        None => ("", q),
    }
}

impl<'a> Parser<'a> {
    /// Start parsing `src` (a UTF-8 byte-order mark is skipped).
    pub fn new(src: &'a str) -> Parser<'a> {
        let src = src.strip_prefix('\u{FEFF}').unwrap_or(src);
        let mut reader = NsReader::from_str(src);
        let config = reader.config_mut();
        config.check_comments = true;
        config.check_end_names = true;
        config.expand_empty_elements = true;
        config.allow_dangling_amp = false;
        config.allow_unmatched_ends = false;
        config.trim_text(false);
        let no_namespace: Rc<str> = Rc::from("");
        Parser {
            src,
            reader,
            depth: 0,
            stage: Stage::BeforeRoot,
            last_ns: no_namespace.clone(),
            no_namespace,
        }
    }

    fn err_at(&self, pos: u64, reason: impl Into<String>) -> BankError {
        let pos = usize::try_from(pos)
            .unwrap_or(usize::MAX)
            .min(self.src.len());
        let before = self.src.get(..pos).unwrap_or(self.src);
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        BankError::Xml {
            line,
            column,
            reason: reason.into(),
        }
    }

    /// The next event, or `None` once the root element has closed (and only whitespace,
    /// comments or processing instructions followed it).
    pub fn next_event(&mut self) -> Result<Option<Event<'a>>, BankError> {
        loop {
            if self.stage == Stage::Finished {
                return Ok(None);
            }
            let pos = self.reader.buffer_position();
            let (resolved, ev) = match self.reader.read_resolved_event() {
                Ok(r) => r,
                Err(e) => {
                    let at = self.reader.error_position();
                    return Err(self.err_at(at, e.to_string()));
                }
            };
            let ns = match (&ev, resolved) {
                (QEvent::Start(_) | QEvent::Empty(_), r) => {
                    Some(intern_namespace(r, &mut self.last_ns, &self.no_namespace))
                }
                _ => None,
            };
            if let Some(e) = self.event(ev, ns, pos)? {
                return Ok(Some(e));
            }
        }
    }

    /// Check one `quick-xml` event and turn it into ours; `None` for what callers never see
    /// (comments, processing instructions, the declaration, whitespace outside the root).
    #[inline(always)]
    fn event(
        &mut self,
        ev: QEvent<'a>,
        ns: Option<Result<Rc<str>, String>>,
        pos: u64,
    ) -> Result<Option<Event<'a>>, BankError> {
        let in_root = self.stage == Stage::InRoot;
        match ev {
            QEvent::Start(e) | QEvent::Empty(e) => {
                let ns = ns
                    .unwrap_or_else(|| Ok(self.no_namespace.clone()))
                    .map_err(|r| self.err_at(pos, r))?;
                self.start(&e, ns, pos).map(|e| Some(Event::Start(e)))
            }
            QEvent::End(_) => {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 0 {
                    self.stage = Stage::AfterRoot;
                }
                Ok(Some(Event::End))
            }
            QEvent::Text(t) if in_root => {
                let found = scan(&t);
                if let Some(c) = found.suspect.then(|| bad_char(&t)).flatten() {
                    return Err(self.err_at(pos, char_error(c, "XML")));
                }
                if found.bracket && t.contains("]]>") {
                    return Err(self.err_at(pos, "']]>' in text"));
                }
                if found.cr {
                    Ok(Some(Event::Text(t.xml10_content())))
                } else {
                    Ok(Some(Event::Text(t.into_inner())))
                }
            }
            QEvent::GeneralRef(r) if in_root => resolve_reference(&r)
                .map(|t| Some(Event::Text(t)))
                .map_err(|reason| self.err_at(pos, reason)),
            QEvent::CData(c) if in_root => match bad_char(&c) {
                Some(ch) => Err(self.err_at(pos, char_error(ch, "CDATA"))),
                None => Ok(Some(Event::Text(c.xml10_content()))),
            },
            QEvent::Text(t) if t.bytes().all(is_space) => Ok(None),
            QEvent::Text(_) | QEvent::GeneralRef(_) | QEvent::CData(_) => {
                Err(self.err_at(pos, self.outside_root_reason()))
            }
            other => self.markup(other, pos).map(|()| None),
        }
    }

    fn outside_root_reason(&self) -> &'static str {
        match self.stage {
            Stage::BeforeRoot => "expected the root element",
            _ => "content after the root element",
        }
    }

    /// Comments, processing instructions, the declaration, DOCTYPE and the end of input.
    fn markup(&mut self, ev: QEvent<'a>, pos: u64) -> Result<(), BankError> {
        match ev {
            QEvent::Comment(c) => match bad_char(&c) {
                Some(ch) => Err(self.err_at(pos, char_error(ch, "a comment"))),
                None => Ok(()),
            },
            QEvent::PI(p) => {
                let target = p.target();
                if !is_name(target) || target.eq_ignore_ascii_case("xml") {
                    Err(self.err_at(
                        pos,
                        "misplaced XML declaration or bad processing instruction",
                    ))
                } else {
                    Ok(())
                }
            }
            QEvent::Decl(d) if pos == 0 => check_declaration(&d).map_err(|r| self.err_at(pos, r)),
            QEvent::Decl(_) => Err(self.err_at(pos, "misplaced XML declaration")),
            QEvent::DocType(_) => Err(self.err_at(pos, "DOCTYPE is refused")),
            QEvent::Eof => match self.stage {
                Stage::AfterRoot => {
                    self.stage = Stage::Finished;
                    Ok(())
                }
                Stage::BeforeRoot => Err(self.err_at(pos, "expected the root element")),
                _ => Err(self.err_at(pos, "unexpected end of document")),
            },
            _ => Err(self.err_at(pos, "unexpected markup")),
        }
    }

    /// A start tag at byte `pos` (its `<`), in namespace `ns`.
    fn start(
        &mut self,
        e: &BytesStart<'a>,
        ns: Rc<str>,
        pos: u64,
    ) -> Result<Element<'a>, BankError> {
        if self.stage == Stage::AfterRoot {
            return Err(self.err_at(pos, "a second root element"));
        }
        let qname = self
            .borrowed(e.name().0)
            .ok_or_else(|| self.err_at(pos, "element name not borrowed from the document"))?;
        if !is_name(qname) {
            return Err(self.err_at(pos, format!("bad element name {qname:?}")));
        }
        if self.depth >= MAX_DEPTH {
            return Err(self.err_at(pos, format!("elements nested deeper than {MAX_DEPTH}")));
        }
        let attrs = self.attributes(e).map_err(|r| self.err_at(pos, r))?;
        self.depth += 1;
        self.stage = Stage::InRoot;
        let (_, local) = split_qname(qname);
        Ok(Element { ns, local, attrs })
    }

    /// `part` (which the reader lends only for an event's lifetime) as the slice of the
    /// document it is, found by its address; `None` if it is not part of the document.
    fn borrowed(&self, part: &str) -> Option<&'a str> {
        let start = (part.as_ptr() as usize).checked_sub(self.src.as_ptr() as usize)?;
        self.src.get(start..start.checked_add(part.len())?)
    }

    /// The attributes of a start tag (namespace declarations checked, not returned).
    fn attributes(&self, e: &BytesStart<'a>) -> Result<Vec<Attr>, String> {
        let raw = e.attributes_raw();
        if raw.bytes().all(is_space) {
            return Ok(Vec::new());
        }
        check_attribute_spacing(raw)?;
        let mut out: Vec<Attr> = Vec::new();
        for (n, a) in e.attributes().with_checks(true).enumerate() {
            if n >= MAX_ATTRIBUTES {
                return Err(format!("more than {MAX_ATTRIBUTES} attributes"));
            }
            let a = a.map_err(|e| e.to_string())?;
            let key = a.key.0;
            if !is_name(key) {
                return Err(format!("bad attribute name {key:?}"));
            }
            if a.value.contains('<') {
                return Err("'<' in an attribute value".into());
            }
            let value = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| format!("attribute {key}: {e}"))?;
            if let Some(c) = bad_char(&value) {
                return Err(char_error(c, "an attribute value"));
            }
            if key == "xmlns" || key.starts_with("xmlns:") {
                check_namespace_declaration(key, key.strip_prefix("xmlns:"), &value)?;
                continue;
            }
            let (prefix, local) = split_qname(key);
            let ns = if prefix.is_empty() {
                self.no_namespace.clone()
            } else {
                match self.reader.resolver().resolve_attribute(QName(key)).0 {
                    ResolveResult::Bound(n) => Rc::from(n.0),
                    _ => return Err(format!("namespace prefix {prefix:?} is not declared")),
                }
            };
            if out.iter().any(|a| a.ns == ns && a.local == local) {
                return Err(format!("attribute {local} repeated"));
            }
            out.push(Attr {
                ns,
                local: local.to_string(),
                value: value.into_owned(),
            });
        }
        Ok(out)
    }
}

/// `xmlns` (`prefix` None) or `xmlns:p`: no undeclared prefix, no binding of the reserved
/// prefixes or of the xmlns namespace.
fn check_namespace_declaration(key: &str, prefix: Option<&str>, value: &str) -> Result<(), String> {
    let ok =
        value != XMLNS_NS && prefix.is_none_or(|p| !value.is_empty() && p != "xml" && p != "xmlns");
    if ok {
        Ok(())
    } else {
        Err(format!("bad namespace declaration {key}"))
    }
}

/// The namespace of an element as a shared string: the previous element's when equal (almost
/// always, in a bank file), else a new one.
fn intern_namespace(
    r: ResolveResult<'_>,
    last: &mut Rc<str>,
    none: &Rc<str>,
) -> Result<Rc<str>, String> {
    match r {
        ResolveResult::Bound(n) if n.0.is_empty() => Ok(none.clone()),
        ResolveResult::Bound(n) => {
            if &**last != n.0 {
                *last = Rc::from(n.0);
            }
            Ok(last.clone())
        }
        ResolveResult::Unbound => Ok(none.clone()),
        ResolveResult::Unknown(p) => Err(format!("namespace prefix {p:?} is not declared")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(src: &str) -> Result<Vec<Event<'_>>, BankError> {
        let mut p = Parser::new(src);
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

    /// What `quick-xml` alone lets through and this layer must still refuse, one case each.
    #[test]
    fn refuses_what_the_tokeniser_lets_through() {
        for bad in [
            "<a>&#1;</a>",
            "<a>&#x1;</a>",
            "<a>&#X41;</a>",
            "<a>&#+65;</a>",
            "<a x='&#1;'/>",
            "<a x='&foo;'/>",
            "<a>\u{FFFE}</a>",
            "<a x='\u{FFFF}'/>",
            "<a><!-- \u{2} --></a>",
            "<a><![CDATA[\u{3}]]></a>",
            "<a><? x?></a>",
            "<?XML x?><a/>",
            "  <?xml version=\"1.0\"?><a/>",
            "<?xml version=\"1.0\" foo=\"1\"?><a/>",
            "<?xml encoding=\"UTF-8\"?><a/>",
            "<a xmlns:xml='http://www.w3.org/XML/1998/namespace'/>",
            "<a xmlns='http://www.w3.org/2000/xmlns/'/>",
            "<a b\"c='1'/>",
            "<a><![CDATA[x]]></a><!-- after --><![CDATA[y]]>",
            "x<a/>",
            "<a/>&amp;",
        ] {
            assert!(events(bad).is_err(), "accepted {bad:?}");
        }
        for good in [
            "<a>&#65;&#x41;</a>",
            "<?xml version='1.0' standalone='yes'?><a/>",
            "<?xml-stylesheet href='x'?><a/><!-- after -->\n",
            "<a\n x = \"1\" ></a >",
            "<a x='1'\ty='2'/>",
            "<a xmlnsx='1'/>",
        ] {
            assert!(events(good).is_ok(), "refused {good:?}");
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
