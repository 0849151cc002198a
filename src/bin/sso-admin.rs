//! Entry point of the admin bundle (`admin.html`, served at /admin).

#[cfg(target_arch = "wasm32")]
fn main() {
    sso_web::auth::browser::install_panic_hook();
    leptos::mount::mount_to_body(sso_web::AdminApp);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("sso-admin is a WebAssembly app: build it with `scripts/build.sh`.");
}
