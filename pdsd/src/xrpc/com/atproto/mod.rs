pub mod admin;
pub mod identity;
pub mod repo;
pub mod server;
pub mod sync;
