//! The DNS look-ups of `smtp_doctor::dns` against the in-process test DNS server: both address
//! families, the negative answers kept apart, MX (sorted, null, alias, IP literal), SRV, PTR and
//! forward-confirmed reverse DNS, the per-run cache and the query log.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use smtp_doctor::dns::{
    Family, ForwardCheck, LookupFailure, Mx, QueryType, Record, Resolver, ReverseDns,
    SUBMISSION_SRV, SUBMISSIONS_SRV, Srv, is_null_mx, srv_not_offered,
};

use crate::support::dns::{Behaviour, TestDns};

/// Per-query timeout for tests that expect answers (the server answers in microseconds).
const TIMEOUT: Duration = Duration::from_secs(2);
/// Per-query timeout for the timeout test.
const SHORT: Duration = Duration::from_millis(300);

fn resolver(dns: &TestDns) -> Resolver {
    Resolver::new(&[dns.addr()], TIMEOUT).unwrap()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn mx(preference: u16, exchange: &str) -> Mx {
    Mx {
        preference,
        exchange: exchange.to_string(),
    }
}

fn srv(priority: u16, weight: u16, port: u16, target: &str) -> Srv {
    Srv {
        priority,
        weight,
        port,
        target: target.to_string(),
    }
}

/// The addresses of `addresses()`, in answer order, or the failure of each type.
async fn ips(
    resolver: &Resolver,
    name: &str,
    family: Family,
) -> Vec<(String, Result<Vec<IpAddr>, LookupFailure>)> {
    resolver
        .addresses(name, family)
        .await
        .into_iter()
        .map(|q| (q.record_type.to_string(), q.answer))
        .collect()
}

#[tokio::test]
async fn addresses_of_both_families_and_of_one() {
    let dns = TestDns::new()
        .a("mail.example.test", "192.0.2.10")
        .a("mail.example.test", "192.0.2.11")
        .aaaa("mail.example.test", "2001:db8::10");
    let r = resolver(&dns);

    assert_eq!(
        ips(&r, "mail.example.test", Family::Any).await,
        [
            (
                "A".to_string(),
                Ok(vec![ip("192.0.2.10"), ip("192.0.2.11")])
            ),
            ("AAAA".to_string(), Ok(vec![ip("2001:db8::10")])),
        ]
    );
    assert_eq!(dns.queries("mail.example.test", "A"), 1);
    assert_eq!(dns.queries("mail.example.test", "AAAA"), 1);

    // -4 and -6 (each a run of its own) ask only for their own type.
    let r4 = resolver(&dns);
    let only_v4 = ips(&r4, "mail.example.test", Family::V4).await;
    assert_eq!(only_v4.len(), 1);
    assert_eq!(only_v4[0].0, "A");
    let r6 = resolver(&dns);
    let only_v6 = ips(&r6, "mail.example.test", Family::V6).await;
    assert_eq!(
        only_v6,
        [("AAAA".to_string(), Ok(vec![ip("2001:db8::10")]))]
    );
    assert_eq!(dns.queries("mail.example.test", "A"), 2);
    assert_eq!(dns.queries("mail.example.test", "AAAA"), 2);
}

#[tokio::test]
async fn nxdomain_and_nodata_are_told_apart() {
    let dns = TestDns::new()
        .a("v4only.example.test", "192.0.2.20")
        .srv(
            "_submission._tcp.example.test",
            0,
            1,
            587,
            "smtp.example.test",
        )
        .zone("example.com");
    let r = resolver(&dns);

    assert_eq!(
        ips(&r, "missing.example.test", Family::Any).await,
        [
            ("A".to_string(), Err(LookupFailure::NxDomain)),
            ("AAAA".to_string(), Err(LookupFailure::NxDomain)),
        ]
    );
    assert_eq!(
        ips(&r, "v4only.example.test", Family::Any).await,
        [
            ("A".to_string(), Ok(vec![ip("192.0.2.20")])),
            ("AAAA".to_string(), Err(LookupFailure::NoData)),
        ]
    );
    // An empty non-terminal exists (RFC 8020): NODATA, not NXDOMAIN.
    assert_eq!(
        r.lookup("_tcp.example.test", QueryType::Srv).await,
        Err(LookupFailure::NoData)
    );
    // A zone apex exists even without records of its own; names below it do not.
    assert_eq!(
        r.lookup("example.com", QueryType::A).await,
        Err(LookupFailure::NoData)
    );
    assert_eq!(
        r.lookup("www.example.com", QueryType::A).await,
        Err(LookupFailure::NxDomain)
    );
    // A name outside every zone of the test server does not exist either.
    assert_eq!(
        r.lookup("nowhere.invalid-tld", QueryType::A).await,
        Err(LookupFailure::NxDomain)
    );
    assert!(LookupFailure::NxDomain.is_negative() && LookupFailure::NoData.is_negative());
}

#[tokio::test]
async fn servfail_and_refused_are_failures_not_negative_answers() {
    let dns = TestDns::new()
        .a("broken.example.test", "192.0.2.30")
        .servfail("broken.example.test")
        .refuse("closed.example.test");
    let r = resolver(&dns);

    let broken = r.lookup("broken.example.test", QueryType::A).await;
    assert!(
        matches!(&broken, Err(LookupFailure::ServFail(_))),
        "{broken:?}"
    );
    assert_eq!(
        r.lookup("closed.example.test", QueryType::A).await,
        Err(LookupFailure::Refused)
    );
    assert!(!broken.unwrap_err().is_negative());
    // A failed query is not retried: one query each at the server.
    assert_eq!(dns.queries("broken.example.test", "A"), 1);
    assert_eq!(dns.queries("closed.example.test", "A"), 1);
}

#[tokio::test]
async fn a_silent_server_is_a_timeout_within_the_deadline() {
    let dns = TestDns::new()
        .a("slow.example.test", "192.0.2.40")
        .behave("slow.example.test", Some("AAAA"), Behaviour::Drop)
        .drop("silent.example.test");
    let r = Resolver::new(&[dns.addr()], SHORT).unwrap();

    let started = Instant::now();
    let answer = r.lookup("silent.example.test", QueryType::A).await;
    let took = started.elapsed();
    assert_eq!(answer, Err(LookupFailure::Timeout));
    assert!(took >= SHORT, "gave up early: {took:?}");
    assert!(took < SHORT * 3, "took {took:?} for a {SHORT:?} timeout");
    assert_eq!(dns.queries("silent.example.test", "A"), 1);

    // A and AAAA run at once: the dropped AAAA costs one timeout, the A still answers.
    let started = Instant::now();
    assert_eq!(
        ips(&r, "slow.example.test", Family::Any).await,
        [
            ("A".to_string(), Ok(vec![ip("192.0.2.40")])),
            ("AAAA".to_string(), Err(LookupFailure::Timeout)),
        ]
    );
    assert!(started.elapsed() < SHORT * 3);
    let log = r.log();
    let timed_out = log
        .iter()
        .find(|e| e.name == "silent.example.test")
        .unwrap();
    assert!(timed_out.elapsed >= SHORT);
}

#[tokio::test]
async fn mx_hosts_are_sorted_by_preference() {
    let dns = TestDns::new()
        .mx("example.test", 20, "mx2.example.test")
        .mx("example.test", 10, "mx1.example.test")
        .mx("example.test", 20, "mx0.example.test")
        .a("example.test", "192.0.2.50");
    let r = resolver(&dns);

    let hosts = r.mx("example.test").await.unwrap();
    assert_eq!(
        hosts,
        [
            mx(10, "mx1.example.test"),
            mx(20, "mx0.example.test"),
            mx(20, "mx2.example.test"),
        ]
    );
    assert!(!is_null_mx(&hosts));
    assert!(
        hosts
            .iter()
            .all(|h| h.ip_literal().is_none() && !h.is_root())
    );
}

#[tokio::test]
async fn no_mx_is_nodata_and_null_mx_is_detected() {
    let dns = TestDns::new()
        .a("implicit.example.test", "192.0.2.60")
        .null_mx("nomail.example.test")
        .a("nomail.example.test", "192.0.2.61");
    let r = resolver(&dns);

    // No MX but an address: NODATA, where RFC 5321 section 5.1 falls back to the A/AAAA.
    assert_eq!(
        r.mx("implicit.example.test").await,
        Err(LookupFailure::NoData)
    );
    assert_eq!(
        r.mx("gone.example.test").await,
        Err(LookupFailure::NxDomain)
    );

    let null = r.mx("nomail.example.test").await.unwrap();
    assert_eq!(null, [mx(0, ".")]);
    assert!(is_null_mx(&null));
    assert!(null[0].is_root());
}

#[tokio::test]
async fn an_mx_host_that_is_an_alias_shows_in_its_address_answer() {
    let dns = TestDns::new()
        .mx("example.test", 10, "alias.example.test")
        .mx("example.test", 20, "direct.example.test")
        .cname("alias.example.test", "real.example.test")
        .a("real.example.test", "192.0.2.70")
        .aaaa("real.example.test", "2001:db8::70")
        .a("direct.example.test", "192.0.2.71");
    let r = resolver(&dns);

    // hickory follows the chain and keeps the CNAME in the answer, before the addresses.
    assert_eq!(
        r.lookup("alias.example.test", QueryType::A).await,
        Ok(vec![
            Record::Cname("real.example.test".into()),
            Record::A("192.0.2.70".parse().unwrap()),
        ])
    );
    assert_eq!(
        ips(&r, "alias.example.test", Family::Any).await,
        [
            ("A".to_string(), Ok(vec![ip("192.0.2.70")])),
            ("AAAA".to_string(), Ok(vec![ip("2001:db8::70")])),
        ]
    );
    assert_eq!(
        r.alias("alias.example.test", Family::Any).await,
        Ok(Some("real.example.test".to_string()))
    );
    assert_eq!(r.alias("direct.example.test", Family::Any).await, Ok(None));
    // Both were answered from the address look-ups: no CNAME query, no second A query.
    assert_eq!(dns.queries("alias.example.test", "CNAME"), 0);
    assert_eq!(dns.queries("direct.example.test", "CNAME"), 0);
    assert_eq!(dns.queries("alias.example.test", "A"), 1);
    assert_eq!(dns.queries("direct.example.test", "AAAA"), 1);
}

#[tokio::test]
async fn an_alias_without_addresses_is_found_by_an_explicit_cname_query() {
    let dns = TestDns::new()
        .cname("dangling.example.test", "nothing.example.test")
        .a("plain.example.test", "192.0.2.80");
    let r = resolver(&dns);

    // The chain ends in NXDOMAIN; the address answers lose the CNAME, so it is asked for.
    assert_eq!(
        ips(&r, "dangling.example.test", Family::Any).await,
        [
            ("A".to_string(), Err(LookupFailure::NxDomain)),
            ("AAAA".to_string(), Err(LookupFailure::NxDomain)),
        ]
    );
    assert_eq!(
        r.alias("dangling.example.test", Family::Any).await,
        Ok(Some("nothing.example.test".to_string()))
    );
    assert_eq!(dns.queries("dangling.example.test", "CNAME"), 1);
    assert_eq!(r.cname("plain.example.test").await, Ok(None));
    assert_eq!(
        r.cname("absent.example.test").await,
        Err(LookupFailure::NxDomain)
    );
}

#[tokio::test]
async fn an_mx_written_as_an_ip_address_is_a_name_of_numeric_labels() {
    let dns =
        TestDns::new()
            .mx("example.test", 10, "192.0.2.5")
            .mx("example.test", 20, "2001:db8::5");
    let r = resolver(&dns);

    let hosts = r.mx("example.test").await.unwrap();
    // On the wire `192.0.2.5.` is the labels 192, 0, 2, 5; hickory hands it over as that name.
    assert_eq!(hosts[0], mx(10, "192.0.2.5"));
    assert_eq!(hosts[0].ip_literal(), Some(ip("192.0.2.5")));
    // An IPv6 address can only be a single label; its colons come back escaped.
    assert_eq!(hosts[1], mx(20, "2001\\:db8\\:\\:5"));
    assert_eq!(hosts[1].ip_literal(), Some(ip("2001:db8::5")));
    // Looking the "name" up is an ordinary query (it does not exist), as a sender would do.
    assert_eq!(
        r.lookup("192.0.2.5", QueryType::A).await,
        Err(LookupFailure::NxDomain)
    );
    assert_eq!(dns.queries("192.0.2.5", "A"), 1);
}

#[tokio::test]
async fn submission_srv_found_not_offered_and_absent() {
    let dns = TestDns::new()
        .srv(
            &format!("{SUBMISSION_SRV}.example.test"),
            10,
            1,
            587,
            "backup.example.test",
        )
        .srv(
            &format!("{SUBMISSION_SRV}.example.test"),
            0,
            1,
            587,
            "smtp.example.test",
        )
        .srv(
            &format!("{SUBMISSION_SRV}.example.test"),
            0,
            5,
            2587,
            "heavy.example.test",
        )
        .srv(&format!("{SUBMISSIONS_SRV}.example.test"), 0, 0, 0, ".");
    let r = resolver(&dns);

    let found = r.srv("_submission._tcp.example.test").await.unwrap();
    assert_eq!(
        found,
        [
            srv(0, 5, 2587, "heavy.example.test"),
            srv(0, 1, 587, "smtp.example.test"),
            srv(10, 1, 587, "backup.example.test"),
        ]
    );
    assert!(!srv_not_offered(&found));

    let not_offered = r.srv("_submissions._tcp.example.test").await.unwrap();
    assert_eq!(not_offered, [srv(0, 0, 0, ".")]);
    assert!(srv_not_offered(&not_offered));

    assert_eq!(
        r.srv("_submission._tcp.other.test").await,
        Err(LookupFailure::NxDomain)
    );
}

#[tokio::test]
async fn ptr_present_missing_and_forward_confirmed() {
    let dns = TestDns::new()
        // Confirmed: the PTR name resolves back.
        .ptr("192.0.2.90", "mail.example.test")
        .a("mail.example.test", "192.0.2.90")
        // Mismatch: the PTR name resolves elsewhere.
        .ptr("192.0.2.91", "other.example.test")
        .a("other.example.test", "198.51.100.1")
        // Mismatch: the PTR name does not resolve at all.
        .ptr("192.0.2.92", "stale.example.test")
        // IPv6, confirmed through AAAA.
        .ptr("2001:db8::90", "mail6.example.test")
        .aaaa("mail6.example.test", "2001:db8::90");
    let r = resolver(&dns);

    assert_eq!(
        r.ptr(ip("192.0.2.90")).await,
        Ok(vec!["mail.example.test".to_string()])
    );
    assert_eq!(r.ptr(ip("192.0.2.99")).await, Err(LookupFailure::NxDomain));

    assert_eq!(
        r.forward_confirmed(ip("192.0.2.90")).await,
        ReverseDns::Confirmed {
            name: "mail.example.test".into()
        }
    );
    assert_eq!(
        r.forward_confirmed(ip("192.0.2.91")).await,
        ReverseDns::Mismatch(vec![ForwardCheck {
            name: "other.example.test".into(),
            addresses: Ok(vec![ip("198.51.100.1")]),
        }])
    );
    assert_eq!(
        r.forward_confirmed(ip("192.0.2.92")).await,
        ReverseDns::Mismatch(vec![ForwardCheck {
            name: "stale.example.test".into(),
            addresses: Err(LookupFailure::NxDomain),
        }])
    );
    assert_eq!(
        r.forward_confirmed(ip("192.0.2.99")).await,
        ReverseDns::Missing(LookupFailure::NxDomain)
    );
    assert_eq!(
        r.forward_confirmed(ip("2001:db8::90")).await,
        ReverseDns::Confirmed {
            name: "mail6.example.test".into()
        }
    );
    // The forward check asks only the address's own family; the PTR asked above is cached.
    assert_eq!(dns.queries("mail6.example.test", "A"), 0);
    assert_eq!(dns.queries("mail.example.test", "AAAA"), 0);
    assert_eq!(dns.ptr_queries("192.0.2.90"), 1);
    assert_eq!(dns.ptr_queries("192.0.2.99"), 1);
}

#[tokio::test]
async fn concurrent_requests_for_the_same_question_make_one_query() {
    let dns = TestDns::new()
        .mx("example.test", 10, "mx.example.test")
        .a("mx.example.test", "192.0.2.100")
        // Slow answers, so that all the requests below are in flight together.
        .behave(
            "example.test",
            None,
            Behaviour::Delay(Duration::from_millis(200)),
        )
        .behave(
            "mx.example.test",
            None,
            Behaviour::Delay(Duration::from_millis(200)),
        );
    let r = resolver(&dns);

    let mx_lookups = (0..16).map(|i| {
        let r = r.clone();
        // Spelling does not matter: case and the final dot name the same question.
        let name = if i % 2 == 0 {
            "example.test"
        } else {
            "Example.TEST."
        };
        tokio::spawn(async move { r.mx(name).await })
    });
    let address_lookups = (0..16).map(|_| {
        let r = r.clone();
        tokio::spawn(async move { r.addresses("mx.example.test", Family::V4).await })
    });
    let (mxs, addresses) = tokio::join!(
        futures::future::join_all(mx_lookups),
        futures::future::join_all(address_lookups)
    );
    for answer in mxs {
        assert_eq!(answer.unwrap(), Ok(vec![mx(10, "mx.example.test")]));
    }
    for answer in addresses {
        assert_eq!(answer.unwrap()[0].answer, Ok(vec![ip("192.0.2.100")]));
    }
    assert_eq!(dns.queries("example.test", "MX"), 1);
    assert_eq!(dns.queries("mx.example.test", "A"), 1);
    assert_eq!(dns.total_queries(), 2);
    assert_eq!(r.log().len(), 2);

    // Later requests are answered from the cache, failures included.
    r.mx("example.test").await.unwrap();
    assert_eq!(
        r.mx("missing.example.test").await,
        Err(LookupFailure::NxDomain)
    );
    assert_eq!(
        r.mx("missing.example.test").await,
        Err(LookupFailure::NxDomain)
    );
    assert_eq!(dns.total_queries(), 3);
}

#[tokio::test]
async fn the_log_has_every_query_once_with_its_answer_and_time() {
    let dns = TestDns::new()
        .mx("example.test", 10, "mx.example.test")
        .a("mx.example.test", "192.0.2.110")
        .txt("example.test", "v=spf1 -all");
    let r = resolver(&dns);

    let hosts = r.mx("example.test").await.unwrap();
    r.addresses(&hosts[0].exchange, Family::Any).await;
    r.addresses(&hosts[0].exchange, Family::Any).await;
    assert_eq!(
        r.txt("example.test").await,
        Ok(vec!["v=spf1 -all".to_string()])
    );
    // Not a DNS name: logged as a failure, never sent.
    let bad = r.lookup("bad..name", QueryType::A).await;
    assert!(matches!(bad, Err(LookupFailure::Other(_))), "{bad:?}");

    let log = r.log();
    // (name, type, records as text or the failure)
    type Line<'a> = (&'a str, &'a str, Result<Vec<String>, LookupFailure>);
    let summary: Vec<Line> = log
        .iter()
        .map(|e| {
            (
                e.name.as_str(),
                e.record_type.as_str(),
                e.answer
                    .as_ref()
                    .map(|records| records.iter().map(ToString::to_string).collect())
                    .map_err(Clone::clone),
            )
        })
        .collect();
    assert_eq!(summary.len(), 5, "{summary:#?}");
    assert_eq!(
        summary[0],
        (
            "example.test",
            "MX",
            Ok(vec!["MX 10 mx.example.test".to_string()])
        )
    );
    // A and AAAA go out together; their order in the log is the order they were sent.
    let mut addresses = vec![summary[1].clone(), summary[2].clone()];
    addresses.sort_by_key(|(_, t, _)| *t);
    assert_eq!(
        addresses,
        [
            (
                "mx.example.test",
                "A",
                Ok(vec!["A 192.0.2.110".to_string()])
            ),
            ("mx.example.test", "AAAA", Err(LookupFailure::NoData)),
        ]
    );
    assert_eq!(
        summary[3],
        (
            "example.test",
            "TXT",
            Ok(vec!["TXT \"v=spf1 -all\"".to_string()])
        )
    );
    assert_eq!(summary[4].0, "bad..name");
    assert!(log.windows(2).all(|w| w[0].started <= w[1].started));
    assert!(log[..4].iter().all(|e| e.elapsed > Duration::ZERO));
    // The server saw exactly the four queries that were sent.
    let mut received = dns.received();
    received.sort();
    assert_eq!(
        received,
        [
            ("example.test".to_string(), "MX".to_string()),
            ("example.test".to_string(), "TXT".to_string()),
            ("mx.example.test".to_string(), "A".to_string()),
            ("mx.example.test".to_string(), "AAAA".to_string()),
        ]
    );
}

#[tokio::test]
async fn a_truncated_answer_is_asked_again_over_tcp() {
    // 60 addresses do not fit the 512 bytes of a UDP answer (the server offers no EDNS).
    let many: Vec<IpAddr> = (1..=60).map(|i| ip(&format!("198.51.100.{i}"))).collect();
    let dns = many.iter().fold(TestDns::new(), |dns, address| {
        dns.a("big.example.test", &address.to_string())
    });
    let r = resolver(&dns);

    assert_eq!(
        ips(&r, "big.example.test", Family::V4).await,
        [("A".to_string(), Ok(many))]
    );
    assert_eq!(dns.queries("big.example.test", "A"), 2);
    assert_eq!(dns.tcp_queries(), 1);
    // One look-up for the run, whatever the transport did.
    assert_eq!(r.log().len(), 1);
}

#[tokio::test]
async fn loopback_reverse_dns_is_answered_by_hickory_itself() {
    // What the CLI tests will meet: their SMTP server listens on loopback, and hickory answers
    // PTR for 127.0.0.0/8 and ::1 (and A/AAAA for `localhost`) without asking any server
    // (RFC 6761), so those endpoints always look forward-confirmed as `localhost`.
    let dns = TestDns::new().ptr("127.0.0.1", "mail.example.test");
    let r = resolver(&dns);

    assert_eq!(
        r.forward_confirmed(ip("127.0.0.1")).await,
        ReverseDns::Confirmed {
            name: "localhost".into()
        }
    );
    assert_eq!(
        r.forward_confirmed(ip("::1")).await,
        ReverseDns::Confirmed {
            name: "localhost".into()
        }
    );
    // 127.0.0.2 has the PTR `localhost` too, whose address is 127.0.0.1.
    assert!(matches!(
        r.forward_confirmed(ip("127.0.0.2")).await,
        ReverseDns::Mismatch(_)
    ));
    assert_eq!(dns.total_queries(), 0);
    // They are still in the run's log, as answers.
    assert!(r.log().iter().any(|e| e.name == "1.0.0.127.in-addr.arpa"));
}
