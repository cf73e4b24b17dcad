//! The characters XML 1.0 allows (its `Char` production: tab, newline, carriage return and
//! everything from U+0020 except the surrogates and U+FFFE/U+FFFF). A request document
//! holding any other, raw or as a character reference (`&#x1;`), is not well-formed and is
//! refused before it is read (AWS answers MalformedXML to DeleteObjects carrying `\x01`
//! and deletes nothing). An answer never holds one raw: keys may contain any character,
//! so the serialiser writes each forbidden one as a character reference (`&#x1;`), as AWS
//! does; clients that cannot read those ask for `encoding-type=url`. (Carriage return, which
//! a parser would read as a newline, quick-xml already writes as `&#13;`, as AWS does; any
//! that reached here raw would be written `&#xD;`.)

use super::XmlError;

/// Whether XML 1.0 allows `c` in a document.
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Refuse a document holding a character XML 1.0 forbids, raw or as a character reference.
pub fn check_characters(text: &str) -> Result<(), XmlError> {
    if let Some(c) = text.chars().find(|c| !allowed(*c)) {
        return Err(XmlError(format!(
            "the document holds U+{:04X}, which XML 1.0 does not allow",
            u32::from(c)
        )));
    }
    let mut rest = text;
    while let Some(at) = rest.find("&#") {
        rest = &rest[at + 2..];
        let end = rest.find(';').unwrap_or(rest.len());
        let reference = &rest[..end];
        let value = match reference.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => reference.parse::<u32>(),
        };
        if !value.ok().and_then(char::from_u32).is_some_and(allowed) {
            return Err(XmlError(format!(
                "&#{reference}; does not name a character XML 1.0 allows"
            )));
        }
    }
    Ok(())
}

/// `xml` with every character XML 1.0 forbids, and carriage return, written as a character
/// reference. Markup never holds them, so only text and attribute values change.
pub fn escape_forbidden(xml: String) -> String {
    if xml.chars().all(|c| allowed(c) && c != '\r') {
        return xml;
    }
    let mut out = String::with_capacity(xml.len() + 16);
    for c in xml.chars() {
        if allowed(c) && c != '\r' {
            out.push(c);
        } else {
            out.push_str(&format!("&#x{:X};", u32::from(c)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_are_refused_raw_and_as_references() {
        assert!(check_characters("<Key>a\tb\nc\r</Key>").is_ok());
        assert!(check_characters("<Key>&#x41;&#65;&#13;&#x10FFFF;</Key>").is_ok());
        assert!(check_characters("<Key>a\u{1}b</Key>").is_err());
        assert!(check_characters("<Key>\u{FFFE}</Key>").is_err());
        assert!(check_characters("<Key>&#x1;</Key>").is_err());
        assert!(check_characters("<Key>&#0;</Key>").is_err());
        assert!(check_characters("<Key>&#xD800;</Key>").is_err());
        assert!(check_characters("<Key>&#xFFFF;</Key>").is_err());
    }

    #[test]
    fn answers_carry_forbidden_characters_as_references() {
        assert_eq!(
            escape_forbidden("<Key>plain</Key>".into()),
            "<Key>plain</Key>"
        );
        assert_eq!(
            escape_forbidden("<Key>a\u{1}b\rc\u{FFFF}</Key>".into()),
            "<Key>a&#x1;b&#xD;c&#xFFFF;</Key>"
        );
    }
}
