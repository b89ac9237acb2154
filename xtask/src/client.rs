//! Building the browser client into the site folder: the wasm crate through
//! wasm-bindgen (and wasm-opt when present), plus the style sheets and public assets.

use crate::command;
use crate::site::{self, Site};
use crate::tools;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;

/// The cargo profile of the client: small and fast to load (see Cargo.toml).
const WASM_PROFILE: &str = "wasm-release";

pub fn build_all() -> Result<Site> {
    let site = Site::load()?;
    build_client(&site)?;
    command::step("building the server (release)");
    command::cargo(&[
        "build",
        "--release",
        "-p",
        "huiyuan-server",
        "--bin",
        "huiyuan",
    ])?;
    Ok(site)
}

pub fn build_client(site: &Site) -> Result<()> {
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_bindgen()?;
    command::step("building the client (wasm)");
    command::cargo(&[
        "build",
        "-p",
        &site.wasm_crate,
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        WASM_PROFILE,
    ])?;
    let wasm = site::target_dir()
        .join("wasm32-unknown-unknown")
        .join(WASM_PROFILE)
        .join(format!("{}.wasm", site.wasm_crate));
    let out = &site.output_dir;
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("clearing {}", out.display()))?;
    }
    let pkg = out.join("pkg");
    command::run(
        Command::new("wasm-bindgen")
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                &site.wasm_name,
                "--out-dir",
            ])
            .arg(&pkg)
            .arg(&wasm),
    )?;
    if command::exists("wasm-opt", "--version") {
        let bindgen_wasm = pkg.join(format!("{}_bg.wasm", site.wasm_name));
        command::run(
            Command::new("wasm-opt")
                .args([
                    "-Oz",
                    "--enable-bulk-memory",
                    "--enable-nontrapping-float-to-int",
                    "-o",
                ])
                .arg(&bindgen_wasm)
                .arg(&bindgen_wasm),
        )?;
    }
    copy_dir(&site.assets_dir, out)?;
    copy_dir(&site.style_dir, &out.join("style"))?;
    let size = std::fs::metadata(pkg.join(format!("{}_bg.wasm", site.wasm_name)))?.len();
    println!(
        "client built into {} (wasm {} KiB)",
        out.display(),
        size / 1024
    );
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
