//! `smtp-doctor`: parse the command line, run the check, print the report, exit with
//! 0 (healthy), 1 (at least one error finding) or 2 (could not run).

use std::fmt::Display;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use smtp_doctor::cli::{CheckArgs, Cli, Command, PortsArgs, ProvidersArgs};
use smtp_doctor::report::{self, Report};
use smtp_doctor::verdict::Severity;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(2);
        }
        Err(e) => return usage_failure(&clap_message(&e)),
    };
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Providers(args) => providers(&args),
        Command::Ports(args) => ports(&args),
    }
}

/// `smtp-doctor ports`: 1 when a port is blocked, intercepted or stripped, or nothing could
/// be reached; 0 otherwise.
fn ports(args: &PortsArgs) -> ExitCode {
    let plan = match args.plan() {
        Ok(plan) => plan,
        Err(e) => return usage_failure(&e.to_string()),
    };
    let report = match block_on(smtp_doctor::ports::run(&plan)) {
        Ok(report) => report,
        Err(code) => return code,
    };
    print(report.count(Severity::Error) > 0, |out, terminal| {
        if args.json {
            report::ports::write_json(&report, out)
        } else {
            report::ports::write(&report, out, args.color.enabled(terminal))
        }
    })
}

fn providers(args: &ProvidersArgs) -> ExitCode {
    let catalog = match args.catalog() {
        Ok(catalog) => catalog,
        Err(e) => return usage_failure(&e.to_string()),
    };
    let stdout = io::stdout();
    let color = args.color.enabled(stdout.is_terminal());
    let mut out = io::BufWriter::new(stdout.lock());
    let written = match &args.id {
        None if args.json => report::provider::write_list_json(&catalog, &mut out),
        None => report::provider::write_list(&catalog, &mut out, color),
        Some(id) => match catalog.get(id) {
            Some(preset) if args.json => report::provider::write_one_json(preset, &mut out),
            Some(preset) => report::provider::write_one(preset, &mut out, color),
            None => {
                return usage_failure(&format!(
                    "unknown provider {id:?}; `smtp-doctor providers` lists the known ones"
                ));
            }
        },
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smtp-doctor: cannot write: {e}");
            ExitCode::from(2)
        }
    }
}

/// `smtp-doctor check`: 1 when a finding is an error, 0 otherwise.
fn check(args: &CheckArgs) -> ExitCode {
    let plan = match args.plan() {
        Ok(plan) => plan,
        Err(e) => return usage_failure(&e.to_string()),
    };
    let report = match block_on(smtp_doctor::check::run(&plan)) {
        Ok(report) => report,
        Err(code) => return code,
    };
    print(report.count(Severity::Error) > 0, |out, terminal| {
        write_check(&report, args, out, args.use_color(terminal))
    })
}

fn write_check(
    report: &Report,
    args: &CheckArgs,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    if args.json {
        report::json::write(report, out, args.transcript)
    } else {
        if args.transcript {
            report::transcript::write(report, out, color)?;
            writeln!(out)?;
        }
        report::table::write(report, out, color)
    }
}

/// Runs a command's pipeline on a runtime of its own. A pipeline that cannot start or run
/// at all is a usage failure (its exit code is the `Err`); what it diagnosed is in the `Ok`.
fn block_on<T, E: Display>(pipeline: impl Future<Output = Result<T, E>>) -> Result<T, ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| usage_failure(&format!("cannot start the async runtime: {e}")))?;
    let result = runtime.block_on(pipeline);
    // Sockets still closing must not hold the process.
    runtime.shutdown_background();
    result.map_err(|e| usage_failure(&e.to_string()))
}

/// Writes a report to stdout with `write` (told whether stdout is a terminal) and returns
/// the exit code: 1 when `failed` (an error finding), 0 otherwise, 2 when it cannot be
/// written.
fn print(failed: bool, write: impl FnOnce(&mut dyn Write, bool) -> io::Result<()>) -> ExitCode {
    let code = if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = io::BufWriter::new(stdout.lock());
    match write(&mut out, terminal).and_then(|()| out.flush()) {
        Ok(()) => code,
        // The reader went away (`| head`): nothing more to say, keep the verdict's code.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => code,
        Err(e) => {
            eprintln!("smtp-doctor: cannot write the report: {e}");
            ExitCode::from(2)
        }
    }
}

/// clap's message without its "error: " prefix and hints: one line.
fn clap_message(e: &clap::Error) -> String {
    let rendered = e.to_string();
    // The message is the first paragraph; clap's usage and hints follow a blank line.
    let paragraph: Vec<&str> = rendered
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let message = paragraph.join(" ");
    match message.strip_prefix("error: ") {
        Some(rest) => rest.to_string(),
        None if message.is_empty() => "invalid arguments".to_string(),
        None => message,
    }
}

fn usage_failure(message: &str) -> ExitCode {
    eprintln!("smtp-doctor: {message} (see smtp-doctor --help)");
    ExitCode::from(2)
}
