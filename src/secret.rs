//! Secrets (passwords and OAuth 2 tokens): where they come from and how they are kept out of
//! every output.
//!
//! A [`Secret`] never prints its value: `Debug` and `Display` show `<redacted>`, and the memory
//! is wiped on drop. The value is read from an environment variable (alone, or as the password
//! of a DSN in one), a file, standard input or a no-echo terminal prompt ([`Source`]); never
//! from a command-line value, which every user of the machine can see in the process list. [`forms`] lists every shape in which a secret could
//! leak into output, for tests that grep everything the tool prints.

use std::fmt;
use std::io::{self, BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// Longest first line accepted from a file or standard input. OAuth access tokens are a few
/// kilobytes at most (JWTs included); anything longer is the wrong file, not a secret.
pub const MAX_SECRET_BYTES: usize = 64 * 1024;

/// A password or token. Its value is reachable only through [`Secret::expose`]; formatting it
/// shows `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a value (the `String` is moved, so no copy stays behind).
    pub fn new(value: String) -> Secret {
        Secret(Zeroizing::new(value))
    }

    /// The value, for the one place that must send it (the SASL exchange).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// No characters at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where a secret is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The value of this environment variable (one trailing line end removed).
    Env(String),
    /// The first line of this file.
    File(PathBuf),
    /// The first line of standard input (`--password-stdin`).
    Stdin,
    /// Ask on the terminal without echo; needs standard input to be a terminal.
    Prompt(String),
    /// The password of the DSN in this environment variable (`--dsn-env`), already read out
    /// of it (reading the DSN is the target's business, not this module's).
    Dsn {
        /// The variable's name.
        var: String,
        /// The password, percent-decoded.
        password: Secret,
    },
}

impl fmt::Display for Source {
    /// The source as error messages name it: `environment variable SMTP_PASS`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Env(name) => write!(f, "environment variable {name}"),
            Source::File(path) => write!(f, "file {}", path.display()),
            Source::Stdin => f.write_str("standard input"),
            Source::Prompt(_) => f.write_str("the password prompt"),
            Source::Dsn { var, .. } => write!(f, "the password in the DSN of {var}"),
        }
    }
}

/// Why a secret could not be read. The messages name the source and never contain the value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The environment variable does not exist.
    #[error("environment variable {0} is not set")]
    EnvNotSet(String),
    /// The source holds no characters (an empty variable, file, line or answer).
    #[error("{0} is empty")]
    Empty(String),
    /// The source is not UTF-8 text.
    #[error("{0} is not valid UTF-8")]
    NotUtf8(String),
    /// The first line is longer than [`MAX_SECRET_BYTES`].
    #[error("{what}: the first line is longer than {limit} bytes; is this the right file?")]
    TooLong {
        /// The source.
        what: String,
        /// The limit.
        limit: usize,
    },
    /// Reading failed.
    #[error("cannot read {what}: {error}")]
    Unreadable {
        /// The source.
        what: String,
        /// The underlying error.
        error: io::Error,
    },
    /// A prompt was asked for but nobody is at a terminal to answer it.
    #[error(
        "standard input is not a terminal, so the password cannot be asked for; pass it with \
         --password-env VAR, --password-file PATH or --password-stdin"
    )]
    NotATerminal,
}

impl Source {
    /// Reads the secret.
    ///
    /// # Errors
    ///
    /// [`SecretError`] naming the source: unset variable, unreadable or oversized file, empty
    /// value, not UTF-8, no terminal for a prompt.
    pub fn read(&self) -> Result<Secret, SecretError> {
        let what = self.to_string();
        let value = match self {
            Source::Env(name) => env_value(name, std::env::var_os(name))?,
            Source::File(path) => {
                let file = std::fs::File::open(path).map_err(|error| SecretError::Unreadable {
                    what: what.clone(),
                    error,
                })?;
                first_line(&mut io::BufReader::new(file), &what)?
            }
            Source::Stdin => first_line(&mut io::stdin().lock(), &what)?,
            Source::Prompt(prompt) => {
                if !io::stdin().is_terminal() {
                    return Err(SecretError::NotATerminal);
                }
                // rpassword talks to the controlling terminal directly, so the prompt never
                // lands in a redirected stdout or stderr.
                let config = rpassword::ConfigBuilder::new().build();
                let answer =
                    rpassword::prompt_password_with_config(prompt, config).map_err(|error| {
                        SecretError::Unreadable {
                            what: what.clone(),
                            error,
                        }
                    })?;
                Zeroizing::new(answer)
            }
            Source::Dsn { password, .. } => password.0.clone(),
        };
        if value.is_empty() {
            return Err(SecretError::Empty(what));
        }
        Ok(Secret(value))
    }

    /// Warnings about how the secret is kept, for the user (not errors: the value is still
    /// used). Today: a secret file that other users of the machine can read.
    ///
    /// A world-readable file is warned about rather than refused, because container secret
    /// mounts (Docker secrets, Kubernetes secret volumes) are world-readable by default and
    /// the process is then the only reader anyway.
    pub fn warnings(&self) -> Vec<String> {
        match self {
            Source::File(path) => permission_warning(path).into_iter().collect(),
            _ => Vec::new(),
        }
    }
}

/// The secret in an environment variable's value (`None`: not set).
fn env_value(
    name: &str,
    value: Option<std::ffi::OsString>,
) -> Result<Zeroizing<String>, SecretError> {
    let value = value.ok_or_else(|| SecretError::EnvNotSet(name.to_string()))?;
    let value = Zeroizing::new(
        value
            .into_string()
            .map_err(|_| SecretError::NotUtf8(format!("environment variable {name}")))?,
    );
    // A value set with `export X="$(cat file)"` is clean, but one filled by other means may
    // keep its line end, which is never part of a password.
    Ok(Zeroizing::new(strip_line_end(&value).to_string()))
}

/// A warning when the file can be read by users other than its owner and group.
#[cfg(unix)]
fn permission_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o004 != 0).then(|| {
        format!(
            "file {} is readable by every user of this machine (mode {:o}); \
             `chmod 600` it",
            path.display(),
            mode & 0o777
        )
    })
}

#[cfg(not(unix))]
fn permission_warning(_path: &Path) -> Option<String> {
    None
}

/// The first line of `reader` (without `\n` or `\r\n`), reading no further than its end and
/// no more than [`MAX_SECRET_BYTES`].
fn first_line<R: BufRead>(reader: &mut R, what: &str) -> Result<Zeroizing<String>, SecretError> {
    let mut line = Zeroizing::new(Vec::new());
    loop {
        let chunk = reader.fill_buf().map_err(|error| SecretError::Unreadable {
            what: what.to_string(),
            error,
        })?;
        if chunk.is_empty() {
            break;
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(pos) => (pos, true),
            None => (chunk.len(), false),
        };
        if line.len() + take > MAX_SECRET_BYTES {
            return Err(SecretError::TooLong {
                what: what.to_string(),
                limit: MAX_SECRET_BYTES,
            });
        }
        line.extend_from_slice(chunk.get(..take).unwrap_or_default());
        reader.consume(if done { take + 1 } else { take });
        if done {
            break;
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    let text = std::str::from_utf8(&line).map_err(|_| SecretError::NotUtf8(what.to_string()))?;
    Ok(Zeroizing::new(text.to_string()))
}

/// `value` without one trailing `\n` or `\r\n`.
fn strip_line_end(value: &str) -> &str {
    let value = value.strip_suffix('\n').unwrap_or(value);
    value.strip_suffix('\r').unwrap_or(value)
}

/// Shortest base64 fragment [`forms`] lists: shorter ones would match unrelated output.
const MIN_FRAGMENT: usize = 8;

/// Every form in which `secret` (used with user name `user`) could leak into output: the raw
/// value, its JSON-escaped form, the base64 of each SASL payload that carries it (PLAIN,
/// LOGIN, XOAUTH2, OAUTHBEARER), and the base64 fragments that any base64 text containing the
/// secret must contain, whatever surrounds it (one per alignment, for secrets of 6 bytes or
/// more). Tests grep every output for each of these.
///
/// The CRAM-MD5 response is not listed: it depends on the server's challenge, and it does not
/// reveal the secret (the transcript redacts it all the same).
pub fn forms(secret: &Secret, user: &str) -> Vec<String> {
    let value = secret.expose();
    let mut forms = vec![value.to_string()];
    if let Ok(json) = serde_json::to_string(value) {
        let inner = json
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(&json);
        forms.push(inner.to_string());
    }
    let payloads = [
        format!("\0{user}\0{value}"),
        value.to_string(),
        format!("user={user}\x01auth=Bearer {value}\x01\x01"),
        format!("n,a={user},\x01auth=Bearer {value}\x01\x01"),
    ];
    forms.extend(payloads.iter().map(|p| STANDARD.encode(p)));
    for offset in 0..3 {
        let mut padded = vec![0u8; offset];
        padded.extend_from_slice(value.as_bytes());
        let encoded = STANDARD.encode(&padded);
        // Keep only the 4-character groups made entirely of secret bytes: the first group
        // holds padding bytes when offset > 0, the last one may be partial.
        let first_group = usize::from(offset > 0);
        let last_group = padded.len() / 3;
        if let Some(core) = encoded.get(first_group * 4..last_group * 4)
            && core.len() >= MIN_FRAGMENT
        {
            forms.push(core.to_string());
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::io::Write as _;

    fn read_first(bytes: &[u8]) -> Result<String, SecretError> {
        first_line(&mut Cursor::new(bytes.to_vec()), "test").map(|s| s.to_string())
    }

    #[test]
    fn formatting_never_shows_the_value() {
        let s = Secret::new("hunter2-very-secret".to_string());
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(format!("{s:#?}"), "Secret(<redacted>)");
        #[derive(Debug)]
        #[expect(dead_code, reason = "only formatted")]
        struct Holder {
            secret: Secret,
        }
        let holder = format!("{:?}", Holder { secret: s.clone() });
        assert!(!holder.contains("hunter2"), "{holder}");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn first_line_strips_line_ends_and_ignores_the_rest() {
        assert_eq!(read_first(b"pw\n").unwrap(), "pw");
        assert_eq!(read_first(b"pw\r\n").unwrap(), "pw");
        assert_eq!(read_first(b"pw").unwrap(), "pw");
        assert_eq!(read_first(b"pw\nsecond line\n").unwrap(), "pw");
        assert_eq!(read_first(b" spaced pw \n").unwrap(), " spaced pw ");
        assert_eq!(read_first(b"").unwrap(), "");
    }

    #[test]
    fn first_line_stops_at_the_line_end() {
        // Standard input may stay open after the first line: reading must not wait for EOF.
        let mut reader = Cursor::new(b"pw\nrest".to_vec());
        assert_eq!(first_line(&mut reader, "x").unwrap().as_str(), "pw");
        assert_eq!(reader.position(), 3);
    }

    #[test]
    fn first_line_is_bounded_and_utf8() {
        let long = vec![b'a'; MAX_SECRET_BYTES + 1];
        let err = read_first(&long).unwrap_err();
        assert!(matches!(err, SecretError::TooLong { .. }), "{err}");
        let exact = vec![b'a'; MAX_SECRET_BYTES];
        assert_eq!(read_first(&exact).unwrap().len(), MAX_SECRET_BYTES);
        let err = read_first(b"\xff\xfe\n").unwrap_err();
        assert_eq!(err.to_string(), "test is not valid UTF-8");
    }

    #[test]
    fn env_source() {
        let value = env_value("X", Some("from-env\n".into())).unwrap();
        assert_eq!(value.as_str(), "from-env");
        let value = env_value("X", Some("from-env\r\n".into())).unwrap();
        assert_eq!(value.as_str(), "from-env");
        let err = env_value("SMTP_PASS", None).unwrap_err();
        assert_eq!(err.to_string(), "environment variable SMTP_PASS is not set");
        // Reading through `Source` (a variable that is certainly unset, and an empty one is
        // refused after reading; setting variables would race other tests' reads).
        let unset = "SMTP_DOCTOR_TEST_SECRET_ENV_UNSET";
        let err = Source::Env(unset.into()).read().unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable SMTP_DOCTOR_TEST_SECRET_ENV_UNSET is not set"
        );
    }

    #[test]
    fn dsn_source() {
        let source = Source::Dsn {
            var: "MAILER_DSN".into(),
            password: Secret::new("dsn-pass".into()),
        };
        assert_eq!(source.read().unwrap().expose(), "dsn-pass");
        assert_eq!(source.to_string(), "the password in the DSN of MAILER_DSN");
        assert!(!format!("{source:?}").contains("dsn-pass"));
        let empty = Source::Dsn {
            var: "MAILER_DSN".into(),
            password: Secret::new(String::new()),
        };
        assert!(matches!(empty.read(), Err(SecretError::Empty(_))));
    }

    #[cfg(unix)]
    #[test]
    fn env_value_not_utf8() {
        use std::os::unix::ffi::OsStringExt as _;
        let err = env_value("X", Some(std::ffi::OsString::from_vec(vec![0xff]))).unwrap_err();
        assert_eq!(err.to_string(), "environment variable X is not valid UTF-8");
    }

    #[test]
    fn file_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(b"file-secret\nignored\n").unwrap();
        drop(f);
        let source = Source::File(path.clone());
        assert_eq!(source.read().unwrap().expose(), "file-secret");

        let missing = Source::File(dir.path().join("missing"));
        let err = missing.read().unwrap_err().to_string();
        assert!(err.starts_with("cannot read file "), "{err}");
        assert!(err.contains("missing"), "{err}");

        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"\n").unwrap();
        let err = Source::File(empty).read().unwrap_err().to_string();
        assert!(err.ends_with("empty is empty"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn world_readable_file_is_warned_about() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, b"x\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let warnings = Source::File(path.clone()).warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("mode 644"), "{warnings:?}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(Source::File(path).warnings().is_empty());
        assert!(Source::Stdin.warnings().is_empty());
    }

    #[test]
    fn sources_are_named_in_messages() {
        assert_eq!(
            Source::Env("SMTP_PASS".into()).to_string(),
            "environment variable SMTP_PASS"
        );
        assert_eq!(Source::File("/x/y".into()).to_string(), "file /x/y");
        assert_eq!(Source::Stdin.to_string(), "standard input");
    }

    #[test]
    fn forms_cover_each_payload_and_any_alignment() {
        let secret = Secret::new("tanstaaftanstaaf".to_string());
        let forms = forms(&secret, "tim");
        assert!(forms.contains(&"tanstaaftanstaaf".to_string()));
        // PLAIN "\0tim\0tanstaaftanstaaf".
        assert!(
            forms.contains(&"AHRpbQB0YW5zdGFhZnRhbnN0YWFm".to_string()),
            "{forms:?}"
        );
        // LOGIN password.
        assert!(forms.contains(&"dGFuc3RhYWZ0YW5zdGFhZg==".to_string()));
        // Whatever the secret is embedded in, one of the fragments appears in its base64.
        for prefix in ["", "a", "ab", "abc", "user=x\x01auth=Bearer "] {
            for suffix in ["", "\x01\x01", "z"] {
                let encoded = STANDARD.encode(format!("{prefix}tanstaaftanstaaf{suffix}"));
                assert!(
                    forms.iter().any(|f| encoded.contains(f.as_str())),
                    "{prefix:?}+{suffix:?}: {encoded} not caught by {forms:?}"
                );
            }
        }
        // Nothing short enough to match by accident.
        assert!(forms.iter().all(|f| f.len() >= MIN_FRAGMENT), "{forms:?}");
    }

    #[test]
    fn forms_include_the_json_escaped_value() {
        let secret = Secret::new("quote\"back\\slash".to_string());
        let forms = forms(&secret, "u");
        assert!(
            forms.contains(&"quote\\\"back\\\\slash".to_string()),
            "{forms:?}"
        );
    }
}
