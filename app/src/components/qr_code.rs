//! A QR code drawn as SVG in the browser, from the text it holds: no image request, and
//! crisp at any size.

use leptos::prelude::*;
use qrcode::{Color, EcLevel, QrCode};
use std::fmt::Write as _;

/// Light modules around the code, as the QR specification asks for scanners to find it.
const QUIET_ZONE_MODULES: usize = 4;

/// The SVG of a QR code holding `text`, or `None` when it does not fit in one.
pub fn qr_svg(text: &str) -> Option<String> {
    // Medium error correction survives a scratched phone screen and keeps the code small.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let size = width + 2 * QUIET_ZONE_MODULES;
    let mut path = String::new();
    for (index, color) in code.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let x = index % width + QUIET_ZONE_MODULES;
            let y = index / width + QUIET_ZONE_MODULES;
            let _ = write!(path, "M{x} {y}h1v1h-1z");
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         shape-rendering=\"crispEdges\" role=\"img\"><rect width=\"{size}\" height=\"{size}\" \
         fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

#[component]
pub fn QrCodeView(#[prop(into)] text: Signal<String>) -> impl IntoView {
    let svg = move || text.with(|text| qr_svg(text).unwrap_or_default());
    view! { <div class="qr-code" data-testid="qr-code" inner_html=svg></div> }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A member token (uppercase hex) fits, and every dark module is drawn.
    #[test]
    fn draws_a_code_with_its_quiet_zone() {
        let token = format!("HY{}", "0123456789ABCDEF".repeat(7));
        let svg = qr_svg(&token).expect("fits");
        assert!(svg.starts_with("<svg"));
        let code =
            QrCode::with_error_correction_level(token.as_bytes(), EcLevel::M).expect("valid");
        let dark = code
            .to_colors()
            .iter()
            .filter(|c| **c == Color::Dark)
            .count();
        assert_eq!(svg.matches("h1v1h-1z").count(), dark);
        let size = code.width() + 2 * QUIET_ZONE_MODULES;
        assert!(svg.contains(&format!("viewBox=\"0 0 {size} {size}\"")));
    }
}
