//! `seen`: when and where a nick last spoke.
//!
//! Only messages said in rooms are recorded (private conversations with
//! the bot are never disclosed): the nick, the room, the text (cut to
//! [`MAX_TEXT`] characters) and the time, one record per nick (ignoring
//! case), kept in storage.

use bot_core::{BoxError, Command, Hooks, Message, Plugin};
use serde::{Deserialize, Serialize};

use crate::access::nick_key;
use crate::clock::{SharedClock, system};
use crate::humanize::ago;

/// The longest text kept, in characters.
pub const MAX_TEXT: usize = 200;

/// What is remembered about a nick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sighting {
    /// The nick as it was written.
    pub nick: String,
    /// The room.
    pub room: String,
    /// What was said (cut to [`MAX_TEXT`] characters).
    pub text: String,
    /// When, in seconds since the epoch.
    pub at: i64,
}

/// Cuts `text` to `max` characters, adding `…` when cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// The `Seen` plugin.
#[derive(Clone)]
pub struct Seen {
    clock: SharedClock,
}

impl std::fmt::Debug for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seen").finish_non_exhaustive()
    }
}

impl Default for Seen {
    fn default() -> Self {
        Self::new(system())
    }
}

impl Seen {
    /// A seen plugin reading the time from `clock`.
    pub fn new(clock: SharedClock) -> Self {
        Self { clock }
    }
}

fn room_of(msg: &Message) -> Option<String> {
    if !msg.is_group() {
        return None;
    }
    msg.to
        .as_ref()
        .and_then(|t| t.room())
        .map(|r| r.name().to_owned())
}

impl Plugin for Seen {
    fn name(&self) -> &str {
        "Seen"
    }

    fn description(&self) -> &str {
        "Remembers when and where people last spoke."
    }

    fn commands(&self) -> Vec<Command> {
        let clock = self.clock.clone();
        vec![
            Command::new("seen", move |ctx, args| {
                let clock = clock.clone();
                async move {
                    let nick = args.trim();
                    if nick.is_empty() || nick.contains(char::is_whitespace) {
                        return Ok::<_, BoxError>("Usage: `seen <nick>`".to_owned());
                    }
                    if ctx
                        .frm()
                        .is_some_and(|f| f.nick().eq_ignore_ascii_case(nick))
                    {
                        return Ok("That's you!".to_owned());
                    }
                    let found: Option<Sighting> = ctx.plugin().storage().get(&nick_key(nick))?;
                    Ok(match found {
                        Some(s) => format!(
                            "{} was last seen in {} {} saying: {}",
                            s.nick,
                            s.room,
                            ago(s.at, clock.now()),
                            s.text
                        ),
                        None => format!("I have not seen {nick}."),
                    })
                }
            })
            .help("When and where a nick last spoke in a room: `seen <nick>`."),
        ]
    }

    fn hooks(&self) -> Hooks {
        let clock = self.clock.clone();
        Hooks::new().on_message(move |ctx, msg| {
            let clock = clock.clone();
            async move {
                let (Some(room), Some(frm)) = (room_of(&msg), msg.frm.as_ref()) else {
                    return Ok::<_, BoxError>(());
                };
                let nick = frm.nick().to_owned();
                if nick.is_empty() {
                    return Ok(());
                }
                let sighting = Sighting {
                    text: cut(msg.body.trim(), MAX_TEXT),
                    nick: nick.clone(),
                    room,
                    at: clock.now(),
                };
                ctx.storage().set(&nick_key(&nick), &sighting)?;
                Ok(())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cuts_on_characters() {
        assert_eq!(cut("héllo", 10), "héllo");
        assert_eq!(cut("héllo", 2), "hé…");
        assert_eq!(cut("", 0), "");
    }
}
