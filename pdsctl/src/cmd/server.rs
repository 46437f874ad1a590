//! `pdsctl server ...`.

use anyhow::Context;
use pds_proto::admin::v1 as pb;

use super::Ctx;
use crate::cli::ServerCommand;
use crate::client::RpcResult;
use crate::out::Out;
use crate::out::views::ServerStatusView;

pub async fn run(ctx: &Ctx, out: &mut Out, command: ServerCommand) -> anyhow::Result<()> {
    match command {
        ServerCommand::Status => {
            let client = ctx.client().await?;
            let status = client
                .server()
                .get_server_status(pb::GetServerStatusRequest {})
                .await
                .rpc(&client)
                .context("cannot get the server status")?;
            out.emit(&ServerStatusView::from(status))?;
            Ok(())
        }
    }
}
