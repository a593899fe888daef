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

fn render_one(d: &Diagnostic, sources: &Sources) -> String {
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
        out = render_plain(d);
    }
    // A plain `file:line:col` line first, so editors and CI logs can jump to it.
    if let Some(l) = d.labels.first() {
        if let Some(f) = sources.get(l.span.source) {
            let (line, col) = sources.line_col(l.span.source, l.span.start);
            out = format!(
                "{}:{line}:{col}: {}[{}]: {}\n{out}",
                f.name,
                d.severity.as_str(),
                d.code(),
                d.message
            );
        }
    }
    out
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
