//! Verify people through two vendors with fallback, against the sandbox: nothing is paid.
//!
//! `cargo run --example verify_with_fallback --features full`
//!
//! Starts a sandbox in this process (the five vendors and the gateway on loopback, answering
//! from synthetic people), or uses the one at `IDCHECK_BASE_URL` (`idcheck sandbox` prints
//! it). Against the real vendors, drop `base_url` and `credentials` and set
//! `IDCHECK_APPCODE`: that is all that changes.

use idcheck::gateway::Auth;
use idcheck::provider::{Price, Request};
use idcheck::{IdNumber, Name, Verifier};
use idcheck_sandbox::{DEFAULT_APPCODE, Sandbox, SandboxConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Kept alive until the end of `main` when started here.
    let mut local = None;
    let base_url = if let Ok(url) = std::env::var("IDCHECK_BASE_URL") {
        url
    } else {
        let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0").await?;
        let url = sandbox.base_url();
        local = Some(sandbox);
        url
    };

    let verifier = Verifier::builder()
        .credentials(Auth::app_code(DEFAULT_APPCODE)?)
        .base_url(base_url)
        .vendor("idcardcert")
        .vendor("checkone") // asked only when idcardcert cannot say, or failed unbilled
        .price("idcardcert", Price::from_milli_yuan(70))
        .price("checkone", Price::from_milli_yuan(50))
        // No `.ledger(...)`: an in-memory ledger, so answers are reused within this run only.
        // `.ledger_at("ledger.sqlite")` keeps them across runs and processes.
        .build()
        .await?;

    // The sandbox's synthetic people: on record, on record under another name, not on record;
    // the first is asked twice.
    let people = [
        ("张三", "11010519491231002X"),
        ("赵六", "510107197801010041"),
        ("孙七", "330106199909090054"),
        ("张三", "11010519491231002X"),
    ];
    for (name, id) in people {
        let request = Request::identity(IdNumber::parse(id)?, Name::parse(name)?);
        let routed = verifier.route(&request).await;
        let verdict = match &routed.result {
            Ok(report) => report.verdict.to_string(),
            Err(error) => format!("error: {error}"),
        };
        let asked: Vec<_> = routed.route.tried.iter().map(|s| s.provider).collect();
        let cost = routed
            .route
            .cost
            .map_or_else(|| "unknown".to_owned(), |c| c.to_string());
        println!(
            "{} {}: {verdict}; asked {asked:?}; billed {} call(s), cost {cost}{}",
            request.id(),
            request.name(),
            routed.route.billed_calls,
            if routed.route.cached {
                " (reused from the ledger)"
            } else {
                ""
            }
        );
    }
    if let Some(sandbox) = &local {
        println!(
            "the sandbox billed {} call(s) in all",
            sandbox.billed_total()
        );
    }
    Ok(())
}
