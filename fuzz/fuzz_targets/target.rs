//! The TARGET argument parser (`target::parse`) on arbitrary text.
//!
//! Only `target::parse(&str)` and the public fields of `Target` are used, so the target keeps
//! working while the parser grows new forms.
//!
//! Properties:
//! - never panics, whatever the text (invalid UTF-8 is replaced first);
//! - a parsed target keeps the input as typed;
//! - its port, when given, is 1 to 65535, and a host name is lower-case ASCII-wise without a
//!   trailing dot;
//! - the host re-parses to the same host: alone, and with the port (`host:port`, `[v6]:port`)
//!   to the same host and port; an address's domain re-parses as `local@domain`;
//! - parsing is deterministic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor::target::{self, Host, Target};

/// The host as a target would name it, with the port when there is one.
fn with_port(host: &Host, port: u16) -> String {
    match host {
        Host::Ip(ip) if ip.is_ipv6() => format!("[{ip}]:{port}"),
        _ => format!("{host}:{port}"),
    }
}

fn reparse(text: &str) -> Target {
    target::parse(text).unwrap_or_else(|e| panic!("{text:?} does not parse again: {e}"))
}

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let first = target::parse(&text);
    assert_eq!(first, target::parse(&text), "not deterministic");
    let parsed = match first {
        Ok(parsed) => parsed,
        Err(error) => {
            // The message formats whatever was typed.
            let _ = error.to_string();
            return;
        }
    };
    assert_eq!(parsed.input, text);
    if let Some(port) = parsed.port {
        assert!((1..=65535).contains(&port), "port {port}");
    }
    if let Host::Name(name) = &parsed.host {
        assert!(!name.is_empty());
        assert!(!name.ends_with('.'), "trailing dot kept: {name:?}");
        assert_eq!(*name, name.to_ascii_lowercase(), "not lower-cased");
    }
    let host = parsed.host.to_string();
    match &parsed.local_part {
        None => {
            // The host alone, and with a port.
            assert_eq!(reparse(&host).host, parsed.host, "host {host:?}");
            assert_eq!(reparse(&host).port, None);
            let port = parsed.port.unwrap_or(587);
            let again = reparse(&with_port(&parsed.host, port));
            assert_eq!((again.host, again.port), (parsed.host.clone(), Some(port)));
        }
        Some(local) => {
            assert!(!local.is_empty());
            assert!(
                matches!(parsed.host, Host::Name(_)),
                "an address with an IP domain"
            );
            let again = reparse(&format!("{local}@{host}"));
            assert_eq!(again.host, parsed.host, "domain {host:?}");
            assert!(again.local_part.is_some());
        }
    }
});
