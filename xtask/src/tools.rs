//! Tools a fresh machine may lack, installed from the registries on first use.

use crate::command::{self, output};
use anyhow::{anyhow, bail, Context, Result};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";

pub fn ensure_wasm_target() -> Result<()> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        return Ok(());
    }
    command::step("adding the wasm32-unknown-unknown target");
    command::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// The wasm-bindgen version Cargo.lock pins; the CLI must be exactly this version.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string("Cargo.lock").context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines
                .next()
                .and_then(|next| next.trim().strip_prefix("version = "))
            {
                return Ok(version.trim_matches('"').to_owned());
            }
        }
    }
    Err(anyhow!("Cargo.lock does not pin wasm-bindgen"))
}

/// Installs wasm-bindgen-cli at the locked version unless it is already there. It tries
/// the CLI's own lock file first and, if a pinned dependency of it cannot be had from the
/// registry, resolves its dependencies afresh.
pub fn ensure_wasm_bindgen() -> Result<()> {
    let version = locked_wasm_bindgen_version()?;
    let current = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if current.split_whitespace().nth(1) == Some(version.as_str()) {
        return Ok(());
    }
    command::step(&format!("installing wasm-bindgen-cli {version} (once)"));
    let locked = command::run(Command::new("cargo").args([
        "install",
        "--locked",
        "wasm-bindgen-cli",
        "--version",
        &version,
    ]));
    if locked.is_err() {
        command::run(Command::new("cargo").args([
            "install",
            "--force",
            "wasm-bindgen-cli",
            "--version",
            &version,
        ]))?;
    }
    Ok(())
}

/// Chromium from Debian and CJK fonts, so screenshots show Chinese rather than boxes.
pub fn ensure_chromium() -> Result<String> {
    let chromium =
        std::env::var("HUIYUAN_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let has_cjk_font =
        output(Command::new("fc-list").arg(":lang=zh")).is_some_and(|fonts| !fonts.is_empty());
    if std::path::Path::new(&chromium).exists() && has_cjk_font {
        return Ok(chromium);
    }
    if !is_root() {
        bail!(
            "Chromium or CJK fonts are missing: run `sudo apt-get install chromium fonts-noto-cjk`"
        );
    }
    command::step("installing Chromium and CJK fonts from Debian (once)");
    command::run(Command::new("apt-get").arg("update").arg("-qq"))?;
    command::run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "chromium", "fonts-noto-cjk"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    Ok(chromium)
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).as_deref() == Some("0")
}
