//! `smtp-doctor`: parse the command line, build the plan, run the command's pipeline, render
//! its outcome, exit with 0 (healthy), 1 (at least one error finding) or 2 (could not run);
//! `check --format nagios` exits with the Nagios plugin codes instead (0 OK, 1 WARNING,
//! 2 CRITICAL, 3 UNKNOWN).

use std::fmt::Display;
use std::io::{self, IsTerminal, Write};
use std::ops::ControlFlow;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

use smtp_doctor::cli::{
    CheckArgs, Cli, Command, ExplainArgs, Output, PortsArgs, ProvidersArgs, ServeArgs, UsageError,
};
use smtp_doctor::report;
use smtp_doctor::report::check::batch::{Row, Verdict};
use smtp_doctor::report::live::{BatchProgress, Live};
use smtp_doctor::run;
use smtp_doctor::run::outcome::CheckReport;
use smtp_doctor::verdict::Severity;
use smtp_doctor::verdict::monitor::{self, Thresholds};

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
        Err(e) => {
            let args: Vec<String> = std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            if smtp_doctor::cli::nagios_requested(&args) {
                return nagios_unknown(&usage_text(&clap_message(&e)));
            }
            return usage_failure(&clap_message(&e));
        }
    };
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Providers(args) => providers(&args),
        Command::Ports(args) => ports(&args),
        Command::Explain(args) => explain(&args),
        Command::Serve(args) => serve(&args),
        Command::Completions(args) => emit(ExitCode::SUCCESS, |out, _| {
            clap_complete::generate(args.shell, &mut Cli::command(), "smtp-doctor", out);
            Ok(())
        }),
        Command::Man => emit(ExitCode::SUCCESS, |out, _| {
            clap_mangen::Man::new(Cli::command()).render(out)
        }),
    }
}

/// `smtp-doctor check`: 1 when a finding is an error, 0 otherwise; with `--format nagios` the
/// Nagios status's code, and 3 (UNKNOWN) when the check could not run.
fn check(args: &CheckArgs) -> ExitCode {
    let failed = |e: &UsageError| {
        if args.nagios() {
            nagios_unknown(&match e {
                UsageError::Setup(message) => message.clone(),
                other => usage_text(&other.to_string()),
            })
        } else {
            plan_failure(e)
        }
    };
    let output = match args.output() {
        Ok(output) => output,
        Err(e) => return failed(&e),
    };
    if args.file.is_some() {
        return batch(args, output);
    }
    let mut plan = match args.plan() {
        Ok(plan) => plan,
        Err(e) => return failed(&e),
    };
    let live = Live::start(!args.quiet);
    plan.options.watch = live.as_ref().map(Live::watcher);
    let report = run_pipeline(run::check::run(&plan));
    if let Some(live) = live {
        live.finish();
    }
    let report = match report {
        Ok(report) => report,
        Err(message) if args.nagios() => return nagios_unknown(&message),
        Err(message) => return setup_failure(&message),
    };
    if let Output::Nagios {
        warn_days,
        crit_days,
    } = output
    {
        let thresholds = Thresholds {
            warn_days: i64::from(warn_days),
            crit_days: i64::from(crit_days),
        };
        let assessment = monitor::nagios_status(&report.observations, &report.findings, thresholds);
        return emit(ExitCode::from(assessment.status.exit_code()), |out, _| {
            report::check::nagios::write(&report, &assessment, out)
        });
    }
    emit(
        verdict_code(report.count(Severity::Error)),
        |out, terminal| write_check(&report, args, output, out, args.use_color(terminal)),
    )
}

/// The table (after the dialogue with `--transcript`), the JSON document or the Prometheus
/// exposition.
fn write_check(
    report: &CheckReport,
    args: &CheckArgs,
    output: Output,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    match output {
        Output::Json => report::check::json::write(report, out, args.transcript),
        Output::Prometheus => report::check::prometheus::write(report, out),
        Output::Table | Output::Nagios { .. } => {
            if args.transcript {
                report::check::transcript::write_dialogue(report, out, color)?;
                writeln!(out)?;
            }
            report::check::table::write(report, out, color)
        }
    }
}

/// `check --format nagios` could not run: `SMTP UNKNOWN - <reason>` on stdout, where Nagios
/// reads it, and exit code 3.
fn nagios_unknown(reason: &str) -> ExitCode {
    emit(
        ExitCode::from(monitor::Status::Unknown.exit_code()),
        |out, _| report::check::nagios::write_unknown(reason, out),
    )
}

/// `smtp-doctor check --file`: every line's result (NDJSON with `--json`, streamed in input
/// order; one Prometheus exposition of every target with `--format prometheus`; else a summary
/// table at the end); 1 when any line had an error finding or could not be checked, 0
/// otherwise.
fn batch(args: &CheckArgs, output: Output) -> ExitCode {
    let plan = match args.batch_plan() {
        Ok(plan) => plan,
        Err(e) => return plan_failure(&e),
    };
    let progress = BatchProgress::start(plan.items.len(), !args.quiet);
    let started = std::time::Instant::now();
    emit_with(|out, terminal| {
        let mut rows: Vec<Row> = Vec::new();
        let mut exposition = report::check::prometheus::BatchExposition::default();
        let mut failed = 0;
        let mut written: io::Result<()> = Ok(());
        let ran = block_on(run::batch::run(plan, |result| {
            let row = Row::new(&result);
            if row.verdict() == Verdict::Errors || row.verdict() == Verdict::NotChecked {
                failed += 1;
            }
            if let Some(progress) = &progress {
                progress.done(failed);
            }
            match output {
                Output::Json => {
                    written = report::check::json::write_batch_line(&result, out)
                        .and_then(|()| out.flush());
                }
                // Series only, not reports: a batch of many targets keeps little.
                Output::Prometheus => exposition.add(&result),
                Output::Table | Output::Nagios { .. } => rows.push(row),
            }
            if written.is_err() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }));
        if let Some(progress) = &progress {
            progress.finish();
        }
        if let Err(code) = ran {
            return Ok(code);
        }
        written?;
        match output {
            Output::Json => {}
            Output::Prometheus => exposition.write(out)?,
            Output::Table | Output::Nagios { .. } => {
                report::check::batch::write(
                    &rows,
                    started.elapsed(),
                    out,
                    args.use_color(terminal),
                )?;
            }
        }
        Ok(verdict_code(failed))
    })
}

/// `smtp-doctor ports`: 1 when a port is blocked, intercepted or stripped, or nothing could
/// be reached; 0 otherwise.
fn ports(args: &PortsArgs) -> ExitCode {
    let mut plan = match args.plan() {
        Ok(plan) => plan,
        Err(e) => return plan_failure(&e),
    };
    let live = Live::start(!args.quiet);
    plan.options.watch = live.as_ref().map(Live::watcher);
    let report = block_on(run::ports::run(&plan));
    if let Some(live) = live {
        live.finish();
    }
    let report = match report {
        Ok(report) => report,
        Err(code) => return code,
    };
    emit(
        verdict_code(report.count(Severity::Error)),
        |out, terminal| {
            if args.json {
                report::ports::json::write(&report, out)
            } else {
                report::ports::table::write(&report, out, args.color.enabled(terminal))
            }
        },
    )
}

/// `smtp-doctor serve`: runs until SIGINT or SIGTERM, then 0; 2 when it cannot start (a bad
/// modules file, an address it cannot listen on).
fn serve(args: &ServeArgs) -> ExitCode {
    let modules = match args.modules() {
        Ok(modules) => modules,
        Err(e) => return plan_failure(&e),
    };
    let service = match run::service::Service::new(
        &modules.ca_files(),
        usize::from(args.concurrency),
        usize::from(args.per_address),
    ) {
        Ok(service) => service,
        Err(e) => return setup_failure(&e.to_string()),
    };
    let names: Vec<String> = modules.names().map(str::to_string).collect();
    let exporter = std::sync::Arc::new(smtp_doctor::serve::Exporter::new(
        modules,
        service,
        args.timeout_offset,
        !args.quiet,
    ));
    let listen = args.listen;
    match block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
            format!("cannot listen on {listen}: {e}; choose another --listen address or port")
        })?;
        // Always said, even with --quiet: where it listens (port 0 picks one).
        let bound = listener.local_addr().map_or(listen, |a| a);
        eprintln!(
            "smtp-doctor serve: listening on http://{bound}/ (modules: {})",
            names.join(", ")
        );
        exporter
            .serve(listener)
            .await
            .map_err(|e| format!("the exporter stopped: {e}"))
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// `smtp-doctor explain [TEXT]`: 0 when something in the text was recognised, 1 when nothing
/// was, 2 when the text could not be read (empty, too long, unreadable).
fn explain(args: &ExplainArgs) -> ExitCode {
    let plan = match args.plan() {
        Ok(plan) => plan,
        Err(e) => return plan_failure(&e),
    };
    let report = run::explain::run(&plan);
    let code = if report.recognised() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    emit(code, |out, terminal| {
        if args.json {
            report::explain::json::write(&report, out)
        } else {
            report::explain::table::write(&report, out, args.color.enabled(terminal))
        }
    })
}

/// `smtp-doctor providers [ID]`: the list, or one preset in full; 2 for an unknown id.
fn providers(args: &ProvidersArgs) -> ExitCode {
    let catalog = match args.catalog() {
        Ok(catalog) => catalog,
        Err(e) => return plan_failure(&e),
    };
    let preset = match &args.id {
        None => None,
        Some(id) => match catalog.get(id) {
            Some(preset) => Some(preset),
            None => {
                return usage_failure(&format!(
                    "unknown provider {id:?}; `smtp-doctor providers` lists the known ones"
                ));
            }
        },
    };
    emit(ExitCode::SUCCESS, |out, terminal| {
        let color = args.color.enabled(terminal);
        match (preset, args.json) {
            (None, true) => report::providers::json::write_list_json(&catalog, out),
            (None, false) => report::providers::table::write_list(&catalog, out, color),
            (Some(preset), true) => report::providers::json::write_one_json(preset, out),
            (Some(preset), false) => report::providers::table::write_one(preset, out, color),
        }
    })
}

/// 1 when the outcome has an error finding, 0 otherwise.
fn verdict_code(errors: usize) -> ExitCode {
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs a command's pipeline on a runtime of its own. A pipeline that cannot start or run
/// at all is a setup failure (its exit code is the `Err`); what it diagnosed is in the `Ok`.
fn block_on<T, E: Display>(pipeline: impl Future<Output = Result<T, E>>) -> Result<T, ExitCode> {
    run_pipeline(pipeline).map_err(|message| setup_failure(&message))
}

/// [`block_on`] with the reason a pipeline could not run, for the caller to report.
fn run_pipeline<T, E: Display>(pipeline: impl Future<Output = Result<T, E>>) -> Result<T, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let result = runtime.block_on(pipeline);
    // Sockets still closing must not hold the process.
    runtime.shutdown_background();
    result.map_err(|e| e.to_string())
}

/// The one writer path of every command: writes to stdout with `write` (told whether stdout
/// is a terminal) and returns `code`, or 2 when the output cannot be written. A reader that
/// went away (`| head`) is no failure: nothing more to say, and the exit code is 0, as for
/// other tools whose output was cut short on purpose.
fn emit(code: ExitCode, write: impl FnOnce(&mut dyn Write, bool) -> io::Result<()>) -> ExitCode {
    emit_with(|out, terminal| write(out, terminal).map(|()| code))
}

/// [`emit`] for a command whose exit code is known only once its output is written (a batch
/// streams its results).
fn emit_with(write: impl FnOnce(&mut dyn Write, bool) -> io::Result<ExitCode>) -> ExitCode {
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    report::text::set_width(report::text::output_width(terminal));
    let mut out = io::BufWriter::new(stdout.lock());
    match write(&mut out, terminal).and_then(|code| out.flush().map(|()| code)) {
        Ok(code) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smtp-doctor: cannot write the output: {e}");
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

/// Bad arguments: the reason and where to read the usage (the subcommand's help when one was
/// named).
fn usage_failure(message: &str) -> ExitCode {
    eprintln!("smtp-doctor: {}", usage_text(message));
    ExitCode::from(2)
}

/// `<message> (see smtp-doctor check --help)`.
fn usage_text(message: &str) -> String {
    format!("{message} (see {} --help)", help_command())
}

/// A plan that could not be made: bad arguments get the usage hint, unusable input (a CA file
/// that cannot be read) only the reason.
fn plan_failure(error: &UsageError) -> ExitCode {
    match error {
        UsageError::Setup(message) => setup_failure(message),
        other => usage_failure(&other.to_string()),
    }
}

/// `smtp-doctor check` when the command line names a subcommand, else `smtp-doctor`.
fn help_command() -> String {
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .filter(|a| names.contains(a))
        .map_or_else(
            || "smtp-doctor".to_string(),
            |sub| format!("smtp-doctor {sub}"),
        )
}

/// The run could not start (an unusable CA file, no DNS configuration): the reason alone, no
/// usage hint, since the arguments were fine.
fn setup_failure(message: &str) -> ExitCode {
    eprintln!("smtp-doctor: {message}");
    ExitCode::from(2)
}
