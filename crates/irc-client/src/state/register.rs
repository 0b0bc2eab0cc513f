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
//! With SASL ([`Register::with_sasl`]), `sasl` joins the request when the
//! server offers it, and between 3 and 4's `CAP END` come the
//! `AUTHENTICATE` exchanges of a [`SaslSession`]: `CAP END` goes only once
//! SASL has succeeded, failed or been aborted. What a failure does is the
//! [`SaslFailure`] policy: go on unauthenticated (the default, as Sopel) or
//! fail registration (then the driver quits).

use irc_proto::MessageBuf;

use crate::error::RegistrationError;
use crate::sasl::{Mechanism, SaslOutcome, SaslSession, parse_mechanism_list};

/// What to do when SASL authentication does not succeed (refused, no common
/// mechanism, not offered, timed out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SaslFailure {
    /// Log it and register without an account (Sopel's behaviour).
    #[default]
    Continue,
    /// Fail registration: the client quits and `run` reports
    /// [`RegistrationError::Sasl`] without reconnecting.
    Disconnect,
}

/// SASL as registration runs it.
#[derive(Debug)]
struct SaslState {
    session: SaslSession,
    mechanisms: Vec<Mechanism>,
    on_failure: SaslFailure,
    /// The `sasl=` value of `CAP LS`, if any.
    offered: Option<String>,
    /// Whether `AUTHENTICATE` was started.
    started: bool,
}

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
    /// `AUTHENTICATE` exchanges running; `CAP END` waits for them.
    Sasl,
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
#[derive(Debug)]
pub struct Register {
    config: RegisterConfig,
    phase: Phase,
    progress: Progress,
    /// Capabilities offered so far (names without values).
    offered: Vec<String>,
    /// Values of offered capabilities (`sasl=PLAIN,EXTERNAL`), by name.
    values: Vec<(String, String)>,
    /// Whether the whole `CAP LS` reply has arrived.
    listed: bool,
    /// SASL, when configured.
    sasl: Option<SaslState>,
    /// The account SASL logged in to.
    account: Option<String>,
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
            values: Vec::new(),
            listed: false,
            sasl: None,
            account: None,
            enabled: Vec::new(),
            nick,
            alt_used: 0,
            underscores: 0,
        }
    }

    /// Adds SASL: `session` is started with `mechanisms` (in preference
    /// order) when the server acknowledges `sasl`; `on_failure` says what a
    /// failure does.
    #[must_use]
    pub fn with_sasl(
        mut self,
        session: SaslSession,
        mechanisms: Vec<Mechanism>,
        on_failure: SaslFailure,
    ) -> Self {
        self.sasl = Some(SaslState {
            session,
            mechanisms,
            on_failure,
            offered: None,
            started: false,
        });
        self
    }

    /// The value the server gave for capability `name` in `CAP LS`
    /// (`sasl=PLAIN` gives `PLAIN`); `None` when it had none.
    #[must_use]
    pub fn cap_value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the complete `CAP LS` reply has arrived.
    #[must_use]
    pub const fn caps_listed(&self) -> bool {
        self.listed
    }

    /// The account SASL logged in to, if it did.
    #[must_use]
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// Whether an `AUTHENTICATE` exchange runs; the driver calls
    /// [`Register::sasl_timeout`] when that lasts too long.
    #[must_use]
    pub fn waits_for_sasl(&self) -> bool {
        self.phase == Phase::Sasl
    }

    /// SASL took too long: abort it (`AUTHENTICATE *`) and go on as for a
    /// failure.
    pub fn sasl_timeout(&mut self) -> Vec<MessageBuf> {
        if self.phase != Phase::Sasl {
            return Vec::new();
        }
        let mut out = Vec::new();
        if let Some(sasl) = self.sasl.as_mut() {
            sasl.session.abort(&mut out);
        }
        out.extend(self.sasl_failed("SASL timed out".into()));
        out
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
            "AUTHENTICATE" | "900" | "901" | "902" | "903" | "904" | "905" | "906" | "907"
            | "908"
                if self.phase == Phase::Sasl =>
            {
                self.handle_sasl(msg)
            }
            "900" => {
                // RPL_LOGGEDIN outside SASL (a services login).
                self.account = param(2).map(str::to_owned);
                Vec::new()
            }
            // The server does not know CAP: go on without it.
            "421" | "451"
                if self.phase == Phase::CapLs
                    && param(1).is_some_and(|c| c.eq_ignore_ascii_case("CAP")) =>
            {
                self.listed = true;
                if let Some(out) = self.sasl_unavailable("the server does not support CAP") {
                    return out;
                }
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
                    let (name, value) = cap.split_once('=').unwrap_or((cap, ""));
                    self.offered.push(name.to_owned());
                    if !value.is_empty() {
                        self.values.push((name.to_owned(), value.to_owned()));
                    }
                }
                // `CAP * LS * :...` means more lines follow.
                let more = msg.params.len() >= 4 && msg.params[2] == "*";
                if more {
                    return Vec::new();
                }
                self.listed = true;
                let mut wanted: Vec<String> = self
                    .config
                    .capabilities
                    .iter()
                    .filter(|c| self.offered.contains(c))
                    .cloned()
                    .collect();
                if self.sasl.is_some() {
                    if self.offered.iter().any(|o| o == "sasl") {
                        let value = self.cap_value("sasl").map(str::to_owned);
                        if let Some(sasl) = self.sasl.as_mut() {
                            sasl.offered = value;
                        }
                        if !wanted.iter().any(|c| c == "sasl") {
                            wanted.push("sasl".to_owned());
                        }
                    } else if let Some(out) =
                        self.sasl_unavailable("the server does not offer sasl")
                    {
                        return out;
                    }
                }
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
                if self.sasl.is_some() {
                    if self.enabled.iter().any(|c| c == "sasl") {
                        return self.start_sasl();
                    }
                    if let Some(out) = self.sasl_unavailable("sasl was not acknowledged") {
                        return out;
                    }
                }
                self.login(true)
            }
            ("NAK", Phase::CapReq) => {
                if let Some(out) = self.sasl_unavailable("the capability request was refused") {
                    return out;
                }
                self.login(true)
            }
            _ => Vec::new(),
        }
    }

    /// Starts the `AUTHENTICATE` exchange (`sasl` was acknowledged).
    fn start_sasl(&mut self) -> Vec<MessageBuf> {
        let Some(sasl) = self.sasl.as_mut() else {
            return self.login(true);
        };
        let offered = sasl.offered.clone().unwrap_or_default();
        let offered = parse_mechanism_list(&offered);
        match sasl.session.start(&offered, &sasl.mechanisms) {
            Ok(lines) => {
                sasl.started = true;
                self.phase = Phase::Sasl;
                lines
            }
            Err(e) => self.sasl_failed(format!("cannot start SASL: {e}")),
        }
    }

    /// An `AUTHENTICATE` or SASL numeric during the exchange.
    fn handle_sasl(&mut self, msg: &MessageBuf) -> Vec<MessageBuf> {
        let Some(sasl) = self.sasl.as_mut() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let outcome = sasl.session.handle_message_buf(msg, &mut out);
        for w in sasl.session.take_warnings() {
            tracing::warn!(warning = ?w, "SASL");
        }
        match outcome {
            Ok(SaslOutcome::Success { account }) => {
                tracing::info!(account = ?account, "SASL authentication succeeded");
                self.account = account.or_else(|| Some(self.nick.clone()));
                out.extend(self.login(true));
            }
            Ok(SaslOutcome::Retrying { failed, next }) => {
                tracing::info!(%failed, %next, "SASL mechanism refused, trying the next");
            }
            Ok(SaslOutcome::Failed { code, tried }) => {
                out.extend(self.sasl_failed(format!(
                    "SASL authentication failed ({code}) after {tried:?}"
                )));
            }
            Ok(SaslOutcome::Aborted) => {
                out.extend(self.sasl_failed("SASL authentication aborted".into()));
            }
            Ok(_) => {}
            Err(e) => {
                // `AUTHENTICATE *` is in `out`; the 906 that follows ends it.
                tracing::warn!(error = %e, "SASL exchange failed; aborting");
            }
        }
        out
    }

    /// SASL cannot even start. With [`SaslFailure::Disconnect`] that fails
    /// registration (and returns `Some`); otherwise registration goes on.
    fn sasl_unavailable(&mut self, why: &str) -> Option<Vec<MessageBuf>> {
        let sasl = self.sasl.as_ref()?;
        if sasl.on_failure == SaslFailure::Disconnect {
            Some(self.sasl_failed(why.to_owned()))
        } else {
            tracing::warn!(reason = why, "registering without SASL");
            None
        }
    }

    /// SASL did not succeed: go on without it, or fail.
    fn sasl_failed(&mut self, reason: String) -> Vec<MessageBuf> {
        let policy = self.sasl.as_ref().map(|s| s.on_failure).unwrap_or_default();
        match policy {
            SaslFailure::Continue => {
                tracing::warn!(%reason, "registering without SASL");
                self.login(true)
            }
            SaslFailure::Disconnect => {
                tracing::warn!(%reason, "SASL is required: giving up");
                self.finish(Progress::Failed(RegistrationError::Sasl { reason }));
                Vec::new()
            }
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

    fn sasl_register(on_failure: SaslFailure) -> Register {
        let creds = crate::sasl::SaslCredentials::new("acct").with_password("pw");
        let session = SaslSession::new(creds, |_: &mut [u8]| Ok(()));
        let mut reg = Register::new(RegisterConfig {
            password: None,
            ..config()
        })
        .with_sasl(session, vec![Mechanism::Plain], on_failure);
        reg.start();
        reg
    }

    #[test]
    fn sasl_runs_between_ack_and_cap_end() {
        let mut reg = sasl_register(SaslFailure::Continue);
        assert_eq!(
            feed(&mut reg, ":s CAP * LS :sasl=PLAIN,EXTERNAL server-time"),
            ["CAP REQ :server-time sasl"]
        );
        assert_eq!(reg.cap_value("sasl"), Some("PLAIN,EXTERNAL"));
        assert!(reg.caps_listed());
        assert_eq!(
            feed(&mut reg, ":s CAP * ACK :server-time sasl"),
            ["AUTHENTICATE PLAIN"]
        );
        assert!(reg.waits_for_sasl());
        assert_eq!(
            feed(&mut reg, "AUTHENTICATE +"),
            ["AUTHENTICATE YWNjdABhY2N0AHB3"]
        );
        assert!(feed(&mut reg, ":s 900 * n!u@h acct :logged in").is_empty());
        assert_eq!(
            feed(&mut reg, ":s 903 * :success"),
            ["CAP END", "NICK bot", "USER u 0 * :Real Name"]
        );
        assert_eq!(reg.account(), Some("acct"));
        assert!(!reg.waits_for_sasl());
    }

    #[test]
    fn sasl_failure_continues_or_fails_by_policy() {
        let mut reg = sasl_register(SaslFailure::Continue);
        feed(&mut reg, ":s CAP * LS :sasl");
        feed(&mut reg, ":s CAP * ACK :sasl");
        feed(&mut reg, "AUTHENTICATE +");
        assert_eq!(
            feed(&mut reg, ":s 904 * :failed"),
            ["CAP END", "NICK bot", "USER u 0 * :Real Name"]
        );
        assert_eq!(reg.account(), None);

        let mut reg = sasl_register(SaslFailure::Disconnect);
        feed(&mut reg, ":s CAP * LS :sasl");
        feed(&mut reg, ":s CAP * ACK :sasl");
        assert!(feed(&mut reg, ":s 904 * :failed").is_empty());
        assert!(matches!(
            reg.progress(),
            Progress::Failed(RegistrationError::Sasl { .. })
        ));

        // Not offered at all.
        let mut reg = sasl_register(SaslFailure::Disconnect);
        assert!(feed(&mut reg, ":s CAP * LS :server-time").is_empty());
        assert!(matches!(reg.progress(), Progress::Failed(_)));
        let mut reg = sasl_register(SaslFailure::Continue);
        assert_eq!(
            feed(&mut reg, ":s CAP * LS :multi-prefix"),
            ["CAP REQ multi-prefix"]
        );
    }

    #[test]
    fn sasl_timeout_aborts_and_goes_on() {
        let mut reg = sasl_register(SaslFailure::Continue);
        feed(&mut reg, ":s CAP * LS :sasl");
        feed(&mut reg, ":s CAP * ACK :sasl");
        let lines: Vec<String> = reg
            .sasl_timeout()
            .iter()
            .map(|m| m.pack().unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                "AUTHENTICATE *",
                "CAP END",
                "NICK bot",
                "USER u 0 * :Real Name"
            ]
        );
        assert!(reg.sasl_timeout().is_empty());
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
