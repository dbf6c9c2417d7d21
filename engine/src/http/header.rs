//! One header field of a decoded head.

use std::borrow::Cow;
use std::fmt;

/// A header field as it came: its name spelled as sent and its value, kept in one allocation
/// (a head is decoded for every message, so its fields should cost little).
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    text: Box<str>,
    split: usize,
}

impl Header {
    /// A field from its name (as sent) and value.
    pub fn new(name: &str, value: &str) -> Header {
        let mut text = String::with_capacity(name.len() + value.len());
        text.push_str(name);
        text.push_str(value);
        Header {
            text: text.into_boxed_str(),
            split: name.len(),
        }
    }

    /// The name as it was sent.
    pub fn name(&self) -> &str {
        &self.text[..self.split]
    }

    /// The value.
    pub fn value(&self) -> &str {
        &self.text[self.split..]
    }

    /// True if the name is `lower` (given in lower case), in any spelling.
    #[inline]
    pub fn is(&self, lower: &str) -> bool {
        // The length first, here, where it inlines: most fields are not the one looked for.
        self.split == lower.len() && self.name().eq_ignore_ascii_case(lower)
    }

    /// The name in lower case (borrowed when it is sent that way).
    pub fn lower_name(&self) -> Cow<'_, str> {
        let n = self.name();
        if n.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(n.to_ascii_lowercase())
        } else {
            Cow::Borrowed(n)
        }
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::Header;

    #[test]
    fn keeps_spelling_and_compares_in_any_case() {
        let h = Header::new("Content-Type", "text/plain");
        assert_eq!(h.name(), "Content-Type");
        assert_eq!(h.value(), "text/plain");
        assert!(h.is("content-type"));
        assert!(!h.is("content-length"));
        assert_eq!(h.lower_name(), "content-type");
        assert!(matches!(
            Header::new("host", "x").lower_name(),
            std::borrow::Cow::Borrowed("host")
        ));
    }
}
