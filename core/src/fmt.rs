//! The canonical printer: `thresholds fmt`, and the normalised text the rule-set hash is taken over.

use std::fmt::Write as _;

use crate::ast::{self, ExprKind, HasMode};

/// Prints a file in canonical form. With `comments`, line comments are kept: a comment at the
/// end of an item's last line stays there; any other is printed on its own line before the item
/// it appeared in or before. Without, the output is the normalised text.
pub(crate) fn print_file(file: &ast::File, comments: bool) -> String {
    let mut out = String::new();
    let mut pending = file.comments.iter().peekable();
    let mut prev_kind: Option<&'static str> = None;
    for (i, item) in file.items.iter().enumerate() {
        // The normalised text (hashed) leaves tests out: they do not change any decision.
        if !comments && matches!(item, ast::Item::Test(_) | ast::Item::RawTest(_)) {
            continue;
        }
        let kind = kind_of(item);
        let end = item.span().end;
        let mut leading = Vec::new();
        while let Some(c) = pending.next_if(|c| c.offset < end) {
            leading.push(c.text.as_str());
        }
        let comments_here = comments && !leading.is_empty();
        let compact = matches!(kind, "guidance") && prev_kind == Some(kind) && !comments_here;
        if !out.is_empty() {
            out.push('\n');
            if !compact {
                out.push('\n');
            }
        }
        if comments {
            for c in &leading {
                out.push_str(c);
                out.push('\n');
            }
        }
        item_to(&mut out, item);
        // An end-of-line comment after the item's last token, before the next item.
        let next_start = file.items.get(i + 1).map_or(u32::MAX, |n| n.span().start);
        if let Some(c) = pending.next_if(|c| c.trailing && c.offset < next_start) {
            if comments {
                out.push(' ');
                out.push_str(&c.text);
            }
        }
        prev_kind = Some(kind);
    }
    if comments {
        let rest: Vec<&str> = pending.map(|c| c.text.as_str()).collect();
        if !rest.is_empty() {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&rest.join("\n"));
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn kind_of(item: &ast::Item) -> &'static str {
    match item {
        ast::Item::Header(_) => "header",
        ast::Item::Guidance(_) => "guidance",
        ast::Item::Levels(..) => "levels",
        ast::Item::Pathways(..) => "pathways",
        ast::Item::Domains(..) => "domains",
        ast::Item::Provisional(..) => "provisional",
        ast::Item::Fact(_) => "fact",
        ast::Item::Area(_) => "area",
        ast::Item::Checklist(_) => "checklist",
        ast::Item::Triage(_) => "triage",
        ast::Item::Matrix(_) => "matrix",
        ast::Item::Rule(_) => "rule",
        ast::Item::Test(_) | ast::Item::RawTest(_) => "test",
    }
}

/// The names of an area, checklist or triage, one per line, then the closing brace.
fn group_items(out: &mut String, items: &[ast::Ident]) {
    if items.is_empty() {
        out.push('}');
        return;
    }
    out.push('\n');
    for (i, n) in items.iter().enumerate() {
        let sep = if i + 1 < items.len() { "," } else { "" };
        let _ = writeln!(out, "  {}{sep}", n.name);
    }
    out.push('}');
}

fn q(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn names(ids: &[ast::Ident]) -> String {
    ids.iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn item_to(out: &mut String, item: &ast::Item) {
    match item {
        ast::Item::Header(h) => {
            let _ = write!(
                out,
                "ruleset {} version {}",
                q(&h.name.value),
                q(&h.version.value)
            );
        }
        ast::Item::Guidance(g) => {
            let _ = write!(out, "guidance {} {}", g.id.name, q(&g.title.value));
        }
        ast::Item::Levels(ls, _) => {
            out.push_str("levels {\n");
            for l in ls {
                let _ = write!(out, "  {} {}", l.id.name, q(&l.label.value));
                if !l.pathways.is_empty() {
                    let _ = write!(out, " -> {}", names(&l.pathways));
                }
                out.push('\n');
            }
            out.push('}');
        }
        ast::Item::Pathways(ps, _) => {
            out.push_str("pathways {\n");
            for p in ps {
                let _ = writeln!(
                    out,
                    "  {} {}\n    {}",
                    p.id.name,
                    q(&p.label.value),
                    q(&p.todo.value)
                );
            }
            out.push('}');
        }
        ast::Item::Domains(ds, _) => {
            let _ = write!(out, "domains {{ {} }}", names(ds));
        }
        ast::Item::Provisional(ps, _) => {
            let _ = write!(out, "provisional -> {}", names(ps));
        }
        ast::Item::Fact(f) => {
            let ty = match &f.ty {
                ast::FactType::Bool => "bool".to_string(),
                ast::FactType::Int { lo, hi, .. } => format!("int {lo}..{hi}"),
                ast::FactType::Enum(c) => format!("enum {{ {} }}", names(c)),
                ast::FactType::Set(c) => format!("set {{ {} }}", names(c)),
            };
            let _ = write!(out, "fact {}: {ty}", f.id.name);
            if f.question.is_some()
                || !f.questions_when.is_empty()
                || f.help.is_some()
                || f.domain.is_some()
                || f.asked.is_some()
                || f.benign.is_some()
            {
                out.push_str(" {\n");
                if let Some(x) = &f.question {
                    let _ = writeln!(out, "  question {}", q(&x.value));
                }
                for (c, x) in &f.questions_when {
                    let _ = writeln!(out, "  question when {} {}", expr(c), q(&x.value));
                }
                if let Some(x) = &f.help {
                    let _ = writeln!(out, "  help {}", q(&x.value));
                }
                if let Some(x) = &f.domain {
                    let _ = writeln!(out, "  domain {}", x.name);
                }
                if let Some((c, v)) = &f.asked {
                    let _ = writeln!(out, "  asked when {} otherwise {}", expr(c), value(v));
                }
                if let Some(v) = &f.benign {
                    let _ = writeln!(out, "  benign {}", value(v));
                }
                out.push('}');
            }
        }
        ast::Item::Area(g) | ast::Item::Checklist(g) => {
            let kw = if matches!(item, ast::Item::Area(_)) {
                "area"
            } else {
                "checklist"
            };
            let _ = write!(out, "{kw} {} {} {{", g.id.name, q(&g.text.value));
            group_items(out, &g.items);
        }
        ast::Item::Triage(g) => {
            let _ = write!(out, "triage {} {{", q(&g.text.value));
            group_items(out, &g.items);
        }
        ast::Item::Matrix(m) => {
            let _ = writeln!(out, "matrix {} {} {{", m.id.name, q(&m.label.value));
            if let Some(f) = &m.from {
                let _ = writeln!(out, "  from {}", f.name);
            }
            if !m.categories.is_empty() {
                let _ = writeln!(out, "  categories {}", names(&m.categories));
            }
            for t in &m.tiers {
                let _ = write!(out, "  tier {}", t.id.name);
                if let Some(f) = &t.from {
                    let _ = write!(out, " from {}", f.name);
                }
                if t.codes.is_empty() {
                    out.push_str(" {}\n");
                } else {
                    let _ = writeln!(out, " {{ {} }}", names(&t.codes));
                }
            }
            if let Some(s) = &m.score {
                let _ = writeln!(out, "  score = {}", expr(s));
            }
            if let Some(c) = &m.cite {
                let _ = writeln!(out, "  {}", cite(c));
            }
            for b in &m.bands {
                let _ = writeln!(out, "  {} when {}", b.category.name, expr(&b.cond));
            }
            out.push('}');
        }
        ast::Item::Rule(r) => {
            let _ = write!(out, "rule {}", r.id.name);
            if let Some(t) = &r.title {
                let _ = write!(out, " {}", q(&t.value));
            }
            out.push_str(" {\n");
            if let Some(d) = &r.domain {
                let _ = writeln!(out, "  domain {}", d.name);
            }
            if let Some(w) = &r.when {
                let _ = writeln!(out, "  when {}", expr(w));
            }
            if !r.effects.is_empty() {
                let effs: Vec<String> = r
                    .effects
                    .iter()
                    .map(|e| match e {
                        ast::Effect::Level { exact: true, level } => {
                            format!("level exactly {}", level.name)
                        }
                        ast::Effect::Level {
                            exact: false,
                            level,
                        } => format!("level {}", level.name),
                        ast::Effect::Pathway(p) => format!("pathway {}", p.name),
                        ast::Effect::Advisory => "advisory".to_string(),
                        ast::Effect::Category { matrix, at_least } => {
                            format!("{} at least {}", matrix.name, at_least.name)
                        }
                    })
                    .collect();
                let _ = writeln!(out, "  then {}", effs.join(", "));
            }
            if let Some(c) = &r.cite {
                let _ = writeln!(out, "  {}", cite(c));
            }
            if let Some(b) = &r.because {
                let _ = writeln!(out, "  because {}", q(&b.value));
            }
            out.push('}');
        }
        // Only produced when loading for evaluation, which never prints.
        ast::Item::RawTest(_) => {}
        ast::Item::Test(t) => {
            let _ = writeln!(out, "test {} {{", q(&t.name.value));
            let entries: Vec<String> = t
                .given
                .iter()
                .map(|(n, v)| format!("{}: {}", n.name, value(v)))
                .collect();
            let one_line = format!("  given {{ {} }}", entries.join(", "));
            if entries.is_empty() {
                out.push_str("  given {}\n");
            } else if one_line.len() <= 100 {
                out.push_str(&one_line);
                out.push('\n');
            } else {
                out.push_str("  given {\n");
                for e in &entries {
                    let _ = writeln!(out, "    {e},");
                }
                out.push_str("  }\n");
            }
            for x in &t.expects {
                let s = match x {
                    ast::Expect::Level(l) => format!("level {}", l.name),
                    ast::Expect::Pathways(ps, _) => format!("pathways [{}]", names(ps)),
                    ast::Expect::Pathway(p) => format!("pathway {}", p.name),
                    ast::Expect::NoPathway(p) => format!("no pathway {}", p.name),
                    ast::Expect::Status(s) => format!("status {}", s.name),
                    ast::Expect::Missing(fs, _) => format!("missing [{}]", names(fs)),
                    ast::Expect::Advisory => "advisory".to_string(),
                    ast::Expect::Category(m, c) => format!("{} {}", m.name, c.name),
                };
                let _ = writeln!(out, "  expect {s}");
            }
            out.push('}');
        }
    }
}

fn cite(c: &ast::Citation) -> String {
    match &c.detail {
        Some(d) => format!("cite {} {}", c.guidance.name, q(&d.value)),
        None => format!("cite {}", c.guidance.name),
    }
}

fn value(v: &ast::Value) -> String {
    match v {
        ast::Value::Bool(b, _) => b.to_string(),
        ast::Value::Int(n, _) => n.to_string(),
        ast::Value::Code(c) => c.name.clone(),
        ast::Value::Codes(cs, _) => format!("[{}]", names(cs)),
        ast::Value::Null(_) => "null".into(),
    }
}

/// Prints an expression with the fewest parentheses that keep its meaning.
pub(crate) fn expr(e: &ast::Expr) -> String {
    let mut s = String::new();
    expr_to(&mut s, e, 0);
    s
}

const PREC_NOT: u8 = 3;
const PREC_POSTFIX: u8 = 4;
const PREC_NEG: u8 = 7;

fn prec(e: &ast::Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, ..) => op.precedence(),
        ExprKind::Not(_) => PREC_NOT,
        ExprKind::In(..) | ExprKind::Has(..) => PREC_POSTFIX,
        ExprKind::Neg(_) => PREC_NEG,
        _ => 10,
    }
}

fn expr_to(out: &mut String, e: &ast::Expr, min: u8) {
    let p = prec(e);
    let paren = p < min;
    if paren {
        out.push('(');
    }
    match &e.kind {
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Int(n) => {
            let _ = write!(out, "{n}");
        }
        ExprKind::Name(i) => out.push_str(&i.name),
        ExprKind::Level => out.push_str("level"),
        ExprKind::Score => out.push_str("score"),
        ExprKind::Not(x) => {
            out.push_str("not ");
            expr_to(out, x, PREC_NOT);
        }
        ExprKind::Neg(x) => {
            out.push('-');
            expr_to(out, x, PREC_NEG);
        }
        ExprKind::Binary(op, a, b) => {
            expr_to(out, a, p);
            let _ = write!(out, " {} ", op.as_str());
            expr_to(out, b, p + 1);
        }
        ExprKind::In(x, codes) => {
            expr_to(out, x, PREC_POSTFIX + 1);
            let _ = write!(out, " in {{ {} }}", names(codes));
        }
        ExprKind::Has(x, mode, codes) => {
            expr_to(out, x, PREC_POSTFIX + 1);
            match mode {
                HasMode::One => {
                    let _ = write!(out, " has {}", names(codes));
                }
                HasMode::Any => {
                    let _ = write!(out, " has any {{ {} }}", names(codes));
                }
                HasMode::All => {
                    let _ = write!(out, " has all {{ {} }}", names(codes));
                }
            }
        }
        ExprKind::Count(n, codes) => match codes {
            Some(c) => {
                let _ = write!(out, "count({}, {{ {} }})", n.name, names(c));
            }
            None => {
                let _ = write!(out, "count({})", n.name);
            }
        },
        ExprKind::Indicators(l) => {
            let _ = write!(out, "indicators({})", l.name);
        }
        ExprKind::Domains(l) => {
            let _ = write!(out, "domains({})", l.name);
        }
    }
    if paren {
        out.push(')');
    }
}

#[cfg(test)]
mod tests {
    fn fmt(text: &str) -> String {
        match crate::format_source("t.thr", text) {
            Ok(s) => s,
            Err(e) => format!("error: {}", e.to_json()),
        }
    }

    #[test]
    fn comments_between_repeated_items_stay_put() {
        // Each comment stays before the item it preceded, on the first pass and every later one.
        let src = "// c1\nprovisional -> a\n// c2\nprovisional -> b\n// c3\nprovisional -> c\n";
        let once = fmt(src);
        assert_eq!(
            once,
            "// c1\nprovisional -> a\n\n// c2\nprovisional -> b\n\n// c3\nprovisional -> c\n"
        );
        assert_eq!(fmt(&once), once);
    }

    #[test]
    fn an_end_of_line_comment_stays_at_the_end_of_its_line() {
        let src = "fact x: bool // after x\nfact y: int 0..3 { question \"q\" } // after y\n\
                   guidance a \"A\" // after a\nguidance b \"B\"\n";
        let once = fmt(src);
        assert_eq!(
            once,
            "fact x: bool // after x\n\nfact y: int 0..3 {\n  question \"q\"\n} // after y\n\n\
             guidance a \"A\" // after a\nguidance b \"B\"\n"
        );
        assert_eq!(fmt(&once), once);
    }

    #[test]
    fn minimal_parentheses() {
        use crate::ast::*;
        use crate::diag::Span;
        let n = |s: &str| Expr {
            kind: ExprKind::Name(Ident {
                name: s.into(),
                span: Span::default(),
            }),
            span: Span::default(),
        };
        let b = |op, l, r| Expr {
            kind: ExprKind::Binary(op, Box::new(l), Box::new(r)),
            span: Span::default(),
        };
        let e = b(BinOp::And, b(BinOp::Or, n("a"), n("b")), n("c"));
        assert_eq!(super::expr(&e), "(a or b) and c");
        let e = b(BinOp::Sub, n("a"), b(BinOp::Sub, n("b"), n("c")));
        assert_eq!(super::expr(&e), "a - (b - c)");
        let _ = BinOp::Add;
    }
}
