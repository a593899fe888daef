//! `thresholds lsp` end to end: a client speaking JSON-RPC (Content-Length framing) to the
//! server's standard input and output, on a copy of the shipped rules.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail by panicking"
)]

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
/// The longest wait for any message: the test fails rather than hangs.
const TIMEOUT: Duration = Duration::from_secs(20);

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    /// Notifications read while waiting for a response.
    notifications: VecDeque<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_thresholds"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary runs");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut out = BufReader::new(stdout);
            while let Some(message) = read_message(&mut out) {
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            notifications: VecDeque::new(),
            next_id: 1,
        }
    }

    fn send_raw(&mut self, body: &[u8]) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).expect("write header");
        self.stdin.write_all(body).expect("write body");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        let body = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.send_raw(body.to_string().as_bytes());
    }

    fn next(&mut self) -> Value {
        self.incoming
            .recv_timeout(TIMEOUT)
            .expect("a message from the server within the timeout")
    }

    /// Sends a request and returns its whole response, keeping notifications read meanwhile.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send_raw(body.to_string().as_bytes());
        self.response(&json!(id))
    }

    fn response(&mut self, id: &Value) -> Value {
        loop {
            let message = self.next();
            if message.get("method").is_some() {
                self.notifications.push_back(message);
            } else if message["id"] == *id {
                return message;
            }
        }
    }

    /// Sends a notification and returns the diagnostics it published, by file name. The server
    /// answers in order, so a request sent after it is answered after all of them.
    fn publish(&mut self, method: &str, params: Value) -> BTreeMap<String, Vec<Value>> {
        self.notifications.clear();
        self.notify(method, params);
        let barrier = self.request("thresholds/barrier", json!(null));
        assert_eq!(barrier["error"]["code"], -32601, "{barrier}");
        let mut out = BTreeMap::new();
        for n in self.notifications.drain(..) {
            assert_eq!(n["method"], "textDocument/publishDiagnostics", "{n}");
            let uri = n["params"]["uri"].as_str().expect("uri").to_string();
            let list = n["params"]["diagnostics"].as_array().expect("list").clone();
            out.insert(uri, list);
        }
        out
    }

    fn open(&mut self, uri: &str, text: &str) -> BTreeMap<String, Vec<Value>> {
        self.publish(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "thresholds", "version": 1, "text": text}}),
        )
    }

    fn change(&mut self, uri: &str, version: i32, text: &str) -> BTreeMap<String, Vec<Value>> {
        self.publish(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        )
    }

    /// Waits for the server to end.
    fn exit_status(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if start.elapsed() > TIMEOUT {
                let _ = self.child.kill();
                panic!("the server did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn at(&mut self, method: &str, uri: &str, pos: Value) -> Value {
        let response = self.request(
            method,
            json!({"textDocument": {"uri": uri}, "position": pos}),
        );
        assert!(response.get("error").is_none(), "{response}");
        response["result"].clone()
    }
}

fn read_message(out: &mut impl std::io::BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse().ok();
        }
    }
    let mut body = vec![0; length?];
    out.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The zero-based line and UTF-16 column of the first `needle` in `text` (after `after`).
fn pos(text: &str, after: &str, needle: &str) -> (usize, usize) {
    let from = text.find(after).expect("context found");
    let at = from + text[from..].find(needle).expect("needle found");
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (
        text[..at].matches('\n').count(),
        text[line_start..at].encode_utf16().count(),
    )
}

fn position((line, character): (usize, usize)) -> Value {
    json!({"line": line, "character": character})
}

fn range(start: (usize, usize), len: usize) -> Value {
    json!({"start": position(start), "end": position((start.0, start.1 + len))})
}

/// A fresh copy of the shipped rules.
fn rules_copy(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("thr-lsp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let shipped = Path::new(ROOT).join("rules/threshold");
    for entry in std::fs::read_dir(&shipped).expect("shipped rules") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "thr") {
            std::fs::copy(&path, dir.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    dir
}

fn labels(items: &Value) -> Vec<String> {
    items
        .as_array()
        .expect("completion items")
        .iter()
        .map(|i| i["label"].as_str().expect("label").to_string())
        .collect()
}

#[test]
fn the_language_server_checks_explains_completes_and_formats_rule_files() {
    let dir = rules_copy("session");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("rule file");
    let mut c = Client::start();

    // ---- Handshake ----
    let init = c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["textDocumentSync"], 1, "{init}");
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["hoverProvider"], true);
    assert_eq!(caps["definitionProvider"], true);
    assert_eq!(caps["documentFormattingProvider"], true);
    assert!(caps["completionProvider"].is_object(), "{caps}");
    assert_eq!(init["result"]["serverInfo"]["name"], "thresholds");
    c.notify("initialized", json!({}));

    // ---- Diagnostics, positions in UTF-16 code units ----
    // `é` is one unit (two bytes), `𝄞` two units (four bytes): the column of `refusd` is
    // neither its byte offset nor its character count.
    let extra_path = dir.join("75-extra.thr");
    let extra = uri(&extra_path);
    let bad = "rule extra \"Caf\u{e9} \u{1d11e}\" { when consent == refusd then pathway consult_dsl cite pan_london because \"r\" }\n";
    std::fs::write(&extra_path, bad).expect("write");
    let found = c.open(&extra, bad);
    let col = pos(bad, "", "refusd");
    assert_eq!(col, (0, 39));
    assert_eq!(bad.find("refusd"), Some(42));
    assert_eq!(bad[..bad.find("refusd").expect("bad")].chars().count(), 38);
    let diags = &found[&extra];
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "thr::check::unknown_name");
    assert_eq!(diags[0]["severity"], 1);
    assert_eq!(diags[0]["range"], range(col, 6));
    assert!(
        diags[0]["message"]
            .as_str()
            .expect("message")
            .starts_with("`refusd` is not a value of `consent`"),
        "{}",
        diags[0]["message"]
    );
    // Every file of the rule set is published, those without diagnostics with none.
    assert_eq!(found.len(), 11, "{:?}", found.keys());
    assert_eq!(found[&uri(&dir.join("10-facts.thr"))], Vec::<Value>::new());

    // The fix, not yet saved: the open document's text wins over the file on disk.
    let good = bad.replace("refusd", "refused");
    let found = c.change(&extra, 2, &good);
    assert!(found.values().all(Vec::is_empty), "{found:?}");
    std::fs::write(&extra_path, &good).expect("save");

    // A change in one file breaks another: each diagnostic goes to its own file.
    let header = read("00-ruleset.thr");
    let header_uri = uri(&dir.join("00-ruleset.thr"));
    let renamed = header.replace("consult_dsl \"Consult", "consult_the_dsl \"Consult");
    let found = c.open(&header_uri, &renamed);
    let pathways = read("70-pathways.thr");
    let pathways_uri = uri(&dir.join("70-pathways.thr"));
    let in_pathways = &found[&pathways_uri];
    assert!(
        in_pathways
            .iter()
            .any(|d| d["code"] == "thr::check::unknown_name"
                && d["range"] == range(pos(&pathways, "", "consult_dsl"), 11)),
        "{in_pathways:?}"
    );
    let in_header = &found[&header_uri];
    assert!(
        in_header
            .iter()
            .any(|d| d["code"] == "thr::check::unknown_name"
                && d["range"] == range(pos(&renamed, "provisional", "consult_dsl"), 11)),
        "{in_header:?}"
    );
    let found = c.change(&header_uri, 2, &header);
    assert!(found.values().all(Vec::is_empty), "{found:?}");

    // ---- Hover ----
    let consent_use = pos(&pathways, "when level", "consent");
    let hover = c.at("textDocument/hover", &pathways_uri, position(consent_use));
    assert_eq!(hover["contents"]["kind"], "markdown");
    assert_eq!(
        hover["contents"]["value"],
        "```thr\nfact consent: enum { given, refused, not_sought }\n```\n\n\
         Has the family consented to early help?\n\n\
         *Early help is voluntary. Consent is never needed to refer for levels 3 and 4.*"
    );
    assert_eq!(hover["range"], range(consent_use, 7));
    let dsl_use = pos(&pathways, "then pathway", "consult_dsl");
    let hover = c.at(
        "textDocument/hover",
        &pathways_uri,
        position((dsl_use.0, dsl_use.1 + 3)),
    );
    assert_eq!(
        hover["contents"]["value"],
        "**pathway** `consult_dsl`: Consult your DSL\n\n\
         Discuss with your designated safeguarding lead before deciding."
    );
    let level_use = pos(&pathways, "when level == ", "early_help");
    let hover = c.at("textDocument/hover", &pathways_uri, position(level_use));
    assert_eq!(
        hover["contents"]["value"],
        "**level** `early_help`: Early help\n\nDefault pathways: `early_help_assessment`"
    );
    // Past the end of the document: nothing, and no crash.
    let past = c.at("textDocument/hover", &pathways_uri, position((99_999, 7)));
    assert_eq!(past, Value::Null);

    // ---- Go to definition, into other files of the rule set ----
    let facts = read("10-facts.thr");
    let def = c.at(
        "textDocument/definition",
        &pathways_uri,
        position(consent_use),
    );
    assert_eq!(def["uri"], uri(&dir.join("10-facts.thr")));
    assert_eq!(def["range"], range(pos(&facts, "", "consent:"), 7));
    let cite_use = pos(&pathways, "consent_refused", "pan_london");
    let def = c.at("textDocument/definition", &pathways_uri, position(cite_use));
    assert_eq!(def["uri"], header_uri);
    assert_eq!(def["range"], range(pos(&header, "", "pan_london"), 10));

    // ---- Completion ----
    let draft =
        "rule draft \"Draft\" {\n  when \n  then pathway \n}\nrule draft2 { when consent == ";
    c.change(&extra, 3, draft);
    let anything = labels(&c.at("textDocument/completion", &extra, position((1, 7))));
    for want in [
        "age_years",
        "consent",
        "legal_status",
        "cse",
        "when",
        "count",
    ] {
        assert!(
            anything.contains(&want.to_string()),
            "{want} in {anything:?}"
        );
    }
    let declared: Vec<String> = header
        .lines()
        .skip_while(|l| !l.starts_with("pathways {"))
        .skip(1)
        .take_while(|l| !l.starts_with('}'))
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| l.split_whitespace().next().expect("id").to_string())
        .collect();
    assert_eq!(declared.len(), 16);
    let offered = labels(&c.at("textDocument/completion", &extra, position((2, 15))));
    assert_eq!(offered, declared);
    let codes = labels(&c.at("textDocument/completion", &extra, position((4, 30))));
    assert_eq!(codes, ["given", "refused", "not_sought"]);

    // ---- Formatting ----
    let messy = "rule   messy \"Messy\"{when consent==refused\nthen pathway consult_dsl cite pan_london because \"r\"}";
    c.change(&extra, 4, messy);
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": extra}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let expected =
        thresholds::format_source(&extra_path.display().to_string(), messy).expect("formats");
    assert_ne!(expected, messy);
    assert_eq!(
        edits["result"],
        json!([{"range": {"start": position((0, 0)), "end": position((1, 53))}, "newText": expected}])
    );
    c.change(&extra, 5, "rule {");
    let none = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": extra}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(none["result"], json!([]));

    // ---- A document without a directory on disk is checked alone ----
    let found = c.open("untitled:Untitled-1", "fact x: bool { question \"X?\" }\n");
    assert_eq!(found.len(), 1, "{found:?}");
    let alone = &found["untitled:Untitled-1"];
    assert_eq!(alone[0]["code"], "thr::check::missing_header");
    assert_eq!(alone[0]["range"], range((0, 0), 0));

    // ---- Bad input is answered, and the server goes on ----
    let unknown = c.request("textDocument/unheardOf", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let bad_params = c.request("textDocument/hover", json!({"textDocument": 3}));
    assert_eq!(bad_params["error"]["code"], -32602, "{bad_params}");
    c.send_raw(b"{\"jsonrpc\": \"2.0\", \"id\": ");
    let parse_error = c.response(&Value::Null);
    assert_eq!(parse_error["error"]["code"], -32700, "{parse_error}");
    c.send_raw(&[0xff, 0xfe, 0x00]);
    assert_eq!(c.response(&Value::Null)["error"]["code"], -32700);

    // ---- Shutdown, then exit: status 0 ----
    let shutdown = c.request("shutdown", json!(null));
    assert_eq!(shutdown["result"], Value::Null);
    assert!(shutdown.get("error").is_none(), "{shutdown}");
    c.notify("exit", json!(null));
    let status = c.exit_status();
    assert!(status.success(), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn exit_without_shutdown_is_a_failure() {
    let mut c = Client::start();
    c.request("initialize", json!({"capabilities": {}}));
    c.notify("exit", json!(null));
    assert_eq!(c.exit_status().code(), Some(1));
}
