//! `cargo xtask run | test | bench`: builds the client and the server and runs them or
//! their tests, installing on first use what a fresh machine lacks (the wasm target,
//! wasm-bindgen-cli, the end-to-end test packages and Chromium).

mod client;
mod command;
mod e2e;
mod site;
mod tools;

use anyhow::{bail, Context, Result};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> Result<()> {
    let root = site::workspace_root()?;
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("run") => run(),
        Some("test") => test(&args[1..]),
        Some("build") => client::build_all().map(|_| ()),
        Some("client") => client::build_client(&site::Site::load()?),
        Some("bench") => bench(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask run | test [--no-e2e] | build | client | bench [checkout | search | pos]"
            );
            bail!("unknown command")
        }
    }
}

/// Builds everything in release mode, loads the demo data on first start and serves.
fn run() -> Result<()> {
    let site = site::Site::load()?;
    client::build_client(&site)?;
    command::step("building the server (release)");
    command::cargo(&[
        "build",
        "--release",
        "-p",
        "huiyuan-server",
        "--bin",
        "huiyuan",
    ])?;
    let server = site::target_dir().join("release").join("huiyuan");
    command::step("preparing the database");
    command::run(std::process::Command::new(&server).arg("demo-data"))?;
    let base = format!("http://{}", site.listen);
    println!();
    println!("  会员 Huiyuan is starting on {base}");
    println!("    收银台 POS      {base}/pos     (login: cashier / demo1234)");
    println!("    会员 Member     {base}/m       (login: 13800138000 / demo1234)");
    println!("    总部 HQ         {base}/hq      (login: admin / demo1234, manager / demo1234)");
    println!("    API             {base}/api/openapi.json");
    println!("  Stop with Ctrl-C.");
    println!();
    command::run(
        std::process::Command::new(&server)
            .arg("serve")
            .env("HUIYUAN_DIST", &site.output_dir)
            .env_remove("HUIYUAN_LISTEN")
            .args(["--listen", &site.listen]),
    )
}

/// Everything CI runs.
fn test(args: &[String]) -> Result<()> {
    let with_e2e = !args.iter().any(|arg| arg == "--no-e2e");
    command::step("formatting (cargo fmt --check)");
    command::cargo(&["fmt", "--all", "--check"])?;
    command::step("lints (clippy -D warnings)");
    command::cargo(&[
        "clippy",
        "--workspace",
        "--exclude",
        "huiyuan-app",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    tools::ensure_wasm_target()?;
    command::cargo(&[
        "clippy",
        "-p",
        "huiyuan-app",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ])?;
    command::step("unit and integration tests (SQLite and PostgreSQL)");
    command::cargo(&["test", "--workspace", "--exclude", "huiyuan-app"])?;
    if with_e2e {
        let site = site::Site::load()?;
        client::build_client(&site)?;
        // `cargo test` has just built the server binary for its own command-line tests;
        // `cargo build` would build it again with another feature set (dev-dependencies
        // unify differently), which costs minutes and proves nothing more.
        let server = site::target_dir().join("debug").join("huiyuan");
        if !server.exists() {
            command::step("building the server for the end-to-end tests");
            command::cargo(&["build", "-p", "huiyuan-server", "--bin", "huiyuan"])?;
        }
        e2e::run(&site, &server)?;
    }
    println!("\nall checks passed");
    Ok(())
}

/// Benchmarks, each writing its section of docs/benchmarks.md.
fn bench(args: &[String]) -> Result<()> {
    let report = site::workspace_root()?.join("docs").join("benchmarks.md");
    let report = report.to_string_lossy();
    match args.first().map(String::as_str) {
        Some("checkout") | None => {
            command::step("benchmark: checkout on SQLite and PostgreSQL");
            command::cargo(&[
                "bench",
                "-p",
                "huiyuan-server",
                "--bench",
                "checkout",
                "--",
                &report,
            ])
        }
        Some("search") => {
            command::step(
                "benchmark: member search among 1,000,000 and import, SQLite and PostgreSQL",
            );
            command::cargo(&[
                "bench",
                "-p",
                "huiyuan-server",
                "--bench",
                "search",
                "--",
                &report,
            ])
        }
        Some("pos") => bench_pos(&report),
        Some(other) => bail!("no benchmark named `{other}`; available: checkout, search, pos"),
    }
}

/// The tablet cache in headless Chromium: the client built as it ships (cargo rebuilds
/// only what changed), the server in the bench (release) profile serving it, the browser
/// script driven by the bench program.
fn bench_pos(report: &str) -> Result<()> {
    let site = site::Site::load()?;
    client::build_client(&site)?;
    let chromium = tools::ensure_chromium()?;
    e2e::ensure_packages()?;
    let dist = site
        .output_dir
        .canonicalize()
        .context("the client is not built")?;
    command::step("benchmark: first sync of 100,000 members and lookups in headless Chromium");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    command::run(
        std::process::Command::new(cargo)
            .args([
                "bench",
                "-p",
                "huiyuan-server",
                "--bench",
                "pos",
                "--",
                report,
            ])
            .env("HUIYUAN_DIST", dist)
            .env("HUIYUAN_CHROMIUM", chromium),
    )
}
