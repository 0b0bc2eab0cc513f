//! SASL authentication for IRC (IRCv3 `sasl` 3.1 and 3.2), sans I/O.
//!
//! A [`SaslSession`] is a state machine: feed it what the server says
//! (`AUTHENTICATE` payloads and the numerics 900 to 908) and it hands back
//! the `AUTHENTICATE` lines to send and, when it is over, a
//! [`SaslOutcome`]. It never touches a socket or a clock; randomness (the
//! SCRAM nonce) comes from an injected [`SaslRng`].
//!
//! # Mechanisms
//!
//! | mechanism | needs | what is sent |
//! | --- | --- | --- |
//! | `PLAIN` | password | `user\0user\0password` (authzid = authcid) |
//! | `EXTERNAL` | a TLS client certificate (set up by the connection) | an empty response, `AUTHENTICATE +` |
//! | `SCRAM-SHA-256` | password | RFC 5802 / RFC 7677 exchange without channel binding; the server signature is checked ([`scram`]) |
//! | `ECDSA-NIST256P-CHALLENGE` | P-256 private key ([`EcdsaKey`]) | the account name, then the signed challenge ([`ecdsa`]) |
//!
//! # Defaults and limits
//!
//! | what | value |
//! | --- | --- |
//! | chunk length ([`wire::CHUNK_LEN`]) | 400 bytes of base64 per `AUTHENTICATE` line |
//! | largest payload accepted from the server ([`wire::MAX_INCOMING_LEN`]) | 64 KiB of base64 |
//! | SCRAM client nonce ([`SCRAM_NONCE_BYTES`]) | 18 random bytes, base64: 24 characters |
//! | SCRAM iterations below which a [`SaslWarning`] is raised | 4096 ([`scram::MIN_RECOMMENDED_ITERATIONS`]) |
//! | SCRAM iterations refused as a denial of service | above 600 000 ([`scram::MAX_ITERATIONS`]) |
//!
//! # Flow
//!
//! 1. [`SaslSession::start`] with the mechanisms the server offers (the
//!    value of the `sasl` capability, empty when unknown) and the preferred
//!    order: it picks the first usable one and returns `AUTHENTICATE <MECH>`.
//! 2. Each `AUTHENTICATE <payload>` from the server goes to
//!    [`SaslSession::handle_authenticate`]; split payloads are reassembled.
//! 3. Numerics go to [`SaslSession::handle_numeric`]: `903` is success,
//!    `904`/`905` make the session try the next mechanism (among those of
//!    `908` when the server sent it) or give up, `906` is an abort.
//!
//! A server message the session cannot accept (a malformed SCRAM message, a
//! wrong server signature, bad base64, a challenge out of turn) makes it
//! send `AUTHENTICATE *` and return a [`SaslError`]; it does not fall back to
//! another mechanism after that, since a server that fails to prove it
//! knows the password must not be sent the password in `PLAIN`.
//!
//! ```
//! use irc_client::sasl::{Mechanism, SaslCredentials, SaslOutcome, SaslSession, SystemRng};
//!
//! let creds = SaslCredentials::new("bot").with_password("hunter2");
//! let mut sasl = SaslSession::new(creds, SystemRng);
//! let lines = sasl.start(&["PLAIN", "EXTERNAL"], &[Mechanism::Plain])?;
//! assert_eq!(lines[0].pack().unwrap(), "AUTHENTICATE PLAIN");
//!
//! let mut out = Vec::new();
//! sasl.handle_authenticate("+", &mut out)?;
//! assert_eq!(out[0].pack().unwrap(), "AUTHENTICATE Ym90AGJvdABodW50ZXIy");
//!
//! out.clear();
//! let outcome = sasl.handle_numeric(903, &["bot", "SASL authentication successful"], &mut out);
//! assert_eq!(outcome, SaslOutcome::Success { account: None });
//! # Ok::<(), irc_client::sasl::SaslError>(())
//! ```

pub mod ecdsa;
pub mod scram;
pub mod wire;

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use irc_proto::{Message, MessageBuf};

pub use self::ecdsa::{EcdsaKey, EcdsaKeyError};
pub use self::scram::{ScramClient, ScramError};
use self::wire::{Reassembler, authenticate, encode_lines};

/// How many random bytes make a SCRAM client nonce (base64-encoded on the
/// wire).
pub const SCRAM_NONCE_BYTES: usize = 18;

/// A SASL mechanism this client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616): the password in the clear, inside TLS.
    Plain,
    /// `EXTERNAL` (RFC 4422): the identity comes from the TLS client
    /// certificate.
    External,
    /// `SCRAM-SHA-256` (RFC 7677): a challenge-response that never sends the
    /// password and proves the server knows it too.
    ScramSha256,
    /// `ECDSA-NIST256P-CHALLENGE` (Atheme): a signature with a P-256 key.
    EcdsaNist256pChallenge,
}

impl Mechanism {
    /// Every mechanism, strongest first: the default preference.
    pub const ALL: [Self; 4] = [
        Self::External,
        Self::ScramSha256,
        Self::EcdsaNist256pChallenge,
        Self::Plain,
    ];

    /// The name on the wire.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::External => "EXTERNAL",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::EcdsaNist256pChallenge => "ECDSA-NIST256P-CHALLENGE",
        }
    }

    /// The mechanism with this name, ignoring ASCII case.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an unknown mechanism name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SASL mechanism {0:?}")]
pub struct UnknownMechanism(pub String);

impl FromStr for Mechanism {
    type Err = UnknownMechanism;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| UnknownMechanism(s.to_owned()))
    }
}

/// Splits a mechanism list (the `sasl` capability value, or the list of
/// `908 RPL_SASLMECHS`) on commas, dropping empty items.
///
/// ```
/// assert_eq!(irc_client::sasl::parse_mechanism_list("PLAIN,EXTERNAL,"), ["PLAIN", "EXTERNAL"]);
/// ```
#[must_use]
pub fn parse_mechanism_list(list: &str) -> Vec<&str> {
    list.split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .collect()
}

/// Who to authenticate as, and the secrets to prove it.
#[derive(Clone)]
pub struct SaslCredentials {
    /// The account name (authcid, and authzid for `PLAIN`).
    username: String,
    /// The password for `PLAIN` and `SCRAM-SHA-256`; never printed.
    password: Option<String>,
    /// The key for `ECDSA-NIST256P-CHALLENGE`.
    ecdsa_key: Option<EcdsaKey>,
}

impl fmt::Debug for SaslCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslCredentials")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("ecdsa_key", &self.ecdsa_key)
            .finish()
    }
}

impl SaslCredentials {
    /// Credentials for the account `username`, with no secret yet (enough
    /// for `EXTERNAL`).
    #[must_use]
    pub fn new(username: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: None,
            ecdsa_key: None,
        }
    }

    /// Adds the password (`PLAIN`, `SCRAM-SHA-256`).
    #[must_use]
    pub fn with_password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Adds the private key (`ECDSA-NIST256P-CHALLENGE`).
    #[must_use]
    pub fn with_ecdsa_key(mut self, key: EcdsaKey) -> Self {
        self.ecdsa_key = Some(key);
        self
    }

    /// The account name.
    #[must_use]
    pub fn username(&self) -> &str {
        &self.username
    }

    /// Whether these credentials hold what `mechanism` needs.
    #[must_use]
    pub fn supports(&self, mechanism: Mechanism) -> bool {
        match mechanism {
            Mechanism::External => true,
            Mechanism::Plain | Mechanism::ScramSha256 => self.password.is_some(),
            Mechanism::EcdsaNist256pChallenge => self.ecdsa_key.is_some(),
        }
    }
}

/// The random source could not deliver bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the random number generator failed: {0}")]
pub struct RngError(pub String);

/// Where the session gets randomness (the SCRAM nonce). It must be
/// cryptographically secure outside tests; [`SystemRng`] is.
///
/// Any `FnMut(&mut [u8]) -> Result<(), RngError> + Send` closure is one, which
/// is how tests inject fixed bytes.
pub trait SaslRng: Send {
    /// Fills `dest` with random bytes.
    ///
    /// # Errors
    ///
    /// [`RngError`] when no randomness is available.
    fn fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), RngError>;
}

impl<F> SaslRng for F
where
    F: FnMut(&mut [u8]) -> Result<(), RngError> + Send,
{
    fn fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), RngError> {
        self(dest)
    }
}

/// The operating system's secure random source.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemRng;

impl SaslRng for SystemRng {
    fn fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), RngError> {
        getrandom::fill(dest).map_err(|e| RngError(e.to_string()))
    }
}

/// What went wrong in a SASL exchange.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// No configured mechanism is offered by the server and usable with the
    /// credentials.
    #[error("no usable SASL mechanism (server offers: {offered:?})")]
    NoMechanism {
        /// What the server offered (empty when it did not say).
        offered: Vec<String>,
    },
    /// [`SaslSession::start`] was called while an exchange is running.
    #[error("a SASL exchange is already running")]
    AlreadyStarted,
    /// `AUTHENTICATE` from the server while no exchange runs.
    #[error("AUTHENTICATE received while no SASL exchange runs")]
    NotStarted,
    /// The server payload is not valid base64.
    #[error("the server sent invalid base64 in AUTHENTICATE")]
    InvalidBase64,
    /// The server payload is longer than [`wire::MAX_INCOMING_LEN`].
    #[error("the server sent an AUTHENTICATE payload that is too long")]
    PayloadTooLong,
    /// The server sent a challenge the mechanism does not expect at this
    /// point.
    #[error("unexpected {mechanism} challenge from the server")]
    UnexpectedChallenge {
        /// The mechanism in use.
        mechanism: Mechanism,
    },
    /// The SCRAM exchange failed (malformed message, nonce mismatch, wrong
    /// server signature, server error).
    #[error("SCRAM-SHA-256: {0}")]
    Scram(#[from] ScramError),
    /// The ECDSA key could not sign the challenge.
    #[error("ECDSA-NIST256P-CHALLENGE: {0}")]
    Ecdsa(#[from] EcdsaKeyError),
    /// No randomness for the SCRAM nonce.
    #[error(transparent)]
    Rng(#[from] RngError),
}

/// Something worth logging that does not stop the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SaslWarning {
    /// The SCRAM server asked for fewer iterations than RFC 7677 recommends
    /// ([`scram::MIN_RECOMMENDED_ITERATIONS`]).
    LowIterationCount {
        /// The count it asked for.
        iterations: u32,
    },
}

/// Where the exchange stands after a server message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SaslOutcome {
    /// Still running (or the message changed nothing).
    Pending,
    /// The server refused `failed`; `AUTHENTICATE <next>` was emitted.
    Retrying {
        /// The mechanism that failed.
        failed: Mechanism,
        /// The one tried now.
        next: Mechanism,
    },
    /// Authenticated (`903`, or `907`: already authenticated). `account` is
    /// the name from `900 RPL_LOGGEDIN` when it came first.
    Success {
        /// The account name the server reported.
        account: Option<String>,
    },
    /// Authentication failed and nothing is left to try (`902`, or
    /// `904`/`905` after the last mechanism).
    Failed {
        /// The numeric that ended it.
        code: u16,
        /// The mechanisms tried, in order.
        tried: Vec<Mechanism>,
    },
    /// The exchange was aborted (`906`), by the client after an error or by
    /// the server.
    Aborted,
}

/// The state of the mechanism in use.
enum MechState {
    /// Waiting for the server's first (empty) challenge.
    Plain { responded: bool },
    /// Waiting for the server's first (empty) challenge.
    External { responded: bool },
    /// The SCRAM client (made, with its nonce, on the first server message)
    /// and how many server messages it has had.
    Scram {
        client: Option<Box<ScramClient>>,
        step: u8,
    },
    /// 0: send the account name; 1: sign the challenge; 2: done.
    Ecdsa { step: u8 },
}

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// `start` not called yet.
    Idle,
    /// A mechanism runs.
    Authenticating,
    /// `AUTHENTICATE *` was sent after an error; waiting for `906`.
    Aborting,
    /// Success, failure or abort was reported.
    Finished,
}

/// One SASL authentication, across mechanism fallbacks.
pub struct SaslSession {
    /// Who to log in as.
    credentials: SaslCredentials,
    /// The nonce source.
    rng: Box<dyn SaslRng>,
    /// The mechanisms still to try, in preference order.
    candidates: Vec<Mechanism>,
    /// The mechanisms tried so far, the current one last.
    tried: Vec<Mechanism>,
    /// The list of `908 RPL_SASLMECHS`, once received.
    server_mechanisms: Option<Vec<String>>,
    /// The current mechanism and its state.
    current: Option<(Mechanism, MechState)>,
    /// Server payload chunks not yet complete.
    reassembler: Reassembler,
    /// Where the session is.
    phase: Phase,
    /// The account of `900 RPL_LOGGEDIN`.
    account: Option<String>,
    /// Warnings not yet taken.
    warnings: Vec<SaslWarning>,
}

impl fmt::Debug for SaslSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslSession")
            .field("credentials", &self.credentials)
            .field("mechanism", &self.mechanism())
            .field("candidates", &self.candidates)
            .field("tried", &self.tried)
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

impl SaslSession {
    /// A session for `credentials`, drawing nonces from `rng`.
    #[must_use]
    pub fn new(credentials: SaslCredentials, rng: impl SaslRng + 'static) -> Self {
        Self {
            credentials,
            rng: Box::new(rng),
            candidates: Vec::new(),
            tried: Vec::new(),
            server_mechanisms: None,
            current: None,
            reassembler: Reassembler::default(),
            phase: Phase::Idle,
            account: None,
            warnings: Vec::new(),
        }
    }

    /// Picks the first mechanism of `preference` that the server offers
    /// (`offered`; empty when the server did not list its mechanisms, as
    /// with `sasl` 3.1) and the credentials can serve, and returns the
    /// `AUTHENTICATE <MECH>` line. The others stay as fallbacks.
    ///
    /// # Errors
    ///
    /// [`SaslError::NoMechanism`] when nothing fits (nothing was sent; end
    /// capability negotiation without SASL), [`SaslError::AlreadyStarted`]
    /// while an exchange runs.
    pub fn start(
        &mut self,
        offered: &[&str],
        preference: &[Mechanism],
    ) -> Result<Vec<MessageBuf>, SaslError> {
        if matches!(self.phase, Phase::Authenticating | Phase::Aborting) {
            return Err(SaslError::AlreadyStarted);
        }
        let mut seen = Vec::new();
        for m in preference {
            if !seen.contains(m)
                && self.credentials.supports(*m)
                && (offered.is_empty() || offered.iter().any(|o| o.eq_ignore_ascii_case(m.name())))
            {
                seen.push(*m);
            }
        }
        if seen.is_empty() {
            return Err(SaslError::NoMechanism {
                offered: offered.iter().map(|s| (*s).to_owned()).collect(),
            });
        }
        let first = seen.remove(0);
        self.candidates = seen;
        self.tried.clear();
        self.server_mechanisms = if offered.is_empty() {
            None
        } else {
            Some(offered.iter().map(|s| (*s).to_owned()).collect())
        };
        self.account = None;
        Ok(vec![self.begin(first)])
    }

    /// The mechanism in use, if any.
    #[must_use]
    pub fn mechanism(&self) -> Option<Mechanism> {
        self.current.as_ref().map(|(m, _)| *m)
    }

    /// The account name of `900 RPL_LOGGEDIN`, once received.
    #[must_use]
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// Whether success, failure or an abort was reported.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    /// Takes the warnings raised so far (to log them).
    pub fn take_warnings(&mut self) -> Vec<SaslWarning> {
        std::mem::take(&mut self.warnings)
    }

    /// Aborts a running exchange (a timeout of the caller, a shutdown):
    /// pushes `AUTHENTICATE *` to `out`. Does nothing when no exchange runs.
    pub fn abort(&mut self, out: &mut Vec<MessageBuf>) {
        if self.phase == Phase::Authenticating {
            out.push(authenticate("*"));
            self.phase = Phase::Aborting;
            self.reassembler.clear();
        }
    }

    /// Routes a server message: `AUTHENTICATE` to
    /// [`SaslSession::handle_authenticate`], numerics 900 to 908 to
    /// [`SaslSession::handle_numeric`]; anything else is
    /// [`SaslOutcome::Pending`].
    ///
    /// # Errors
    ///
    /// As [`SaslSession::handle_authenticate`].
    pub fn handle_message(
        &mut self,
        msg: &Message<'_>,
        out: &mut Vec<MessageBuf>,
    ) -> Result<SaslOutcome, SaslError> {
        if msg.is_command("AUTHENTICATE") {
            return self.handle_authenticate(msg.param(0).unwrap_or("+"), out);
        }
        match msg.numeric() {
            Some(code @ 900..=908) => {
                let params = msg.params().to_vec();
                Ok(self.handle_numeric(code, &params, out))
            }
            _ => Ok(SaslOutcome::Pending),
        }
    }

    /// [`SaslSession::handle_message`] for an owned message.
    ///
    /// # Errors
    ///
    /// As [`SaslSession::handle_authenticate`].
    pub fn handle_message_buf(
        &mut self,
        msg: &MessageBuf,
        out: &mut Vec<MessageBuf>,
    ) -> Result<SaslOutcome, SaslError> {
        if msg.is_command("AUTHENTICATE") {
            let payload = msg.params.first().map_or("+", String::as_str);
            return self.handle_authenticate(payload, out);
        }
        let code = (msg.command.len() == 3)
            .then(|| msg.command.parse::<u16>().ok())
            .flatten();
        match code {
            Some(code @ 900..=908) => {
                let params: Vec<&str> = msg.params.iter().map(String::as_str).collect();
                Ok(self.handle_numeric(code, &params, out))
            }
            _ => Ok(SaslOutcome::Pending),
        }
    }

    /// Takes the parameter of an `AUTHENTICATE` line from the server (base64
    /// chunk, or `+`) and pushes the reply lines to `out`.
    ///
    /// # Errors
    ///
    /// A [`SaslError`] for anything the mechanism cannot accept; then
    /// `AUTHENTICATE *` has been pushed to `out` and the session waits for
    /// the server's `906`. [`SaslError::NotStarted`] (nothing pushed) when no
    /// exchange runs.
    pub fn handle_authenticate(
        &mut self,
        payload: &str,
        out: &mut Vec<MessageBuf>,
    ) -> Result<SaslOutcome, SaslError> {
        match self.phase {
            Phase::Authenticating => {}
            // The server may still be answering what came before the abort.
            Phase::Aborting => return Ok(SaslOutcome::Pending),
            Phase::Idle | Phase::Finished => return Err(SaslError::NotStarted),
        }
        match self.step(payload) {
            Ok(Some(response)) => {
                out.extend(response);
                Ok(SaslOutcome::Pending)
            }
            Ok(None) => Ok(SaslOutcome::Pending),
            Err(e) => {
                self.abort(out);
                Err(e)
            }
        }
    }

    /// Takes a SASL numeric (900 to 908) with its parameters (the first
    /// being the client's nick) and pushes any reply lines to `out`.
    pub fn handle_numeric(
        &mut self,
        code: u16,
        params: &[&str],
        out: &mut Vec<MessageBuf>,
    ) -> SaslOutcome {
        match code {
            // RPL_LOGGEDIN: <nick> <nick!user@host> <account> :text
            900 => {
                self.account = params.get(2).map(|a| (*a).to_owned());
                SaslOutcome::Pending
            }
            // RPL_LOGGEDOUT
            901 => {
                self.account = None;
                SaslOutcome::Pending
            }
            // ERR_NICKLOCKED: no mechanism can help.
            902 => self.finish_failed(902),
            // RPL_SASLSUCCESS, ERR_SASLALREADY
            903 | 907 => {
                if self.phase == Phase::Finished {
                    return SaslOutcome::Pending;
                }
                self.phase = Phase::Finished;
                self.reassembler.clear();
                SaslOutcome::Success {
                    account: self.account.clone(),
                }
            }
            // ERR_SASLFAIL, ERR_SASLTOOLONG
            904 | 905 => match self.phase {
                Phase::Authenticating => self.fall_back(code, out),
                Phase::Aborting => self.finish_aborted(),
                Phase::Idle | Phase::Finished => SaslOutcome::Pending,
            },
            // ERR_SASLABORTED
            906 => match self.phase {
                Phase::Authenticating | Phase::Aborting => self.finish_aborted(),
                Phase::Idle | Phase::Finished => SaslOutcome::Pending,
            },
            // RPL_SASLMECHS: <nick> <mechanisms> :are available SASL mechanisms
            908 => {
                if let Some(list) = params.get(1) {
                    self.server_mechanisms = Some(
                        parse_mechanism_list(list)
                            .into_iter()
                            .map(str::to_owned)
                            .collect(),
                    );
                }
                SaslOutcome::Pending
            }
            _ => SaslOutcome::Pending,
        }
    }

    /// Makes `mechanism` current and returns `AUTHENTICATE <MECH>`.
    fn begin(&mut self, mechanism: Mechanism) -> MessageBuf {
        let state = match mechanism {
            Mechanism::Plain => MechState::Plain { responded: false },
            Mechanism::External => MechState::External { responded: false },
            // The nonce is made when the first challenge arrives, where an
            // RNG failure can be reported with an abort.
            Mechanism::ScramSha256 => MechState::Scram {
                client: None,
                step: 0,
            },
            Mechanism::EcdsaNist256pChallenge => MechState::Ecdsa { step: 0 },
        };
        self.current = Some((mechanism, state));
        self.tried.push(mechanism);
        self.reassembler.clear();
        self.phase = Phase::Authenticating;
        authenticate(mechanism.name())
    }

    /// After `904`/`905`: the next candidate the server supports, or the end.
    fn fall_back(&mut self, code: u16, out: &mut Vec<MessageBuf>) -> SaslOutcome {
        let Some(failed) = self.mechanism() else {
            return self.finish_failed(code);
        };
        let server = self.server_mechanisms.as_ref();
        let position = self.candidates.iter().position(|m| {
            server.is_none_or(|list| list.iter().any(|s| s.eq_ignore_ascii_case(m.name())))
        });
        match position {
            Some(i) => {
                let next = self.candidates.remove(i);
                out.push(self.begin(next));
                SaslOutcome::Retrying { failed, next }
            }
            None => self.finish_failed(code),
        }
    }

    fn finish_failed(&mut self, code: u16) -> SaslOutcome {
        self.phase = Phase::Finished;
        self.current = None;
        self.reassembler.clear();
        SaslOutcome::Failed {
            code,
            tried: self.tried.clone(),
        }
    }

    fn finish_aborted(&mut self) -> SaslOutcome {
        self.phase = Phase::Finished;
        self.current = None;
        self.reassembler.clear();
        SaslOutcome::Aborted
    }

    /// Reassembles a chunk and, once the payload is complete, runs the
    /// mechanism. `Ok(None)`: more chunks are expected.
    fn step(&mut self, chunk: &str) -> Result<Option<Vec<MessageBuf>>, SaslError> {
        let Some(challenge) = self.reassembler.push(chunk)? else {
            return Ok(None);
        };
        let Some((mechanism, state)) = self.current.as_mut() else {
            return Err(SaslError::NotStarted);
        };
        let mechanism = *mechanism;
        let unexpected = SaslError::UnexpectedChallenge { mechanism };
        let response: Vec<u8> = match state {
            // The first server message of these is empty; its content, if
            // any, carries nothing for the client.
            MechState::Plain { responded } => {
                if *responded {
                    return Err(unexpected);
                }
                *responded = true;
                let user = &self.credentials.username;
                let pass = self.credentials.password.as_deref().unwrap_or_default();
                format!("{user}\0{user}\0{pass}").into_bytes()
            }
            MechState::External { responded } => {
                if *responded {
                    return Err(unexpected);
                }
                *responded = true;
                Vec::new()
            }
            MechState::Scram { client, step } => {
                let text = std::str::from_utf8(&challenge).map_err(|_| ScramError::NotUtf8);
                match *step {
                    0 => {
                        let mut nonce = [0u8; SCRAM_NONCE_BYTES];
                        self.rng.fill_bytes(&mut nonce)?;
                        let pass = self.credentials.password.as_deref().unwrap_or_default();
                        let scram = client.insert(Box::new(ScramClient::new(
                            &self.credentials.username,
                            pass,
                            &STANDARD.encode(nonce),
                        )));
                        *step = 1;
                        scram.client_first().into_bytes()
                    }
                    1 => {
                        let client = client.as_mut().ok_or(unexpected)?;
                        let reply = client.handle_server_first(text?)?;
                        if let Some(iterations) = client.low_iteration_count() {
                            self.warnings
                                .push(SaslWarning::LowIterationCount { iterations });
                        }
                        *step = 2;
                        reply.into_bytes()
                    }
                    2 => {
                        let client = client.as_mut().ok_or(unexpected)?;
                        client.handle_server_final(text?)?;
                        *step = 3;
                        Vec::new()
                    }
                    _ => return Err(unexpected),
                }
            }
            MechState::Ecdsa { step } => match *step {
                0 => {
                    *step = 1;
                    self.credentials.username.clone().into_bytes()
                }
                1 => {
                    let key = self.credentials.ecdsa_key.as_ref().ok_or(unexpected)?;
                    let signature = key.sign_challenge(&challenge)?;
                    *step = 2;
                    signature
                }
                _ => return Err(unexpected),
            },
        };
        Ok(Some(encode_lines(&response)))
    }
}

#[cfg(test)]
mod tests;
