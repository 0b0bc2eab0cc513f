//! `echo` and `say`.

use bot_core::{BoxError, Command, Plugin};

use crate::access::{NOT_ADMIN, is_admin};

/// The `Echo` plugin.
///
/// * `!echo text`: repeats `text` where it was said.
/// * `!say #room text`: says `text` in `#room`. Anyone may make the bot
///   speak in the room they are talking in; another room needs a bot admin.
///   The bot must already be in that room.
#[derive(Debug, Default, Clone, Copy)]
pub struct Echo;

impl Plugin for Echo {
    fn name(&self) -> &str {
        "Echo"
    }

    fn description(&self) -> &str {
        "Makes the bot repeat or say things."
    }

    fn commands(&self) -> Vec<Command> {
        vec![
            Command::new("echo", |_ctx, args| async move {
                if args.trim().is_empty() {
                    "Usage: `echo <text>`".to_owned()
                } else {
                    args
                }
            })
            .help("Repeats what you say: `echo <text>`."),
            Command::new("say", |ctx, args| async move {
                let (room, text) = args
                    .trim()
                    .split_once(char::is_whitespace)
                    .unwrap_or((args.trim(), ""));
                let text = text.trim();
                if !room.starts_with('#') || text.is_empty() {
                    return Ok::<_, BoxError>(Some("Usage: `say #room <text>`".to_owned()));
                }
                let here = ctx
                    .msg()
                    .to
                    .as_ref()
                    .and_then(|t| t.room())
                    .is_some_and(|r| r.name().eq_ignore_ascii_case(room));
                if !here && !is_admin(ctx.bot(), ctx.frm()) {
                    return Ok(Some(format!(
                        "{NOT_ADMIN} (anyone may use `say` in the room they are in)"
                    )));
                }
                let handle = ctx.bot().query_room(room).await?;
                if !handle.joined().await.unwrap_or(false) {
                    return Ok(Some(format!("I am not in {room}.")));
                }
                ctx.plugin().send(&handle.id().clone().into(), text).await?;
                Ok(if here {
                    None
                } else {
                    Some(format!("Said in {room}."))
                })
            })
            .help(
                "Says something in a room: `say #room <text>`.\n\
                 Another room than the one you are in needs a bot admin.",
            ),
        ]
    }
}
