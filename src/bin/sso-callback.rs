//! Entry point of the callback bundle (`callback.html`, served at /oidc/callback): finishes a
//! sign-in, without the view framework (`sso_web::callback_app`). The first visit (index.html) never downloads its validation code.

#[cfg(target_arch = "wasm32")]
fn main() {
    sso_web::auth::browser::mark("sso:boot");
    sso_web::auth::browser::install_panic_hook();
    sso_web::callback_app::run();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("sso-callback is a WebAssembly app: build it with `scripts/build.sh`.");
}
