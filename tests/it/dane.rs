//! DANE (RFC 7672) for a mail domain's MX hosts.

use std::time::Duration;

use smtp_doctor::dns::{Dnssec, Resolver, load_trust_anchor};

use crate::support::dnssec::SignedDns;

#[tokio::test]
async fn experiment() {
    let dns = SignedDns::builder()
        .zone("signed.test", true)
        .zone("plain.test", false)
        .mx("signed.test", 10, "mx.signed.test")
        .a("mx.signed.test", "127.0.0.1")
        .tlsa("_25._tcp.mx.signed.test", 3, 1, 1, &[1; 32])
        .mx("plain.test", 10, "mx.plain.test")
        .a("mx.plain.test", "127.0.0.1")
        .a("mx3.signed.test", "127.0.0.1")
        .tlsa("_25._tcp.mx.plain.test", 3, 1, 1, &[2; 32])
        .start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anchor.key");
    std::fs::write(&path, dns.trust_anchor()).unwrap();
    eprintln!("{}", dns.trust_anchor());
    let anchors = load_trust_anchor(Some(&path)).unwrap();
    let plain = Resolver::new(&[dns.addr()], Duration::from_secs(2)).unwrap();
    let resolver = plain.validating(anchors).unwrap();
    let (a, s) = resolver.tlsa("_25._tcp.mx.signed.test").await;
    eprintln!("{a:?} {s:?}");
    let (b, t) = resolver.tlsa("_25._tcp.mx.plain.test").await;
    eprintln!("{b:?} {t:?}");
    let (c, u) = resolver.tlsa("_25._tcp.mx2.signed.test").await;
    eprintln!("{c:?} {u:?}");
    let (c, u) = resolver.tlsa("_25._tcp.mx3.signed.test").await;
    eprintln!("{c:?} {u:?}");
    let (c, u) = resolver.tlsa("mx3.signed.test").await;
    eprintln!("nodata {c:?} {u:?}");
    let (c, u) = resolver.tlsa("_25._tcp.mx3.plain.test").await;
    eprintln!("plain nx {c:?} {u:?}");
    eprintln!(
        "mx {:?}",
        resolver
            .validated("signed.test", smtp_doctor::dns::QueryType::Mx)
            .await
    );
    eprintln!(
        "a {:?}",
        resolver
            .validated("mx.signed.test", smtp_doctor::dns::QueryType::A)
            .await
    );
    for e in plain.log() {
        eprintln!("{e:?}");
    }
    assert_eq!(s, Some(Dnssec::Secure));
    assert_eq!(t, Some(Dnssec::Insecure));
}
