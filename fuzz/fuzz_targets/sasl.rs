//! SASL exchanges (`smtp::sasl::Exchange`) against arbitrary server replies: LOGIN prompts,
//! CRAM-MD5 challenges and the base64 error JSON of XOAUTH2 / OAUTHBEARER.
//!
//! Input: `[flags, reply \n reply \n ...]`. Bits 0-2 of `flags` pick the mechanism, bit 3
//! base64-encodes each reply's text here (so the decoders see valid base64 of arbitrary
//! bytes), bit 4 passes a server name and port (OAUTHBEARER). Each reply is one code byte
//! (mostly 334, else 235, 535, 454, 501, 250, or a raw three-digit code) and its text.
//!
//! Properties:
//! - never panics;
//! - the exchange ends: at most three lines are sent before an outcome, and after it every
//!   further reply is refused as out of protocol;
//! - lines to send never contain CR or LF (no command injection from a challenge); every
//!   line that carries the secret shows as `<redacted>`, and no shown line contains any form
//!   of the secret;
//! - a CRAM-MD5 challenge is answered with base64 of `user hex(HMAC-MD5(password,
//!   challenge))` when it is (lenient) base64, else the exchange is cancelled with `*`;
//! - the decoded XOAUTH2 / OAUTHBEARER error detail is bounded (1000 characters) and is the
//!   decoded text (or the text as sent when it is not base64), trimmed, then cut to the bound;
//! - the outcome matches the final reply: 235 authenticated, 4xx/5xx rejected, anything else
//!   (or a cancelled exchange) broken.

#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use libfuzzer_sys::fuzz_target;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use smtp_doctor::secret::{self, Secret};
use smtp_doctor::smtp::Reply;
use smtp_doctor::smtp::sasl::{Exchange, Mechanism, Outcome, REDACTED, Step};

const USER: &str = "fuzz.user@example.test";
const PASSWORD: &str = "Pa55-w0rd/for+fuzzing";
const MAX_DETAIL_CHARS: usize = 1000;
/// LOGIN: user, password, `*`; the others send fewer.
const MAX_SENDS: usize = 3;

/// What the library accepts as base64 from a server: padding optional.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const CODES: [u16; 12] = [334, 334, 334, 334, 334, 235, 535, 454, 501, 250, 421, 334];

fn reply(segment: &[u8], encode: bool) -> Reply {
    let (code_byte, text) = segment.split_first().unwrap_or((&0, &[]));
    let code = match CODES.get(usize::from(*code_byte & 0x0f)) {
        Some(code) => *code,
        None => 100 + u16::from(*code_byte) % 900,
    };
    let text = if encode {
        STANDARD.encode(text)
    } else {
        String::from_utf8_lossy(text).into_owned()
    };
    Reply {
        code,
        enhanced: None,
        lines: vec![text],
    }
}

fn expected_cram(challenge: &str) -> Option<String> {
    let challenge = LENIENT.decode(challenge.trim()).ok()?;
    let key = PKey::hmac(PASSWORD.as_bytes()).unwrap();
    let mut signer = Signer::new(MessageDigest::md5(), &key).unwrap();
    signer.update(&challenge).unwrap();
    let digest = signer.sign_to_vec().unwrap();
    Some(STANDARD.encode(format!("{USER} {}", hex::encode(digest))))
}

fn expected_detail(text: &str) -> String {
    let decoded = match LENIENT.decode(text.trim()) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => text.trim().to_string(),
    };
    decoded.chars().take(MAX_DETAIL_CHARS).collect()
}

fuzz_target!(|input: &[u8]| {
    let Some((flags, rest)) = input.split_first() else {
        return;
    };
    let mechanism = Mechanism::ALL[usize::from(flags & 7) % Mechanism::ALL.len()];
    let encode = flags & 8 != 0;
    let server = (flags & 16 != 0).then_some(("mail.example.test", 587));
    let replies: Vec<Reply> = rest
        .split(|&b| b == b'\n')
        .take(16)
        .map(|segment| reply(segment, encode))
        .collect();

    let secret = Secret::new(PASSWORD.to_string());
    let forms = secret::forms(&secret, USER);
    let shown_safely = |shown: &str| {
        for form in &forms {
            assert!(!shown.contains(form.as_str()), "{shown:?} shows the secret");
        }
    };

    let (mut exchange, first) =
        Exchange::with_server(mechanism, USER, &secret, server).expect("encodable credentials");
    assert_eq!(exchange.mechanism(), mechanism);
    assert!(
        first
            .line()
            .starts_with(&format!("AUTH {}", mechanism.name()))
    );
    assert!(
        first
            .redacted()
            .starts_with(&format!("AUTH {}", mechanism.name()))
    );
    shown_safely(first.redacted());

    let mut sends = 0;
    let mut outcome = None;
    // The state before each reply, as far as this target follows it.
    let mut cram_pending = mechanism == Mechanism::CramMd5;
    let mut token_error: Option<String> = None;
    let mut cancelled = false;
    for reply in &replies {
        let step = exchange.on_reply(reply);
        if outcome.is_some() {
            // Over: anything more is out of protocol.
            assert!(
                matches!(step, Step::Done(Outcome::Broken { .. })),
                "a reply after the outcome gave {step:?}"
            );
            continue;
        }
        let text = reply.lines[0].as_str();
        match step {
            Step::Send(line) => {
                sends += 1;
                assert!(sends <= MAX_SENDS, "more than {MAX_SENDS} lines sent");
                assert_eq!(reply.code, 334, "a line sent after a final reply");
                assert!(!line.line().contains(['\r', '\n']), "CR or LF in a line");
                assert!(!line.redacted().contains(['\r', '\n']));
                shown_safely(line.redacted());
                if line.line() != line.redacted() {
                    assert_eq!(line.redacted(), REDACTED);
                }
                let bytes = line.to_bytes();
                assert_eq!(&bytes[..bytes.len() - 2], line.line().as_bytes());
                assert!(bytes.ends_with(b"\r\n"));

                if line.line() == "*" {
                    cancelled = true;
                }
                if cram_pending {
                    cram_pending = false;
                    match expected_cram(text) {
                        Some(response) => {
                            assert_eq!(line.line(), response, "CRAM-MD5 response");
                            assert_eq!(line.redacted(), REDACTED);
                        }
                        None => assert_eq!(line.line(), "*", "a bad challenge not cancelled"),
                    }
                } else if matches!(mechanism, Mechanism::Xoauth2 | Mechanism::Oauthbearer)
                    && sends == 1
                {
                    // The error explanation: acknowledged, decoded for the outcome.
                    let ack = match mechanism {
                        Mechanism::Oauthbearer => "AQ==",
                        _ => "",
                    };
                    assert_eq!(line.line(), ack);
                    token_error = Some(expected_detail(text));
                }
            }
            Step::Done(done) => {
                match &done {
                    Outcome::Authenticated(final_reply) => {
                        assert!(!cancelled);
                        assert_eq!(final_reply, reply);
                        assert_eq!(reply.code, 235);
                    }
                    Outcome::Rejected {
                        reply: final_reply,
                        detail,
                    } => {
                        assert!(!cancelled);
                        assert_eq!(final_reply, reply);
                        assert!(reply.is_transient() || reply.is_permanent());
                        assert_eq!(*detail, token_error, "error detail");
                        if let Some(detail) = detail {
                            assert!(detail.chars().count() <= MAX_DETAIL_CHARS);
                            // Trimmed, then cut to the bound: the cut may end in whitespace.
                            assert_eq!(detail.trim_start(), detail);
                        }
                    }
                    Outcome::Broken {
                        reply: final_reply,
                        reason,
                    } => {
                        assert_eq!(final_reply, reply);
                        assert!(!reason.is_empty());
                        let expected = reply.code == 235
                            || reply.code == 334
                            || reply.is_transient()
                            || reply.is_permanent();
                        assert!(cancelled || !expected, "broken without cause: {reply:?}");
                    }
                }
                outcome = Some(done);
            }
        }
    }
    if outcome.is_none() {
        assert!(sends <= MAX_SENDS);
    }
});
