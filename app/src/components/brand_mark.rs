//! The product's mark: the character 会 on the brand colour.

use leptos::prelude::*;

#[component]
pub fn BrandMark() -> impl IntoView {
    view! {
        <span class="brand-mark" aria-hidden="true">
            "会"
        </span>
    }
}
