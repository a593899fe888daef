//! Terminal rendering of diagnostics with source snippets (miette), for the CLI.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use crate::diag::{Diagnostic, Severity, Sources};

struct View<'a> {
    d: &'a Diagnostic,
    src: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::error::Error for View<'_> {}

impl miette::Diagnostic for View<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.d.code()))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

/// Lines longer than this are not handed to miette (its layout arithmetic overflows on columns
/// past 65,535); the snippet is clipped around the column instead.
const MAX_SNIPPET_LINE: usize = 400;
/// Characters kept either side of the column in a clipped snippet.
const CLIP: usize = 60;

/// The labelled lines of `d`'s primary source, when any is too long to show whole.
fn long_line(d: &Diagnostic, sources: &Sources) -> Option<String> {
    let first = d.labels.first()?;
    let f = sources.get(first.span.source)?;
    let start = first.span.start as usize;
    let line_start = f.text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = f
        .text
        .get(start..)?
        .find('\n')
        .map_or(f.text.len(), |i| start + i);
    let line = f.text.get(line_start..line_end)?;
    if line.len() <= MAX_SNIPPET_LINE {
        return None;
    }
    // Clip on character boundaries around the label's start.
    let col = f.text.get(line_start..start)?.chars().count();
    let chars: Vec<char> = line.chars().collect();
    let from = col.saturating_sub(CLIP);
    let to = (col + CLIP).min(chars.len());
    let shown: String = chars.get(from..to)?.iter().collect();
    let lead = if from > 0 { "…" } else { "" };
    let tail = if to < chars.len() { "…" } else { "" };
    let caret = " ".repeat(col - from + lead.chars().count());
    Some(format!(
        "  | {lead}{shown}{tail}\n  | {caret}^ {}\n  (line clipped: {} characters)\n",
        first.text,
        chars.len()
    ))
}

fn render_one(d: &Diagnostic, sources: &Sources) -> String {
    if let Some(mut snippet) = long_line(d, sources) {
        if let Some(h) = &d.help {
            snippet.push_str(&format!("  help: {h}\n"));
        }
        return with_location(d, sources, snippet);
    }
    let primary = d.labels.first().map(|l| l.span.source);
    let src = primary
        .and_then(|id| sources.get(id))
        .map(|f| NamedSource::new(f.name.clone(), f.text.clone()));
    let mut labels = Vec::new();
    let mut notes = Vec::new();
    for l in &d.labels {
        if Some(l.span.source) == primary {
            let len = (l.span.end.saturating_sub(l.span.start)) as usize;
            labels.push(LabeledSpan::new_with_span(
                Some(l.text.clone()),
                SourceSpan::new((l.span.start as usize).into(), len),
            ));
        } else {
            let name = sources.get(l.span.source).map_or("?", |f| f.name.as_str());
            let (line, col) = sources.line_col(l.span.source, l.span.start);
            notes.push(format!("{}: {name}:{line}:{col}", l.text));
        }
    }
    let mut help = d.help.clone();
    if !notes.is_empty() {
        let extra = notes.join("\n");
        help = Some(match help {
            Some(h) => format!("{h}\n{extra}"),
            None => extra,
        });
    }
    let view = View {
        d,
        src,
        labels,
        help,
    };
    let mut out = String::new();
    let handler =
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100);
    if handler.render_report(&mut out, &view).is_err() {
        return render_plain(d);
    }
    // The location line says the code and message; keep miette's snippet and help, not its
    // own heading with them again.
    if let Some(frame) = out.find("╭─[") {
        let line_start = out
            .get(..frame)
            .and_then(|h| h.rfind('\n'))
            .map_or(0, |i| i + 1);
        out = out.get(line_start..).unwrap_or_default().to_string();
    }
    with_location(d, sources, out)
}

/// A plain `file:line:col: severity[code]: message` line first, so editors and CI logs can
/// jump to it, then `body`; without a location, the plain rendering.
fn with_location(d: &Diagnostic, sources: &Sources, body: String) -> String {
    let Some((l, f)) = d
        .labels
        .first()
        .and_then(|l| sources.get(l.span.source).map(|f| (l, f)))
    else {
        return render_plain(d);
    };
    let (line, col) = sources.line_col(l.span.source, l.span.start);
    format!(
        "{}:{line}:{col}: {}[{}]: {}\n{body}",
        f.name,
        d.severity.as_str(),
        d.code(),
        d.message
    )
}

/// Renders one diagnostic without source.
pub(crate) fn render_plain(d: &Diagnostic) -> String {
    let mut s = format!("{}[{}]: {}", d.severity.as_str(), d.code(), d.message);
    if let Some(f) = &d.fact {
        s.push_str(&format!(" (fact `{f}`)"));
    }
    if let Some(h) = &d.help {
        s.push_str(&format!("\n  help: {h}"));
    }
    s.push('\n');
    s
}

/// Renders every diagnostic.
pub(crate) fn render_all(diags: &[Diagnostic], sources: &Sources) -> String {
    diags
        .iter()
        .map(|d| render_one(d, sources))
        .collect::<Vec<_>>()
        .join("\n")
}
