//! A value with a button that copies it (navigator.clipboard).

use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn CopyValue(#[prop(into)] value: String, testid: &'static str) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    let text = value.clone();
    let copy = move |_| {
        let text = text.clone();
        spawn_local(async move {
            let Some(window) = web_sys::window() else {
                return;
            };
            let promise = window.navigator().clipboard().write_text(&text);
            let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
            set_copied.set(ok);
        });
    };
    view! {
        <span class="copy-value">
            <code data-testid=testid>{value}</code>
            <button type="button" class="button button--small" on:click=copy>
                {move || if copied.get() { "Copied" } else { "Copy" }}
            </button>
        </span>
    }
}
