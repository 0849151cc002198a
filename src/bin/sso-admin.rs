//! Entry point of the admin bundle (`admin.html`, served at /admin).

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(sso_web::AdminApp);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("sso-admin is a WebAssembly app: build it with `trunk build admin.html`.");
}
