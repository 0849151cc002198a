//! `/logout`: local sign-out. (RP-initiated logout at the IdP comes later.)

use crate::auth::{use_auth, Notice};
use crate::components::SignInButton;
use leptos::prelude::*;

#[component]
pub fn LogoutPage() -> impl IntoView {
    let auth = use_auth();
    auth.sign_out();
    view! {
        <main class="page logout-page">
            <section class="card" data-testid="signed-out">
                <h1>{Notice::SignedOut.text()}</h1>
                <p>"Your session in this tab was cleared. Your identity provider may still remember you."</p>
                <SignInButton return_to="/me"/>
            </section>
        </main>
    }
}
