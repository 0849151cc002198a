//! Any unknown path.

use crate::router::Link;
use leptos::prelude::*;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <main class="page not-found-page">
            <section class="card" data-testid="not-found">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address."</p>
                <Link href="/" class="button">"Go home"</Link>
            </section>
        </main>
    }
}
