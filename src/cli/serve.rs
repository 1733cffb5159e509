//! `smtp-doctor serve`: its flags, and the modules file (TOML) turned into check plans. A
//! module is a saved set of `check` flags under a name; each key is the flag of the same name
//! (`ports` is `--port`, `connect_timeout` is `--connect-timeout`), so a module means exactly
//! what the same command line means, and is validated by the same code when the file is read.
//! A request then names a module and a target, and gets the plan `check TARGET <flags>` would.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser};
use serde::Deserialize;

use super::{Cli, Command, UsageError, load_catalog, parse_duration};
use crate::providers::Catalog;
use crate::run::plan::CheckPlan;
use crate::target;
use crate::verdict::id::FindingId;

/// The module a request gets when it names none; always defined (the `check` defaults) unless
/// the file defines it otherwise.
pub const DEFAULT_MODULE: &str = "default";

/// The modules file is read whole, and is not allowed to be larger than this.
const FILE_LIMIT: u64 = 1024 * 1024;

/// A target longer than this is refused before it is parsed.
const TARGET_LIMIT: usize = 1024;

/// `smtp-doctor serve` flags.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (an exporter that probes what it is asked to belongs on a
    /// trusted network: loopback by default)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9525")]
    pub listen: SocketAddr,

    /// Modules file (TOML): named sets of check settings a request picks with `module=`
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// How many checks run at once; a scrape that finds no free slot before its deadline gets
    /// a 503
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// At most this many connections to one IP address at once, across all checks
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub per_address: u16,

    /// A check ends this much before Prometheus' scrape timeout (the X-Prometheus-Scrape-
    /// Timeout-Seconds header), so its answer arrives in time
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = parse_duration)]
    pub timeout_offset: Duration,

    /// Extra preset file (providers.toml format); repeatable
    #[arg(long, value_name = "FILE")]
    pub providers: Vec<PathBuf>,

    /// Do not log each request on stderr
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// One module as written in the file. Every key is optional; absent keys keep `check`'s
/// defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleSpec {
    ports: Option<Vec<u16>>,
    security: Option<String>,
    host: Option<bool>,
    inbound: Option<bool>,
    ehlo: Option<String>,
    connect_timeout: Option<String>,
    timeout: Option<String>,
    max_time: Option<String>,
    family: Option<String>,
    resolvers: Option<Vec<String>>,
    port_map: Option<Vec<String>>,
    ca_file: Option<PathBuf>,
    provider: Option<String>,
    ignore: Option<Vec<String>>,
}

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModulesFile {
    #[serde(default)]
    modules: BTreeMap<String, ModuleSpec>,
}

impl ModuleSpec {
    /// The `check` flags this module stands for.
    fn flags(&self) -> Result<Vec<String>, String> {
        let mut flags: Vec<String> = Vec::new();
        let mut add = |flag: &str, value: Option<String>| {
            flags.push(flag.to_string());
            flags.extend(value);
        };
        if let Some(ports) = &self.ports {
            if ports.is_empty() {
                return Err("ports is empty; leave it out for 25, 587 and 465".to_string());
            }
            let list: Vec<String> = ports.iter().map(u16::to_string).collect();
            add("--port", Some(list.join(",")));
        }
        if let Some(security) = &self.security {
            add("--security", Some(security.clone()));
        }
        if self.host == Some(true) {
            add("--host", None);
        }
        if self.inbound == Some(true) {
            add("--inbound", None);
        }
        if let Some(ehlo) = &self.ehlo {
            add("--ehlo", Some(ehlo.clone()));
        }
        for (flag, value) in [
            ("--connect-timeout", &self.connect_timeout),
            ("--timeout", &self.timeout),
            ("--max-time", &self.max_time),
        ] {
            if let Some(value) = value {
                add(flag, Some(value.clone()));
            }
        }
        match self.family.as_deref() {
            None | Some("any") => {}
            Some("ipv4") => add("-4", None),
            Some("ipv6") => add("-6", None),
            Some(other) => {
                return Err(format!(
                    "family {other:?} is not one of \"any\", \"ipv4\", \"ipv6\""
                ));
            }
        }
        for resolver in self.resolvers.iter().flatten() {
            add("--resolver", Some(resolver.clone()));
        }
        for map in self.port_map.iter().flatten() {
            add("--port-map", Some(map.clone()));
        }
        if let Some(path) = &self.ca_file {
            flags.push("--ca-file".to_string());
            flags.push(path.to_string_lossy().into_owned());
        }
        if let Some(provider) = &self.provider {
            flags.push("--provider".to_string());
            flags.push(provider.clone());
        }
        Ok(flags)
    }

    fn ignored(&self) -> Result<Vec<FindingId>, String> {
        self.ignore
            .iter()
            .flatten()
            .map(|text| {
                FindingId::parse(text).ok_or_else(|| {
                    format!(
                        "ignore names {text:?}, which is no finding id (README lists them, e.g. dns.ptr_missing)"
                    )
                })
            })
            .collect()
    }
}

/// One module, validated: its `check` flags (as parsed) and the findings it ignores.
#[derive(Debug)]
pub struct Module {
    args: super::CheckArgs,
    /// Findings dropped from the module's reports, as if never raised.
    pub ignore: Vec<FindingId>,
}

/// Every module of the exporter, the catalogue its checks judge with, and the service settings.
#[derive(Debug)]
pub struct Modules {
    modules: BTreeMap<String, Module>,
    catalog: Arc<Catalog>,
}

impl ServeArgs {
    /// Reads and validates the modules file (every module is turned into a plan for a sample
    /// target, so a bad value fails now, not at the first scrape).
    pub fn modules(&self) -> Result<Modules, UsageError> {
        let catalog = Arc::new(load_catalog(&self.providers)?);
        let file = match &self.config {
            Some(path) => read_modules(path)?,
            None => ModulesFile::default(),
        };
        let mut modules = BTreeMap::new();
        let mut specs = file.modules;
        specs.entry(DEFAULT_MODULE.to_string()).or_default();
        for (name, spec) in specs {
            let in_module = |e: String| UsageError::Other(format!("module {name:?}: {e}"));
            if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control()) {
                return Err(in_module(
                    "a module name is 1 to 64 printable characters".into(),
                ));
            }
            let flags = spec.flags().map_err(in_module)?;
            let mut argv = vec!["smtp-doctor".to_string(), "check".to_string()];
            argv.extend(flags);
            argv.push("--".to_string());
            argv.push("example.com".to_string());
            let args = match Cli::try_parse_from(&argv) {
                Ok(Cli {
                    command: Command::Check(args),
                }) => args,
                Ok(_) => return Err(in_module("not a check".to_string())),
                Err(e) => return Err(in_module(first_line(&e.to_string()))),
            };
            let module = Module {
                ignore: spec.ignored().map_err(in_module)?,
                args,
            };
            // A sample plan: unusable flags (a CA file that cannot be read, an unknown
            // provider) fail at start.
            module
                .plan("example.com", catalog.clone())
                .map_err(|e| in_module(e.to_string()))?;
            modules.insert(name, module);
        }
        Ok(Modules { modules, catalog })
    }
}

impl Modules {
    /// The module names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.modules.keys().map(String::as_str)
    }

    /// The CA files the modules name (`None`: the system store only), for the service's TLS
    /// clients.
    pub fn ca_files(&self) -> Vec<Option<PathBuf>> {
        let mut files: Vec<Option<PathBuf>> = self
            .modules
            .values()
            .map(|m| m.args.ca_file.clone())
            .collect();
        files.sort();
        files.dedup();
        files
    }

    /// The plan for `target` under module `name` (the default module when `None`), and the
    /// module. `Err` says why in words fit for an HTTP 400 answer.
    pub fn plan(&self, name: Option<&str>, target: &str) -> Result<(CheckPlan, &Module), String> {
        let name = name.unwrap_or(DEFAULT_MODULE);
        let Some(module) = self.modules.get(name) else {
            let known: Vec<&str> = self.names().collect();
            return Err(format!(
                "unknown module {name:?}; the exporter's modules: {}",
                known.join(", ")
            ));
        };
        let plan = module
            .plan(target, self.catalog.clone())
            .map_err(|e| e.to_string())?;
        Ok((plan, module))
    }
}

impl Module {
    fn plan(&self, text: &str, catalog: Arc<Catalog>) -> Result<CheckPlan, UsageError> {
        if text.trim().is_empty() {
            return Err(UsageError::Other(
                "no target: give target=HOST (a server, a mail domain or an address)".to_string(),
            ));
        }
        if text.len() > TARGET_LIMIT {
            return Err(UsageError::Other(format!(
                "the target is longer than {TARGET_LIMIT} bytes"
            )));
        }
        let target = target::parse(text)?;
        // The exporter never logs in: a target with a user would ask for a password.
        if target.config.as_ref().is_some_and(|c| c.user.is_some()) {
            return Err(UsageError::Other(
                "the exporter never logs in: give the server or URL without a user name"
                    .to_string(),
            ));
        }
        self.args.plan_for(target, None, catalog)
    }
}

fn read_modules(path: &Path) -> Result<ModulesFile, UsageError> {
    let name = path.display();
    let cannot =
        |e: std::io::Error| UsageError::Setup(format!("cannot read the modules file {name}: {e}"));
    let size = std::fs::metadata(path).map_err(cannot)?.len();
    if size > FILE_LIMIT {
        return Err(UsageError::Setup(format!(
            "the modules file {name} is larger than 1 MiB"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(cannot)?;
    toml::from_str(&text).map_err(|e| {
        let place = e
            .span()
            .map(|span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, str::len) + 1;
                format!(":{line}:{column}")
            })
            .unwrap_or_default();
        UsageError::Setup(format!("{name}{place}: {}", first_line(e.message())))
    })
}

/// The first line of clap's or toml's message, without clap's `error: ` prefix.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Security;

    fn modules(toml: &str) -> Result<Modules, UsageError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("modules.toml");
        std::fs::write(&path, toml).unwrap();
        let args = ServeArgs {
            listen: "127.0.0.1:0".parse().unwrap(),
            config: Some(path),
            concurrency: 4,
            per_address: 2,
            timeout_offset: Duration::from_millis(500),
            providers: Vec::new(),
            quiet: true,
        };
        args.modules()
    }

    #[test]
    fn a_module_is_the_check_flags_of_the_same_names() {
        let m = modules(
            r#"
[modules.submission]
ports = [587, 465]
security = "starttls"
timeout = "3s"
max_time = "20s"
family = "ipv4"
ignore = ["dns.ptr_missing", "starttls.missing"]
"#,
        )
        .unwrap();
        assert_eq!(m.names().collect::<Vec<_>>(), ["default", "submission"]);
        let (plan, module) = m.plan(Some("submission"), "smtp.example.com").unwrap();
        assert_eq!(
            plan.ports,
            [(587, Security::Starttls), (465, Security::Starttls)]
        );
        assert_eq!(plan.options.step_timeout, Duration::from_secs(3));
        assert_eq!(plan.options.max_time, Duration::from_secs(20));
        assert_eq!(plan.family, crate::dns::Family::V4);
        assert_eq!(
            module.ignore,
            [
                FindingId::parse("dns.ptr_missing").unwrap(),
                FindingId::parse("starttls.missing").unwrap()
            ]
        );
        let (plan, module) = m.plan(None, "smtp.example.com").unwrap();
        assert_eq!(plan.ports.len(), 3);
        assert!(module.ignore.is_empty());
    }

    #[test]
    fn bad_modules_fail_at_start_with_the_module_and_the_reason() {
        let cases: &[(&str, &str)] = &[
            ("[modules.a]\nport = [25]\n", "unknown field `port`"),
            ("[modules.a]\nports = []\n", "module \"a\": ports is empty"),
            ("[modules.a]\nports = [0]\n", "module \"a\""),
            (
                "[modules.a]\nsecurity = \"maybe\"\n",
                "module \"a\": invalid value 'maybe'",
            ),
            (
                "[modules.a]\ntimeout = \"soon\"\n",
                "\"soon\" is not a duration",
            ),
            ("[modules.a]\nfamily = \"ipv5\"\n", "family \"ipv5\""),
            (
                "[modules.a]\nignore = [\"cert.old\"]\n",
                "\"cert.old\", which is no finding id",
            ),
            (
                "[modules.a]\nprovider = \"nope\"\n",
                "unknown provider \"nope\"",
            ),
            (
                "[modules.a]\nca_file = \"/nonexistent/ca.pem\"\n",
                "/nonexistent/ca.pem",
            ),
            ("[modules.a]\nhost = true\ninbound = true\n", "module \"a\""),
            ("modules = 3\n", "modules.toml:1:11"),
        ];
        for (toml, expected) in cases {
            let e = modules(toml).unwrap_err().to_string();
            assert!(e.contains(expected), "{toml:?}: {e}");
        }
    }

    #[test]
    fn requests_name_a_known_module_and_a_usable_target() {
        let m = modules("[modules.mx]\ninbound = true\n").unwrap();
        let e = m.plan(Some("nope"), "example.com").unwrap_err();
        assert!(
            e.contains("unknown module \"nope\"") && e.contains("default, mx"),
            "{e}"
        );
        let e = m.plan(None, "").unwrap_err();
        assert!(e.contains("no target"), "{e}");
        let e = m
            .plan(None, "smtp://alice@smtp.example.com:587")
            .unwrap_err();
        assert!(e.contains("never logs in"), "{e}");
        let e = m.plan(None, &"a".repeat(2000)).unwrap_err();
        assert!(e.contains("longer than 1024"), "{e}");
        let e = m.plan(Some("mx"), "smtp.example.com:25").unwrap_err();
        assert!(e.contains("--inbound needs a mail domain"), "{e}");
        assert!(m.plan(None, "bad host!").is_err());
        // Flags in the target are a target, never flags.
        assert!(m.plan(None, "--inbound").is_err());
    }
}
