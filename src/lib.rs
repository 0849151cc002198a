//! sso-web: OpenID Connect sign-in in the browser. `oidc` is the pure protocol core;
//! `auth`, `components` and `pages` are the browser layer above it.

pub mod admin;
pub mod api;
pub mod contract;
pub mod flow;
pub mod format;
pub mod oidc;

/// Signature checks on the host (server, tests); the browser uses WebCrypto.
#[cfg(not(target_arch = "wasm32"))]
pub mod host_verifier;

#[cfg(target_arch = "wasm32")]
pub mod admin_app;

/// Talc instead of dlmalloc (both bundles, and the browser tests).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod auth;
#[cfg(target_arch = "wasm32")]
pub mod callback_app;
#[cfg(target_arch = "wasm32")]
pub mod components;
#[cfg(target_arch = "wasm32")]
pub mod pages;
#[cfg(target_arch = "wasm32")]
pub mod router;

#[cfg(target_arch = "wasm32")]
pub use admin_app::AdminApp;
#[cfg(target_arch = "wasm32")]
pub use app::App;
