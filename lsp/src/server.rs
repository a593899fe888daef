//! The server's state (the open documents) and what it answers.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};

use lsp_server::{ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument,
    Notification as LspNotification, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, Formatting, GotoDefinition, HoverRequest, Request as LspRequest,
};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse, DiagnosticSeverity,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DocumentFormattingParams, Documentation, GotoDefinitionParams, GotoDefinitionResponse, Hover,
    HoverContents, HoverParams, Location, MarkupContent, MarkupKind, NumberOrString,
    PublishDiagnosticsParams, TextDocumentPositionParams, TextEdit, Uri,
};
use thresholds::{Declaration, Kind, Located, Outline, Severity};

use crate::complete::{self, Want};
use crate::text;

/// The most of a rule file read from disk (the checker rejects files over 1 MiB anyway).
const MAX_FILE: u64 = 16 << 20;

/// Words offered where an expression or an item may start.
const KEYWORDS: &[&str] = &[
    "ruleset",
    "version",
    "guidance",
    "levels",
    "pathways",
    "domains",
    "provisional",
    "fact",
    "bool",
    "int",
    "enum",
    "set",
    "question",
    "help",
    "domain",
    "asked",
    "otherwise",
    "benign",
    "area",
    "checklist",
    "triage",
    "matrix",
    "from",
    "categories",
    "tier",
    "score",
    "rule",
    "when",
    "then",
    "level",
    "exactly",
    "pathway",
    "advisory",
    "at",
    "least",
    "cite",
    "because",
    "test",
    "given",
    "expect",
    "no",
    "status",
    "missing",
    "and",
    "or",
    "not",
    "in",
    "has",
    "any",
    "all",
    "count",
    "indicators",
    "true",
    "false",
    "null",
];

/// An open document.
struct Document {
    text: String,
    version: i32,
}

/// A file of a document's rule set.
struct Member {
    uri: Uri,
    /// Its name for the checker: the path, as `thresholds check` names it.
    name: String,
    text: String,
    /// The version of an open document.
    version: Option<i32>,
}

/// The open documents; everything else is read from disk when it is needed.
#[derive(Default)]
pub(crate) struct Server {
    docs: BTreeMap<Uri, Document>,
}

impl Server {
    /// Answers a request (every method but `initialize` and `shutdown`).
    pub(crate) fn request(&self, req: Request) -> Response {
        match req.method.as_str() {
            HoverRequest::METHOD => self.handle::<HoverRequest>(req, Server::hover),
            GotoDefinition::METHOD => self.handle::<GotoDefinition>(req, Server::definition),
            Completion::METHOD => self.handle::<Completion>(req, Server::completion),
            Formatting::METHOD => self.handle::<Formatting>(req, Server::formatting),
            _ => Response::new_err(
                req.id,
                ErrorCode::MethodNotFound as i32,
                format!("unknown method `{}`", req.method),
            ),
        }
    }

    fn handle<R: LspRequest>(
        &self,
        req: Request,
        answer: fn(&Server, R::Params) -> R::Result,
    ) -> Response {
        match serde_json::from_value(req.params) {
            Ok(params) => Response::new_ok(req.id, answer(self, params)),
            Err(e) => Response::new_err(
                req.id,
                ErrorCode::InvalidParams as i32,
                format!("bad {} params: {e}", R::METHOD),
            ),
        }
    }

    /// Takes a notification in; returns the diagnostics to publish.
    pub(crate) fn notify(&mut self, n: Notification) -> Vec<Message> {
        let published = match n.method.as_str() {
            DidOpenTextDocument::METHOD => params::<DidOpenTextDocument>(n).map(|p| self.open(p)),
            DidChangeTextDocument::METHOD => {
                params::<DidChangeTextDocument>(n).map(|p| self.change(p))
            }
            DidCloseTextDocument::METHOD => {
                params::<DidCloseTextDocument>(n).map(|p| self.close(p))
            }
            _ => None,
        };
        published
            .unwrap_or_default()
            .into_iter()
            .map(|p| Notification::new(PublishDiagnostics::METHOD.to_string(), p).into())
            .collect()
    }

    fn open(&mut self, p: DidOpenTextDocumentParams) -> Vec<PublishDiagnosticsParams> {
        let doc = p.text_document;
        self.docs.insert(
            doc.uri.clone(),
            Document {
                text: doc.text,
                version: doc.version,
            },
        );
        self.diagnostics(&doc.uri)
    }

    fn change(&mut self, p: DidChangeTextDocumentParams) -> Vec<PublishDiagnosticsParams> {
        let uri = p.text_document.uri;
        let doc = self.docs.entry(uri.clone()).or_insert(Document {
            text: String::new(),
            version: p.text_document.version,
        });
        doc.version = p.text_document.version;
        for change in p.content_changes {
            match change.range {
                Some(r) => {
                    // Offsets are character boundaries within the text, the end not before
                    // the start.
                    let start = text::offset(&doc.text, r.start);
                    let end = text::offset(&doc.text, r.end).max(start);
                    doc.text.replace_range(start..end, &change.text);
                }
                None => doc.text = change.text,
            }
        }
        self.diagnostics(&uri)
    }

    fn close(&mut self, p: DidCloseTextDocumentParams) -> Vec<PublishDiagnosticsParams> {
        let uri = p.text_document.uri;
        self.docs.remove(&uri);
        // Its diagnostics go; the rest of its rule set is checked again with its text on disk.
        let mut out = vec![PublishDiagnosticsParams::new(uri.clone(), Vec::new(), None)];
        out.extend(self.diagnostics(&uri));
        out
    }

    /// The files of a document's rule set: the `.thr` files of its directory, open documents'
    /// text in place of what is on disk. A document without a directory on disk is alone.
    fn rule_set(&self, uri: &Uri) -> Vec<Member> {
        let dir =
            file_path(uri).and_then(|p| p.parent().filter(|d| d.is_dir()).map(Path::to_path_buf));
        let Some(dir) = dir else {
            return self
                .docs
                .get(uri)
                .map(|d| Member {
                    uri: uri.clone(),
                    name: uri.as_str().to_string(),
                    text: d.text.clone(),
                    version: Some(d.version),
                })
                .into_iter()
                .collect();
        };
        let open: BTreeMap<PathBuf, (&Uri, &Document)> = self
            .docs
            .iter()
            .filter_map(|(u, d)| Some((file_path(u)?, (u, d))))
            .filter(|(p, (u, _))| p.parent() == Some(&dir) && (is_rule_file(p) || *u == uri))
            .collect();
        let mut paths: BTreeSet<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| is_rule_file(p) && p.is_file())
            .collect();
        paths.extend(open.keys().cloned());
        paths
            .into_iter()
            .filter_map(|path| {
                let name = path.display().to_string();
                Some(match open.get(&path) {
                    Some((u, d)) => Member {
                        uri: (*u).clone(),
                        name,
                        text: d.text.clone(),
                        version: Some(d.version),
                    },
                    None => Member {
                        uri: file_uri(&path)?,
                        name,
                        text: read_text(&path)?,
                        version: None,
                    },
                })
            })
            .collect()
    }

    /// Checks a document's rule set; one set of diagnostics for each of its files.
    fn diagnostics(&self, uri: &Uri) -> Vec<PublishDiagnosticsParams> {
        let set = self.rule_set(uri);
        let files: Vec<(String, String)> = set
            .iter()
            .map(|m| (m.name.clone(), m.text.clone()))
            .collect();
        let home = set.iter().position(|m| m.uri == *uri).unwrap_or(0);
        let mut per_file: Vec<Vec<lsp_types::Diagnostic>> =
            set.iter().map(|_| Vec::new()).collect();
        for found in thresholds::located_diagnostics(&files) {
            let i = found
                .file
                .as_deref()
                .and_then(|f| set.iter().position(|m| m.name == f))
                .unwrap_or(home);
            if let (Some(m), Some(list)) = (set.get(i), per_file.get_mut(i)) {
                list.push(diagnostic(&m.text, &found));
            }
        }
        set.into_iter()
            .zip(per_file)
            .map(|(m, list)| PublishDiagnosticsParams::new(m.uri, list, m.version))
            .collect()
    }

    /// The rule set of the document at a position, the document's index in it, and the byte
    /// offset of the position.
    fn locate(&self, p: &TextDocumentPositionParams) -> Option<(Vec<Member>, usize, usize)> {
        let set = self.rule_set(&p.text_document.uri);
        let i = set.iter().position(|m| m.uri == p.text_document.uri)?;
        let offset = text::offset(&set.get(i)?.text, p.position);
        Some((set, i, offset))
    }

    fn hover(&self, p: HoverParams) -> Option<Hover> {
        let (set, i, offset) = self.locate(&p.text_document_position_params)?;
        let doc = set.get(i)?;
        let outline = outline(&set);
        let (bytes, decl) = outline.at(&doc.name, offset)?;
        Some(Hover {
            contents: HoverContents::Markup(markdown(describe(&outline, decl))),
            range: Some(text::range(&doc.text, &bytes)),
        })
    }

    fn definition(&self, p: GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
        let (set, i, offset) = self.locate(&p.text_document_position_params)?;
        let outline = outline(&set);
        let (_, decl) = outline.at(&set.get(i)?.name, offset)?;
        let target = set.iter().find(|m| m.name == decl.file)?;
        Some(GotoDefinitionResponse::Scalar(Location::new(
            target.uri.clone(),
            text::range(&target.text, &decl.span),
        )))
    }

    fn completion(&self, p: CompletionParams) -> Option<CompletionResponse> {
        let (set, i, offset) = self.locate(&p.text_document_position)?;
        let outline = outline(&set);
        let want = complete::want(&set.get(i)?.text, offset);
        Some(CompletionResponse::Array(completions(&outline, want)))
    }

    fn formatting(&self, p: DocumentFormattingParams) -> Option<Vec<TextEdit>> {
        let uri = p.text_document.uri;
        let doc = self.docs.get(&uri)?;
        let name =
            file_path(&uri).map_or_else(|| uri.as_str().to_string(), |p| p.display().to_string());
        // Text that does not parse is left as it is (its errors are in the diagnostics).
        Some(match thresholds::format_source(&name, &doc.text) {
            Ok(formatted) if formatted != doc.text => vec![TextEdit::new(
                text::range(&doc.text, &(0..doc.text.len())),
                formatted,
            )],
            Ok(_) | Err(_) => Vec::new(),
        })
    }
}

fn params<N: LspNotification>(n: Notification) -> Option<N::Params> {
    serde_json::from_value(n.params)
        .map_err(|e| eprintln!("thresholds lsp: bad {} params: {e}", N::METHOD))
        .ok()
}

fn file_path(uri: &Uri) -> Option<PathBuf> {
    url::Url::parse(uri.as_str()).ok()?.to_file_path().ok()
}

fn file_uri(path: &Path) -> Option<Uri> {
    url::Url::from_file_path(path).ok()?.as_str().parse().ok()
}

fn is_rule_file(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "thr")
}

/// A file's text; bytes that are not UTF-8 become U+FFFD.
fn read_text(path: &Path) -> Option<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_FILE)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn outline(set: &[Member]) -> Outline {
    let files: Vec<(String, String)> = set
        .iter()
        .map(|m| (m.name.clone(), m.text.clone()))
        .collect();
    thresholds::outline(&files)
}

fn diagnostic(text: &str, found: &Located) -> lsp_types::Diagnostic {
    let d = &found.diagnostic;
    let message = match d.help_text() {
        Some(help) => format!("{}\nhelp: {help}", d.message()),
        None => d.message().to_string(),
    };
    lsp_types::Diagnostic {
        range: text::range(text, &found.range),
        severity: Some(match d.severity() {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code().to_string())),
        source: Some("thresholds".to_string()),
        message,
        ..lsp_types::Diagnostic::default()
    }
}

fn markdown(value: String) -> MarkupContent {
    MarkupContent {
        kind: MarkupKind::Markdown,
        value,
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What hover shows of a declaration, in Markdown.
fn describe(outline: &Outline, d: &Declaration) -> String {
    let mut parts = vec![heading(d)];
    match d.kind {
        Kind::Fact => {
            parts.extend(d.label.clone());
            parts.extend(d.text.as_ref().map(|help| format!("*{help}*")));
        }
        Kind::Code => parts.extend(
            d.parent
                .as_deref()
                .and_then(|f| outline.find(Kind::Fact, f, None))
                .and_then(|f| f.label.clone()),
        ),
        _ => parts.extend(d.text.clone()),
    }
    let caption = match d.kind {
        Kind::Level => "Default pathways",
        Kind::Matrix => "Categories, lowest first",
        Kind::Tier => "Codes",
        Kind::Area | Kind::Checklist => "Facts",
        _ => "",
    };
    if !caption.is_empty() && !d.members.is_empty() {
        parts.push(format!("{caption}: {}", quoted(&d.members)));
    }
    parts.join("\n\n")
}

fn heading(d: &Declaration) -> String {
    let kind = d.kind.as_str();
    match (d.kind, &d.parent, &d.label) {
        (Kind::Fact, ..) => {
            let ty = d.ty.as_deref().unwrap_or_default();
            if d.members.is_empty() {
                format!("```thr\nfact {}: {ty}\n```", d.name)
            } else {
                format!(
                    "```thr\nfact {}: {ty} {{ {} }}\n```",
                    d.name,
                    d.members.join(", ")
                )
            }
        }
        (_, Some(parent), _) => {
            let owner = if d.kind == Kind::Code {
                "fact"
            } else {
                "matrix"
            };
            format!("**{kind}** `{}` of {owner} `{parent}`", d.name)
        }
        (_, None, Some(label)) => format!("**{kind}** `{}`: {label}", d.name),
        (_, None, None) => format!("**{kind}** `{}`", d.name),
    }
}

fn completions(outline: &Outline, want: Want<'_>) -> Vec<CompletionItem> {
    let of_kind = |kind: Kind| outline.of_kind(kind).collect::<Vec<_>>();
    let decls = match want {
        Want::ValuesOf("level") | Want::Levels => of_kind(Kind::Level),
        Want::ValuesOf(owner) => {
            let kind = if outline.find(Kind::Matrix, owner, None).is_some() {
                Kind::Category
            } else {
                Kind::Code
            };
            outline
                .of_kind(kind)
                .filter(|d| d.parent.as_deref() == Some(owner))
                .collect()
        }
        Want::Pathways => of_kind(Kind::Pathway),
        Want::Guidance => of_kind(Kind::Guidance),
        Want::Domains => of_kind(Kind::Domain),
        Want::Facts => of_kind(Kind::Fact),
        Want::Areas => of_kind(Kind::Area),
        Want::Anything => {
            let mut all = of_kind(Kind::Fact);
            all.extend(outline.of_kind(Kind::Matrix));
            all
        }
    };
    let mut seen = BTreeSet::new();
    let mut items: Vec<CompletionItem> = decls
        .into_iter()
        .filter(|d| seen.insert(d.name.as_str()))
        .map(|d| CompletionItem {
            label: d.name.clone(),
            kind: Some(match d.kind {
                Kind::Fact => CompletionItemKind::VARIABLE,
                Kind::Code | Kind::Category => CompletionItemKind::ENUM_MEMBER,
                Kind::Level => CompletionItemKind::CONSTANT,
                Kind::Matrix => CompletionItemKind::STRUCT,
                Kind::Guidance => CompletionItemKind::REFERENCE,
                _ => CompletionItemKind::VALUE,
            }),
            detail: d.label.clone(),
            documentation: Some(Documentation::MarkupContent(markdown(describe(outline, d)))),
            ..CompletionItem::default()
        })
        .collect();
    if want == Want::Anything {
        items.extend(KEYWORDS.iter().map(|k| CompletionItem {
            label: (*k).to_string(),
            kind: Some(CompletionItemKind::KEYWORD),
            ..CompletionItem::default()
        }));
    }
    items
}
