//! Reusable view pieces.

mod copy_button;
mod error_panel;
mod expiry_warning;
mod group_chips;
mod nav_bar;
mod sign_in_button;

pub use copy_button::CopyValue;
pub use error_panel::ErrorPanel;
pub use expiry_warning::ExpiryWarning;
pub use group_chips::{absent_notice, GroupChips, OVERAGE_NOTICE};
pub use nav_bar::NavBar;
pub use sign_in_button::SignInButton;
