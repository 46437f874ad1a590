pub mod describe_server;
