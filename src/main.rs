//! `smtp-doctor`: parse the command line, run the check, print the report, exit with
//! 0 (healthy), 1 (at least one error finding) or 2 (could not run).

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use smtp_doctor::cli::{CheckArgs, Cli, Command};
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
    }
}

fn check(args: &CheckArgs) -> ExitCode {
    let plan = match args.plan() {
        Ok(plan) => plan,
        Err(e) => return usage_failure(&e.to_string()),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return usage_failure(&format!("cannot start the async runtime: {e}")),
    };
    let report = match runtime.block_on(smtp_doctor::check::run(&plan)) {
        Ok(report) => report,
        Err(e) => return usage_failure(&e.to_string()),
    };
    // Sockets still closing must not hold the process.
    runtime.shutdown_background();
    let code = if report.count(Severity::Error) > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    match print(&report, args) {
        Ok(()) => code,
        // The reader went away (`| head`): nothing more to say, keep the verdict's code.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => code,
        Err(e) => {
            eprintln!("smtp-doctor: cannot write the report: {e}");
            ExitCode::from(2)
        }
    }
}

fn print(report: &Report, args: &CheckArgs) -> io::Result<()> {
    let stdout = io::stdout();
    let color = args.use_color(stdout.is_terminal());
    let mut out = io::BufWriter::new(stdout.lock());
    if args.json {
        report::json::write(report, &mut out, args.transcript)?;
    } else {
        if args.transcript {
            report::transcript::write(report, &mut out, color)?;
            writeln!(out)?;
        }
        report::table::write(report, &mut out, color)?;
    }
    out.flush()
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
