//! Entry point: panic hook and mount. Nothing else.

#[cfg(target_arch = "wasm32")]
fn main() {
    sso_web::auth::browser::mark("sso:boot");
    sso_web::auth::browser::install_panic_hook();
    leptos::mount::mount_to_body(sso_web::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("sso-web is a WebAssembly app: build it with `scripts/build.sh`.");
}
