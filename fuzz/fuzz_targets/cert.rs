//! Certificate facts from DER (`cert::facts`) on arbitrary bytes; the seeds are real
//! certificates (RSA, EC, Ed25519), so most inputs are mutated certificates.
//!
//! Properties:
//! - never panics, on DER and on the same bytes read as PEM text;
//! - the facts are consistent: `not_before` / `not_after` are RFC 3339 and `days_left` /
//!   `not_yet_valid_secs` agree with them for several probe times (before the epoch too),
//!   nothing else depends on the probe time;
//! - the fingerprint is the SHA-256 of the certificate's own bytes (the outer DER SEQUENCE),
//!   and bytes after it change nothing;
//! - the serial is lower-case hex without a redundant leading zero byte; SAN addresses are
//!   addresses; a self-issued certificate has the same subject and issuer text;
//! - the certificate wrapped in PEM gives the same facts.

#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use smtp_doctor::cert;
use smtp_doctor::model::CertFacts;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const DAY: i64 = 86_400;

/// The probe times, as Unix seconds: 2023-11-14, ten days and a second later, and before
/// the epoch.
const NOWS: [i64; 3] = [1_700_000_000, 1_700_000_000 + 10 * DAY + 1, -1000 * DAY - 7];

fn system_time(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

/// The length of the outer DER element (tag, length, contents), when the length is definite.
fn der_len(der: &[u8]) -> Option<usize> {
    let (&first, rest) = der.get(1..)?.split_first()?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 8 {
            return None;
        }
        let bytes = rest.get(..n)?;
        let len = bytes.iter().try_fold(0usize, |acc, &b| {
            acc.checked_mul(256)?.checked_add(usize::from(b))
        })?;
        (len, 2 + n)
    };
    len.checked_add(header)
}

fn unix(rfc3339: &str) -> i64 {
    OffsetDateTime::parse(rfc3339, &Rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339:?} is not RFC 3339: {e}"))
        .unix_timestamp()
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks the facts read at `now` (Unix seconds).
fn check_facts(f: &CertFacts, now: i64) {
    let not_before = unix(&f.not_before);
    let not_after = unix(&f.not_after);
    assert!(f.not_before.ends_with('Z') && f.not_after.ends_with('Z'));
    assert_eq!(f.days_left, (not_after - now).div_euclid(DAY), "days_left");
    assert_eq!(f.not_yet_valid_secs, not_before - now, "not_yet_valid_secs");

    assert_eq!(f.sha256.len(), 64);
    assert!(is_lower_hex(&f.sha256));
    assert!(!f.serial.is_empty() && f.serial.len().is_multiple_of(2));
    assert!(is_lower_hex(&f.serial), "serial {:?}", f.serial);
    assert!(
        f.serial == "00" || !f.serial.starts_with("00"),
        "serial {:?}",
        f.serial
    );
    // `key` and `signature_algorithm` fall back to the dotted OID, which is empty for an
    // empty (malformed) OID: nothing to assert beyond not panicking.
    if f.self_issued {
        assert_eq!(f.subject, f.issuer);
    }
    for san in &f.san {
        if let Some(ip) = san.strip_prefix("IP:") {
            assert!(ip.parse::<std::net::IpAddr>().is_ok(), "SAN {san:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The same bytes as PEM text: whatever blocks come out are consistent.
    if let Ok(chain) = cert::facts_from_pem_chain(data, system_time(NOWS[0])) {
        for f in &chain {
            check_facts(f, NOWS[0]);
        }
    }

    let Ok(first) = cert::facts(data, system_time(NOWS[0])) else {
        return;
    };
    check_facts(&first, NOWS[0]);

    // Only the time-dependent fields depend on the probe time.
    for now in &NOWS[1..] {
        let f = cert::facts(data, system_time(*now)).expect("parses at one time, not another");
        check_facts(&f, *now);
        let mut same = f.clone();
        same.days_left = first.days_left;
        same.not_yet_valid_secs = first.not_yet_valid_secs;
        assert_eq!(same, first);
    }

    // The fingerprint covers the certificate's own bytes, and bytes after them change nothing.
    if let Some(len) = der_len(data).filter(|&len| len <= data.len()) {
        let own = &data[..len];
        assert_eq!(
            first.sha256,
            hex::encode(openssl::sha::sha256(own)),
            "fingerprint"
        );
        let mut longer = own.to_vec();
        longer.extend_from_slice(b"\x30\x03\x02\x01\x00 trailing bytes");
        assert_eq!(
            cert::facts(&longer, system_time(NOWS[0])),
            Ok(first.clone())
        );
        assert_eq!(cert::facts(own, system_time(NOWS[0])), Ok(first.clone()));

        // Wrapped in PEM, between other text and blocks.
        let body = STANDARD.encode(own);
        let mut pem = String::from(
            "junk before\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        );
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap());
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        let chain = cert::facts_from_pem_chain(pem.as_bytes(), system_time(NOWS[0]));
        assert_eq!(chain, Ok(vec![first.clone()]), "PEM form");
    }
});
