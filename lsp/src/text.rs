//! Byte offsets to LSP positions and back: zero-based lines, and characters counted in UTF-16
//! code units (the encoding every client supports).

use lsp_types::{Position, Range};

/// The byte offset of a position. A line past the end is the end of the text; a character past
/// the end of its line is the end of the line; one inside a character is the next character.
pub(crate) fn offset(text: &str, pos: Position) -> usize {
    let mut start = 0;
    for _ in 0..pos.line {
        match text.get(start..).and_then(|rest| rest.find('\n')) {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line = text.get(start..).unwrap_or("");
    let line = line.split('\n').next().unwrap_or("");
    let mut units = 0;
    for (i, c) in line.char_indices() {
        if units >= pos.character {
            return start + i;
        }
        units += u32::try_from(c.len_utf16()).unwrap_or(2);
    }
    start + line.len()
}

/// The position of a byte offset (clamped to the text, and back to a character boundary).
pub(crate) fn position(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let units = before
        .get(line_start..)
        .unwrap_or("")
        .encode_utf16()
        .count();
    Position::new(
        u32::try_from(before.matches('\n').count()).unwrap_or(u32::MAX),
        u32::try_from(units).unwrap_or(u32::MAX),
    )
}

/// The range of a byte range.
pub(crate) fn range(text: &str, bytes: &std::ops::Range<usize>) -> Range {
    Range::new(position(text, bytes.start), position(text, bytes.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_are_utf16_code_units() {
        // `é` is 2 bytes and 1 unit; `𝄞` is 4 bytes and 2 units.
        let text = "ab\n\u{e9}\u{1d11e}x\n";
        assert_eq!(position(text, 3), Position::new(1, 0));
        assert_eq!(position(text, 5), Position::new(1, 1));
        assert_eq!(position(text, 9), Position::new(1, 3));
        assert_eq!(offset(text, Position::new(1, 3)), 9);
        assert_eq!(offset(text, Position::new(1, 1)), 5);
        for at in 0..=text.len() {
            if text.is_char_boundary(at) {
                assert_eq!(offset(text, position(text, at)), at);
            }
        }
    }

    #[test]
    fn positions_past_the_end_are_clamped() {
        let text = "ab\ncd";
        assert_eq!(offset(text, Position::new(0, 99)), 2);
        assert_eq!(offset(text, Position::new(7, 0)), text.len());
        assert_eq!(position(text, 99), Position::new(1, 2));
        // Inside a surrogate pair: the next character.
        assert_eq!(offset("\u{1d11e}z", Position::new(0, 1)), 4);
        // Inside a UTF-8 sequence: back to its start.
        assert_eq!(position("\u{e9}", 1), Position::new(0, 0));
    }
}
