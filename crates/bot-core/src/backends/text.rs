//! The text backend: a terminal REPL, the zero-setup way to try a bot
//! (errbot's `-T`).
//!
//! Each line read is a message from the configured user, sent directly to
//! the bot, or to the current room after `/join #room`. Replies are
//! written rendered (ANSI by default). Input is read line by line, so the
//! REPL can be driven through a pipe; at end of input it stops cleanly.
//!
//! Helpers (lines starting with `/`):
//!
//! | line              | effect                                         |
//! |-------------------|------------------------------------------------|
//! | `/join #room`     | join `#room`; next lines are said there        |
//! | `/part`           | leave the current room; back to direct talk    |
//! | `/topic text`     | set the current room's topic                   |
//! | `/me text`        | an action (an emote): hooks see it, no command runs |
//! | `/as user`        | speak as another user from now on              |
//! | `/whoami`         | show who is speaking, and where                |
//! | `/quit`           | stop                                           |
//! | `/help`           | list the helpers                               |

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

use crate::backend::{Backend, BoxFuture, Callbacks};
use crate::error::{BackendError, IdentifierError, RoomError};
use crate::identifier::{Identifier, Person, RoomId, RoomOccupant};
use crate::message::Message;
use crate::render::Markup;

type Reader = Box<dyn AsyncBufRead + Unpin + Send>;
type Writer = Box<dyn AsyncWrite + Unpin + Send>;

const HELPERS: &str = "/join #room, /part, /topic text, /me text, /as user, /whoami, /quit, /help";

#[derive(Debug, Default)]
struct State {
    user: String,
    room: Option<RoomId>,
    rooms: BTreeMap<String, Option<String>>,
}

/// The terminal backend.
pub struct TextBackend {
    me: Person,
    reader: tokio::sync::Mutex<Reader>,
    writer: tokio::sync::Mutex<Writer>,
    state: Mutex<State>,
    markup: Markup,
}

impl std::fmt::Debug for TextBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextBackend")
            .field("me", &self.me)
            .finish_non_exhaustive()
    }
}

impl TextBackend {
    /// A REPL on standard input and output, speaking as `user`; replies
    /// are rendered with ANSI escapes when standard output is a terminal,
    /// as plain text otherwise (a pipe, a file).
    pub fn stdio(user: impl Into<String>) -> Self {
        use std::io::IsTerminal;
        let markup = if std::io::stdout().is_terminal() {
            Markup::Ansi
        } else {
            Markup::Plain
        };
        Self::new(
            tokio::io::BufReader::new(tokio::io::stdin()),
            tokio::io::stdout(),
            user,
        )
        .with_markup(markup)
    }

    /// A REPL on any reader and writer (tests, pipes, sockets).
    pub fn new(
        reader: impl AsyncBufRead + Unpin + Send + 'static,
        writer: impl AsyncWrite + Unpin + Send + 'static,
        user: impl Into<String>,
    ) -> Self {
        Self {
            me: Person::new("bot"),
            reader: tokio::sync::Mutex::new(Box::new(reader)),
            writer: tokio::sync::Mutex::new(Box::new(writer)),
            state: Mutex::new(State {
                user: user.into(),
                ..State::default()
            }),
            markup: Markup::Ansi,
        }
    }

    /// Sets the rendering (ANSI by default; [`Markup::Plain`] for pipes).
    #[must_use]
    pub fn with_markup(mut self, markup: Markup) -> Self {
        self.markup = markup;
        self
    }

    /// Sets the bot's name (`bot` by default).
    #[must_use]
    pub fn with_bot_name(mut self, name: impl Into<String>) -> Self {
        self.me = Person::new(name);
        self
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn write_line(&self, line: &str) -> Result<(), BackendError> {
        let mut w = self.writer.lock().await;
        w.write_all(line.as_bytes()).await?;
        w.write_all(b"\n").await?;
        w.flush().await?;
        Ok(())
    }

    /// Handles one input line; `Ok(true)` to stop.
    /// `text` said by the current user, where they are.
    fn said(&self, text: &str) -> Message {
        let (user, room) = {
            let st = self.state();
            (st.user.clone(), st.room.clone())
        };
        let person = Person::new(user);
        match room {
            Some(room) => Message::new(text)
                .from(RoomOccupant::new(person, room.clone()))
                .to(room),
            None => Message::new(text).from(person).to(self.me.clone()),
        }
    }

    async fn handle_line(
        &self,
        line: &str,
        callbacks: &Arc<dyn Callbacks>,
    ) -> Result<bool, BackendError> {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            return Ok(false);
        }
        let (cmd, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        match cmd {
            "/quit" => return Ok(true),
            "/help" => self.write_line(HELPERS).await?,
            "/whoami" => {
                let (user, room) = {
                    let st = self.state();
                    (st.user.clone(), st.room.clone())
                };
                let place =
                    room.map_or_else(|| "in a direct chat".to_owned(), |r| format!("in {r}"));
                self.write_line(&format!("you are {user}, {place}")).await?;
            }
            "/as" if !rest.is_empty() && !rest.contains(char::is_whitespace) => {
                self.state().user = rest.to_owned();
                self.write_line(&format!("now speaking as {rest}")).await?;
            }
            "/join"
                if rest.len() > 1
                    && rest.starts_with('#')
                    && !rest.contains(char::is_whitespace) =>
            {
                let room = RoomId::new(rest);
                {
                    let mut st = self.state();
                    st.rooms.entry(rest.to_owned()).or_default();
                    st.room = Some(room.clone());
                }
                self.write_line(&format!("joined {room}")).await?;
                callbacks.callback_room_joined(room, None).await;
            }
            "/part" => {
                let room = self.state().room.take();
                match room {
                    Some(room) => {
                        self.state().rooms.remove(room.name());
                        self.write_line(&format!("left {room}")).await?;
                        callbacks.callback_room_left(room, None).await;
                    }
                    None => self.write_line("not in a room").await?,
                }
            }
            "/topic" => {
                let room = self.state().room.clone();
                match room {
                    Some(room) => {
                        let topic = Some(rest.to_owned()).filter(|t| !t.is_empty());
                        self.state()
                            .rooms
                            .insert(room.name().to_owned(), topic.clone());
                        self.write_line(&format!("topic of {room} set")).await?;
                        callbacks.callback_room_topic(room, topic).await;
                    }
                    None => self.write_line("not in a room").await?,
                }
            }
            "/me" if !rest.is_empty() => {
                let mut msg = self.said(rest);
                msg.action = true;
                callbacks.callback_message(msg).await;
            }
            c if c.starts_with('/') && c.len() > 1 => {
                self.write_line(&format!("unknown helper {c}; try /help"))
                    .await?;
            }
            _ => callbacks.callback_message(self.said(line)).await,
        }
        Ok(false)
    }
}

impl Backend for TextBackend {
    fn mode(&self) -> &str {
        "text"
    }

    fn bot_identifier(&self) -> Identifier {
        self.me.clone().into()
    }

    fn build_identifier(&self, text: &str) -> Result<Identifier, IdentifierError> {
        super::parse_identifier(text)
    }

    fn markup(&self) -> Markup {
        self.markup
    }

    fn send_message(&self, msg: Message) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let who = self.me.nick();
            let head = match msg.to.as_ref().and_then(|t| match t {
                Identifier::Room(r) => Some(r),
                _ => None,
            }) {
                Some(room) => format!("[{room}] <{who}> "),
                None => format!("<{who}> "),
            };
            // Continuation lines are indented under the first one.
            let indent = format!("\n{}", " ".repeat(head.chars().count()));
            let text = format!("{head}{}", msg.body.replace('\n', &indent));
            self.write_line(&text).await
        })
    }

    fn rooms(&self) -> BoxFuture<'_, Result<Vec<RoomId>, RoomError>> {
        let rooms = self.state().rooms.keys().map(RoomId::new).collect();
        Box::pin(async move { Ok(rooms) })
    }

    fn room_join(
        &self,
        room: &RoomId,
        _password: Option<String>,
    ) -> BoxFuture<'_, Result<(), RoomError>> {
        self.state()
            .rooms
            .entry(room.name().to_owned())
            .or_default();
        Box::pin(async { Ok(()) })
    }

    fn room_joined(&self, room: &RoomId) -> BoxFuture<'_, Result<bool, RoomError>> {
        let joined = self.state().rooms.contains_key(room.name());
        Box::pin(async move { Ok(joined) })
    }

    fn room_exists(&self, room: &RoomId) -> BoxFuture<'_, Result<bool, RoomError>> {
        self.room_joined(room)
    }

    fn room_topic(&self, room: &RoomId) -> BoxFuture<'_, Result<Option<String>, RoomError>> {
        let topic = match self.state().rooms.get(room.name()) {
            Some(t) => Ok(t.clone()),
            None => Err(RoomError::NotJoined {
                room: room.name().to_owned(),
            }),
        };
        Box::pin(async move { topic })
    }

    fn serve_once(
        &self,
        callbacks: Arc<dyn Callbacks>,
    ) -> BoxFuture<'_, Result<bool, BackendError>> {
        Box::pin(async move {
            let mut reader = self.reader.lock().await;
            callbacks.reset_reconnection_count();
            callbacks.connect_callback().await;
            let mut buf = Vec::new();
            loop {
                buf.clear();
                if reader.read_until(b'\n', &mut buf).await? == 0 {
                    return Ok(true);
                }
                // A line that is not UTF-8 is read with replacement
                // characters rather than dropped.
                let line = String::from_utf8_lossy(&buf);
                if self.handle_line(&line, &callbacks).await? {
                    return Ok(true);
                }
            }
        })
    }
}
