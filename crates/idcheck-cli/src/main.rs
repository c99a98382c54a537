//! `idcheck`: what Chinese ID numbers, mobile numbers, names and face photos say by
//! themselves, offline.
//!
//! `idcheck id 11010519491231002X` prints validity, kind, birthday, age, sex and region;
//! `idcheck mobile`, `idcheck name` and `idcheck photo` do the same for the other inputs the
//! vendors take. `--json` prints one JSON object per input; `-` reads inputs from standard input,
//! one per line. Exit code 0 when every input is valid, 1 when any is invalid, 2 on usage errors
//! (including an unreadable photo file). Personal data is only ever printed masked.
//!
//! `idcheck verify --provider idcardcert --id … --name …` makes one paid verification (the
//! AppCode from `IDCHECK_APPCODE` or `--appcode-file`); exit code 0 match, 1 mismatch or
//! unverifiable, 2 usage or input error (nothing was sent, or the vendor refused an input),
//! 3 service error.
//!
//! `idcheck batch people.csv [--dry-run]` checks a whole file offline, then verifies each
//! distinct valid row once through the ledger of paid calls, so no re-run or other process pays
//! twice; `idcheck ledger` inspects that ledger; `idcheck serve` offers all of it over HTTP;
//! `idcheck sandbox` serves the five vendors and the gateway on loopback to try it for free.

/// `eprintln!` that never panics: a closed standard error (`2>&1 | head`, a log collector
/// gone) is no reason to stop a run that is spending money, nor to leave its calls unresolved.
macro_rules! stderr_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod batch_command;
mod each_input;
mod id_command;
mod ledger_command;
mod mobile_command;
mod name_command;
mod photo_command;
mod sandbox_command;
mod serve_command;
mod verify_command;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};
use idcheck::provider::{Check, Price};
use idcheck::{DEFAULT_MAX_BASE64_LEN, DEFAULT_MIN_SIDE, FaceImageParser};

#[derive(Parser)]
#[command(
    name = "idcheck",
    version,
    about = "Chinese real-name verification: free offline checks of ID numbers, mobiles, names and photos; paid verification through five vendors with fallback, for one person, a file of people or a service, each person paid for once"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Doc comments here are `--help` text, where backticks would print as they are.
#[allow(clippy::doc_markdown)]
#[derive(Subcommand)]
enum Command {
    /// Check ID numbers offline and print what each says by itself.
    Id {
        /// ID numbers; `-` reads more from standard input, one per line.
        #[arg(required = true, value_name = "NUMBER")]
        numbers: Vec<String>,
        /// Also reject address codes not in the table and births after the code was abolished.
        #[arg(long)]
        strict: bool,
        /// One JSON object per number, one per line.
        #[arg(long)]
        json: bool,
    },
    /// Check mainland mobile numbers offline: segment, original carrier, kind.
    Mobile {
        /// Mobile numbers (`+86`, spaces and hyphens allowed); `-` reads more from standard input.
        #[arg(required = true, value_name = "NUMBER")]
        numbers: Vec<String>,
        /// Accept data cards (145, 147, 149), which vendors usually cannot verify.
        #[arg(long)]
        accept_data_cards: bool,
        /// One JSON object per number, one per line.
        #[arg(long)]
        json: bool,
    },
    /// Check names against the rules the vendors enforce.
    Name {
        /// Names; `-` reads more from standard input, one per line.
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
        /// One JSON object per name, one per line.
        #[arg(long)]
        json: bool,
    },
    /// Check face photos (JPEG/PNG/BMP files, base64 text files, or http(s) URLs) before paying
    /// for a face verification.
    Photo {
        /// Image files, files of base64 text, or URLs; `-` reads more from standard input.
        #[arg(required = true, value_name = "FILE|URL")]
        photos: Vec<String>,
        /// The vendor's limit on the base64 text, in bytes.
        #[arg(long, default_value_t = DEFAULT_MAX_BASE64_LEN, value_name = "BYTES")]
        max_base64_len: usize,
        /// Warn below this width or height, in pixels.
        #[arg(long, default_value_t = DEFAULT_MIN_SIDE, value_name = "PIXELS")]
        min_side: u32,
        /// One JSON object per photo, one per line.
        #[arg(long)]
        json: bool,
        /// Make one image file fit and write it to OUT: re-encoded as a JPEG at the highest
        /// quality from 90 down to 70 that fits, else made smaller (aspect ratio kept, never
        /// below --min-side); copied unchanged if it already fits. Never overwrites the input.
        #[arg(long, value_name = "OUT.jpg")]
        fit: Option<PathBuf>,
    },
    /// Verify one person (a paid call) through one or more vendors in order, on the ledger of
    /// paid calls: an answer it holds is reused, not paid for again. Inputs are checked
    /// offline first.
    Verify {
        /// Vendors to ask, in order, comma-separated (idcardcert, checkphone, facever,
        /// idenauthen, checkone): the next is asked only when the answer is "unverifiable" or
        /// an error that was not billed.
        #[arg(long, required = true, value_delimiter = ',', value_name = "ID,...", value_parser = clap::builder::PossibleValuesParser::new(verify_command::PROVIDERS))]
        provider: Vec<String>,
        /// Ask the cheapest vendor first (prices from --price).
        #[arg(long)]
        by_price: bool,
        /// Price of one vendor's call, e.g. checkone=0.05 (repeatable), for the cost.
        #[arg(long = "price", value_name = "ID=YUAN", value_parser = parse_vendor_price)]
        prices: Vec<(String, Price)>,
        /// What to verify (default: what the first vendor verifies).
        #[arg(long, value_enum)]
        check: Option<CheckArg>,
        /// The ID number.
        #[arg(long, value_name = "NUMBER")]
        id: String,
        /// The name as on the ID card.
        #[arg(long)]
        name: String,
        /// The mobile number (mobile checks: checkphone).
        #[arg(long, value_name = "NUMBER")]
        mobile: Option<String>,
        /// The face photo: an image file, a file of base64 text, or an http(s) URL (face
        /// checks: facever).
        #[arg(long, value_name = "FILE|URL")]
        photo: Option<String>,
        #[command(flatten)]
        ledger: LedgerArgs,
        /// Do not reuse an answer the ledger holds: pay for a fresh one.
        #[arg(long)]
        fresh: bool,
        /// Print the inputs as given, and the birthday and age the vendor returned, instead
        /// of masking them (the output may be stored: masked, it never rebuilds a number).
        #[arg(long)]
        unmasked: bool,
        #[command(flatten)]
        credentials: CredentialArgs,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Verify a CSV file of people: every row checked offline first (rejects are free), then
    /// each distinct valid row sent once through the ledger of paid calls, so no re-run, no
    /// other file and no other process sharing the ledger pays twice for one person.
    Batch {
        /// The file of people: a workbook (.xlsx, .xlsm, .xlsb, .xls, .ods) or CSV (UTF-8,
        /// UTF-16 or GB18030/GBK, as Excel saves it); a header row; columns `id`, `name`,
        /// `mobile`, `photo` by default.
        file: PathBuf,
        /// The workbook's sheet to read, by name or number (1 for the first; the default).
        #[arg(long, value_name = "NAME|N")]
        sheet: Option<idcheck_batch::SheetChoice>,
        /// Vendors to ask, in order, comma-separated: the next is asked only when the answer is
        /// "unverifiable" or an error that was not billed.
        #[arg(long, value_delimiter = ',', value_name = "ID,...", value_parser = clap::builder::PossibleValuesParser::new(verify_command::PROVIDERS))]
        provider: Vec<String>,
        /// Ask the cheapest vendor first (prices from --price / --unit-price).
        #[arg(long)]
        by_price: bool,
        /// What to verify: identity (ID + name), mobile (+ mobile column), face (+ photo column).
        #[arg(long, value_enum, default_value_t = CheckArg::Identity)]
        check: CheckArg,
        /// Price of one call in yuan (e.g. 0.07), for the summary and the cost.
        #[arg(long, value_name = "YUAN", value_parser = parse_yuan)]
        unit_price: Option<Price>,
        /// Price of one vendor's call, e.g. checkone=0.05 (repeatable).
        #[arg(long = "price", value_name = "ID=YUAN", value_parser = parse_vendor_price)]
        prices: Vec<(String, Price)>,
        /// Stop after the offline phase: nothing is sent, no credentials needed.
        #[arg(long)]
        dry_run: bool,
        /// Where to write the results (default: standard output); a name ending in .xlsx
        /// writes a workbook.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Results as CSV or JSON Lines.
        #[arg(long, value_enum, default_value_t = batch_command::Format::Csv)]
        format: batch_command::Format,
        /// Write the inputs as given instead of masked.
        #[arg(long)]
        unmasked: bool,
        #[command(flatten)]
        ledger: LedgerArgs,
        /// Do not reuse answers the ledger holds: pay for fresh ones.
        #[arg(long)]
        fresh: bool,
        /// Calls in flight at once (1 or more).
        #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        concurrency: u16,
        /// Calls started per second at most (the gateway throttles), 0.01 to 100000; 0 for no
        /// limit.
        #[arg(long, default_value_t = 20.0, value_name = "PER_SECOND", value_parser = parse_rate)]
        rate: f64,
        /// The gateway's calls-per-second limit for your AppCode: calls start at most N in
        /// any one-second window, shared through the ledger by every batch and service on it.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
        qps: Option<u32>,
        /// The ID number column's header.
        #[arg(long, value_name = "HEADER")]
        id_column: Option<String>,
        /// The name column's header.
        #[arg(long, value_name = "HEADER")]
        name_column: Option<String>,
        /// The mobile column's header.
        #[arg(long, value_name = "HEADER")]
        mobile_column: Option<String>,
        /// The photo column's header (file paths relative to the CSV, or URLs).
        #[arg(long, value_name = "HEADER")]
        photo_column: Option<String>,
        /// The character between cells: "," ";" "tab" or "|" (default: whichever of comma,
        /// semicolon and tab the header row has most).
        #[arg(long, value_name = "CHAR")]
        delimiter: Option<idcheck_batch::Delimiter>,
        /// Send again the calls the ledger holds as unresolved (sent, no answer seen: they may
        /// have been billed), each to the same vendor.
        #[arg(long)]
        resend_unresolved: bool,
        /// Without a terminal, print a progress line every N answers (and, for a face check,
        /// every N rows read while its photos are read).
        #[arg(long, default_value_t = 100, value_name = "N")]
        progress_every: usize,
        /// Re-encode photo files over the vendor's limit as JPEGs that fit (downscaled and
        /// recompressed only as far as needed) instead of rejecting their rows.
        #[arg(long)]
        fit_photos: bool,
        #[command(flatten)]
        credentials: CredentialArgs,
    },
    /// The ledger of paid calls: stats, unresolved calls, resolving them, purging, reports.
    Ledger {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// JSON lines instead of text.
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        action: ledger_command::Action,
    },
    /// Print a shell completion script: `idcheck completions bash > /etc/bash_completion.d/idcheck`
    /// (or zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (idcheck.1 and one per command) into a directory, or print
    /// idcheck.1 without one: `idcheck man DIR && man DIR/idcheck.1`.
    Man {
        /// Where to write the pages (created if missing).
        dir: Option<PathBuf>,
    },
    /// Serve the five vendors and the gateway on loopback, answering from a registry of
    /// synthetic people: try `verify` and `batch` with `--base-url` without paying.
    Sandbox(sandbox_command::Args),
    /// Serve verification over HTTP for callers in any language: /v1/validate (free),
    /// /v1/verify (paid, every call recorded once in the ledger), /healthz, /readyz,
    /// /metrics, /openapi.json. Replicas on one PostgreSQL ledger share answers, budgets and
    /// the QPS limit.
    Serve {
        /// Settings in TOML (the same names as the flags; flags win).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Address to listen on (default 127.0.0.1:8800; port 0 for any free port).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Vendors to ask, in order, comma-separated.
        #[arg(long, value_delimiter = ',', value_name = "ID,...", value_parser = clap::builder::PossibleValuesParser::new(verify_command::PROVIDERS))]
        provider: Vec<String>,
        /// Ask the cheapest vendor first (prices from --price).
        #[arg(long)]
        by_price: bool,
        /// Price of one vendor's call, e.g. checkone=0.05 (repeatable; needed for budgets).
        #[arg(long = "price", value_name = "ID=YUAN", value_parser = parse_vendor_price)]
        prices: Vec<(String, Price)>,
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The clients file (TOML [[client]] entries with token_sha256).
        #[arg(long, value_name = "FILE")]
        clients: Option<PathBuf>,
        /// The gateway's calls-per-second limit: calls start at most N in any one-second
        /// window, shared by every replica (and batch) on the ledger.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
        qps: Option<u32>,
        /// Where clients' budget days start: a UTC offset such as +08:00 (the default: the
        /// vendors' day in China) or UTC.
        #[arg(long, value_name = "OFFSET", value_parser = parse_utc_offset)]
        budget_day_offset: Option<i32>,
        /// Seconds a client has to send a request's headers.
        #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
        header_timeout: Option<u64>,
        /// Seconds a request may take end to end (a paid call past it is still recorded).
        #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
        deadline: Option<u64>,
        /// Seconds a client has to send a request's body once its headers are in.
        #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
        body_timeout: Option<u64>,
        /// Connections open at once.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        max_connections: Option<u64>,
        /// Connections open at once from one client address (default 64; 0: no cap). Behind
        /// a reverse proxy all clients share its address: raise this, or cap at the proxy.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
        max_connections_per_address: Option<u64>,
        /// Fit a face photo over the vendor's limit when a request asks (`"fit_photo": true`)
        /// instead of refusing it; /v1/verify bodies may then be up to 12 MiB.
        #[arg(long)]
        fit_photos: bool,
        /// Print a new client's token (once) and its clients-file entry, then exit.
        #[arg(long, value_name = "NAME")]
        new_client: Option<String>,
        #[command(flatten)]
        credentials: CredentialArgs,
    },
}

/// Where the ledger of paid calls is.
#[allow(clippy::doc_markdown)]
#[derive(clap::Args)]
struct LedgerArgs {
    /// The ledger: a SQLite file (default: idcheck/ledger.sqlite in the user's data
    /// directory), `postgres://…`, or `memory`; IDCHECK_LEDGER when not given. Its key is
    /// IDCHECK_LEDGER_KEY, or the key file in the user's config directory.
    #[arg(long = "ledger", value_name = "PATH|URL", global = true)]
    location: Option<String>,
}

/// `idcheck man [DIR]`: the manual pages, from the same definitions as `--help`.
fn manual(dir: Option<&std::path::Path>) -> ExitCode {
    let command = Cli::command();
    let written = match dir {
        Some(dir) => std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(command, dir))
            .map(|()| eprintln!("idcheck man: pages written to {}", dir.display())),
        None => clap_mangen::Man::new(command).render(&mut std::io::stdout()),
    };
    match written {
        // `idcheck man | head`: the reader had enough.
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idcheck man: {e}");
            ExitCode::from(2)
        }
    }
}

/// A UTC offset: `UTC`, `Z`, or `+HH:MM` / `-HH:MM` (`+08:00` is China's, with no daylight
/// saving), in seconds east of UTC.
pub(crate) fn parse_utc_offset(text: &str) -> Result<i32, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("utc") || text == "Z" {
        return Ok(0);
    }
    let bad = || format!("{text:?}: give a UTC offset such as +08:00, -05:00 or UTC");
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'+') => (1, &text[1..]),
        Some(b'-') => (-1, &text[1..]),
        _ => return Err(bad()),
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "0"));
    let hours: i32 = hours.parse().map_err(|_| bad())?;
    let minutes: i32 = minutes.parse().map_err(|_| bad())?;
    if !(0..=14).contains(&hours) || !(0..60).contains(&minutes) {
        return Err(bad());
    }
    Ok(sign * (hours * 3600 + minutes * 60))
}

/// `--rate`: 0 (no limit), or 0.01 to 100,000 calls a second.
fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of calls per second"))?;
    if rate == 0.0 || (0.01..=100_000.0).contains(&rate) {
        Ok(rate)
    } else {
        Err("give 0 for no limit, or 0.01 to 100000 calls per second".to_owned())
    }
}

/// Where the AppCode and the vendor are.
#[allow(clippy::doc_markdown)]
#[derive(clap::Args)]
struct CredentialArgs {
    /// A file holding the AppCode; without it, IDCHECK_APPCODE (or IDCHECK_APP_KEY and
    /// IDCHECK_APP_SECRET) is read. There is no flag for the code itself: it would land in
    /// shell history.
    #[arg(long, value_name = "FILE")]
    appcode_file: Option<PathBuf>,
    /// Another base URL for the vendors (a proxy, a sandbox).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Whole-call timeout, 1 to 600 seconds (a call that times out may have been billed).
    #[arg(long, default_value_t = 20, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: u64,
}

impl CredentialArgs {
    fn into_credentials(self) -> verify_command::Credentials {
        verify_command::Credentials {
            appcode_file: self.appcode_file,
            base_url: self.base_url,
            timeout_secs: self.timeout,
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CheckArg {
    Identity,
    Mobile,
    Face,
}

impl From<CheckArg> for Check {
    fn from(check: CheckArg) -> Self {
        match check {
            CheckArg::Identity => Check::Identity,
            CheckArg::Mobile => Check::Mobile,
            CheckArg::Face => Check::Face,
        }
    }
}

/// `0.07` → 70 thousandths of a yuan; at most three decimals.
fn parse_yuan(text: &str) -> Result<Price, String> {
    let invalid = || format!("{text:?} is not a price in yuan like 0.07");
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty() && fraction.is_empty()
        || fraction.len() > 3
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(invalid());
    }
    let whole: u32 = if whole.is_empty() {
        Ok(0)
    } else {
        whole.parse()
    }
    .map_err(|_| invalid())?;
    let fraction: u32 = format!("{fraction:0<3}").parse().map_err(|_| invalid())?;
    whole
        .checked_mul(1000)
        .and_then(|w| w.checked_add(fraction))
        .map(Price::from_milli_yuan)
        .ok_or_else(invalid)
}

fn parse_vendor_price(text: &str) -> Result<(String, Price), String> {
    let (id, price) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: expected ID=YUAN, e.g. checkone=0.05"))?;
    if !verify_command::PROVIDERS.contains(&id) {
        return Err(format!("unknown provider {id:?}"));
    }
    Ok((id.to_owned(), parse_yuan(price)?))
}

/// Logs to standard error, filtered by `RUST_LOG` (`warn` by default; `info` for `serve`,
/// as JSON lines). Nothing idcheck logs holds an input unmasked.
fn install_logging(serve: bool) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter: tracing_subscriber::filter::Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| {
            let level = if serve {
                tracing::Level::INFO
            } else {
                tracing::Level::WARN
            };
            tracing_subscriber::filter::Targets::new().with_default(level)
        });
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if serve {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .log_internal_errors(false)
                    .with_writer(std::io::stderr),
            )
            .try_init()
    } else {
        registry
            // A log line that cannot be written is dropped: reporting it would panic on a
            // closed standard error, in the middle of paid calls.
            .with(
                tracing_subscriber::fmt::layer()
                    .log_internal_errors(false)
                    .with_writer(std::io::stderr),
            )
            .try_init()
    };
}

// One arm per subcommand, each only moving flags into its module's arguments.
/// A panic says where, never its message: a message can hold the input it choked on (an ID
/// number, a name). A workbook reader's panic is turned into "damaged" by the batch and needs
/// no report of its own.
fn install_panic_report() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if location.contains("/calamine-") {
            return;
        }
        stderr_line!(
            "idcheck: internal error at {location} (its message is not shown: it may hold personal data); please report it"
        );
    }));
}

#[allow(clippy::too_many_lines)]
fn main() -> ExitCode {
    install_panic_report();
    let cli = Cli::parse();
    install_logging(matches!(cli.command, Command::Serve { .. }));
    match cli.command {
        Command::Id {
            numbers,
            strict,
            json,
        } => id_command::run(&numbers, strict, json),
        Command::Mobile {
            numbers,
            accept_data_cards,
            json,
        } => mobile_command::run(&numbers, accept_data_cards, json),
        Command::Name { names, json } => name_command::run(&names, json),
        Command::Photo {
            photos,
            max_base64_len,
            min_side,
            json,
            fit,
        } => {
            let parser = FaceImageParser::new()
                .max_base64_len(max_base64_len)
                .min_side(min_side);
            match fit {
                Some(output) => photo_command::fit(&photos, &output, parser, json),
                None => photo_command::run(&photos, parser, json),
            }
        }
        Command::Verify {
            provider,
            by_price,
            prices,
            check,
            id,
            name,
            mobile,
            photo,
            ledger,
            fresh,
            unmasked,
            credentials,
            json,
        } => verify_command::run(&verify_command::Args {
            providers: provider,
            by_price,
            prices,
            check: check.map(Check::from),
            id,
            name,
            mobile,
            photo,
            credentials: credentials.into_credentials(),
            ledger: ledger.location,
            fresh,
            unmasked,
            json,
        }),
        Command::Batch {
            file,
            sheet,
            provider,
            by_price,
            check,
            unit_price,
            prices,
            dry_run,
            output,
            format,
            unmasked,
            ledger,
            fresh,
            concurrency,
            rate,
            qps,
            id_column,
            name_column,
            mobile_column,
            photo_column,
            delimiter,
            resend_unresolved,
            progress_every,
            fit_photos,
            credentials,
        } => batch_command::run(&batch_command::Args {
            file,
            check: check.into(),
            providers: provider,
            by_price,
            unit_price,
            prices,
            dry_run,
            output,
            format,
            unmasked,
            ledger: ledger.location,
            fresh,
            concurrency: usize::from(concurrency),
            rate,
            qps,
            columns: idcheck_batch::ColumnNames {
                id: id_column,
                name: name_column,
                mobile: mobile_column,
                photo: photo_column,
                delimiter,
            },
            credentials: credentials.into_credentials(),
            resend_unresolved,
            progress_every,
            fit_photos,
            sheet,
        }),
        Command::Ledger {
            ledger,
            json,
            action,
        } => ledger_command::run(ledger.location.as_deref(), &action, json),
        Command::Sandbox(args) => sandbox_command::run(args),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "idcheck", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Man { dir } => manual(dir.as_deref()),
        Command::Serve {
            config,
            listen,
            provider,
            by_price,
            prices,
            ledger,
            clients,
            qps,
            budget_day_offset,
            header_timeout,
            body_timeout,
            deadline,
            max_connections,
            max_connections_per_address,
            fit_photos,
            new_client,
            credentials,
        } => serve_command::run(serve_command::Args {
            config,
            listen,
            providers: provider,
            by_price,
            prices,
            ledger: ledger.location,
            clients,
            qps,
            budget_day_offset,
            header_timeout,
            body_timeout,
            deadline,
            max_connections: max_connections.and_then(|n| usize::try_from(n).ok()),
            max_connections_per_address: max_connections_per_address
                .and_then(|n| usize::try_from(n).ok()),
            fit_photos,
            new_client,
            credentials: credentials.into_credentials(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn prices_in_yuan() {
        for (text, milli) in [
            ("0.07", 70),
            ("1", 1000),
            ("1.5", 1500),
            (".05", 50),
            ("0.125", 125),
        ] {
            assert_eq!(
                parse_yuan(text),
                Ok(Price::from_milli_yuan(milli)),
                "{text}"
            );
        }
        for bad in ["", "-1", "0.0001", "abc", "1.2.3", "99999999"] {
            assert!(parse_yuan(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_vendor_price("checkone=0.05"),
            Ok(("checkone".to_owned(), Price::from_milli_yuan(50)))
        );
        assert!(parse_vendor_price("nobody=0.05").is_err());
    }

    #[test]
    fn utc_offsets_for_budget_days() {
        for (text, seconds) in [
            ("+08:00", 8 * 3600),
            ("UTC", 0),
            ("Z", 0),
            ("-05:30", -(5 * 3600 + 1800)),
            ("+14", 14 * 3600),
        ] {
            assert_eq!(parse_utc_offset(text), Ok(seconds), "{text}");
        }
        for bad in ["", "8", "+15:00", "+08:60", "Asia/Shanghai", "+-1", "+"] {
            let error = parse_utc_offset(bad).unwrap_err();
            assert!(error.contains("+08:00"), "{bad}: {error}");
        }
    }

    proptest! {
        #[test]
        fn any_price_text_parses_or_errs_without_panic(text in "\\PC{0,12}") {
            let _ = parse_yuan(&text);
            let _ = parse_vendor_price(&text);
            let _ = parse_utc_offset(&text);
        }
    }
}
