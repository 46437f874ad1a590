pub mod get_preferences;
pub mod put_preferences;
