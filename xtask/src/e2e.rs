//! The Playwright suite in headless Chromium, run with Node's test runner against the
//! real server binary. Each test file starts its own server on a free port with a fresh
//! database.

use crate::command;
use crate::site::Site;
use crate::tools;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;

pub fn run(site: &Site, server: &Path) -> Result<()> {
    let chromium = tools::ensure_chromium()?;
    let dir = ensure_packages()?;
    command::step("end-to-end tests in headless Chromium");
    let server = server
        .canonicalize()
        .context("the server binary is missing")?;
    let dist = site
        .output_dir
        .canonicalize()
        .context("the client is not built")?;
    command::run(
        Command::new("node")
            .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
            .arg("tests/")
            .current_dir(dir)
            .env("HUIYUAN_BIN", server)
            .env("HUIYUAN_DIST", dist)
            .env("HUIYUAN_CHROMIUM", chromium),
    )
}

/// The end2end folder with its packages (playwright-core) installed, for the tests and
/// the browser benchmark.
pub fn ensure_packages() -> Result<&'static Path> {
    let dir = Path::new("end2end");
    if !dir.join("node_modules").join("playwright-core").exists() {
        command::step("installing the end-to-end test packages (npm ci)");
        command::run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(dir),
        )?;
    }
    Ok(dir)
}
