//! Commands: how plugins declare them and how their arguments are parsed.
//!
//! Three kinds, as in errbot:
//!
//! * [`Command::new`]: the handler gets the text after the command name
//!   (errbot's `botcmd`).
//! * [`Command::with_args`]: the text is split like a shell line (after
//!   turning smart quotes and dashes back to ASCII) and parsed into a
//!   clap-derived struct; a usage error is answered with clap's message and
//!   usage (errbot's `arg_botcmd`).
//! * [`Command::regex`]: the handler gets the captures of a regular
//!   expression (errbot's `re_botcmd`), with or without the prefix.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use crate::backend::BoxFuture;
use crate::bot::Bot;
use crate::error::{BackendError, BoxError};
use crate::identifier::Identifier;
use crate::message::{Card, Message};
use crate::plugin::PluginContext;

/// What a command answers.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reply {
    /// Nothing.
    None,
    /// One message (Markdown).
    Text(String),
    /// Several messages, sent in order.
    Lines(Vec<String>),
    /// A card.
    Card(Box<Card>),
}

/// Conversion of what a handler returns into a [`Reply`]: text, `()`, a
/// card, a list of lines, an `Option` of those, or a `Result` of those
/// whose error becomes "an unexpected error occurred".
pub trait IntoReply: Send + 'static {
    /// The reply, or the error the handler failed with.
    fn into_reply(self) -> Result<Reply, BoxError>;
}

impl IntoReply for Reply {
    fn into_reply(self) -> Result<Reply, BoxError> {
        Ok(self)
    }
}

impl IntoReply for String {
    fn into_reply(self) -> Result<Reply, BoxError> {
        Ok(Reply::Text(self))
    }
}

impl IntoReply for &'static str {
    fn into_reply(self) -> Result<Reply, BoxError> {
        Ok(Reply::Text(self.to_owned()))
    }
}

impl IntoReply for () {
    fn into_reply(self) -> Result<Reply, BoxError> {
        Ok(Reply::None)
    }
}

impl IntoReply for Card {
    fn into_reply(self) -> Result<Reply, BoxError> {
        Ok(Reply::Card(Box::new(self)))
    }
}

impl IntoReply for Vec<String> {
    fn into_reply(self) -> Result<Reply, BoxError> {
        Ok(Reply::Lines(self))
    }
}

impl<T: IntoReply> IntoReply for Option<T> {
    fn into_reply(self) -> Result<Reply, BoxError> {
        self.map_or(Ok(Reply::None), IntoReply::into_reply)
    }
}

impl<T: IntoReply, E: Into<BoxError> + Send + 'static> IntoReply for Result<T, E> {
    fn into_reply(self) -> Result<Reply, BoxError> {
        self.map_err(Into::into)?.into_reply()
    }
}

/// The groups a regex command matched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captures {
    groups: Vec<Option<String>>,
    names: HashMap<String, usize>,
}

impl Captures {
    pub(crate) fn from_regex(re: &regex::Regex, caps: &regex::Captures<'_>) -> Self {
        let groups = caps
            .iter()
            .map(|m| m.map(|m| m.as_str().to_owned()))
            .collect();
        let names = re
            .capture_names()
            .enumerate()
            .filter_map(|(i, n)| n.map(|n| (n.to_owned(), i)))
            .collect();
        Self { groups, names }
    }

    /// The whole match.
    pub fn whole(&self) -> &str {
        self.get(0).unwrap_or("")
    }

    /// Group `i` (0 is the whole match), when it took part in the match.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.groups.get(i).and_then(Option::as_deref)
    }

    /// The named group `name`, when it took part in the match.
    pub fn name(&self, name: &str) -> Option<&str> {
        self.names.get(name).and_then(|&i| self.get(i))
    }
}

/// Everything a handler may need: the message, the argument text, the
/// plugin's context (storage, configuration, sending, jobs).
#[derive(Clone)]
pub struct CommandContext {
    pub(crate) msg: Message,
    pub(crate) command: String,
    pub(crate) args: String,
    pub(crate) captures: Option<Captures>,
    pub(crate) plugin: PluginContext,
}

impl std::fmt::Debug for CommandContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandContext")
            .field("command", &self.command)
            .field("args", &self.args)
            .finish_non_exhaustive()
    }
}

impl CommandContext {
    /// The message that invoked the command.
    pub fn msg(&self) -> &Message {
        &self.msg
    }

    /// The sender.
    pub fn frm(&self) -> Option<&Identifier> {
        self.msg.frm.as_ref()
    }

    /// The command's name as declared.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// The text after the command name (empty for regex commands).
    pub fn args(&self) -> &str {
        &self.args
    }

    /// The regex captures, for regex commands.
    pub fn captures(&self) -> Option<&Captures> {
        self.captures.as_ref()
    }

    /// The plugin's context.
    pub fn plugin(&self) -> &PluginContext {
        &self.plugin
    }

    /// The bot.
    pub fn bot(&self) -> &Bot {
        self.plugin.bot()
    }

    /// Sends a reply now, before the handler returns (errbot's streaming
    /// replies with `yield`).
    pub async fn reply(&self, text: impl Into<String>) -> Result<(), BackendError> {
        self.plugin.bot().reply(&self.msg, &text.into()).await
    }
}

pub(crate) type HandlerFn =
    Arc<dyn Fn(CommandContext) -> BoxFuture<'static, Result<Reply, BoxError>> + Send + Sync>;

/// How a command is matched.
#[derive(Clone)]
pub(crate) enum Matcher {
    /// By name, with free text after it.
    Name,
    /// By name, with clap-parsed arguments.
    Args(Arc<dyn Fn() -> clap::Command + Send + Sync>),
    /// By a regular expression over the text after the prefix (or over the
    /// whole message when `prefixed` is false).
    Regex {
        pattern: String,
        prefixed: bool,
        compiled: Option<regex::Regex>,
    },
}

/// A command a plugin offers. Built with [`Command::new`],
/// [`Command::with_args`] or [`Command::regex`], then adjusted with the
/// builder methods.
#[derive(Clone)]
pub struct Command {
    pub(crate) name: String,
    pub(crate) help: Option<String>,
    pub(crate) admin_only: bool,
    pub(crate) hidden: bool,
    pub(crate) matcher: Matcher,
    pub(crate) handler: HandlerFn,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Command")
            .field("name", &self.name)
            .field("admin_only", &self.admin_only)
            .field("hidden", &self.hidden)
            .finish_non_exhaustive()
    }
}

/// Normalizes a command name: lower case, `_` read as a space, runs of
/// spaces collapsed (`plugin_info` and `Plugin  Info` are `plugin info`).
pub(crate) fn normalize_name(name: &str) -> String {
    name.replace('_', " ")
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

impl Command {
    /// A command whose handler gets the text after its name. The name may
    /// have several words (`"plugin info"`); the longest matching name wins.
    ///
    /// ```
    /// use bot_core::Command;
    /// let echo = Command::new("echo", |_ctx, args| async move { args })
    ///     .help("Repeats what you say.");
    /// ```
    pub fn new<F, Fut, R>(name: impl Into<String>, handler: F) -> Self
    where
        F: Fn(CommandContext, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoReply,
    {
        let handler = Arc::new(handler);
        Self {
            name: normalize_name(&name.into()),
            help: None,
            admin_only: false,
            hidden: false,
            matcher: Matcher::Name,
            handler: Arc::new(move |ctx: CommandContext| {
                let args = ctx.args.clone();
                let fut = handler(ctx, args);
                Box::pin(async move { fut.await.into_reply() })
            }),
        }
    }

    /// A command whose arguments are parsed into the clap-derived `A`. The
    /// help text defaults to `A`'s `about` (its doc comment).
    ///
    /// ```
    /// use bot_core::Command;
    /// /// Rolls dice.
    /// #[derive(clap::Parser)]
    /// struct Roll {
    ///     /// How many dice.
    ///     #[arg(short, long, default_value_t = 1)]
    ///     count: u32,
    /// }
    /// let roll = Command::with_args("roll", |_ctx, a: Roll| async move { format!("{} dice", a.count) });
    /// ```
    pub fn with_args<A, F, Fut, R>(name: impl Into<String>, handler: F) -> Self
    where
        A: clap::Parser + Send + 'static,
        F: Fn(CommandContext, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoReply,
    {
        let name = normalize_name(&name.into());
        let handler = Arc::new(handler);
        Self {
            help: None,
            admin_only: false,
            hidden: false,
            matcher: Matcher::Args(Arc::new(A::command)),
            handler: Arc::new(move |ctx: CommandContext| {
                let handler = handler.clone();
                Box::pin(async move {
                    let shown = ctx.plugin.bot().command_display(&ctx.command);
                    let mut cmd = A::command().name(shown.clone()).bin_name(shown.clone());
                    let usage = cmd.render_usage().to_string();
                    let parsed = split_args(&ctx.args)
                        .map_err(|e| format!("error: {e}"))
                        .and_then(|argv| {
                            cmd.try_get_matches_from(std::iter::once(shown.clone()).chain(argv))
                                .and_then(|m| A::from_arg_matches(&m))
                                .map_err(|e| match e.kind() {
                                    // `--help` and `--version` are answers, not errors.
                                    clap::error::ErrorKind::DisplayHelp
                                    | clap::error::ErrorKind::DisplayVersion => {
                                        e.render().to_string()
                                    }
                                    _ => usage_error(&e.render().to_string(), &usage),
                                })
                        });
                    match parsed {
                        Ok(a) => handler(ctx, a).await.into_reply(),
                        Err(usage) => Ok(Reply::Text(format!("```\n{}\n```", usage.trim_end()))),
                    }
                })
            }),
            name,
        }
    }

    /// A command matched by a regular expression (errbot's `re_botcmd`). By
    /// default the pattern is searched in the text after the prefix of an
    /// addressed message; see [`Command::unprefixed`]. An invalid pattern
    /// is reported when the plugin is activated.
    ///
    /// ```
    /// use bot_core::Command;
    /// let cookie = Command::regex("cookie", r"(?i)cookie(s)?", |_ctx, caps| async move {
    ///     if caps.get(1).is_some() { "Here are cookies." } else { "Here is a cookie." }
    /// });
    /// ```
    pub fn regex<F, Fut, R>(name: impl Into<String>, pattern: impl Into<String>, handler: F) -> Self
    where
        F: Fn(CommandContext, Captures) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoReply,
    {
        let handler = Arc::new(handler);
        Self {
            name: normalize_name(&name.into()),
            help: None,
            admin_only: false,
            hidden: false,
            matcher: Matcher::Regex {
                pattern: pattern.into(),
                prefixed: true,
                compiled: None,
            },
            handler: Arc::new(move |ctx: CommandContext| {
                let caps = ctx.captures.clone().unwrap_or_default();
                let fut = handler(ctx, caps);
                Box::pin(async move { fut.await.into_reply() })
            }),
        }
    }

    /// Sets the help text: the first line is the summary in the command
    /// list, the whole text is shown by `help <command>`.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Only bot admins may run the command.
    #[must_use]
    pub fn admin_only(mut self) -> Self {
        self.admin_only = true;
        self
    }

    /// Leaves the command out of the help list.
    #[must_use]
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    /// For a regex command: search every message, addressed or not
    /// (errbot's `prefixed=False`).
    #[must_use]
    pub fn unprefixed(mut self) -> Self {
        if let Matcher::Regex { prefixed, .. } = &mut self.matcher {
            *prefixed = false;
        }
        self
    }

    /// The command's name (normalized: lower case, words separated by one space).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether only admins may run it.
    pub fn is_admin_only(&self) -> bool {
        self.admin_only
    }

    /// Whether this is a regex command.
    pub fn is_regex(&self) -> bool {
        matches!(self.matcher, Matcher::Regex { .. })
    }

    /// Compiles the regex of a regex command.
    pub(crate) fn compile(&mut self) -> Result<(), regex::Error> {
        if let Matcher::Regex {
            pattern, compiled, ..
        } = &mut self.matcher
        {
            *compiled = Some(regex::Regex::new(pattern)?);
        }
        Ok(())
    }

    /// The summary line for the command list.
    pub(crate) fn summary(&self) -> String {
        if let Some(h) = &self.help {
            return h.lines().next().unwrap_or("").trim().to_owned();
        }
        if let Matcher::Args(make) = &self.matcher
            && let Some(about) = make().get_about()
        {
            return about.to_string();
        }
        String::new()
    }

    /// The detailed help for `help <command>`, with `shown` as the name.
    pub(crate) fn detail(&self, shown: &str) -> String {
        let mut out = String::new();
        if let Some(h) = &self.help {
            out.push_str(h.trim());
        }
        match &self.matcher {
            Matcher::Name => {}
            Matcher::Args(make) => {
                let mut cmd = make().name(shown.to_owned()).bin_name(shown.to_owned());
                let long = cmd.render_long_help().to_string();
                if !out.is_empty() {
                    out.push_str("\n\n");
                }
                out.push_str("```\n");
                out.push_str(long.trim_end());
                out.push_str("\n```");
            }
            Matcher::Regex {
                pattern, prefixed, ..
            } => {
                if !out.is_empty() {
                    out.push('\n');
                }
                let how = if *prefixed {
                    "after the prefix"
                } else {
                    "in any message"
                };
                out.push_str(&format!("Matches `{pattern}` {how}."));
            }
        }
        out
    }
}

/// clap's error message with the usage after it, and without its hint
/// about `--help` (a chat user asks `help <command>` instead).
fn usage_error(rendered: &str, usage: &str) -> String {
    let message: Vec<&str> = rendered
        .lines()
        .filter(|l| !l.starts_with("For more information") && !l.starts_with("Usage:"))
        .collect();
    format!("{}\n\n{}", message.join("\n").trim_end(), usage.trim_end())
}

/// An argument line that cannot be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArgsError {
    /// A quote was opened and not closed.
    #[error("unbalanced quote {0} in the arguments")]
    UnbalancedQuote(char),
}

/// Turns smart quotes and dashes (as phones and chat clients type them)
/// back into ASCII: `“ ” „` become `"`, `‘ ’` become `'`, and `—`, `–`
/// become `--`.
pub fn ascii_punctuation(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{201c}' | '\u{201d}' | '\u{201e}' => out.push('"'),
            '\u{2018}' | '\u{2019}' => out.push('\''),
            '\u{2014}' | '\u{2013}' => out.push_str("--"),
            c => out.push(c),
        }
    }
    out
}

/// Splits an argument line like a shell: whitespace separates words,
/// `"…"` and `'…'` group, a backslash escapes the next character outside
/// single quotes. Smart punctuation is normalized first
/// ([`ascii_punctuation`]).
///
/// ```
/// use bot_core::plugin::split_args;
/// assert_eq!(split_args("a “b c” —flag").unwrap(), ["a", "b c", "--flag"]);
/// ```
pub fn split_args(text: &str) -> Result<Vec<String>, ArgsError> {
    let text = ascii_punctuation(text);
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"') | None, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
                in_word = true;
            }
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(ArgsError::UnbalancedQuote(q));
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize() {
        assert_eq!(normalize_name("Plugin_Info"), "plugin info");
        assert_eq!(normalize_name("  a   b "), "a b");
    }

    #[test]
    fn splitting_arguments() {
        let cases: [(&str, &[&str]); 7] = [
            ("", &[]),
            ("a b  c", &["a", "b", "c"]),
            ("\"a b\" c", &["a b", "c"]),
            ("'it''s'", &["its"]),
            (r#"a\ b "x\"y""#, &["a b", "x\"y"]),
            (
                "\u{201c}smart quotes\u{201d} \u{2014}long \u{2013}x",
                &["smart quotes", "--long", "--x"],
            ),
            ("''", &[""]),
        ];
        for (input, want) in cases {
            assert_eq!(split_args(input).unwrap(), want, "splitting {input:?}");
        }
        assert_eq!(split_args("\"open"), Err(ArgsError::UnbalancedQuote('"')));
    }

    #[test]
    fn replies_convert() {
        assert_eq!("x".into_reply().unwrap(), Reply::Text("x".into()));
        assert_eq!(().into_reply().unwrap(), Reply::None);
        assert_eq!(None::<String>.into_reply().unwrap(), Reply::None);
        let failed: Result<String, std::io::Error> = Err(std::io::Error::other("boom"));
        assert_eq!(failed.into_reply().unwrap_err().to_string(), "boom");
    }
}
