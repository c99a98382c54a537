//! The loop every offline command shares: arguments (and `-` for standard input), one result
//! per input, exit code 0 / 1 / 2.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

/// What checking one input found, from best to worst.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Checked {
    Valid,
    Invalid,
    /// The input could not even be read (a missing file): a usage error.
    Unreadable,
}

/// Runs `check` on every argument, and on every non-empty line of standard input for `-`,
/// numbering inputs from 1. Exit code: 0 when all are valid, 1 when any is invalid, 2 when any
/// was unreadable or output failed.
pub(crate) fn for_each_input(
    args: &[String],
    mut check: impl FnMut(usize, &str, &mut dyn Write) -> io::Result<Checked>,
) -> ExitCode {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut index = 0usize;
    let mut worst = Checked::Valid;
    let mut run = |input: &str, out: &mut dyn Write| -> io::Result<()> {
        index += 1;
        worst = worst.max(check(index, input, out)?);
        Ok(())
    };
    let outcome = (|| -> io::Result<()> {
        for arg in args {
            if arg == "-" {
                for line in io::stdin().lock().lines() {
                    let line = line?;
                    if !line.trim().is_empty() {
                        run(&line, &mut out)?;
                    }
                }
            } else {
                run(arg, &mut out)?;
            }
        }
        out.flush()
    })();
    match outcome {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idcheck: {e}");
            ExitCode::from(2)
        }
        Ok(()) => match worst {
            Checked::Valid => ExitCode::SUCCESS,
            Checked::Invalid => ExitCode::from(1),
            Checked::Unreadable => ExitCode::from(2),
        },
    }
}

/// [`for_each_input`] for commands whose check is a parse: writes each result as a JSON line or
/// as text, and counts it valid when it parsed.
pub(crate) fn for_each_parsed<T, E>(
    args: &[String],
    json: bool,
    parse: impl Fn(&str) -> Result<T, E>,
    write_json: impl Fn(&mut dyn Write, usize, &Result<T, E>) -> io::Result<()>,
    write_human: impl Fn(&mut dyn Write, usize, &Result<T, E>) -> io::Result<()>,
) -> ExitCode {
    for_each_input(args, |index, input, out| {
        let result = parse(input);
        if json {
            write_json(out, index, &result)?;
        } else {
            write_human(out, index, &result)?;
        }
        Ok(if result.is_ok() {
            Checked::Valid
        } else {
            Checked::Invalid
        })
    })
}

/// Writes one JSON object and a newline.
pub(crate) fn write_json_line(
    out: &mut dyn Write,
    value: &impl serde::Serialize,
) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)
}
