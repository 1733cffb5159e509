//! `smtp-doctor explain` flags, and reading the text: the argument, or standard input when the
//! argument is `-` or absent and standard input is not a terminal. The text is bounded
//! ([`MAX_INPUT`]) and must not be empty.

use std::io::{self, IsTerminal, Read};
use std::path::PathBuf;

use clap::Args;

use crate::explain::MAX_INPUT;
use crate::run::plan::ExplainPlan;

use super::{ColorChoice, UsageError, load_catalog};

/// What `explain --help` adds below the options.
pub(super) const EXPLAIN_HELP: &str = "TEXT: the argument (quoted), or standard input when it \
is - or absent (pbpaste | smtp-doctor explain); at most 64 KiB. Passwords in it \
(user:password@host, password=...) are never printed.
Exit codes: 0 something in the text was recognised, 1 nothing was, 2 could not run (empty \
text, more than 64 KiB, unreadable input).";

/// `smtp-doctor explain` flags, as typed.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The error message your app logged, in quotes; `-` or nothing reads it from standard
    /// input
    #[arg(value_name = "TEXT")]
    pub text: Option<String>,

    /// Extra preset file (providers.toml format) whose known replies explain too; repeatable
    #[arg(long, value_name = "FILE")]
    pub providers: Vec<PathBuf>,

    /// Print one JSON document (schema in README) instead of the table
    #[arg(long)]
    pub json: bool,

    /// When to use colours
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

impl ExplainArgs {
    /// Reads the text (from standard input when asked) and the catalogue into a plan.
    pub fn plan(&self) -> Result<ExplainPlan, UsageError> {
        let text = match self.text.as_deref() {
            Some("-") => read_text(io::stdin().lock())?,
            Some(text) => text.to_string(),
            None if io::stdin().is_terminal() => {
                return Err(UsageError::Other(
                    "give the error message as an argument, in quotes, or pipe it in: ... | smtp-doctor explain"
                        .to_string(),
                ));
            }
            None => read_text(io::stdin().lock())?,
        };
        check_text(&text)?;
        let catalog = load_catalog(&self.providers)?;
        Ok(ExplainPlan { text, catalog })
    }
}

/// The whole of `reader`, at most [`MAX_INPUT`] bytes (one more is an error); bytes that are
/// not UTF-8 become U+FFFD, since logs mix encodings.
pub fn read_text(reader: impl Read) -> Result<String, UsageError> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_INPUT)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    reader
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| UsageError::Setup(format!("cannot read the text from standard input: {e}")))?;
    if bytes.len() > MAX_INPUT {
        return Err(too_long());
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Not empty, not longer than [`MAX_INPUT`].
fn check_text(text: &str) -> Result<(), UsageError> {
    if text.trim().is_empty() {
        return Err(UsageError::Other(
            "the text is empty: give the error message your app logged, e.g. smtp-doctor explain \"535 5.7.8 Username and Password not accepted\""
                .to_string(),
        ));
    }
    if text.len() > MAX_INPUT {
        return Err(too_long());
    }
    Ok(())
}

fn too_long() -> UsageError {
    UsageError::Other(format!(
        "the text is longer than {} KiB: paste only the lines around the error",
        MAX_INPUT / 1024
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Broken;

    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("device gone"))
        }
    }

    #[test]
    fn reading_the_text() {
        assert_eq!(read_text(&b"550 5.1.1 x\n"[..]).unwrap(), "550 5.1.1 x\n");
        assert_eq!(read_text(&b"caf\xe9"[..]).unwrap(), "caf\u{fffd}");
        let exact = vec![b'a'; MAX_INPUT];
        assert_eq!(read_text(&exact[..]).unwrap().len(), MAX_INPUT);
        let over = vec![b'a'; MAX_INPUT + 1];
        assert!(
            read_text(&over[..])
                .unwrap_err()
                .to_string()
                .contains("longer than 64 KiB")
        );
        let broken = read_text(Broken).unwrap_err();
        assert!(matches!(broken, UsageError::Setup(_)), "{broken}");
        assert!(broken.to_string().contains("device gone"));
    }

    #[test]
    fn empty_and_long_texts() {
        assert!(check_text(" \n\t").is_err());
        assert!(check_text(&"x".repeat(MAX_INPUT + 1)).is_err());
        assert!(check_text("421 4.7.0 Try again later").is_ok());
    }
}
