//! The connection task: socket → codec → registration, PONG, dispatch; and a
//! writer task fed by a channel.
//!
//! One `run` owns one connection. The read loop never waits for handlers:
//! it hands each event to the dispatcher (an unbounded channel, in arrival
//! order) and goes back to reading. Outgoing lines from any handle go
//! through an unbounded channel to the writer task, which alone writes to the
//! socket. When the connection ends, the writer is drained and joined,
//! `CLIENT_DISCONNECT` is dispatched, and `run` waits for the handlers.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use irc_proto::MessageBuf;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tokio_util::codec::FramedRead;

use crate::client::{Client, Connection};
use crate::codec::IrcCodec;
use crate::config::Transport;
use crate::error::Error;
use crate::event::{CLIENT_CONNECT, CLIENT_DISCONNECT, Event};
use crate::state::register::{Progress, Register};

/// How long the writer may take to flush its last lines.
const WRITER_DRAIN: Duration = Duration::from_secs(2);

/// Runs one connection to its end.
pub(crate) async fn run(client: &Client) -> Result<(), Error> {
    client.ensure_dispatcher()?;
    let config = client.config().clone();
    let addr = format!("{}:{}", config.host, config.port);
    let stream = match config.transport {
        Transport::Tcp => connect_tcp(&addr, config.connect_timeout).await?,
    };
    tracing::info!(%addr, "connected");
    let (read, write) = stream.into_split();
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let quit = Arc::new(Notify::new());
    *client
        .inner
        .conn
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Connection {
        out: out_tx,
        quit: Arc::clone(&quit),
    });
    let writer = tokio::spawn(write_loop(write, out_rx));

    let mut lines = FramedRead::new(read, IrcCodec::new(config.max_line_length));
    let mut register = config
        .auto_register
        .then(|| Register::new(config.register.clone()));
    client.set_nick(&config.register.nick);
    match register.as_mut() {
        Some(reg) => send_all(client, reg.start()),
        None => client.dispatch(Event::local(CLIENT_CONNECT)),
    }

    let far = Duration::from_secs(60 * 60 * 24 * 365);
    let cap_deadline = tokio::time::sleep(config.cap_timeout);
    tokio::pin!(cap_deadline);
    let quit_deadline = tokio::time::sleep(far);
    tokio::pin!(quit_deadline);
    let mut quitting = false;

    let result = loop {
        let waits_for_cap = register.as_ref().is_some_and(Register::waits_for_cap);
        tokio::select! {
            line = lines.next() => match line {
                Some(Ok(line)) => {
                    if let Err(e) = handle_line(client, &mut register, &line) {
                        break Err(e);
                    }
                }
                Some(Err(e)) => break Err(Error::Io(e)),
                None => {
                    tracing::info!("server closed the connection");
                    break match register.as_ref().map(Register::progress) {
                        Some(Progress::Pending) => Err(Error::Registration(
                            crate::error::RegistrationError::Closed {
                                reason: "connection closed".into(),
                            },
                        )),
                        _ => Ok(()),
                    };
                }
            },
            () = &mut cap_deadline, if waits_for_cap => {
                if let Some(reg) = register.as_mut() {
                    send_all(client, reg.cap_timeout());
                }
            }
            () = quit.notified(), if !quitting => {
                quitting = true;
                quit_deadline.as_mut().reset(Instant::now() + config.quit_timeout);
            }
            () = &mut quit_deadline, if quitting => {
                tracing::debug!("server did not close after QUIT; closing");
                break Ok(());
            }
        }
    };
    if let Err(e) = &result {
        tracing::warn!(error = %e, "connection ended with an error");
    }

    // Closing the channel ends the writer once it has written what is queued.
    drop(
        client
            .inner
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take(),
    );
    match tokio::time::timeout(WRITER_DRAIN, writer).await {
        Ok(Ok(Err(e))) => tracing::debug!(error = %e, "writer failed"),
        Ok(Err(e)) => tracing::error!(error = %e, "writer task failed"),
        Err(_) => tracing::warn!("writer did not drain in time"),
        Ok(Ok(Ok(()))) => {}
    }
    drop(lines);
    client.dispatch(Event::local(CLIENT_DISCONNECT));
    client.flush().await;
    result
}

async fn connect_tcp(addr: &str, timeout: Duration) -> Result<TcpStream, Error> {
    let connect = TcpStream::connect(addr);
    let stream = match tokio::time::timeout(timeout, connect).await {
        Ok(Ok(s)) => s,
        Ok(Err(source)) => {
            return Err(Error::Connect {
                addr: addr.to_owned(),
                source,
            });
        }
        Err(_) => {
            return Err(Error::Connect {
                addr: addr.to_owned(),
                source: std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"),
            });
        }
    };
    // Lines are small and interactive.
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// The writer task: the only code that writes to the socket.
async fn write_loop(
    mut write: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Bytes>,
) -> std::io::Result<()> {
    while let Some(line) = rx.recv().await {
        write.write_all(&line).await?;
    }
    write.shutdown().await
}

fn send_all(client: &Client, messages: Vec<MessageBuf>) {
    for m in messages {
        if let Err(e) = client.send(m) {
            tracing::warn!(error = %e, "cannot send a registration line");
        }
    }
}

/// One line from the server: PONG, registration, our nick, dispatch.
fn handle_line(client: &Client, register: &mut Option<Register>, line: &str) -> Result<(), Error> {
    let msg = match MessageBuf::parse(line) {
        Ok(m) => m,
        Err(e) => {
            tracing::debug!(error = %e, line, "skipped a line that does not parse");
            return Ok(());
        }
    };
    tracing::trace!(line, "recv");
    if msg.is_command("PING") {
        let pong = MessageBuf::new("PONG").with_params(msg.params.iter().cloned());
        if let Err(e) = client.send(pong) {
            tracing::warn!(error = %e, "cannot answer PING");
        }
    }
    if msg.is_command("NICK")
        && let (Some(source), Some(new)) = (msg.source(), msg.params.first())
        && source.nick() == client.nick()
    {
        client.set_nick(new);
    }
    let mut connected = false;
    if let Some(reg) = register.as_mut().filter(|r| !r.is_finished()) {
        let out = reg.handle(&msg);
        send_all(client, out);
        match reg.progress() {
            Progress::Done { nick } => {
                tracing::info!(nick = %nick, caps = ?reg.enabled_caps(), "registered");
                client.set_nick(nick);
                connected = true;
            }
            Progress::Failed(e) => {
                let e = e.clone();
                tracing::warn!(error = %e, "registration failed");
                send_all(
                    client,
                    vec![MessageBuf::new("QUIT").with_param("registration failed")],
                );
                client.dispatch(Event::from_message(msg));
                return Err(Error::Registration(e));
            }
            Progress::Pending => {}
        }
    }
    client.dispatch(Event::from_message(msg));
    if connected {
        client.dispatch(Event::local(CLIENT_CONNECT));
    }
    Ok(())
}
