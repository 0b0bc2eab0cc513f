//! `tell`: leave a message for someone, delivered when they next speak.
//!
//! `!tell bob see you at 6` stores the message (with the sender and the
//! time) under bob's nick, ignoring case. The next time bob says anything
//! where the bot can see it, the bot delivers every waiting message: in
//! the room bob spoke in, addressed to bob, or privately to bob when the
//! plugin is configured with `private = true` (`[plugins.Tell]`), and in
//! the private chat when bob spoke privately. At most [`MAX_PER_NICK`]
//! messages wait per nick.

use bot_core::{BoxError, Command, Hooks, Identifier, Plugin};
use serde::{Deserialize, Serialize};

use crate::access::nick_key;
use crate::clock::{SharedClock, system};
use crate::humanize::ago;
use crate::seen::cut;

/// The most messages kept for one nick.
pub const MAX_PER_NICK: usize = 10;
/// The longest message kept, in characters.
pub const MAX_TEXT: usize = 400;

/// A waiting message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// Who left it.
    pub from: String,
    /// The message.
    pub text: String,
    /// When, in seconds since the epoch.
    pub at: i64,
}

/// The plugin's configuration (`[plugins.Tell]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TellConfig {
    /// Deliver privately instead of in the room.
    pub private: bool,
}

/// The `Tell` plugin.
#[derive(Clone)]
pub struct Tell {
    clock: SharedClock,
}

impl std::fmt::Debug for Tell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tell").finish_non_exhaustive()
    }
}

impl Default for Tell {
    fn default() -> Self {
        Self::new(system())
    }
}

impl Tell {
    /// A tell plugin reading the time from `clock`.
    pub fn new(clock: SharedClock) -> Self {
        Self { clock }
    }
}

impl Plugin for Tell {
    fn name(&self) -> &str {
        "Tell"
    }

    fn description(&self) -> &str {
        "Leaves messages for people, delivered when they next speak."
    }

    fn activate(&self, ctx: &bot_core::PluginContext) -> Result<(), BoxError> {
        // Refuse a bad configuration section at activation, not at delivery.
        ctx.config_or_default::<TellConfig>()?;
        Ok(())
    }

    fn commands(&self) -> Vec<Command> {
        let clock = self.clock.clone();
        vec![
            Command::new("tell", move |ctx, args| {
                let clock = clock.clone();
                async move {
                    let Some((nick, text)) = args.trim().split_once(char::is_whitespace) else {
                        return Ok::<_, BoxError>("Usage: `tell <nick> <message>`".to_owned());
                    };
                    let text = text.trim();
                    let from = ctx.frm().map_or("someone", |f| f.nick()).to_owned();
                    if nick.eq_ignore_ascii_case(&from) {
                        return Ok("You can tell yourself that.".to_owned());
                    }
                    let me = ctx.bot().backend().bot_identifier();
                    if nick.eq_ignore_ascii_case(me.nick()) {
                        return Ok("I'm right here.".to_owned());
                    }
                    let store = ctx.plugin().storage();
                    let key = nick_key(nick);
                    let mut notes: Vec<Note> = store.get(&key)?.unwrap_or_default();
                    if notes.len() >= MAX_PER_NICK {
                        return Ok(format!("{nick} already has {MAX_PER_NICK} messages waiting."));
                    }
                    notes.push(Note {
                        from,
                        text: cut(text, MAX_TEXT),
                        at: clock.now(),
                    });
                    store.set(&key, &notes)?;
                    Ok(format!("I'll pass that on when {nick} is around."))
                }
            })
            .help("Leaves a message for someone, delivered when they next speak: `tell <nick> <message>`."),
        ]
    }

    fn hooks(&self) -> Hooks {
        let clock = self.clock.clone();
        Hooks::new().on_message(move |ctx, msg| {
            let clock = clock.clone();
            async move {
                let Some(frm) = msg.frm.clone() else {
                    return Ok::<_, BoxError>(());
                };
                let nick = frm.nick().to_owned();
                let store = ctx.storage();
                let key = nick_key(&nick);
                let notes: Vec<Note> = match store.get(&key)? {
                    Some(n) => n,
                    None => return Ok(()),
                };
                let config: TellConfig = ctx.config_or_default()?;
                let room = msg.to.as_ref().and_then(Identifier::room).cloned();
                let (to, prefix) = match room {
                    Some(room) if msg.is_group() && !config.private => {
                        (Identifier::from(room), format!("{nick}: "))
                    }
                    _ => match frm.as_person() {
                        Some(p) => (Identifier::from(p.clone()), String::new()),
                        None => (frm.clone(), String::new()),
                    },
                };
                let now = clock.now();
                for n in notes {
                    let line = format!("{prefix}{} said {}: {}", n.from, ago(n.at, now), n.text);
                    ctx.send(&to, &line).await?;
                }
                // Removed once delivered: a failed send keeps them waiting.
                store.remove(&key)?;
                Ok(())
            }
        })
    }
}
