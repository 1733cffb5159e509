//! `check --format`: which renderer writes the run, and the flags that belong to one format
//! (`--warn-days`, `--crit-days` for Nagios). `--json` stays, as `--format json`.

use clap::ValueEnum;

use super::{CheckArgs, UsageError};

/// `--warn-days` when not given.
pub const DEFAULT_WARN_DAYS: u32 = 30;
/// `--crit-days` when not given.
pub const DEFAULT_CRIT_DAYS: u32 = 14;

/// `--format` as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The table (with `--transcript`: the dialogue first).
    Table,
    /// One JSON document (schema in README), the same as `--json`.
    Json,
    /// The Prometheus text exposition format (0.0.4), for node_exporter's textfile collector.
    Prometheus,
    /// One Nagios plugin status line with performance data; exit 0 OK, 1 WARNING, 2 CRITICAL,
    /// 3 UNKNOWN.
    Nagios,
}

/// What the run is written as, with the options of that format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The table.
    Table,
    /// JSON (NDJSON with `--file`).
    Json,
    /// Prometheus text exposition.
    Prometheus,
    /// A Nagios status line; certificates at or below these days left are WARNING, CRITICAL.
    Nagios {
        /// `--warn-days`.
        warn_days: u32,
        /// `--crit-days`, less than `warn_days`.
        crit_days: u32,
    },
}

impl CheckArgs {
    /// The output format and its options, or why the flags do not fit together: `--json` with
    /// another `--format`, `--warn-days`/`--crit-days` without `--format nagios` or the wrong
    /// way round, a monitoring format with `--transcript`, Nagios with `--file`.
    pub fn output(&self) -> Result<Output, UsageError> {
        let format = match (self.json, self.format) {
            (true, Some(format)) if format != Format::Json => {
                return Err(UsageError::Other(format!(
                    "--json is --format json; give one format, not --json and --format {}",
                    format.name()
                )));
            }
            (true, _) => Format::Json,
            (false, format) => format.unwrap_or(Format::Table),
        };
        let thresholds = [
            ("--warn-days", self.warn_days),
            ("--crit-days", self.crit_days),
        ];
        if format != Format::Nagios
            && let Some((flag, _)) = thresholds.iter().find(|(_, value)| value.is_some())
        {
            return Err(UsageError::Other(format!(
                "{flag} goes with --format nagios (certificate expiry thresholds of the status line)"
            )));
        }
        if matches!(format, Format::Prometheus | Format::Nagios) {
            // A batch is one exposition (every target's series), but one Nagios status line is
            // one service's.
            let one_run = if self.file.is_some() && format == Format::Nagios {
                Some("--file")
            } else if self.transcript {
                Some("--transcript")
            } else {
                None
            };
            if let Some(flag) = one_run {
                return Err(UsageError::Other(format!(
                    "--format {} writes one run's status; it does not go with {flag} (use the table or --json)",
                    format.name()
                )));
            }
        }
        Ok(match format {
            Format::Table => Output::Table,
            Format::Json => Output::Json,
            Format::Prometheus => Output::Prometheus,
            Format::Nagios => {
                let warn_days = self.warn_days.unwrap_or(DEFAULT_WARN_DAYS);
                let crit_days = self.crit_days.unwrap_or(DEFAULT_CRIT_DAYS);
                if crit_days >= warn_days {
                    return Err(UsageError::Other(format!(
                        "--crit-days ({crit_days}) must be less than --warn-days ({warn_days})"
                    )));
                }
                Output::Nagios {
                    warn_days,
                    crit_days,
                }
            }
        })
    }

    /// Whether `--format nagios` was given (its failures are then UNKNOWN lines, exit 3).
    pub fn nagios(&self) -> bool {
        self.format == Some(Format::Nagios)
    }
}

impl Format {
    /// The name as typed.
    fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Prometheus => "prometheus",
            Format::Nagios => "nagios",
        }
    }
}

/// Whether a command line that clap could not parse asked for `check --format nagios`
/// (`--format nagios` or `--format=nagios` after `check`): its usage errors are then a Nagios
/// UNKNOWN, not the usual exit code 2.
pub fn nagios_requested<S: AsRef<str>>(args: &[S]) -> bool {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let Some(check) = args.iter().position(|a| *a == "check") else {
        return false;
    };
    let rest = &args[check + 1..];
    rest.contains(&"--format=nagios")
        || rest
            .windows(2)
            .any(|pair| pair[0] == "--format" && pair[1] == "nagios")
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn output(args: &[&str]) -> Result<Output, UsageError> {
        let mut argv = vec!["smtp-doctor", "check"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).expect("parses");
        let Command::Check(check) = cli.command else {
            panic!("not a check command");
        };
        check.output()
    }

    #[test]
    fn formats() {
        assert_eq!(output(&["h"]).unwrap(), Output::Table);
        assert_eq!(output(&["h", "--format", "table"]).unwrap(), Output::Table);
        assert_eq!(output(&["h", "--json"]).unwrap(), Output::Json);
        assert_eq!(output(&["h", "--format", "json"]).unwrap(), Output::Json);
        assert_eq!(
            output(&["h", "--json", "--format", "json"]).unwrap(),
            Output::Json
        );
        assert_eq!(
            output(&["h", "--format", "prometheus"]).unwrap(),
            Output::Prometheus
        );
        assert_eq!(
            output(&["h", "--format", "nagios"]).unwrap(),
            Output::Nagios {
                warn_days: 30,
                crit_days: 14
            }
        );
        assert_eq!(
            output(&[
                "h",
                "--format=nagios",
                "--warn-days",
                "60",
                "--crit-days",
                "0"
            ])
            .unwrap(),
            Output::Nagios {
                warn_days: 60,
                crit_days: 0
            }
        );
        assert_eq!(
            output(&["-f", "-", "--format", "json"]).unwrap(),
            Output::Json
        );
        // A batch is one exposition of every target.
        assert_eq!(
            output(&["-f", "-", "--format", "prometheus"]).unwrap(),
            Output::Prometheus
        );
    }

    #[test]
    fn formats_that_do_not_fit() {
        for (args, words) in [
            (
                &["h", "--json", "--format", "prometheus"][..],
                "--json is --format json",
            ),
            (
                &["h", "--json", "--format", "table"][..],
                "not --json and --format table",
            ),
            (
                &["h", "--warn-days", "5"][..],
                "--warn-days goes with --format nagios",
            ),
            (
                &["h", "--format", "prometheus", "--crit-days", "5"][..],
                "--crit-days goes with --format nagios",
            ),
            (
                &["h", "--format", "nagios", "--crit-days", "30"][..],
                "--crit-days (30) must be less than --warn-days (30)",
            ),
            (
                &["h", "--format", "nagios", "--warn-days", "10"][..],
                "--crit-days (14) must be less than --warn-days (10)",
            ),
            (
                &["-f", "-", "--format", "nagios"][..],
                "does not go with --file",
            ),
            (
                &["h", "--format", "prometheus", "--transcript"][..],
                "does not go with --transcript",
            ),
        ] {
            let e = output(args).unwrap_err();
            assert!(e.to_string().contains(words), "{args:?}: {e}");
        }
    }

    #[test]
    fn nagios_is_seen_in_a_command_line_clap_refused() {
        assert!(nagios_requested(&[
            "smtp-doctor",
            "check",
            "--format",
            "nagios"
        ]));
        assert!(nagios_requested(&[
            "smtp-doctor",
            "check",
            "h",
            "--format=nagios",
            "--bad"
        ]));
        assert!(!nagios_requested(&[
            "smtp-doctor",
            "check",
            "--format",
            "json"
        ]));
        assert!(!nagios_requested(&[
            "smtp-doctor",
            "ports",
            "--format",
            "nagios"
        ]));
        assert!(!nagios_requested(&[
            "smtp-doctor",
            "--format",
            "nagios",
            "check"
        ]));
        assert!(!nagios_requested::<&str>(&[]));
    }
}
