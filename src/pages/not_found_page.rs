//! Any unknown path.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <main class="page not-found-page">
            <section class="card" data-testid="not-found">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address."</p>
                <A href="/" attr:class="button">"Go home"</A>
            </section>
        </main>
    }
}
