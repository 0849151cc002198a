//! The app's few routes: the path as a signal, history push/replace, popstate, and a
//! link that navigates in place. leptos_router, which did this for us, was ~45 KB of raw
//! wasm (twiggy: the router, its matching and the either_of view types).
//!
//! Each bundle serves its own paths; a link to any other path is a full page load
//! (the admin bundle is a separate download, see docs/performance.md).

use crate::auth::browser;
use leptos::ev::MouseEvent;
use leptos::prelude::*;

/// The main bundle's pages. Anything else there is "not found".
pub const MAIN_ROUTES: &[&str] = &["/", "/me", "/logout"];
/// The admin bundle's one page.
pub const ADMIN_ROUTES: &[&str] = &["/admin"];

#[derive(Clone, Copy)]
pub struct Router {
    /// The current path, without query or fragment.
    pub path: RwSignal<String>,
    routes: &'static [&'static str],
}

/// Starts routing for a bundle that renders `routes` itself.
pub fn provide_router(routes: &'static [&'static str]) -> Router {
    let router = Router {
        path: RwSignal::new(normalize(&browser::current_path())),
        routes,
    };
    // Back and forward between in-app pages; lives as long as the app.
    let listener = window_event_listener(leptos::ev::popstate, move |_| {
        router.set_path(normalize(&browser::current_path()));
    });
    std::mem::forget(listener);
    provide_context(router);
    router
}

pub fn use_router() -> Router {
    expect_context::<Router>()
}

impl Router {
    /// Goes to `target` (a same-origin path, maybe with a query): in place when this
    /// bundle renders it, else by a full page load.
    pub fn navigate(self, target: &str, replace: bool) {
        let path = normalize(target.split(['?', '#']).next().unwrap_or("/"));
        if !self.renders(&path) {
            let _ = if replace {
                browser::replace_away(target)
            } else {
                browser::navigate_away(target)
            };
            return;
        }
        browser::push_url(target, replace);
        if let Some(window) = web_sys::window() {
            window.scroll_to_with_x_and_y(0.0, 0.0);
        }
        self.set_path(path);
    }

    /// Whether this bundle renders `target` in place (else going there loads a page).
    pub fn renders(self, target: &str) -> bool {
        let path = normalize(target.split(['?', '#']).next().unwrap_or("/"));
        self.routes.contains(&path.as_str())
    }

    fn set_path(self, path: String) {
        if self.path.with_untracked(|p| *p != path) {
            self.path.set(path);
        }
    }
}

/// `/me/` is `/me`, as it was under leptos_router.
fn normalize(path: &str) -> String {
    match path.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed.to_string(),
        _ => path.to_string(),
    }
}

/// An in-app link: a plain `<a>` (so open-in-new-tab and copy-link work) whose plain
/// left click navigates without reloading. Marks itself `aria-current="page"`.
#[component]
pub fn Link(
    href: &'static str,
    #[prop(optional)] class: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let router = use_router();
    let current = move || router.path.with(|p| p == href).then_some("page");
    let click = move |ev: MouseEvent| {
        let modified = ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key();
        if ev.default_prevented() || ev.button() != 0 || modified {
            return;
        }
        ev.prevent_default();
        router.navigate(href, false);
    };
    view! { <a href=href class=class aria-current=current on:click=click>{children()}</a> }
}
