//! A Language Server Protocol server for Thresholds rule files.
//!
//! A directory's `.thr` files form one rule set, as for `thresholds check`: when a document is
//! opened or changed, its rule set is checked (open documents' text in place of what is on
//! disk) and each file's diagnostics are published. Hover, go to definition, completion and
//! formatting work on the same rule set.

mod complete;
mod server;
mod text;
mod transport;

use std::io::{BufRead, Write};

use lsp_server::{ErrorCode, Message, Request, Response};
use lsp_types::notification::{Exit, Notification as _};
use lsp_types::request::{Initialize, Request as _, Shutdown};
use lsp_types::{
    CompletionOptions, HoverProviderCapability, InitializeResult, OneOf, PositionEncodingKind,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
};

use crate::server::Server;
use crate::transport::Incoming;

/// Serves the Language Server Protocol over standard input and output until the client exits.
///
/// # Errors
/// A message when the connection fails, or when the client ends it without `shutdown` and
/// `exit` (the process should then exit with a failure status, as the protocol asks).
pub fn serve_stdio() -> Result<(), String> {
    serve(&mut std::io::stdin().lock(), &mut std::io::stdout().lock())
}

/// Where the connection is in its life.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for `initialize`.
    Starting,
    Running,
    /// `shutdown` was answered; waiting for `exit`.
    ShuttingDown,
}

fn serve(input: &mut impl BufRead, output: &mut impl Write) -> Result<(), String> {
    let mut server = Server::default();
    let mut state = State::Starting;
    let failed = |e: std::io::Error| format!("the connection to the client failed: {e}");
    loop {
        let message = match transport::read(input).map_err(failed)? {
            Incoming::End => {
                return Err("the client closed the connection without `exit`".to_string())
            }
            Incoming::Invalid { id, code, error } => {
                eprintln!("thresholds lsp: skipped a message: {error}");
                transport::write_error(output, id, code, error).map_err(failed)?;
                continue;
            }
            Incoming::Message(message) => message,
        };
        let replies = match message {
            Message::Request(req) => vec![respond(&mut state, &server, req).into()],
            Message::Notification(n) if n.method == Exit::METHOD => {
                return match state {
                    State::ShuttingDown => Ok(()),
                    _ => Err("the client sent `exit` before `shutdown`".to_string()),
                };
            }
            Message::Notification(n) if state == State::Running => server.notify(n),
            // Notifications before `initialize` or after `shutdown` are dropped; this server
            // sends no requests, so a response answers nothing.
            Message::Notification(_) | Message::Response(_) => Vec::new(),
        };
        for reply in replies {
            reply.write(output).map_err(failed)?;
        }
    }
}

fn respond(state: &mut State, server: &Server, req: Request) -> Response {
    let refuse = |req: Request, code: ErrorCode, why: &str| {
        Response::new_err(req.id, code as i32, format!("{}: {why}", req.method))
    };
    match (*state, req.method.as_str()) {
        (State::Starting, Initialize::METHOD) => {
            *state = State::Running;
            Response::new_ok(req.id, initialize_result())
        }
        (State::Starting, _) => refuse(
            req,
            ErrorCode::ServerNotInitialized,
            "the server is not initialized",
        ),
        (State::Running, Initialize::METHOD) => {
            refuse(req, ErrorCode::InvalidRequest, "the server is initialized")
        }
        (State::Running, Shutdown::METHOD) => {
            *state = State::ShuttingDown;
            Response::new_ok(req.id, ())
        }
        (State::Running, _) => server.request(req),
        (State::ShuttingDown, _) => refuse(
            req,
            ErrorCode::InvalidRequest,
            "the server is shutting down",
        ),
    }
}

fn initialize_result() -> InitializeResult {
    InitializeResult {
        capabilities: ServerCapabilities {
            position_encoding: Some(PositionEncodingKind::UTF16),
            text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            completion_provider: Some(CompletionOptions::default()),
            document_formatting_provider: Some(OneOf::Left(true)),
            ..ServerCapabilities::default()
        },
        server_info: Some(ServerInfo {
            name: "thresholds".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    }
}
