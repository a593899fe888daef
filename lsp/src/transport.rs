//! JSON-RPC framing: `Content-Length` headers, then the message.
//!
//! `lsp_server::Connection::stdio` ends the connection on the first malformed message and
//! allocates whatever length a header claims; this reader skips a bad message (answering it
//! when it has an id), caps the length, and keeps serving.

use std::io::{self, BufRead, Read, Write};

use lsp_server::{ErrorCode, Message, RequestId, Response};

/// The longest header line read.
const MAX_HEADER_LINE: u64 = 8 * 1024;
/// The largest message read (rule files are at most 1 MiB; JSON escapes can double that).
const MAX_MESSAGE: u64 = 64 << 20;

/// What came in.
pub(crate) enum Incoming {
    /// A well-formed message.
    Message(Message),
    /// A message that could not be read: an error reply is due when it has an id.
    Invalid {
        id: Option<RequestId>,
        code: ErrorCode,
        error: String,
    },
    /// The client closed the stream.
    End,
}

/// Reads the next message.
///
/// # Errors
/// The input cannot be read.
pub(crate) fn read(input: &mut impl BufRead) -> io::Result<Incoming> {
    let body = match read_frame(input)? {
        Frame::End => return Ok(Incoming::End),
        Frame::Bad(error) => {
            return Ok(Incoming::Invalid {
                id: None,
                code: ErrorCode::ParseError,
                error,
            })
        }
        Frame::Body(body) => body,
    };
    Ok(match serde_json::from_slice::<Message>(&body) {
        Ok(message) => Incoming::Message(message),
        Err(e) => match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(value) => Incoming::Invalid {
                id: request_id(value.get("id")),
                code: ErrorCode::InvalidRequest,
                error: format!("not a JSON-RPC message: {e}"),
            },
            Err(e) => Incoming::Invalid {
                id: None,
                code: ErrorCode::ParseError,
                error: format!("not JSON: {e}"),
            },
        },
    })
}

fn request_id(id: Option<&serde_json::Value>) -> Option<RequestId> {
    match id? {
        serde_json::Value::Number(n) => Some(i32::try_from(n.as_i64()?).ok()?.into()),
        serde_json::Value::String(s) => Some(s.clone().into()),
        _ => None,
    }
}

/// Writes the error reply to a message that could not be read. Without an id, the reply's id
/// is `null`, as JSON-RPC asks (`lsp_server::Response` always has one).
///
/// # Errors
/// The output cannot be written.
pub(crate) fn write_error(
    output: &mut impl Write,
    id: Option<RequestId>,
    code: ErrorCode,
    error: String,
) -> io::Result<()> {
    match id {
        Some(id) => Message::from(Response::new_err(id, code as i32, error)).write(output),
        None => {
            let text = serde_json::json!({
                "jsonrpc": "2.0",
                "id": null,
                "error": { "code": code as i32, "message": error },
            })
            .to_string();
            write!(output, "Content-Length: {}\r\n\r\n{text}", text.len())?;
            output.flush()
        }
    }
}

enum Frame {
    Body(Vec<u8>),
    Bad(String),
    End,
}

fn read_frame(input: &mut impl BufRead) -> io::Result<Frame> {
    let mut length: Option<Result<u64, String>> = None;
    let mut headers = false;
    loop {
        let mut line = Vec::new();
        if input
            .by_ref()
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)?
            == 0
        {
            return Ok(Frame::End);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            // A blank line ends the headers; blank lines before any header are skipped.
            if headers {
                break;
            }
            continue;
        }
        headers = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .trim()
                        .parse()
                        .map_err(|e| format!("bad Content-Length {value:?}: {e}")),
                );
            }
        }
    }
    let length = match length {
        None => return Ok(Frame::Bad("a message without Content-Length".to_string())),
        Some(Err(e)) => return Ok(Frame::Bad(e)),
        Some(Ok(n)) => n,
    };
    if length > MAX_MESSAGE {
        io::copy(&mut input.by_ref().take(length), &mut io::sink())?;
        return Ok(Frame::Bad(format!(
            "a message of {length} bytes; the limit is {MAX_MESSAGE}"
        )));
    }
    let mut body = Vec::new();
    input.by_ref().take(length).read_to_end(&mut body)?;
    if (body.len() as u64) < length {
        return Ok(Frame::End);
    }
    Ok(Frame::Body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(text: &str) -> Vec<String> {
        let mut input = text.as_bytes();
        let mut out = Vec::new();
        loop {
            match read(&mut input) {
                Ok(Incoming::End) | Err(_) => return out,
                Ok(Incoming::Message(Message::Request(r))) => out.push(r.method),
                Ok(Incoming::Message(_)) => out.push("other".to_string()),
                Ok(Incoming::Invalid { id, code, .. }) => {
                    out.push(format!("invalid {id:?} {}", code as i32));
                }
            }
        }
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn bad_messages_are_skipped_and_reading_goes_on() {
        let ok = frame(r#"{"jsonrpc":"2.0","id":1,"method":"hover"}"#);
        let text = [
            frame("{not json"),
            frame(r#"{"id":7}"#),
            "Content-Length: 99999999999\r\n\r\n".to_string(),
        ]
        .concat();
        assert_eq!(
            frames(&format!("{ok}{text}")),
            vec![
                "hover".to_string(),
                "invalid None -32700".to_string(),
                "invalid Some(RequestId(I32(7))) -32600".to_string(),
                "invalid None -32700".to_string(),
            ]
        );
        assert_eq!(
            frames(&format!("X-Nothing: 1\r\n\r\n{ok}")),
            vec!["invalid None -32700".to_string(), "hover".to_string()]
        );
        // Invalid UTF-8 in the body, then a message cut short.
        let mut bytes = b"Content-Length: 2\r\n\r\n\xff\xfe".to_vec();
        bytes.extend_from_slice(b"Content-Length: 10\r\n\r\n{}");
        let mut input = bytes.as_slice();
        assert!(matches!(
            read(&mut input),
            Ok(Incoming::Invalid { id: None, .. })
        ));
        assert!(matches!(read(&mut input), Ok(Incoming::End)));
    }
}
