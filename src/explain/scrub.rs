//! Secrets out of a pasted text before anything else reads it, so that no output can echo
//! them: the password of `user:password@host` (with or without a scheme), the value of
//! `password=...`, `"pass": "..."`, `token: ...` and the like, what follows `AUTH PLAIN`,
//! `AUTH LOGIN`, `AUTH XOAUTH2`, `AUTH OAUTHBEARER` and `Bearer`, and the client's answer to a
//! LOGIN password prompt (`334 UGFzc3dvcmQ6`, base64 for `Password:`). Each becomes `***`.

/// What a secret is replaced with.
pub(super) const MASK: &str = "***";

/// Keys whose value is a secret (ASCII lower case).
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "access_token",
    "client_secret",
];

/// Words after which the next word is a credential (ASCII lower case, with the space).
const CREDENTIAL_PREFIXES: &[&str] = &[
    "auth plain ",
    "auth login ",
    "auth xoauth2 ",
    "auth oauthbearer ",
    "bearer ",
];

/// `Password:` as a LOGIN prompt sends it, in base64.
const PASSWORD_PROMPT: &str = "UGFzc3dvcmQ6";

/// `text` with every secret it recognises replaced by [`MASK`].
pub(super) fn scrub(text: &str) -> String {
    let text = login_answers(text);
    let text = after_prefixes(&text);
    let text = userinfo(&text);
    assignments(&text)
}

/// The line after a LOGIN password prompt ends in the client's base64 password: masked.
fn login_answers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut after_prompt = false;
    for line in text.split_inclusive('\n') {
        if after_prompt && !line.contains(PASSWORD_PROMPT) {
            let body = line.trim_end();
            let last = body.rsplit(char::is_whitespace).next().unwrap_or(body);
            let base64 = last.len() >= 4
                && last
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
            if base64 {
                out.push_str(&body[..body.len() - last.len()]);
                out.push_str(MASK);
                out.push_str(&line[body.len()..]);
            } else {
                out.push_str(line);
            }
            after_prompt = false;
            continue;
        }
        after_prompt = line.contains(PASSWORD_PROMPT);
        out.push_str(line);
    }
    out
}

/// The word after `AUTH PLAIN `, `Bearer ` and the like: masked.
fn after_prefixes(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for prefix in CREDENTIAL_PREFIXES {
        for (at, _) in lower.match_indices(prefix) {
            let start = at + prefix.len();
            let len = text[start..]
                .find(char::is_whitespace)
                .unwrap_or(text.len() - start);
            // `AUTH PLAIN =` is an empty initial response; `AUTH LOGIN` alone has none.
            if len > 1 {
                spans.push((start, start + len));
            }
        }
    }
    mask_spans(text, spans)
}

/// Characters that end a run holding `user:secret@host`.
fn ends_run(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\'' | '`' | '<' | '>' | '(' | ')' | '[' | ']' | '{' | '}' | ',' | ';'
        )
}

/// The password of `user:password@host` and `scheme://user:password@host`: masked. The last
/// `@` of the authority ends it, so a password with an `@` in it is masked whole.
fn userinfo(text: &str) -> String {
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        if !ends_run(c) {
            continue;
        }
        if let Some(span) = run_secret(&text[start..i]) {
            spans.push((start + span.0, start + span.1));
        }
        start = i + c.len_utf8();
    }
    mask_spans(text, spans)
}

/// Where the password of one run is, relative to the run.
fn run_secret(run: &str) -> Option<(usize, usize)> {
    let authority_start = run.find("://").map_or(0, |i| i + 3);
    let authority_len = run[authority_start..]
        .find(['/', '?', '#'])
        .filter(|_| authority_start > 0)
        .unwrap_or(run.len() - authority_start);
    let authority = &run[authority_start..authority_start + authority_len];
    let at = authority.rfind('@')?;
    let user_info = &authority[..at];
    if user_info.to_ascii_lowercase().starts_with("mailto:") {
        return None;
    }
    let colon = user_info.find(':')?;
    let secret = &user_info[colon + 1..];
    (!secret.is_empty() && secret != MASK)
        .then_some((authority_start + colon + 1, authority_start + at))
}

/// The value of `password=...`, `"pass": "..."`, `SMTP_PASSWORD: ...` and the like: masked.
fn assignments(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut spans = Vec::new();
    for key in SECRET_KEYS {
        for (at, _) in lower.match_indices(key) {
            if at > 0 && bytes[at - 1].is_ascii_alphanumeric() {
                continue;
            }
            if let Some(span) = assigned_value(&lower, at + key.len()) {
                spans.push(span);
            }
        }
    }
    mask_spans(text, spans)
}

/// After a key ending at `i`: an optional closing quote, `=` or `:` (not `://`), an optional
/// opening quote, and the value up to its closing quote or the end of the word.
fn assigned_value(lower: &str, i: usize) -> Option<(usize, usize)> {
    let b = lower.as_bytes();
    let mut j = i;
    if matches!(b.get(j), Some(b'"' | b'\'')) {
        j += 1;
    }
    while b.get(j) == Some(&b' ') {
        j += 1;
    }
    if !matches!(b.get(j), Some(b'=' | b':'))
        || lower[j..].starts_with("://")
        || lower[j..].starts_with("::")
    {
        return None;
    }
    j += 1;
    while b.get(j) == Some(&b' ') {
        j += 1;
    }
    let quote = b.get(j).copied().filter(|q| matches!(q, b'"' | b'\''));
    if quote.is_some() {
        j += 1;
    }
    let rest = &lower[j..];
    let len = match quote {
        Some(q) => rest.find(char::from(q)).unwrap_or(rest.len()),
        None => rest
            .find(|c: char| {
                c.is_whitespace() || matches!(c, ',' | ';' | '&' | '}' | ')' | ']' | '"' | '\'')
            })
            .unwrap_or(rest.len()),
    };
    (len > 0 && &rest[..len] != MASK).then_some((j, j + len))
}

/// `text` with each span (byte offsets at character boundaries) replaced by [`MASK`];
/// overlapping spans merge.
fn mask_spans(text: &str, mut spans: Vec<(usize, usize)>) -> String {
    if spans.is_empty() {
        return text.to_string();
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (start, end) in spans {
        if end <= done {
            continue;
        }
        let start = start.max(done);
        out.push_str(&text[done..start]);
        out.push_str(MASK);
        done = end;
    }
    out.push_str(&text[done..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_and_user_info() {
        assert_eq!(scrub("smtp://user:secret@host"), "smtp://user:***@host");
        assert_eq!(
            scrub("Error: connect to smtps://bob:p%40ss@mail.example.com:465/ failed"),
            "Error: connect to smtps://bob:***@mail.example.com:465/ failed"
        );
        assert_eq!(
            scrub("smtp://u:pa@ss@mail.example.com"),
            "smtp://u:***@mail.example.com"
        );
        assert_eq!(
            scrub("using alice:hunter2@smtp.example.com:587"),
            "using alice:***@smtp.example.com:587"
        );
        // Addresses are no secrets.
        let addresses =
            "550 5.1.1 <bob@example.org>: Recipient address rejected; mailto:carol@example.org";
        assert_eq!(scrub(addresses), addresses);
    }

    #[test]
    fn assignments_and_auth_lines() {
        assert_eq!(
            scrub("auth: { user: 'a@example.com', pass: 'hunter2' }"),
            "auth: { user: 'a@example.com', pass: '***' }"
        );
        assert_eq!(
            scrub("SMTP_PASSWORD=hunter2 node app.js"),
            "SMTP_PASSWORD=*** node app.js"
        );
        assert_eq!(
            scrub("{\"password\": \"hunter 2\"}"),
            "{\"password\": \"***\"}"
        );
        assert_eq!(
            scrub("-> AUTH PLAIN AGFsaWNlAGh1bnRlcjI="),
            "-> AUTH PLAIN ***"
        );
        assert_eq!(
            scrub("Authorization: Bearer ya29.a0AfH6"),
            "Authorization: Bearer ***"
        );
        assert_eq!(
            scrub("SERVER -> CLIENT: 334 UGFzc3dvcmQ6\nCLIENT -> SERVER: aHVudGVyMg==\n"),
            "SERVER -> CLIENT: 334 UGFzc3dvcmQ6\nCLIENT -> SERVER: ***\n"
        );
        // Words about passwords are not secrets.
        for text in [
            "535-5.7.8 Username and Password not accepted.",
            "SMTP ERROR: Password command failed: 535 Incorrect authentication data",
            "534-5.7.9 Application-specific password required.",
            "bypass=1 passphrase=x",
        ] {
            assert_eq!(scrub(text), text);
        }
    }
}
