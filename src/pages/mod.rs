//! One routed page per file.

mod admin;
mod home_page;
mod identity_page;
mod logout_page;
mod not_found_page;

pub use admin::AdminPage;
pub use home_page::HomePage;
pub use identity_page::{CardText, IdentityPage};
pub use logout_page::LogoutPage;
pub use not_found_page::NotFoundPage;
