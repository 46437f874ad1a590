pub mod create_account;
pub mod create_invite_code;
pub mod create_session;
pub mod delete_session;
pub mod describe_server;
pub mod get_session;
pub mod refresh_session;
