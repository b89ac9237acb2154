//! `huiyuan`: serve, migrate, create-admin, demo-data, audit verify, points expire, levels run.

use clap::{Parser, Subcommand};
use huiyuan_server::audit::{self, ChainCheck};
use huiyuan_server::bootstrap;
use huiyuan_server::db::{ms_to_rfc3339, now_ms, Db, DEFAULT_DATABASE_URL};
use huiyuan_server::ledger::expiry;
use huiyuan_server::ledger::writer::Writer;
use huiyuan_server::level::term_end;
use huiyuan_server::state::{AppState, ServerConfig};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "huiyuan",
    version,
    about = "会员、积分与储值系统 — Huiyuan membership server"
)]
struct Cli {
    /// sqlite://PATH (default) or postgres://USER@HOST/DB
    #[arg(long, env = "HUIYUAN_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true, hide_env_values = true)]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve the API and the client.
    Serve {
        #[arg(long, env = "HUIYUAN_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// The built client (index.html, pkg/, style/).
        #[arg(long, env = "HUIYUAN_DIST", default_value = "dist")]
        dist: PathBuf,
        /// Mark cookies Secure (serve behind HTTPS).
        #[arg(long, env = "HUIYUAN_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Seconds between points expiry runs; 0 turns the timer off.
        #[arg(long, env = "HUIYUAN_POINTS_EXPIRY_INTERVAL", default_value_t = expiry::EXPIRY_INTERVAL_SECS_DEFAULT)]
        points_expiry_interval: u64,
        /// Seconds between level term-end runs; 0 turns the timer off.
        #[arg(long, env = "HUIYUAN_LEVEL_TERM_INTERVAL", default_value_t = term_end::TERM_END_INTERVAL_SECS_DEFAULT)]
        level_term_interval: u64,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Create an administrator at HQ. The password is read from standard input.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "系统管理员")]
        display_name: String,
    },
    /// Load the demo organisation (once): HQ, a region, two stores, staff and members.
    DemoData,
    /// Audit log commands.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Points commands.
    Points {
        #[command(subcommand)]
        command: PointsCommand,
    },
    /// Membership level commands.
    Levels {
        #[command(subcommand)]
        command: LevelsCommand,
    },
}

#[derive(Subcommand)]
enum LevelsCommand {
    /// End every level term that has ended: renew, requalify or downgrade as each level
    /// says, and print how many.
    Run {
        /// Run as if it were this instant (RFC 3339) instead of now.
        #[arg(long)]
        as_of: Option<String>,
    },
}

#[derive(Subcommand)]
enum PointsCommand {
    /// Lapse every lot of points whose expiry has passed, and print what lapsed.
    Expire {
        /// Expire as if it were this instant (RFC 3339) instead of now.
        #[arg(long)]
        as_of: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain and report the first broken row.
    Verify,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HUIYUAN_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .init();
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("huiyuan: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let db = Db::connect(&cli.database_url).await?;
    db.migrate().await?;
    bootstrap::ensure_roles(&db).await?;
    match cli.command {
        Command::Serve {
            listen,
            dist,
            secure_cookies,
            points_expiry_interval,
            level_term_interval,
        } => {
            let address: SocketAddr = listen.parse().map_err(|_| {
                anyhow::anyhow!("HUIYUAN_LISTEN `{listen}` is not an address like 127.0.0.1:8080")
            })?;
            if !address.ip().is_loopback() && bootstrap::demo_password_in_use(&db).await? {
                anyhow::bail!(
                    "refusing to listen on {address}: an account still has the demo password. \
                     Change it, or listen on 127.0.0.1"
                );
            }
            if !dist.join("index.html").exists() {
                tracing::warn!(dist = %dist.display(), "no built client: build it with `cargo xtask run`");
            }
            let listener = huiyuan_server::serve::bind(&listen).await?;
            // Imports this process did not start cannot be running: one server serves a
            // database, so a job still marked running died with the last one.
            let interrupted = huiyuan_server::member::import::mark_interrupted(&db).await?;
            if interrupted > 0 {
                tracing::warn!(interrupted, "member imports interrupted by the last stop");
            }
            tracing::info!(%address, database = db.kind.name(), "serving");
            let state = AppState::new(
                db,
                ServerConfig {
                    dist_dir: dist,
                    secure_cookies,
                },
            );
            if points_expiry_interval > 0 {
                tokio::spawn(expiry::run_periodically(
                    state.db.clone(),
                    state.writer.clone(),
                    Duration::from_secs(points_expiry_interval),
                ));
            }
            if level_term_interval > 0 {
                tokio::spawn(term_end::run_periodically(
                    state.db.clone(),
                    state.writer.clone(),
                    Duration::from_secs(level_term_interval),
                ));
            }
            tokio::spawn(huiyuan_server::notify::run_periodically(
                state.db.clone(),
                Duration::from_secs(2),
            ));
            huiyuan_server::serve::run(listener, state).await?;
        }
        Command::Migrate => println!("database is up to date ({})", db.kind.name()),
        Command::CreateAdmin {
            username,
            display_name,
        } => {
            eprintln!("password for {username}:");
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            bootstrap::create_admin(&db, &username, &display_name, password).await?;
            println!("created administrator {username}");
        }
        Command::DemoData => {
            if bootstrap::load_demo_data(&db).await? {
                bootstrap::demo_shop::load(&db).await?;
                println!(
                    "demo data loaded: staff admin / manager / cashier, password {}; \
                     rules (1 point per 元, 100 points = ¥1, top-up bonus, registrations approved by HQ with 100 referral points) and 8 items",
                    bootstrap::DEMO_PASSWORD
                );
            } else {
                println!("the database already has an organisation; demo data not loaded");
            }
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => match audit::verify(&db).await? {
            ChainCheck::Intact { rows } => println!("audit chain intact: {rows} rows"),
            ChainCheck::Broken { seq, reason } => {
                println!("audit chain broken at row {seq}: {reason}");
                db.close().await;
                return Ok(ExitCode::from(2));
            }
        },
        Command::Points {
            command: PointsCommand::Expire { as_of },
        } => {
            let as_of_ms = as_of_ms(as_of)?;
            let writer = Writer::start(db.clone());
            let run = expiry::expire_due(&db, &writer, as_of_ms)
                .await
                .map_err(|error| anyhow::anyhow!("points expiry failed: {error}"))?;
            println!(
                "points expired as of {}: {} lots, {} points",
                ms_to_rfc3339(as_of_ms),
                run.lots,
                run.points
            );
        }
        Command::Levels {
            command: LevelsCommand::Run { as_of },
        } => {
            let as_of_ms = as_of_ms(as_of)?;
            let writer = Writer::start(db.clone());
            let run = term_end::run_due(&db, &writer, as_of_ms)
                .await
                .map_err(|error| anyhow::anyhow!("level term-end run failed: {error}"))?;
            println!(
                "level terms ended as of {}: {} renewed, {} downgraded",
                ms_to_rfc3339(as_of_ms),
                run.renewed,
                run.downgraded
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An `--as-of` instant in milliseconds, or now.
fn as_of_ms(as_of: Option<String>) -> anyhow::Result<i64> {
    let Some(text) = as_of else {
        return Ok(now_ms());
    };
    let at = time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            anyhow::anyhow!(
                "--as-of `{text}` is not an RFC 3339 time such as 2026-01-01T00:00:00+08:00"
            )
        })?;
    Ok((at.unix_timestamp_nanos() / 1_000_000) as i64)
}
