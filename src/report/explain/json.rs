//! `smtp-doctor explain --json`: one document with the text as read, every explanation and the
//! checks to run next (schema in README, `schema_version` 1). Strings from the user's text are
//! cleaned of control characters; the input keeps its line breaks.

use std::io::{self, Write};

use serde::Serialize;

use crate::explain::Explanation;
use crate::report::schema::{SCHEMA_VERSION, Tool, write_document};
use crate::report::text::clean;
use crate::run::outcome::ExplainReport;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    command: &'static str,
    input: String,
    explanations: Vec<ExplanationJson<'a>>,
    next_commands: Vec<String>,
    recognised: bool,
}

#[derive(Serialize)]
struct ExplanationJson<'a> {
    kind: &'static str,
    code: Option<u16>,
    enhanced: Option<String>,
    source: String,
    provider: Option<String>,
    meaning: String,
    causes: Vec<String>,
    fix: String,
    check_flags: &'a [String],
    matched: String,
}

impl<'a> From<&'a Explanation> for ExplanationJson<'a> {
    fn from(e: &'a Explanation) -> Self {
        ExplanationJson {
            kind: e.kind.as_str(),
            code: e.code,
            enhanced: e.enhanced.map(|code| code.to_string()),
            source: cleaned(&e.source),
            provider: e.provider.as_deref().map(cleaned),
            meaning: cleaned(&e.meaning),
            causes: e.causes.iter().map(|c| cleaned(c)).collect(),
            fix: cleaned(&e.fix),
            check_flags: &e.check_flags,
            matched: cleaned(&e.matched),
        }
    }
}

/// Writes the document.
pub fn write(report: &ExplainReport, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool::current(),
        command: "explain",
        input: report
            .input
            .lines()
            .map(cleaned)
            .collect::<Vec<_>>()
            .join("\n"),
        explanations: report
            .explanations
            .iter()
            .map(ExplanationJson::from)
            .collect(),
        next_commands: report.next_commands.iter().map(|c| cleaned(c)).collect(),
        recognised: report.recognised(),
    };
    write_document(out, &doc)
}

fn cleaned(text: &str) -> String {
    clean(text).into_owned()
}
