//! `tradesense-local`: runs the whole platform locally (`make run`), or rotates a signing key.
//!
//! ```text
//! tradesense-local                               # run; PORT (3000), MOTO_PORT (4566), DEMO_PASSWORD
//! tradesense-local rotate-signing-key STACK      # <STACK>/signing-key and <STACK>/verify-keys, against
//!                                                # AWS_ENDPOINT_URL, or real AWS when unset
//! tradesense-local import-candles INSTRUMENT CSV # daily OHLCV into TABLE_NAME (same endpoint rules)
//! tradesense-local openapi                       # writes docs/openapi.json from every area's fragment
//! ```

use std::net::SocketAddr;

use anyhow::Context as _;
use tradesense_adapters::config::{AwsSettings, process_env};
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::daily_history::DynamoDailyHistory;
use tradesense_adapters::{AwsClients, telemetry};

use tradesense_local::{LocalOptions, LocalStack, provision, seed};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] | ["run"] => run().await,
        ["rotate-signing-key", stack] => {
            let aws = AwsClients::load(&AwsSettings::from_vars(&process_env)?).await;
            let (signing, verify) = (format!("{stack}/signing-key"), format!("{stack}/verify-keys"));
            let kid = provision::rotate_signing_key(&aws, &signing, &verify).await?;
            say(&format!(
                "new signing key {kid} is AWSCURRENT; the previous key stays valid as AWSPREVIOUS"
            ));
            Ok(())
        }
        ["import-candles", instrument, file] => {
            let settings = AwsSettings::from_vars(&process_env)?;
            let table_name = tradesense_adapters::config::required(&process_env, "TABLE_NAME")?;
            let aws = AwsClients::load(&settings).await;
            let history = DynamoDailyHistory::new(Table::new(aws.dynamodb.clone(), table_name));
            let csv = std::fs::read_to_string(file).with_context(|| format!("read {file}"))?;
            let count = tradesense_local::import::import_daily_csv(&history, instrument, &csv).await?;
            say(&format!("imported {count} daily bars of {instrument}"));
            Ok(())
        }
        ["openapi"] => {
            let path = tradesense_local::openapi::committed_path();
            std::fs::write(&path, tradesense_local::openapi::render()?)
                .with_context(|| format!("write {}", path.display()))?;
            say(&format!("wrote {}", path.display()));
            Ok(())
        }
        _ => anyhow::bail!(
            "usage: tradesense-local [run | rotate-signing-key STACK | import-candles INSTRUMENT CSV | openapi]"
        ),
    }
}

/// Writes to stderr, ignoring a closed stream (the stack must still stop cleanly if its terminal is gone).
fn say(text: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn env_port(key: &str, default: u16) -> anyhow::Result<u16> {
    std::env::var(key).map_or(Ok(default), |v| {
        v.parse().with_context(|| format!("{key}={v} is not a port"))
    })
}

async fn run() -> anyhow::Result<()> {
    let port = env_port("PORT", 3000)?;
    let opts = LocalOptions {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        moto_port: Some(env_port("MOTO_PORT", 4566)?),
        parameters: [
            (
                "CorsAllowedOrigins".to_owned(),
                "http://localhost:5173".to_owned(),
            ),
            // `SIMULATED_CLOCK_START=2026-11-25T11:00:00+05:30 make run` trades in market hours at any time.
            (
                "SimulatedClockStart".to_owned(),
                std::env::var("SIMULATED_CLOCK_START").unwrap_or_default(),
            ),
        ]
        .into(),
        demo_password: std::env::var("DEMO_PASSWORD")
            .unwrap_or_else(|_| seed::DEFAULT_DEMO_PASSWORD.to_owned()),
        demo_history: true,
        ..LocalOptions::default()
    };
    let password = opts.demo_password.clone();
    let stack = LocalStack::start(opts).await?;
    let env_file = tradesense_local::emulator::workspace_root().join("target/local-stack.env");
    write_env_file(&stack, &env_file)?;
    let mut banner = format!(
        "\nTradeSense local stack is up\n  API:       {base}\n  Health:    curl -s {base}/v1/health\n  OpenAPI:   {base}/openapi.json\n  Stream:    {socket}?ticket=<from POST /v1/stream/ticket> (WebSocket; docs/stream.md)\n  Emulator:  {emu} (moto)\n  Lambda env for cargo lambda watch: {env}\n\nDemo users (password {password}):\n",
        base = stack.base_url,
        socket = stack.socket_url(),
        emu = stack.emulator_endpoint(),
        env = env_file.display(),
    );
    for user in &stack.demo_users {
        let role = user.roles.first().map(|r| r.as_str()).unwrap_or_default();
        banner.push_str(&format!("  {role:<7} {}\n", user.email));
    }
    banner.push_str(
        "\nWebhooks: this local stack lets endpoints be plain http://127.0.0.1:<port> (WEBHOOKS_ALLOW_LOOPBACK_HTTP,\n  which no deployment sets); anywhere else they must be https to a public address.\n",
    );
    banner.push_str(&format!(
        "\nLog in and call an admin route:\n  TOKEN=$(curl -s -X POST {base}/v1/auth/login -H 'content-type: application/json' \\\n    -d '{{\"email\":\"admin@demo.tradesense.in\",\"password\":\"{password}\"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\n  curl -s -H \"Authorization: Bearer $TOKEN\" {base}/v1/admin/health\n\nCtrl-C stops everything.\n",
        base = stack.base_url,
    ));
    say(&banner);
    shutdown_signal().await;
    say("stopping…");
    stack.stop().await;
    Ok(())
}

/// Writes every function's resolved environment (union) for `cargo lambda watch --env-file`.
fn write_env_file(stack: &LocalStack, path: &std::path::Path) -> anyhow::Result<()> {
    let mut vars: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for env in stack.environments.values() {
        vars.extend(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    vars.insert("AWS_REGION", "us-east-1");
    vars.insert("AWS_ACCESS_KEY_ID", "test");
    vars.insert("AWS_SECRET_ACCESS_KEY", "test");
    vars.insert("AWS_EC2_METADATA_DISABLED", "true");
    vars.insert("LOG_FORMAT", "text");
    let text: String = vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text).with_context(|| format!("write {}", path.display()))
}

async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
