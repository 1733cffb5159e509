//! The EHLO parser (`smtp::Ehlo::parse`) on replies built from arbitrary lines.
//!
//! Input: `[flags, line \n line \n ...]`; bit 0 of `flags` parses the reply as a HELO reply.
//!
//! Properties:
//! - never panics;
//! - the code, the lines and the HELO flag are kept; a HELO reply has no keywords;
//! - every keyword comes from the input: keywords map, in order, onto the non-blank lines
//!   after the first, the name being that line's first word upper-cased and the parameters
//!   its other words as sent;
//! - the domain and greeting come from the first line;
//! - `has()` and `keyword()` agree with the keyword list, in any case;
//! - `auth_mechanisms()` and `size_limit()` come from the AUTH / AUTH= / SIZE keywords;
//! - the same lines sent on the wire and read by the reply reader give the same EHLO.

#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor::smtp::{Ehlo, Reply, ReplyLimits, ReplyParser};

fn words(line: &str) -> Vec<&str> {
    line.split(|c: char| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Names to ask `has()` about: every keyword in several cases, every word of the input, and a
/// few usual ones.
fn probes(reply: &Reply, ehlo: &Ehlo) -> Vec<String> {
    let mut names: Vec<String> = ["STARTTLS", "AUTH", "SIZE", "8BITMIME", "", "auth"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    for keyword in &ehlo.keywords {
        names.push(keyword.name.clone());
        names.push(keyword.name.to_ascii_lowercase());
    }
    for line in reply.lines.iter().take(64) {
        names.extend(words(line).into_iter().take(8).map(str::to_owned));
        names.push(line.clone());
    }
    names
}

fn check(reply: &Reply, helo: bool) -> Ehlo {
    let ehlo = Ehlo::parse(reply, helo);
    assert_eq!(ehlo.code, reply.code);
    assert_eq!(ehlo.lines, reply.lines);
    assert_eq!(ehlo.helo, helo);

    // The first line: `domain [greeting]`.
    let first = reply.lines.first().map(String::as_str).unwrap_or_default();
    assert!(!ehlo.domain.contains(|c: char| c.is_ascii_whitespace()));
    assert!(first.contains(&ehlo.domain));
    assert!(first.contains(&ehlo.greeting));
    assert_eq!(
        ehlo.greeting,
        ehlo.greeting
            .trim_matches(|c: char| c.is_ascii_whitespace())
    );
    let first_words = words(first);
    match first_words.split_first() {
        Some((domain, rest)) => {
            assert_eq!(ehlo.domain, *domain);
            assert_eq!(words(&ehlo.greeting), rest);
        }
        None => assert!(ehlo.domain.is_empty() && ehlo.greeting.is_empty()),
    }

    // Keywords: in order, one per non-blank line after the first.
    if helo {
        assert!(ehlo.keywords.is_empty(), "a HELO reply has keywords");
    } else {
        let sent: Vec<Vec<&str>> = reply
            .lines
            .iter()
            .skip(1)
            .map(|line| words(line))
            .filter(|w| !w.is_empty())
            .collect();
        assert_eq!(ehlo.keywords.len(), sent.len());
        for (keyword, line) in ehlo.keywords.iter().zip(&sent) {
            assert!(!keyword.name.is_empty());
            assert_eq!(keyword.name, line[0].to_ascii_uppercase());
            assert_eq!(keyword.params, line[1..]);
        }
    }

    // has() and keyword() agree with the list.
    for name in probes(reply, &ehlo) {
        let listed = ehlo
            .keywords
            .iter()
            .find(|k| k.name.eq_ignore_ascii_case(&name));
        assert_eq!(ehlo.keyword(&name), listed, "keyword({name:?})");
        assert_eq!(ehlo.has(&name), listed.is_some(), "has({name:?})");
    }

    // AUTH mechanisms: upper-cased, unique, each from an AUTH or AUTH= keyword.
    let mechanisms = ehlo.auth_mechanisms();
    for (i, mechanism) in mechanisms.iter().enumerate() {
        assert!(!mechanism.is_empty());
        assert_eq!(*mechanism, mechanism.to_ascii_uppercase());
        assert!(
            !mechanisms[..i].contains(mechanism),
            "duplicate {mechanism}"
        );
        let advertised = ehlo.keywords.iter().any(|k| {
            let glued = k.name.strip_prefix("AUTH=");
            (k.name == "AUTH" || glued.is_some())
                && (glued.is_some_and(|g| g.eq_ignore_ascii_case(mechanism))
                    || k.params.iter().any(|p| p.eq_ignore_ascii_case(mechanism)))
        });
        assert!(advertised, "{mechanism} was not advertised");
    }
    if !ehlo.has("AUTH") && !ehlo.keywords.iter().any(|k| k.name.starts_with("AUTH=")) {
        assert!(mechanisms.is_empty());
    }

    // SIZE.
    if let Some(limit) = ehlo.size_limit() {
        let size = ehlo.keyword("SIZE").expect("a size limit without SIZE");
        assert_eq!(size.params[0].parse::<u64>().ok(), Some(limit));
    }
    ehlo
}

fuzz_target!(|input: &[u8]| {
    let Some((flags, text)) = input.split_first() else {
        return;
    };
    let helo = flags & 1 != 0;
    let lines: Vec<String> = text
        .split(|&b| b == b'\n')
        .map(|line| String::from_utf8_lossy(line).into_owned())
        .collect();
    let reply = Reply {
        code: 250,
        enhanced: None,
        lines,
    };
    let ehlo = check(&reply, helo);

    // The same lines through the wire and the reply reader.
    let mut wire = Vec::new();
    for (i, line) in reply.lines.iter().enumerate() {
        let mark = if i + 1 == reply.lines.len() { ' ' } else { '-' };
        wire.extend_from_slice(format!("250{mark}{line}\r\n").as_bytes());
    }
    let mut parser = ReplyParser::new(ReplyLimits {
        max_line: usize::MAX,
        max_lines: usize::MAX,
    });
    parser.feed(&wire);
    let parsed = parser
        .next_reply()
        .expect("lines without LF make a reply")
        .expect("a complete reply");
    assert_eq!(parsed.reply.lines, reply.lines);
    assert_eq!(Ehlo::parse(&parsed.reply, helo), ehlo);
});
