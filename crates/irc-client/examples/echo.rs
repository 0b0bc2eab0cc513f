//! An echo bot: it joins a channel and repeats every message it is sent,
//! in the channel or in private.
//!
//! ```text
//! cargo run -p irc-client --example echo -- [HOST] [PORT] [NICK] [CHANNEL]
//! ```
//!
//! Defaults: `127.0.0.1 6667 echobot #echo`. `RUST_LOG=debug` shows the lines.

use irc_client::extract::{Nick, Target, Text};
use irc_client::{Client, Error};
use irc_proto::Command;

/// The echo bot, ready to `run`.
///
/// # Errors
///
/// Only if a handler were registered for an event that cannot feed it.
pub fn echo_bot(host: &str, port: u16, nick: &str, channel: &str) -> Result<Client, Error> {
    let client = Client::builder(host, port, nick).build();

    // Registration and PONG are built in; join once registered.
    let channel = channel.to_owned();
    client.on("CLIENT_CONNECT", move |client: Client| {
        let join = Command::join(&[&channel]);
        async move { client.send(join?) }
    })?;

    // Answer in the channel, or to the sender of a private message.
    client.on(
        "PRIVMSG",
        |client: Client, Nick(nick): Nick, Target(target): Target, Text(text): Text| async move {
            let to = if target == client.nick() {
                nick
            } else {
                target
            };
            client.send(Command::privmsg(&to, &text)?)
        },
    )?;
    Ok(client)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let mut args = std::env::args().skip(1);
    let host = args.next().unwrap_or_else(|| "127.0.0.1".into());
    let port = args.next().and_then(|p| p.parse().ok()).unwrap_or(6667);
    let nick = args.next().unwrap_or_else(|| "echobot".into());
    let channel = args.next().unwrap_or_else(|| "#echo".into());
    echo_bot(&host, port, &nick, &channel)?.run().await
}
