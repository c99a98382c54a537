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

mod each_input;
mod id_command;
mod mobile_command;
mod name_command;
mod photo_command;
mod verify_command;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use idcheck::{DEFAULT_MAX_BASE64_LEN, DEFAULT_MIN_SIDE, FaceImageParser};

#[derive(Parser)]
#[command(
    name = "idcheck",
    version,
    about = "Chinese real-name verification: offline checks, and paid verification through one vendor"
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
    },
    /// Verify one person through one vendor (a paid call). Inputs are checked offline first.
    Verify {
        /// The vendor: idcardcert, checkphone, facever, idenauthen or checkone.
        #[arg(long, value_name = "ID", value_parser = clap::builder::PossibleValuesParser::new(verify_command::PROVIDERS))]
        provider: String,
        /// The ID number.
        #[arg(long, value_name = "NUMBER")]
        id: String,
        /// The name as on the ID card.
        #[arg(long)]
        name: String,
        /// The mobile number (checkphone).
        #[arg(long, value_name = "NUMBER")]
        mobile: Option<String>,
        /// The face photo: an image file, a file of base64 text, or an http(s) URL (facever).
        #[arg(long, value_name = "FILE|URL")]
        photo: Option<String>,
        /// A file holding the AppCode; without it, IDCHECK_APPCODE (or IDCHECK_APP_KEY and
        /// IDCHECK_APP_SECRET) is read. There is no flag for the code itself: it would land in
        /// shell history.
        #[arg(long, value_name = "FILE")]
        appcode_file: Option<PathBuf>,
        /// Another base URL for the vendor (a proxy, a sandbox).
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Whole-call timeout.
        #[arg(long, default_value_t = 20, value_name = "SECONDS")]
        timeout: u64,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        } => {
            let parser = FaceImageParser::new()
                .max_base64_len(max_base64_len)
                .min_side(min_side);
            photo_command::run(&photos, parser, json)
        }
        Command::Verify {
            provider,
            id,
            name,
            mobile,
            photo,
            appcode_file,
            base_url,
            timeout,
            json,
        } => verify_command::run(&verify_command::Args {
            provider,
            id,
            name,
            mobile,
            photo,
            appcode_file,
            base_url,
            timeout_secs: timeout,
            json,
        }),
    }
}
