//! What kind of name the grammar expects at the cursor, read from the tokens before it.

/// What a completion offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Want<'a> {
    /// The values of a name: a fact's codes, a matrix's categories or, for `level`, the levels.
    ValuesOf(&'a str),
    /// Levels (`then level`, `expect level`, `indicators(`).
    Levels,
    /// Pathways (`pathway`, `->`, `expect pathways [`).
    Pathways,
    /// Guidance ids (`cite`).
    Guidance,
    /// Domains (`domain`).
    Domains,
    /// Facts only (`from`, `given {`, an area's list, `expect missing [`).
    Facts,
    /// Areas (the triage list).
    Areas,
    /// Anything an expression or an item may start with: facts, matrices, keywords.
    Anything,
}

/// What to offer at byte `cursor` of `text`.
pub(crate) fn want(text: &str, cursor: usize) -> Want<'_> {
    let mut cursor = cursor.min(text.len());
    while !text.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let before = text.get(..cursor).unwrap_or("");
    // The word being typed is not context.
    let word_start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let tokens = tokens(before.get(..word_start).unwrap_or(""));
    after(&tokens)
}

fn after<'a>(t: &[&'a str]) -> Want<'a> {
    let back = |n: usize| t.len().checked_sub(n).and_then(|i| t.get(i)).copied();
    match (back(3), back(2), back(1)) {
        (_, Some(owner), Some("has" | "==" | "!=" | "<" | "<=" | ">" | ">=")) => {
            return Want::ValuesOf(owner)
        }
        (Some(owner), Some("at"), Some("least")) => return Want::ValuesOf(owner),
        (Some(kw), Some(owner), Some(":")) if kw != "fact" => return Want::ValuesOf(owner),
        (_, Some("then" | "," | "expect"), Some("level")) | (_, _, Some("exactly")) => {
            return Want::Levels
        }
        (_, Some("indicators" | "domains"), Some("(")) => return Want::Levels,
        (_, Some("count"), Some("(")) | (_, _, Some("from")) => return Want::Facts,
        (_, _, Some("pathway" | "->")) => return Want::Pathways,
        (_, _, Some("cite")) => return Want::Guidance,
        (_, _, Some("domain")) => return Want::Domains,
        _ => {}
    }
    // Inside a list: what the list is of, from the tokens before its bracket.
    if !matches!(back(1), Some("{" | "[" | ",")) {
        return Want::Anything;
    }
    let Some(open) = innermost_open(t) else {
        return Want::Anything;
    };
    let at = |i: usize| open.checked_sub(i).and_then(|i| t.get(i)).copied();
    match (at(4), at(3), at(2), at(1), t.get(open).copied()) {
        (_, _, Some(owner), Some("in"), Some("{")) => Want::ValuesOf(owner),
        (_, Some(owner), Some("has"), Some("any" | "all"), Some("{")) => Want::ValuesOf(owner),
        (Some("count"), Some("("), Some(owner), Some(","), Some("{")) => Want::ValuesOf(owner),
        (_, _, Some(owner), Some(":"), Some("[")) => Want::ValuesOf(owner),
        (_, _, _, Some("pathways"), Some("[")) => Want::Pathways,
        (_, _, _, Some("missing"), Some("[")) | (_, _, _, Some("given"), Some("{")) => Want::Facts,
        (_, Some("area" | "checklist"), _, Some("\""), Some("{")) => Want::Facts,
        (_, _, Some("triage"), Some("\""), Some("{")) => Want::Areas,
        _ => Want::Anything,
    }
}

/// The index of the innermost bracket still open at the end.
fn innermost_open(t: &[&str]) -> Option<usize> {
    let mut open = Vec::new();
    for (i, tok) in t.iter().enumerate() {
        match *tok {
            "{" | "[" | "(" => open.push(i),
            "}" | "]" | ")" => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
}

/// Words, numbers and punctuation; a string is one `"` token; comments are skipped.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = if c.is_whitespace() {
            rest = rest.get(c.len_utf8()..).unwrap_or("");
            continue;
        } else if rest.starts_with("//") {
            rest.find('\n').unwrap_or(rest.len())
        } else if c == '"' {
            string_len(rest)
        } else if c.is_ascii_alphanumeric() || c == '_' {
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len())
        } else if ["->", "==", "!=", "<=", ">=", ".."]
            .iter()
            .any(|op| rest.starts_with(op))
        {
            2
        } else {
            c.len_utf8()
        };
        let (tok, tail) = rest.split_at(len);
        if !tok.starts_with("//") {
            out.push(if c == '"' { "\"" } else { tok });
        }
        rest = tail;
    }
    out
}

/// The length of the string literal at the start of `s` (to the end of the line when it is
/// not closed).
fn string_len(s: &str) -> usize {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return i + 1,
            '\n' => return i,
            _ => escaped = false,
        }
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_end(text: &str) -> Want<'_> {
        want(text, text.len())
    }

    #[test]
    fn the_tokens_before_the_cursor_say_what_is_wanted() {
        assert_eq!(at_end("when signs has "), Want::ValuesOf("signs"));
        assert_eq!(at_end("when signs has gi"), Want::ValuesOf("signs"));
        assert_eq!(at_end("when stage == "), Want::ValuesOf("stage"));
        assert_eq!(at_end("when cse >= "), Want::ValuesOf("cse"));
        assert_eq!(at_end("when stage in { a, "), Want::ValuesOf("stage"));
        assert_eq!(at_end("when s has any { "), Want::ValuesOf("s"));
        assert_eq!(at_end("when count(s, { a, "), Want::ValuesOf("s"));
        assert_eq!(at_end("then cse at least "), Want::ValuesOf("cse"));
        assert_eq!(at_end("given { stage: "), Want::ValuesOf("stage"));
        assert_eq!(at_end("given { signs: [a, "), Want::ValuesOf("signs"));
        assert_eq!(at_end("given { stage: a, "), Want::Facts);
        assert_eq!(at_end("fact x: "), Want::Anything);
        assert_eq!(at_end("then level "), Want::Levels);
        assert_eq!(at_end("then pathway p, level exactly "), Want::Levels);
        assert_eq!(at_end("expect level "), Want::Levels);
        assert_eq!(at_end("when indicators("), Want::Levels);
        assert_eq!(at_end("then pathway "), Want::Pathways);
        assert_eq!(at_end("  universal \"U\" -> "), Want::Pathways);
        assert_eq!(at_end("expect pathways [a, "), Want::Pathways);
        assert_eq!(at_end("expect missing ["), Want::Facts);
        assert_eq!(at_end("cite "), Want::Guidance);
        assert_eq!(at_end("  domain "), Want::Domains);
        assert_eq!(at_end("area a \"A {\" { "), Want::Facts);
        assert_eq!(at_end("triage \"Q\" { a, "), Want::Areas);
        assert_eq!(at_end("when age > 1 and "), Want::Anything);
        assert_eq!(at_end("// then pathway\n"), Want::Anything);
        assert_eq!(at_end(""), Want::Anything);
        assert_eq!(want("é", 1), Want::Anything);
    }
}
