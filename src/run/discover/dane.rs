//! The DANE look-ups of a mail domain (RFC 7672 section 2.2): the MX answer, each MX host's
//! addresses and its TLSA records at `_25._tcp.<host>`, all asked through a resolver that
//! validates DNSSEC itself, concurrently and within the run's deadline. Only facts here; the
//! verdicts decide what they mean.

use std::path::Path;

use tokio::time::Instant;

use crate::dns::{
    Dnssec, Family, LookupFailure, Mx, QueryType, Resolver, load_trust_anchor, tlsa_name,
};
use crate::model::{DaneFacts, DaneHost};
use crate::run::plan::SetupError;

/// The run's validating resolver and where its trust starts.
pub(super) struct Validator {
    resolver: Resolver,
    trust_anchor: String,
    /// The zone whose keys the trust anchor holds (the root, `.`, by default).
    anchor_zone: String,
}

impl Validator {
    /// A validating twin of the run's resolver (same servers, same log), trusting the root's
    /// keys or the DNSKEY records of `trust_anchor`. `Err` when that file is unusable.
    pub(super) fn new(
        resolver: &Resolver,
        trust_anchor: Option<&Path>,
    ) -> Result<Validator, SetupError> {
        let anchor = load_trust_anchor(trust_anchor).map_err(|e| SetupError(e.to_string()))?;
        let resolver = resolver
            .validating(anchor.anchors)
            .map_err(|e| SetupError(e.to_string()))?;
        Ok(Validator {
            resolver,
            trust_anchor: trust_anchor.map_or("root".to_string(), |p| p.display().to_string()),
            anchor_zone: anchor.zone,
        })
    }

    /// The DANE facts of `domain`'s MX `hosts`, given up at `deadline` (what did not answer by
    /// then is indeterminate). The TLSA records come first; only when a host has some are the
    /// MX answer and that host's addresses asked again through the validator (their state
    /// decides whether the records count), so a domain without DANE costs one query per host.
    pub(super) async fn look_up(
        &self,
        domain: &str,
        hosts: &[String],
        family: Family,
        deadline: Instant,
    ) -> DaneFacts {
        let hosts = futures::future::join_all(hosts.iter().map(|h| self.tlsa(h, deadline))).await;
        let any_records = hosts.iter().any(|h| !h.records().is_empty());
        let mx = async {
            match any_records {
                true => Some(self.state(domain, QueryType::Mx, deadline).await),
                false => None,
            }
        };
        let addresses = futures::future::join_all(hosts.into_iter().map(|mut host| async move {
            if !host.records().is_empty() {
                host.addresses = Some(self.addresses(&host.host, family, deadline).await);
            }
            host
        }));
        let (mx, hosts) = tokio::join!(mx, addresses);
        // A bogus answer is the zone's fault only if DNSSEC validates through this DNS server
        // at all: a server that strips DNSSEC records makes every answer bogus, even the trust
        // anchor zone's own denial of a TXT record, which is asked then (only then).
        let bogus = mx == Some(Dnssec::Bogus)
            || hosts
                .iter()
                .any(|h| h.tlsa_dnssec == Dnssec::Bogus || h.addresses == Some(Dnssec::Bogus));
        let path = match bogus {
            true => Some(
                self.state(&self.anchor_zone, QueryType::Txt, deadline)
                    .await,
            ),
            false => None,
        };
        DaneFacts {
            trust_anchor: self.trust_anchor.clone(),
            mx,
            hosts,
            path,
        }
    }

    async fn tlsa(&self, host: &str, deadline: Instant) -> DaneHost {
        let owner = tlsa_name(host);
        let (tlsa, tlsa_dnssec) = tokio::time::timeout_at(deadline, self.resolver.tlsa(&owner))
            .await
            .unwrap_or((Err(LookupFailure::Timeout), None));
        DaneHost {
            host: host.to_string(),
            addresses: None,
            tlsa_name: owner,
            tlsa,
            tlsa_dnssec: tlsa_dnssec.unwrap_or(Dnssec::Indeterminate),
        }
    }

    async fn addresses(&self, host: &str, family: Family, deadline: Instant) -> Dnssec {
        let a = async {
            match family {
                Family::V6 => None,
                _ => Some(self.state(host, QueryType::A, deadline).await),
            }
        };
        let aaaa = async {
            match family {
                Family::V4 => None,
                _ => Some(self.state(host, QueryType::Aaaa, deadline).await),
            }
        };
        let (a, aaaa) = tokio::join!(a, aaaa);
        addresses_state(a, aaaa)
    }

    async fn state(&self, name: &str, record_type: QueryType, deadline: Instant) -> Dnssec {
        tokio::time::timeout_at(deadline, self.resolver.validated(name, record_type))
            .await
            .ok()
            .flatten()
            .unwrap_or(Dnssec::Indeterminate)
    }
}

/// The state of a host's addresses: of A and AAAA, the weakest. A secure denial of one type
/// (a host with IPv4 only) does not weaken the other.
fn addresses_state(a: Option<Dnssec>, aaaa: Option<Dnssec>) -> Dnssec {
    a.into_iter()
        .chain(aaaa)
        .reduce(Dnssec::weakest)
        .unwrap_or(Dnssec::Indeterminate)
}

/// The MX hosts the inbound section probes, in the same order: by preference, each once,
/// without the root (a null MX) and without IP literals, at most `limit`.
pub(super) fn mx_hosts(records: &[Mx], limit: usize) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for record in records.iter().filter(|m| !m.is_root()) {
        if !hosts.contains(&record.exchange) {
            hosts.push(record.exchange.clone());
        }
    }
    hosts.truncate(limit.max(1));
    hosts.retain(|host| {
        Mx {
            preference: 0,
            exchange: host.clone(),
        }
        .ip_literal()
        .is_none()
    });
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hosts_of_the_inbound_section() {
        let mx = |p: u16, h: &str| Mx {
            preference: p,
            exchange: h.to_string(),
        };
        let records = [
            mx(10, "a.example.test"),
            mx(10, "a.example.test"),
            mx(20, "192.0.2.5"),
            mx(30, "b.example.test"),
        ];
        assert_eq!(
            mx_hosts(&records, 5),
            vec!["a.example.test".to_string(), "b.example.test".to_string()]
        );
        assert_eq!(mx_hosts(&records, 1), vec!["a.example.test".to_string()]);
        assert!(mx_hosts(&[mx(0, ".")], 5).is_empty());
        assert_eq!(
            addresses_state(Some(Dnssec::Secure), Some(Dnssec::Insecure)),
            Dnssec::Insecure
        );
        assert_eq!(addresses_state(None, None), Dnssec::Indeterminate);
    }
}
