//! Entry point: panic hook and mount. Nothing else.

#[cfg(target_arch = "wasm32")]
fn main() {
    sso_web::auth::browser::mark("sso:boot");
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(sso_web::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("sso-web is a WebAssembly app: build it with `trunk build`.");
}
