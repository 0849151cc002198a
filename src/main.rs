//! Entry point: panic hook and mount. Nothing else.

#[cfg(target_arch = "wasm32")]
fn main() {
    sso_web::auth::browser::mark("sso:boot");
    sso_web::auth::browser::install_panic_hook();
    // The callback page starts this app in place, over the identity it showed
    // (`sso_web::callback_app`): replaced in the same task, so no empty frame between.
    sso_web::auth::browser::clear_body();
    leptos::mount::mount_to_body(sso_web::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("sso-web is a WebAssembly app: build it with `scripts/build.sh`.");
}
