//! Registration as a sans-I/O state machine: messages in, lines out.
//!
//! The order on the wire:
//!
//! 1. `CAP LS 302`, the very first line;
//! 2. on the (possibly multi-line) `CAP LS` reply: `CAP REQ` for the
//!    capabilities both wanted and offered, or straight to 3 when there are
//!    none;
//! 3. on `ACK` or `NAK`: `CAP END`;
//! 4. `PASS` (when a password is set), `NICK`, `USER`;
//! 5. on `433` / `432` / `436` (nick in use, erroneous, collision): `NICK`
//!    with the next candidate: the alternates in order, then the nick with
//!    one, two, ... [`MAX_UNDERSCORES`] underscores appended;
//! 6. done at `001`, whose first parameter is the nick the server gave us.
//!
//! A server that does not know `CAP` answers `421` (or `451`) to it; then
//! registration goes on at step 4 without `CAP END`. A server that says
//! nothing at all is covered by [`Register::cap_timeout`], which the driver
//! calls after a delay.
//!
//! SASL will sit between 2 and 3: `sasl` in the request, then `AUTHENTICATE`
//! exchanges before `CAP END`.

use irc_proto::MessageBuf;

use crate::error::RegistrationError;

/// How many underscores are appended to the nick, one more per refusal,
/// once the alternates are used up.
pub const MAX_UNDERSCORES: usize = 5;

/// What registration needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterConfig {
    /// The nick to ask for first.
    pub nick: String,
    /// Nicks to try, in order, when the nick is refused.
    pub alt_nicks: Vec<String>,
    /// The user (ident) sent in `USER`.
    pub user: String,
    /// The real name sent in `USER`.
    pub realname: String,
    /// The server password sent in `PASS`, if any.
    pub password: Option<String>,
    /// The capabilities to request when the server offers them.
    pub capabilities: Vec<String>,
}

/// Where registration stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Still talking.
    Pending,
    /// Registered (`001` seen) under this nick.
    Done {
        /// The nick the server gave us.
        nick: String,
    },
    /// Registration cannot succeed.
    Failed(RegistrationError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// `CAP LS 302` sent, waiting for the list.
    CapLs,
    /// `CAP REQ` sent, waiting for `ACK` or `NAK`.
    CapReq,
    /// `NICK` and `USER` sent, waiting for `001`.
    Login,
    /// Finished, one way or the other.
    Finished,
}

/// The registration state machine.
///
/// ```
/// use irc_client::state::register::{Progress, Register, RegisterConfig};
/// use irc_proto::MessageBuf;
///
/// let mut reg = Register::new(RegisterConfig {
///     nick: "bot".into(),
///     alt_nicks: vec![],
///     user: "bot".into(),
///     realname: "A bot".into(),
///     password: None,
///     capabilities: vec!["multi-prefix".into()],
/// });
/// let lines = |msgs: Vec<MessageBuf>| msgs.iter().map(|m| m.pack().unwrap()).collect::<Vec<_>>();
/// assert_eq!(lines(reg.start()), ["CAP LS 302"]);
/// let ls = MessageBuf::parse(":srv CAP * LS :multi-prefix sasl").unwrap();
/// assert_eq!(lines(reg.handle(&ls)), ["CAP REQ multi-prefix"]);
/// let ack = MessageBuf::parse(":srv CAP * ACK :multi-prefix").unwrap();
/// assert_eq!(lines(reg.handle(&ack)), ["CAP END", "NICK bot", "USER bot 0 * :A bot"]);
/// let welcome = MessageBuf::parse(":srv 001 bot :Welcome").unwrap();
/// assert!(reg.handle(&welcome).is_empty());
/// assert_eq!(reg.progress(), &Progress::Done { nick: "bot".into() });
/// assert_eq!(reg.enabled_caps(), ["multi-prefix"]);
/// ```
#[derive(Debug, Clone)]
pub struct Register {
    config: RegisterConfig,
    phase: Phase,
    progress: Progress,
    /// Capabilities offered so far (names without values).
    offered: Vec<String>,
    /// Capabilities the server acknowledged.
    enabled: Vec<String>,
    /// The nick last sent.
    nick: String,
    /// How many alternates were used.
    alt_used: usize,
    /// How many underscores the current fallback nick has.
    underscores: usize,
}

impl Register {
    /// A state machine that has sent nothing yet.
    #[must_use]
    pub fn new(config: RegisterConfig) -> Self {
        let nick = config.nick.clone();
        Self {
            config,
            phase: Phase::CapLs,
            progress: Progress::Pending,
            offered: Vec::new(),
            enabled: Vec::new(),
            nick,
            alt_used: 0,
            underscores: 0,
        }
    }

    /// The first lines to send: `CAP LS 302`.
    pub fn start(&mut self) -> Vec<MessageBuf> {
        self.phase = Phase::CapLs;
        vec![MessageBuf::new("CAP").with_params(["LS", "302"])]
    }

    /// Where registration stands.
    #[must_use]
    pub const fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Whether registration is over (done or failed).
    #[must_use]
    pub const fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Finished)
    }

    /// The capabilities the server acknowledged.
    #[must_use]
    pub fn enabled_caps(&self) -> &[String] {
        &self.enabled
    }

    /// The nick last asked for.
    #[must_use]
    pub fn nick(&self) -> &str {
        &self.nick
    }

    /// Whether the state machine still waits for a `CAP LS` reply; the driver
    /// calls [`Register::cap_timeout`] when that lasts too long.
    #[must_use]
    pub fn waits_for_cap(&self) -> bool {
        self.phase == Phase::CapLs
    }

    /// The server never answered `CAP LS`: register without capabilities.
    pub fn cap_timeout(&mut self) -> Vec<MessageBuf> {
        if self.phase == Phase::CapLs {
            tracing::debug!("no reply to CAP LS; registering without capabilities");
            self.login(false)
        } else {
            Vec::new()
        }
    }

    /// Feeds one message from the server; returns the lines to send.
    pub fn handle(&mut self, msg: &MessageBuf) -> Vec<MessageBuf> {
        if self.phase == Phase::Finished {
            return Vec::new();
        }
        let param = |i: usize| msg.params.get(i).map(String::as_str);
        match msg.command.to_ascii_uppercase().as_str() {
            "CAP" => self.handle_cap(msg),
            // The server does not know CAP: go on without it.
            "421" | "451"
                if self.phase == Phase::CapLs
                    && param(1).is_some_and(|c| c.eq_ignore_ascii_case("CAP")) =>
            {
                self.login(false)
            }
            "433" | "432" | "436" if self.phase == Phase::Login => self.next_nick(),
            "001" => {
                let nick = param(0).unwrap_or(&self.nick).to_owned();
                self.nick.clone_from(&nick);
                self.finish(Progress::Done { nick });
                Vec::new()
            }
            "ERROR" => {
                let reason = msg.params.last().cloned().unwrap_or_default();
                self.finish(Progress::Failed(RegistrationError::Closed { reason }));
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn finish(&mut self, progress: Progress) {
        self.phase = Phase::Finished;
        self.progress = progress;
    }

    fn handle_cap(&mut self, msg: &MessageBuf) -> Vec<MessageBuf> {
        let sub = msg
            .params
            .get(1)
            .map(|s| s.to_ascii_uppercase())
            .unwrap_or_default();
        let last = msg.params.last().map(String::as_str).unwrap_or_default();
        match (sub.as_str(), self.phase) {
            ("LS", Phase::CapLs) => {
                for cap in last.split_ascii_whitespace() {
                    let name = cap.split_once('=').map_or(cap, |(n, _)| n);
                    self.offered.push(name.to_owned());
                }
                // `CAP * LS * :...` means more lines follow.
                let more = msg.params.len() >= 4 && msg.params[2] == "*";
                if more {
                    return Vec::new();
                }
                let wanted: Vec<&str> = self
                    .config
                    .capabilities
                    .iter()
                    .map(String::as_str)
                    .filter(|c| self.offered.iter().any(|o| o == c))
                    .collect();
                if wanted.is_empty() {
                    self.login(true)
                } else {
                    self.phase = Phase::CapReq;
                    vec![MessageBuf::new("CAP").with_params(["REQ", &wanted.join(" ")])]
                }
            }
            ("ACK", Phase::CapReq) => {
                self.enabled
                    .extend(last.split_ascii_whitespace().map(str::to_owned));
                self.login(true)
            }
            ("NAK", Phase::CapReq) => self.login(true),
            _ => Vec::new(),
        }
    }

    /// `CAP END` (when negotiating), then `PASS`, `NICK`, `USER`.
    fn login(&mut self, cap_end: bool) -> Vec<MessageBuf> {
        self.phase = Phase::Login;
        let mut out = Vec::new();
        if cap_end {
            out.push(MessageBuf::new("CAP").with_param("END"));
        }
        if let Some(pass) = &self.config.password {
            out.push(MessageBuf::new("PASS").with_param(pass.as_str()));
        }
        out.push(MessageBuf::new("NICK").with_param(self.nick.as_str()));
        out.push(MessageBuf::new("USER").with_params([
            self.config.user.as_str(),
            "0",
            "*",
            self.config.realname.as_str(),
        ]));
        out
    }

    /// The nick was refused: try the next candidate, or fail.
    fn next_nick(&mut self) -> Vec<MessageBuf> {
        if let Some(alt) = self.config.alt_nicks.get(self.alt_used) {
            self.alt_used += 1;
            self.nick.clone_from(alt);
        } else if self.underscores < MAX_UNDERSCORES {
            self.underscores += 1;
            self.nick = format!("{}{}", self.config.nick, "_".repeat(self.underscores));
        } else {
            let last = self.nick.clone();
            self.finish(Progress::Failed(RegistrationError::NicksExhausted { last }));
            return Vec::new();
        }
        tracing::debug!(nick = %self.nick, "nick refused, trying another");
        vec![MessageBuf::new("NICK").with_param(self.nick.as_str())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RegisterConfig {
        RegisterConfig {
            nick: "bot".into(),
            alt_nicks: vec!["bot2".into()],
            user: "u".into(),
            realname: "Real Name".into(),
            password: Some("secret".into()),
            capabilities: vec!["multi-prefix".into(), "server-time".into()],
        }
    }

    fn feed(reg: &mut Register, line: &str) -> Vec<String> {
        let msg = MessageBuf::parse(line).expect("parse");
        reg.handle(&msg)
            .iter()
            .map(|m| m.pack().expect("pack"))
            .collect()
    }

    #[test]
    fn multiline_ls_requests_only_offered_wanted_caps() {
        let mut reg = Register::new(config());
        assert_eq!(reg.start().len(), 1);
        assert!(feed(&mut reg, ":s CAP * LS * :sasl=PLAIN server-time").is_empty());
        assert_eq!(
            feed(&mut reg, ":s CAP * LS :away-notify"),
            ["CAP REQ server-time"]
        );
        assert_eq!(
            feed(&mut reg, ":s CAP * NAK :server-time"),
            [
                "CAP END",
                "PASS secret",
                "NICK bot",
                "USER u 0 * :Real Name"
            ]
        );
        assert!(reg.enabled_caps().is_empty());
    }

    #[test]
    fn nothing_wanted_goes_straight_to_cap_end() {
        let mut reg = Register::new(config());
        reg.start();
        assert_eq!(
            feed(&mut reg, ":s CAP * LS :sasl"),
            [
                "CAP END",
                "PASS secret",
                "NICK bot",
                "USER u 0 * :Real Name"
            ]
        );
    }

    #[test]
    fn server_without_cap_registers_without_cap_end() {
        let mut reg = Register::new(config());
        reg.start();
        assert_eq!(
            feed(&mut reg, ":s 421 * CAP :Unknown command"),
            ["PASS secret", "NICK bot", "USER u 0 * :Real Name"]
        );
        let mut reg = Register::new(config());
        reg.start();
        assert!(reg.waits_for_cap());
        assert_eq!(reg.cap_timeout().len(), 3);
        assert!(!reg.waits_for_cap());
        assert!(reg.cap_timeout().is_empty());
    }

    #[test]
    fn nick_fallback_uses_alternates_then_underscores_then_fails() {
        let mut reg = Register::new(config());
        reg.start();
        feed(&mut reg, ":s CAP * LS :");
        assert_eq!(feed(&mut reg, ":s 433 * bot :in use"), ["NICK bot2"]);
        assert_eq!(feed(&mut reg, ":s 433 * bot2 :in use"), ["NICK bot_"]);
        assert_eq!(feed(&mut reg, ":s 432 * bot_ :erroneous"), ["NICK bot__"]);
        for _ in 2..MAX_UNDERSCORES {
            assert_eq!(feed(&mut reg, ":s 436 * x :collision").len(), 1);
        }
        assert!(feed(&mut reg, ":s 433 * x :in use").is_empty());
        assert_eq!(
            reg.progress(),
            &Progress::Failed(RegistrationError::NicksExhausted {
                last: format!("bot{}", "_".repeat(MAX_UNDERSCORES))
            })
        );
    }

    #[test]
    fn welcome_gives_the_real_nick_and_error_fails() {
        let mut reg = Register::new(config());
        reg.start();
        feed(&mut reg, ":s CAP * LS :");
        feed(&mut reg, ":s 001 botty :Welcome");
        assert_eq!(
            reg.progress(),
            &Progress::Done {
                nick: "botty".into()
            }
        );
        assert!(reg.is_finished());
        assert!(feed(&mut reg, ":s 433 * bot :in use").is_empty());

        let mut reg = Register::new(config());
        reg.start();
        feed(&mut reg, "ERROR :Closing link: throttled");
        assert!(matches!(
            reg.progress(),
            Progress::Failed(RegistrationError::Closed { reason }) if reason == "Closing link: throttled"
        ));
    }
}
