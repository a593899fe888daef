//! Reading JSON text: a pull reader over the text (`Reader`), which the facts are converted
//! from as they are read, and whole values (`parse`) for the texts read as a tree (requests,
//! answers, the referrals `compare` reads). Core reads every JSON text with it. Every JSON text this reads, serde_json reads alike: the same grammar,
//! the same numbers (an integer is a `u64` or `i64` while it fits, anything else the `f64`
//! serde_json makes of it, computed the same way), the same nesting limit (a 128th nested list
//! or object is an error), and errors with serde_json's wording and a line and column. A key
//! given twice in a tree keeps its first place and its last value, as serde_json's do.
//!
//! It exists so that the browser's checker carries no deserializer: the module is smaller by
//! about the size of serde_json's, and no host decides differently (the `facts` fuzz target
//! checks that facts read from text convert as their serde_json value does).

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Number, Value};

use crate::json::plain_len;

/// Why text is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonError {
    what: &'static str,
    line: usize,
    column: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.what, self.line, self.column
        )
    }
}

/// The kind of the value that comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Bool,
    Number,
    String,
    List,
    Object,
}

impl Kind {
    /// The kind as the facts' errors name it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::List => "a list",
            Kind::Object => "an object",
        }
    }
}

/// Containers deeper than this are an error (serde_json's limit).
const MAX_DEPTH: usize = 128;

/// A pull reader: the caller asks for the value it expects next.
pub(crate) struct Reader<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

type Res<T> = Result<T, JsonError>;

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Reader {
            text,
            pos: 0,
            depth: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek();
        if b.is_some() {
            self.pos += 1;
        }
        b
    }

    /// An error at the byte before `pos` (the last one read), as serde_json places them.
    fn error(&self, what: &'static str) -> JsonError {
        let before = self.text.as_bytes().get(..self.pos).unwrap_or_default();
        let line = 1 + before.iter().filter(|b| **b == b'\n').count();
        let column = before.iter().rev().take_while(|b| **b != b'\n').count();
        JsonError { what, line, column }
    }

    /// An error at the next byte.
    fn peek_error(&mut self, what: &'static str) -> JsonError {
        if self.peek().is_some() {
            self.pos += 1;
        }
        self.error(what)
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\t' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The kind of the next value (after any white space), without reading it.
    pub(crate) fn kind(&mut self) -> Res<Kind> {
        self.skip_space();
        Ok(match self.peek() {
            Some(b'n') => Kind::Null,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'-' | b'0'..=b'9') => Kind::Number,
            Some(b'"') => Kind::String,
            Some(b'[') => Kind::List,
            Some(b'{') => Kind::Object,
            Some(_) => return Err(self.peek_error("expected value")),
            None => return Err(self.peek_error("EOF while parsing a value")),
        })
    }

    fn ident(&mut self, rest: &[u8]) -> Res<()> {
        for want in rest {
            match self.next() {
                None => return Err(self.error("EOF while parsing a value")),
                Some(b) if b != *want => return Err(self.error("expected ident")),
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// `null`, `true` or `false`; `None` for null. Call after `kind` said which.
    pub(crate) fn literal(&mut self) -> Res<Option<bool>> {
        match self.next() {
            Some(b'n') => self.ident(b"ull").map(|()| None),
            Some(b't') => self.ident(b"rue").map(|()| Some(true)),
            _ => self.ident(b"alse").map(|()| Some(false)),
        }
    }

    /// A string. Call after `kind` said `String`.
    pub(crate) fn string(&mut self) -> Res<Cow<'a, str>> {
        self.pos += 1; // the opening quote
        let start = self.pos;
        let mut owned: Option<String> = None;
        loop {
            let run = self.pos;
            self.pos += plain_len(self.text.as_bytes().get(run..).unwrap_or_default());
            let plain = self.text.get(run..self.pos).unwrap_or_default();
            match self.next() {
                None => return Err(self.error("EOF while parsing a string")),
                Some(b'"') => {
                    return Ok(match owned {
                        None => {
                            Cow::Borrowed(self.text.get(start..self.pos - 1).unwrap_or_default())
                        }
                        Some(mut s) => {
                            s.push_str(plain);
                            Cow::Owned(s)
                        }
                    })
                }
                Some(b'\\') => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(plain);
                    let c = self.escape()?;
                    s.push(c);
                }
                Some(_) => {
                    return Err(self
                        .error("control character (\\u0000-\\u001F) found while parsing a string"))
                }
            }
        }
    }

    /// The character an escape (after its backslash) stands for.
    fn escape(&mut self) -> Res<char> {
        Ok(match self.next() {
            None => return Err(self.error("EOF while parsing a string")),
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\x08',
            Some(b'f') => '\x0c',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let n = self.hex()?;
                if (0xDC00..=0xDFFF).contains(&n) {
                    return Err(self.error("lone leading surrogate in hex escape"));
                }
                if !(0xD800..=0xDBFF).contains(&n) {
                    return char::from_u32(n)
                        .ok_or_else(|| self.error("invalid unicode code point"));
                }
                for want in [b'\\', b'u'] {
                    match self.next() {
                        None => return Err(self.error("EOF while parsing a string")),
                        Some(b) if b != want => {
                            return Err(self.error("unexpected end of hex escape"))
                        }
                        Some(_) => {}
                    }
                }
                let low = self.hex()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(self.error("lone leading surrogate in hex escape"));
                }
                let c = 0x1_0000 + ((n - 0xD800) << 10) + (low - 0xDC00);
                return char::from_u32(c).ok_or_else(|| self.error("invalid unicode code point"));
            }
            Some(_) => return Err(self.error("invalid escape")),
        })
    }

    /// Four hex digits (fewer than four bytes left is the end of the text, whatever they are).
    fn hex(&mut self) -> Res<u32> {
        let Some(four) = self.text.as_bytes().get(self.pos..self.pos + 4) else {
            self.pos = self.text.len();
            return Err(self.error("EOF while parsing a string"));
        };
        let n = four
            .iter()
            .try_fold(0, |n, b| Some(n * 16 + char::from(*b).to_digit(16)?));
        self.pos += 4;
        n.ok_or_else(|| self.error("invalid escape"))
    }

    fn digit(&self) -> Option<u64> {
        match self.peek() {
            Some(b @ b'0'..=b'9') => Some(u64::from(b - b'0')),
            _ => None,
        }
    }

    /// A number, as serde_json reads it. Call after `kind` said `Number`.
    pub(crate) fn number(&mut self) -> Res<Number> {
        let positive = if self.peek() == Some(b'-') {
            self.pos += 1;
            false
        } else {
            true
        };
        let mut significand = match self.next() {
            None => return Err(self.error("EOF while parsing a value")),
            Some(b'0') => {
                if self.digit().is_some() {
                    return Err(self.peek_error("invalid number"));
                }
                0
            }
            Some(b @ b'1'..=b'9') => u64::from(b - b'0'),
            Some(_) => return Err(self.error("invalid number")),
        };
        // Integer digits past u64 are dropped, each one a power of ten.
        let mut exponent: i32 = 0;
        let mut long = false;
        while let Some(d) = self.digit() {
            self.pos += 1;
            match significand.checked_mul(10).and_then(|s| s.checked_add(d)) {
                Some(s) if !long => significand = s,
                _ => {
                    long = true;
                    exponent = exponent.saturating_add(1);
                }
            }
        }
        let mut float = long;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            float = true;
            let mut any = false;
            let mut full = false;
            while let Some(d) = self.digit() {
                self.pos += 1;
                any = true;
                if full {
                    continue;
                }
                match significand.checked_mul(10).and_then(|s| s.checked_add(d)) {
                    Some(s) => {
                        significand = s;
                        exponent -= 1;
                    }
                    None => full = true,
                }
            }
            if !any {
                return Err(match self.peek() {
                    Some(_) => self.peek_error("invalid number"),
                    None => self.peek_error("EOF while parsing a value"),
                });
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            float = true;
            let positive_exp = match self.peek() {
                Some(b'+') => {
                    self.pos += 1;
                    true
                }
                Some(b'-') => {
                    self.pos += 1;
                    false
                }
                _ => true,
            };
            let mut exp: i32 = match self.next() {
                None => return Err(self.error("EOF while parsing a value")),
                Some(b @ b'0'..=b'9') => i32::from(b - b'0'),
                Some(_) => return Err(self.error("invalid number")),
            };
            while let Some(d) = self.digit() {
                self.pos += 1;
                match exp.checked_mul(10).and_then(|e| e.checked_add(d as i32)) {
                    Some(e) => exp = e,
                    None => {
                        // An exponent past i32: out of range, or zero.
                        if significand != 0 && positive_exp {
                            return Err(self.error("number out of range"));
                        }
                        while self.digit().is_some() {
                            self.pos += 1;
                        }
                        let zero = if positive { 0.0 } else { -0.0 };
                        return Number::from_f64(zero).ok_or_else(|| self.error("invalid number"));
                    }
                }
            }
            exponent = if positive_exp {
                exponent.saturating_add(exp)
            } else {
                exponent.saturating_sub(exp)
            };
        }
        if !float {
            if positive {
                return Ok(Number::from(significand));
            }
            // `-0` and integers below i64 are floats, as in serde_json.
            let neg = (significand as i64).wrapping_neg();
            if neg < 0 {
                return Ok(Number::from(neg));
            }
        }
        let f = self.f64_from_parts(significand, exponent)?;
        Number::from_f64(if positive { f } else { -f }).ok_or_else(|| self.error("invalid number"))
    }

    /// `significand * 10^exponent` computed as serde_json does (without `float_roundtrip`).
    fn f64_from_parts(&self, significand: u64, mut exponent: i32) -> Res<f64> {
        let mut f = significand as f64; // rounded, as serde_json rounds it

        loop {
            match POW10.get(exponent.unsigned_abs() as usize) {
                Some(&pow) => {
                    if exponent >= 0 {
                        f *= pow;
                        if f.is_infinite() {
                            return Err(self.error("number out of range"));
                        }
                    } else {
                        f /= pow;
                    }
                    return Ok(f);
                }
                None => {
                    if f == 0.0 {
                        return Ok(f);
                    }
                    if exponent >= 0 {
                        return Err(self.error("number out of range"));
                    }
                    f /= 1e308;
                    exponent += 308;
                }
            }
        }
    }

    fn enter(&mut self) -> Res<()> {
        self.pos += 1; // the bracket
        self.depth += 1;
        if self.depth >= MAX_DEPTH {
            return Err(self.error("recursion limit exceeded"));
        }
        Ok(())
    }

    /// Opens a list. Call after `kind` said `List`; then `item` before each item.
    pub(crate) fn begin_list(&mut self) -> Res<()> {
        self.enter()
    }

    /// Whether another item follows (`first`: none has been read yet); reads the closing
    /// bracket when not.
    pub(crate) fn item(&mut self, first: &mut bool) -> Res<bool> {
        self.skip_space();
        match self.peek() {
            Some(b']') => {
                self.pos += 1;
                self.depth -= 1;
                return Ok(false);
            }
            Some(b',') if !*first => {
                self.pos += 1;
                self.skip_space();
                if self.peek() == Some(b']') {
                    return Err(self.peek_error("trailing comma"));
                }
            }
            Some(_) if *first => {}
            Some(_) => return Err(self.peek_error("expected `,` or `]`")),
            None => return Err(self.peek_error("EOF while parsing a list")),
        }
        *first = false;
        Ok(true)
    }

    /// Opens an object. Call after `kind` said `Object`; then `key` before each entry.
    pub(crate) fn begin_object(&mut self) -> Res<()> {
        self.enter()
    }

    /// The next key and its colon (`first`: none has been read yet); `None`, having read the
    /// closing brace, when there is none.
    pub(crate) fn key(&mut self, first: &mut bool) -> Res<Option<Cow<'a, str>>> {
        self.skip_space();
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                self.depth -= 1;
                return Ok(None);
            }
            Some(b',') if !*first => {
                self.pos += 1;
                self.skip_space();
                match self.peek() {
                    Some(b'}') => return Err(self.peek_error("trailing comma")),
                    Some(b'"') => {}
                    Some(_) => return Err(self.peek_error("key must be a string")),
                    None => return Err(self.peek_error("EOF while parsing an object")),
                }
            }
            Some(b'"') if *first => {}
            Some(_) if *first => return Err(self.peek_error("key must be a string")),
            Some(_) => return Err(self.peek_error("expected `,` or `}`")),
            None => return Err(self.peek_error("EOF while parsing an object")),
        }
        *first = false;
        let key = self.string()?;
        self.skip_space();
        match self.next() {
            Some(b':') => Ok(Some(key)),
            Some(_) => Err(self.error("expected `:`")),
            None => Err(self.error("EOF while parsing an object")),
        }
    }

    /// Reads past the next value, checking it as `value` does.
    pub(crate) fn skip(&mut self) -> Res<()> {
        match self.kind()? {
            Kind::Null | Kind::Bool => self.literal().map(drop),
            Kind::Number => self.number().map(drop),
            Kind::String => self.string().map(drop),
            Kind::List => {
                self.begin_list()?;
                let mut first = true;
                while self.item(&mut first)? {
                    self.skip()?;
                }
                Ok(())
            }
            Kind::Object => {
                self.begin_object()?;
                let mut first = true;
                while self.key(&mut first)?.is_some() {
                    self.skip()?;
                }
                Ok(())
            }
        }
    }

    /// The next value as a tree.
    pub(crate) fn value(&mut self) -> Res<Value> {
        Ok(match self.kind()? {
            Kind::Null | Kind::Bool => self.literal()?.map_or(Value::Null, Value::Bool),
            Kind::Number => Value::Number(self.number()?),
            Kind::String => Value::String(self.string()?.into_owned()),
            Kind::List => {
                self.begin_list()?;
                let mut items = Vec::new();
                let mut first = true;
                while self.item(&mut first)? {
                    items.push(self.value()?);
                }
                Value::Array(items)
            }
            Kind::Object => {
                self.begin_object()?;
                let mut map = Map::new();
                let mut first = true;
                while let Some(k) = self.key(&mut first)? {
                    let v = self.value()?;
                    map.insert(k.into_owned(), v);
                }
                Value::Object(map)
            }
        })
    }

    /// The end of the text: nothing but white space is left.
    pub(crate) fn end(&mut self) -> Res<()> {
        self.skip_space();
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.peek_error("trailing characters")),
        }
    }
}

/// A whole JSON text as a tree.
pub(crate) fn parse(text: &str) -> Result<Value, JsonError> {
    let mut r = Reader::new(text);
    let v = r.value()?;
    r.end()?;
    Ok(v)
}

/// The powers of ten serde_json scales by.
#[rustfmt::skip]
const POW10: [f64; 309] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
    1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
    1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29,
    1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39,
    1e40, 1e41, 1e42, 1e43, 1e44, 1e45, 1e46, 1e47, 1e48, 1e49,
    1e50, 1e51, 1e52, 1e53, 1e54, 1e55, 1e56, 1e57, 1e58, 1e59,
    1e60, 1e61, 1e62, 1e63, 1e64, 1e65, 1e66, 1e67, 1e68, 1e69,
    1e70, 1e71, 1e72, 1e73, 1e74, 1e75, 1e76, 1e77, 1e78, 1e79,
    1e80, 1e81, 1e82, 1e83, 1e84, 1e85, 1e86, 1e87, 1e88, 1e89,
    1e90, 1e91, 1e92, 1e93, 1e94, 1e95, 1e96, 1e97, 1e98, 1e99,
    1e100, 1e101, 1e102, 1e103, 1e104, 1e105, 1e106, 1e107, 1e108, 1e109,
    1e110, 1e111, 1e112, 1e113, 1e114, 1e115, 1e116, 1e117, 1e118, 1e119,
    1e120, 1e121, 1e122, 1e123, 1e124, 1e125, 1e126, 1e127, 1e128, 1e129,
    1e130, 1e131, 1e132, 1e133, 1e134, 1e135, 1e136, 1e137, 1e138, 1e139,
    1e140, 1e141, 1e142, 1e143, 1e144, 1e145, 1e146, 1e147, 1e148, 1e149,
    1e150, 1e151, 1e152, 1e153, 1e154, 1e155, 1e156, 1e157, 1e158, 1e159,
    1e160, 1e161, 1e162, 1e163, 1e164, 1e165, 1e166, 1e167, 1e168, 1e169,
    1e170, 1e171, 1e172, 1e173, 1e174, 1e175, 1e176, 1e177, 1e178, 1e179,
    1e180, 1e181, 1e182, 1e183, 1e184, 1e185, 1e186, 1e187, 1e188, 1e189,
    1e190, 1e191, 1e192, 1e193, 1e194, 1e195, 1e196, 1e197, 1e198, 1e199,
    1e200, 1e201, 1e202, 1e203, 1e204, 1e205, 1e206, 1e207, 1e208, 1e209,
    1e210, 1e211, 1e212, 1e213, 1e214, 1e215, 1e216, 1e217, 1e218, 1e219,
    1e220, 1e221, 1e222, 1e223, 1e224, 1e225, 1e226, 1e227, 1e228, 1e229,
    1e230, 1e231, 1e232, 1e233, 1e234, 1e235, 1e236, 1e237, 1e238, 1e239,
    1e240, 1e241, 1e242, 1e243, 1e244, 1e245, 1e246, 1e247, 1e248, 1e249,
    1e250, 1e251, 1e252, 1e253, 1e254, 1e255, 1e256, 1e257, 1e258, 1e259,
    1e260, 1e261, 1e262, 1e263, 1e264, 1e265, 1e266, 1e267, 1e268, 1e269,
    1e270, 1e271, 1e272, 1e273, 1e274, 1e275, 1e276, 1e277, 1e278, 1e279,
    1e280, 1e281, 1e282, 1e283, 1e284, 1e285, 1e286, 1e287, 1e288, 1e289,
    1e290, 1e291, 1e292, 1e293, 1e294, 1e295, 1e296, 1e297, 1e298, 1e299,
    1e300, 1e301, 1e302, 1e303, 1e304, 1e305, 1e306, 1e307, 1e308,
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test helpers fail by panicking")]

    use proptest::prelude::*;

    use super::*;

    /// What serde_json makes of `text`: its value, or its error's wording without the position.
    fn serde(text: &str) -> Result<Value, String> {
        serde_json::from_str::<Value>(text).map_err(|e| {
            let s = e.to_string();
            s.split(" at line").next().unwrap_or_default().to_string()
        })
    }

    fn ours(text: &str) -> Result<Value, String> {
        parse(text).map_err(|e| e.what.to_string())
    }

    fn agree(text: &str) {
        let (a, b) = (ours(text), serde(text));
        match (&a, &b) {
            // Both read a value: the same one, numbers included.
            (Ok(x), Ok(y)) => assert_eq!(x, y, "{text:?}"),
            // Both refuse it, for the same reason.
            (Err(x), Err(y)) => assert_eq!(x, y, "{text:?}"),
            _ => panic!("{text:?}: ours {a:?}, serde_json {b:?}"),
        }
    }

    #[test]
    fn reads_what_serde_json_reads_and_refuses_what_it_refuses() {
        for text in [
            "",
            " ",
            "null",
            "true",
            "false",
            "nul",
            "tru",
            "fals",
            "nulx",
            "0",
            "-0",
            "-0.0",
            "01",
            "-",
            "-a",
            "1.",
            "1.e5",
            "1e",
            "1e+",
            "1e-5",
            "1E400",
            "-1e400",
            "1e-400",
            "0e99999999999",
            "1e99999999999",
            "-1e-99999999999",
            "9.0",
            "9.5",
            "0.9e1",
            "18446744073709551615",
            "18446744073709551616",
            "18446744073709551616.0",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678901234567890",
            "1.2345678901234567890123456789e5",
            "\"a\"",
            "\"\\u00e9\"",
            "\"\\ud83d\\ude00\"",
            "\"\\ud83d\"",
            "\"\\ude00\"",
            "\"\\ud83dx\"",
            "\"\\ud83d\\u0041\"",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u12g4\"",
            "\"a\nb\"",
            "\"abc",
            "[",
            "[1",
            "[1,",
            "[1,]",
            "[,1]",
            "[1 2]",
            "[]",
            "[[]]",
            "{",
            "{\"a\"",
            "{\"a\":",
            "{\"a\":1",
            "{\"a\":1,}",
            "{1:2}",
            "{\"a\" 1}",
            "{\"a\":1 \"b\":2}",
            "{}",
            "{\"a\":1,\"a\":2,\"b\":3}",
            "1 2",
            "1 ",
            " {\"a\" : [1, {\"b\": null}]} ",
            "\t\n\r[\n]\n",
            "[1]x",
            "{\"a\":1}}",
            "é",
            "[é]",
        ] {
            agree(text);
        }
        // The nesting limit: 127 nested lists are read, 128 are not.
        agree(&format!("{}{}", "[".repeat(127), "]".repeat(127)));
        agree(&format!("{}{}", "[".repeat(128), "]".repeat(128)));
        agree(&format!("{{\"a\":{}{}}}", "[".repeat(126), "]".repeat(126)));
        agree(&format!("{{\"a\":{}{}}}", "[".repeat(127), "]".repeat(127)));
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".*".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((".*", inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn values_read_back_as_serde_json_reads_them(v in json(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&v).unwrap()
            } else {
                serde_json::to_string(&v).unwrap()
            };
            agree(&text);
        }

        #[test]
        fn plain_runs_end_at_the_first_quote_backslash_or_control_character(
            b in prop::collection::vec(prop_oneof![Just(b'"'), Just(b'\\'), 0u8..0x20, any::<u8>(), 0x20u8..0x7f], 0..40)
        ) {
            let naive = b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
            prop_assert_eq!(plain_len(&b), naive.unwrap_or(b.len()));
        }

        #[test]
        fn numbers_are_serde_jsons(
            text in "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{0,24})?([eE][+-]?[0-9]{0,4})?"
        ) {
            agree(&text);
        }

        #[test]
        fn any_text_is_read_or_refused_as_serde_json_does(
            text in "[\\[\\]{},:\" \\\\u0-9a-fe.+\\-tnlsr\n]{0,24}"
        ) {
            agree(&text);
        }
    }
}
