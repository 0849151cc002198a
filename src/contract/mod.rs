//! The wire contract between the SPA and sso-server: paths, bodies and error codes, defined
//! once and compiled into both. The server writes these types and the browser reads them
//! with the same code, so the two cannot drift apart.

pub mod session;
