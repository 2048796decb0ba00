//! `bench-raw`: the minimal raw NATS programs that the bench's
//! process-level figures compare the real binaries with. They link nothing
//! of the project and do nothing beyond the NATS calls, so they are the
//! floor: whatever `publisher` or `subscriber` cost above them is ours.
//!
//! - `bench-raw oneshot <url> <text>`: connect, publish `text` on
//!   `broadcast`, flush, exit (vs `publisher send <text>`).
//! - `bench-raw oneshot-stored <url> <text>`: the same through JetStream,
//!   waiting for the stream's acknowledgement: the least a send that
//!   reports "stored" can do (the stream must exist).
//! - `bench-raw idle <url>`: connect, subscribe to `broadcast` and
//!   `session.raw-idle`, say so on stderr, then wait (vs an idle `subscriber`).

use futures::StreamExt;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bench-raw: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match args.iter().map(String::as_str).collect::<Vec<_>>()[1..] {
        ["oneshot", url, text] => runtime.block_on(oneshot(url, text)),
        ["oneshot-stored", url, text] => runtime.block_on(oneshot_stored(url, text)),
        ["idle", url] => runtime.block_on(idle(url)),
        _ => {
            eprintln!(
                "usage: bench-raw oneshot|oneshot-stored <url> <text> | bench-raw idle <url>"
            );
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-raw: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn oneshot(url: &str, text: &str) -> Result<(), async_nats::Error> {
    let client = async_nats::connect(url).await?;
    client.publish("broadcast", text.to_owned().into()).await?;
    client.flush().await?;
    Ok(())
}

async fn oneshot_stored(url: &str, text: &str) -> Result<(), async_nats::Error> {
    let client = async_nats::connect(url).await?;
    let js = async_nats::jetstream::new(client);
    js.publish("broadcast", text.to_owned().into())
        .await?
        .await?;
    Ok(())
}

async fn idle(url: &str) -> Result<(), async_nats::Error> {
    let client = async_nats::connect(url).await?;
    let broadcast = client.subscribe("broadcast").await?;
    let own = client.subscribe("session.raw-idle").await?;
    client.flush().await?;
    eprintln!("subscribed to broadcast and session.raw-idle");
    let mut messages = futures::stream::select(broadcast, own);
    while messages.next().await.is_some() {}
    Ok(())
}
