//! A check run: the validated plan and the pipeline that turns it into a report (resolve,
//! probe every endpoint at once, judge). No printing, no command-line types.

use std::time::Instant;

use crate::model::{CredentialCheck, Discovery, Observation, Role};
use crate::probe::auth::AuthRequest;
use crate::providers::Preset;
use crate::run::discover;
use crate::run::outcome::{CheckReport, ProviderInfo, TargetInfo};
use crate::run::plan::{CheckPlan, SetupError};
use crate::target::Host;
use crate::tls::TlsClient;
use crate::verdict;
use crate::verdict::Finding;
use crate::verdict::auth::ProviderReply;

/// Runs a plan: resolve, probe every endpoint at once, judge. Failures of what is probed are in
/// the report; `Err` only when the run could not start (e.g. an unusable CA file).
pub async fn run(plan: &CheckPlan) -> Result<CheckReport, SetupError> {
    let tls = TlsClient::new(plan.ca_file.as_deref()).map_err(|e| SetupError(e.to_string()))?;
    run_with(plan, &tls).await
}

/// [`run`] with a TLS client shared by many runs (a batch loads the trust store once).
pub async fn run_with(plan: &CheckPlan, tls: &TlsClient) -> Result<CheckReport, SetupError> {
    let started = Instant::now();
    let tls = tls.clone();
    // Which endpoints (a server's ports, or a domain's submission and MX hosts), probed as
    // soon as they are known.
    let outcome = discover::run(plan, &tls).await?;
    let observations = outcome.observations;
    let mut findings = verdict::dns::judge(&outcome.discovery, &observations);
    // A mail domain's inbound policies (MTA-STS, TLS-RPT), after its DNS findings.
    findings.extend(verdict::sts::judge(&outcome.discovery));
    findings.extend(verdict::judge(&observations));
    findings.extend(verdict::dane::judge(&outcome.discovery, &observations));
    let provider = judge_provider(plan, &outcome.discovery, &observations, &mut findings);
    let credentials = match &plan.auth {
        Some(request) => {
            let preset = provider.as_ref().and_then(|p| plan.catalog.get(&p.id));
            let deadline = tokio::time::Instant::from_std(started) + plan.options.max_time;
            // A mail client logs in where it submits: never at a domain's MX hosts; with the
            // user's settings, exactly where they point, as the app would.
            let candidates: Vec<Observation> = observations
                .iter()
                .filter(|o| {
                    !outcome.discovery.is_inbound(&o.endpoint)
                        && plan
                            .target
                            .config
                            .as_ref()
                            .is_none_or(|c| c.port == o.endpoint.port)
                })
                .cloned()
                .collect();
            let check = check_credentials(plan, request, &candidates, preset, &tls, deadline).await;
            findings.extend(verdict::auth::judge(&check));
            Some(check)
        }
        None => None,
    };
    judge_target(plan, &outcome.discovery, &observations, &mut findings);
    let recommended = match &provider {
        Some(_) => None,
        None => {
            // Where a mail client could send: a typed server's endpoints, a domain's
            // submission hosts (never its MX hosts).
            let usable: Vec<Observation> = observations
                .iter()
                .filter(|o| !outcome.discovery.is_inbound(&o.endpoint))
                .cloned()
                .collect();
            verdict::recommend::recommend(&usable, &findings)
        }
    };
    Ok(CheckReport {
        target: TargetInfo {
            input: plan.target.input.clone(),
            kind: outcome.discovery.kind,
            host: match &plan.target.host {
                Host::Name(name) => Some(name.clone()),
                Host::Ip(_) => None,
            },
            unicode: plan.target.unicode.clone(),
            config: plan.target.config.clone(),
        },
        duration: started.elapsed(),
        observations,
        findings,
        discovery: outcome.discovery,
        provider,
        recommended,
        credentials,
    })
}

/// What the target itself asks to be judged: an address whose local part needs SMTPUTF8, and
/// the user's settings (their finding first); then every finding's weight by what the user
/// named.
fn judge_target(
    plan: &CheckPlan,
    discovery: &Discovery,
    observations: &[Observation],
    findings: &mut Vec<Finding>,
) {
    if let Some(local_part) = &plan.target.local_part
        && let Some(finding) =
            verdict::smtputf8::judge(&plan.target.input, local_part, discovery, observations)
    {
        findings.push(finding);
    }
    if let Some(config) = &plan.target.config {
        let finding = verdict::config::judge(config, observations, findings);
        findings.insert(0, finding);
    }
    // A typed server's findings weigh by what the user named (one rule, README "Exit codes");
    // a mail domain is judged strictly throughout.
    if discovery.domain.is_none() {
        let named = verdict::weight::Named {
            ports: &plan.named_ports,
            credentials: plan.auth.is_some(),
        };
        verdict::weight::weigh(findings, observations, named);
    }
}

/// The credential check: after the probes, AUTH on the preset's recommended port or the best
/// usable endpoint (every one with `--auth-all`), explained with the preset's known replies
/// when a preset applies, else the catalogue's generic ones and the RFC meanings.
async fn check_credentials(
    plan: &CheckPlan,
    request: &AuthRequest,
    observations: &[Observation],
    preset: Option<&Preset>,
    tls: &TlsClient,
    deadline: tokio::time::Instant,
) -> CredentialCheck {
    let preferred = preset.and_then(Preset::recommended).map(|spec| spec.port);
    let mut check = crate::probe::auth::check(
        observations,
        preferred,
        request,
        &plan.options,
        tls,
        deadline,
    )
    .await;
    let known = |reply: &crate::smtp::Reply| {
        let from_preset = preset.and_then(|p| p.known_error(reply).map(|k| (p.name.as_str(), k)));
        from_preset
            .or_else(|| {
                plan.catalog
                    .generic_error(reply)
                    .map(|k| ("providers.toml", k))
            })
            .map(|(provider, k)| ProviderReply {
                provider: provider.to_string(),
                meaning: k.meaning.clone(),
                advice: k.advice.clone(),
            })
    };
    verdict::auth::annotate(&mut check, &known);
    check
}

/// The run's provider decision (the plan's for a typed server, discovery's for a domain; for a
/// server it did not recognise, the probes' fingerprints), judged: its findings replace the
/// generic ones they explain better, and the report says which preset and why.
fn judge_provider(
    plan: &CheckPlan,
    discovery: &Discovery,
    observations: &[Observation],
    findings: &mut Vec<Finding>,
) -> Option<ProviderInfo> {
    let submission: Vec<Observation>;
    let (matched, observations) = if discovery.domain.is_some() {
        // A domain is judged on its submission endpoints only: its MX hosts are another
        // service.
        submission = observations
            .iter()
            .filter(|o| {
                discovery
                    .origin(&o.endpoint)
                    .is_some_and(|p| p.role == Some(Role::Submission))
            })
            .cloned()
            .collect();
        let choice = discovery.preset.as_ref()?;
        (plan.catalog.chosen(choice)?, submission.as_slice())
    } else {
        let matched = match &plan.preset {
            Some(choice) => plan.catalog.chosen(choice),
            None => observations
                .iter()
                .find_map(|o| plan.catalog.by_fingerprint(o)),
        };
        (matched?, observations)
    };
    let preset = matched.preset;
    let extra = verdict::provider::judge(observations, preset);
    verdict::provider::add_explaining(findings, extra);
    Some(ProviderInfo {
        id: preset.id.clone(),
        name: preset.name.clone(),
        docs: preset.docs.clone(),
        origin: preset.origin.to_string(),
        reason: matched.reason,
        settings: verdict::provider::settings(observations, preset),
    })
}
