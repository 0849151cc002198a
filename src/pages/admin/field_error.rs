//! What the server said is wrong with a field, under it.

use leptos::prelude::*;

#[component]
pub fn FieldError(error: Signal<Option<String>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|e| view! { <p class="admin-form__error" role="alert">{e}</p> })
    }
}
