//! Where things are: the workspace, cargo's target folder, and Leptos.toml's settings.

use anyhow::{anyhow, Context, Result};
use std::path::{Path, PathBuf};

pub fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| anyhow!("xtask is not inside the workspace"))
}

/// Cargo's target folder: `CARGO_TARGET_DIR` when set (CI keeps it outside the clone),
/// else `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// The `[site]` settings of Leptos.toml.
#[derive(Debug)]
pub struct Site {
    pub output_dir: PathBuf,
    pub wasm_crate: String,
    pub wasm_name: String,
    pub style_dir: PathBuf,
    pub assets_dir: PathBuf,
    pub listen: String,
}

impl Site {
    pub fn load() -> Result<Site> {
        let text = std::fs::read_to_string("Leptos.toml").context("reading Leptos.toml")?;
        let get = |key: &str| -> Result<String> {
            text.lines()
                .filter_map(|line| line.split_once('='))
                .find(|(name, _)| name.trim() == key)
                .map(|(_, value)| value.trim().trim_matches('"').to_owned())
                .ok_or_else(|| anyhow!("Leptos.toml has no `{key}`"))
        };
        Ok(Site {
            output_dir: PathBuf::from(get("output-dir")?),
            wasm_crate: get("wasm-crate")?,
            wasm_name: get("wasm-name")?,
            style_dir: PathBuf::from(get("style-dir")?),
            assets_dir: PathBuf::from(get("assets-dir")?),
            listen: get("listen")?,
        })
    }
}
