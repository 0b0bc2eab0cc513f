//! The client side of SCRAM-SHA-256 (RFC 5802 with the SHA-256 hash of
//! RFC 7677), without channel binding.
//!
//! The exchange has three messages:
//!
//! 1. client-first: `n,,n=<user>,r=<client nonce>` (the `n,,` GS2 header
//!    says: no channel binding, no authorization identity);
//! 2. server-first: `r=<client nonce + server nonce>,s=<salt>,i=<iterations>`;
//!    the client answers client-final: `c=biws,r=<nonce>,p=<proof>`
//!    (`biws` is base64 of the GS2 header);
//! 3. server-final: `v=<server signature>` which the client checks, or
//!    `e=<error>`.
//!
//! Usernames and passwords are used as the UTF-8 bytes given; SASLprep
//! normalisation is not applied, so give them already normalised (ASCII
//! credentials need nothing).
//!
//! ```
//! use irc_client::sasl::scram::ScramClient;
//!
//! // The exchange of RFC 7677, section 3.
//! let mut scram = ScramClient::new("user", "pencil", "rOprNGfwEbeRWgbNEkqO");
//! assert_eq!(scram.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
//! let client_final = scram.handle_server_first(
//!     "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
//! )?;
//! assert_eq!(
//!     client_final,
//!     "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
//! );
//! scram.handle_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")?;
//! # Ok::<(), irc_client::sasl::scram::ScramError>(())
//! ```

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The GS2 header: no channel binding, no authorization identity.
const GS2_HEADER: &str = "n,,";

/// `c=` of client-final: base64 of [`GS2_HEADER`].
const CHANNEL_BINDING: &str = "biws";

/// The iteration count RFC 7677 asks servers to use at least. Lower counts
/// are accepted and reported through [`ScramClient::low_iteration_count`].
pub const MIN_RECOMMENDED_ITERATIONS: u32 = 4096;

/// The largest iteration count accepted. Each iteration costs the client
/// CPU time, so a server asking for more is refused rather than obeyed.
pub const MAX_ITERATIONS: u32 = 600_000;

/// What went wrong in a SCRAM exchange.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScramError {
    /// A server message arrived out of turn.
    #[error("unexpected SCRAM message in state {state}")]
    UnexpectedMessage {
        /// What the client was waiting for.
        state: &'static str,
    },
    /// The server message is not valid UTF-8.
    #[error("SCRAM message is not UTF-8")]
    NotUtf8,
    /// The server-first message lacks an attribute, has them in the wrong
    /// order, or carries a value that does not parse.
    #[error("malformed SCRAM server-first message: {reason}")]
    MalformedServerFirst {
        /// What is wrong.
        reason: &'static str,
    },
    /// The server-first message names a mandatory extension (`m=`) the
    /// client does not support.
    #[error("SCRAM server requires an unsupported extension")]
    UnsupportedExtension,
    /// The server nonce does not extend the client nonce.
    #[error("SCRAM server nonce does not start with the client nonce")]
    NonceMismatch,
    /// The server asks for more iterations than [`MAX_ITERATIONS`].
    #[error("SCRAM iteration count {iterations} is above the limit of {MAX_ITERATIONS}")]
    TooManyIterations {
        /// The count the server sent.
        iterations: u32,
    },
    /// The server-final message is neither `v=` nor `e=`, or its signature
    /// is not base64.
    #[error("malformed SCRAM server-final message")]
    MalformedServerFinal,
    /// The server sent `e=`: it refused the proof or failed.
    #[error("SCRAM server error: {0}")]
    ServerError(String),
    /// The server signature does not match: the server does not know the
    /// password (or the exchange was tampered with).
    #[error("SCRAM server signature does not match")]
    ServerSignatureMismatch,
}

/// Where the client is in the exchange.
#[derive(Clone)]
enum State {
    /// client-first not yet produced.
    Initial,
    /// client-first sent; waiting for server-first.
    AwaitServerFirst,
    /// client-final sent; waiting for server-final, whose signature must
    /// be the HMAC of the AuthMessage under this ServerKey.
    AwaitServerFinal {
        server_key: [u8; 32],
        auth_message: String,
    },
    /// The server signature was verified.
    Done,
    /// The exchange failed; nothing more is accepted.
    Failed,
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::AwaitServerFirst => "awaiting server-first",
            Self::AwaitServerFinal { .. } => "awaiting server-final",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// The client side of one SCRAM-SHA-256 exchange.
#[derive(Clone)]
pub struct ScramClient {
    /// The authentication identity, already escaped as a `saslname`.
    username: String,
    /// The password; never printed.
    password: String,
    /// The client nonce: printable ASCII without `,`.
    client_nonce: String,
    /// `n=<user>,r=<nonce>`: part of the AuthMessage.
    client_first_bare: String,
    /// The count the server asked for when it was below
    /// [`MIN_RECOMMENDED_ITERATIONS`].
    low_iterations: Option<u32>,
    /// Where the exchange is.
    state: State,
}

impl fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramClient")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("state", &self.state.name())
            .finish_non_exhaustive()
    }
}

/// Escapes a username as a SCRAM `saslname`: `=` becomes `=3D` and `,`
/// becomes `=2C`.
///
/// ```
/// assert_eq!(irc_client::sasl::scram::escape_saslname("a=b,c"), "a=3Db=2Cc");
/// ```
#[must_use]
pub fn escape_saslname(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '=' => out.push_str("=3D"),
            ',' => out.push_str("=2C"),
            c => out.push(c),
        }
    }
    out
}

impl ScramClient {
    /// A client for `username` and `password` that uses `client_nonce`.
    ///
    /// The nonce must be unpredictable, printable ASCII and free of `,`;
    /// [`SaslSession`](super::SaslSession) makes one from its random source.
    /// Characters outside that set are dropped from it.
    #[must_use]
    pub fn new(username: &str, password: &str, client_nonce: &str) -> Self {
        let client_nonce: String = client_nonce
            .chars()
            .filter(|c| c.is_ascii_graphic() && *c != ',')
            .collect();
        let username = escape_saslname(username);
        let client_first_bare = format!("n={username},r={client_nonce}");
        Self {
            username,
            password: password.to_owned(),
            client_nonce,
            client_first_bare,
            low_iterations: None,
            state: State::Initial,
        }
    }

    /// The client-first message. Calling it again gives the same text.
    pub fn client_first(&mut self) -> String {
        if matches!(self.state, State::Initial) {
            self.state = State::AwaitServerFirst;
        }
        format!("{GS2_HEADER}{}", self.client_first_bare)
    }

    /// The iteration count the server asked for, when it is below
    /// [`MIN_RECOMMENDED_ITERATIONS`]: accepted, but worth a warning.
    #[must_use]
    pub fn low_iteration_count(&self) -> Option<u32> {
        self.low_iterations
    }

    /// Whether the server signature was verified.
    #[must_use]
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Reads server-first and returns client-final.
    ///
    /// # Errors
    ///
    /// [`ScramError::UnexpectedMessage`] out of turn;
    /// [`ScramError::MalformedServerFirst`], [`ScramError::UnsupportedExtension`],
    /// [`ScramError::NonceMismatch`] or [`ScramError::TooManyIterations`] for
    /// a message the client cannot accept. The exchange is then over.
    pub fn handle_server_first(&mut self, message: &str) -> Result<String, ScramError> {
        if !matches!(self.state, State::AwaitServerFirst) {
            return Err(self.fail_unexpected());
        }
        self.state = State::Failed;
        let first = parse_server_first(message)?;
        if !first.nonce.starts_with(&self.client_nonce)
            || first.nonce.len() <= self.client_nonce.len()
        {
            return Err(ScramError::NonceMismatch);
        }
        if first.iterations > MAX_ITERATIONS {
            return Err(ScramError::TooManyIterations {
                iterations: first.iterations,
            });
        }
        if first.iterations < MIN_RECOMMENDED_ITERATIONS {
            self.low_iterations = Some(first.iterations);
        }

        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(
            self.password.as_bytes(),
            &first.salt,
            first.iterations,
            &mut salted,
        );
        let client_key = hmac(&salted, b"Client Key");
        let stored_key: [u8; 32] = Sha256::digest(client_key).into();
        let without_proof = format!("c={CHANNEL_BINDING},r={}", first.nonce);
        let auth_message = format!("{},{message},{without_proof}", self.client_first_bare);
        let client_signature = hmac(&stored_key, auth_message.as_bytes());
        let mut proof = client_key;
        for (p, s) in proof.iter_mut().zip(client_signature) {
            *p ^= s;
        }
        let server_key = hmac(&salted, b"Server Key");
        self.state = State::AwaitServerFinal {
            server_key,
            auth_message,
        };
        Ok(format!("{without_proof},p={}", STANDARD.encode(proof)))
    }

    /// Reads server-final and checks the server signature.
    ///
    /// # Errors
    ///
    /// [`ScramError::ServerError`] for `e=`, [`ScramError::ServerSignatureMismatch`]
    /// for a wrong signature, [`ScramError::MalformedServerFinal`] for anything
    /// else, [`ScramError::UnexpectedMessage`] out of turn.
    pub fn handle_server_final(&mut self, message: &str) -> Result<(), ScramError> {
        if !matches!(self.state, State::AwaitServerFinal { .. }) {
            return Err(self.fail_unexpected());
        }
        let State::AwaitServerFinal {
            server_key,
            auth_message,
        } = std::mem::replace(&mut self.state, State::Failed)
        else {
            return Err(ScramError::UnexpectedMessage { state: "failed" });
        };
        let first = message.split(',').next().unwrap_or_default();
        if let Some(error) = first.strip_prefix("e=") {
            return Err(ScramError::ServerError(error.to_owned()));
        }
        let verifier = first
            .strip_prefix("v=")
            .ok_or(ScramError::MalformedServerFinal)?;
        let got = STANDARD
            .decode(verifier.as_bytes())
            .map_err(|_| ScramError::MalformedServerFinal)?;
        // The MAC's own check compares in constant time and insists on the
        // full length.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&server_key)
            .map_err(|_| ScramError::ServerSignatureMismatch)?;
        mac.update(auth_message.as_bytes());
        mac.verify_slice(&got)
            .map_err(|_| ScramError::ServerSignatureMismatch)?;
        self.state = State::Done;
        Ok(())
    }

    /// Marks the exchange failed and names the state it was in.
    fn fail_unexpected(&mut self) -> ScramError {
        let state = self.state.name();
        self.state = State::Failed;
        ScramError::UnexpectedMessage { state }
    }
}

/// HMAC-SHA-256 of `data` under `key`.
fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length, so this never fails.
    let Ok(mut mac) = <HmacSha256 as KeyInit>::new_from_slice(key) else {
        return [0; 32];
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The parts of server-first the client uses.
struct ServerFirst {
    nonce: String,
    salt: Vec<u8>,
    iterations: u32,
}

/// Parses `[m=ext,]r=nonce,s=salt,i=count[,ext...]`.
fn parse_server_first(message: &str) -> Result<ServerFirst, ScramError> {
    let malformed = |reason| ScramError::MalformedServerFirst { reason };
    let mut attrs = message.split(',');
    let mut next = attrs.next().unwrap_or_default();
    if next.starts_with("m=") {
        return Err(ScramError::UnsupportedExtension);
    }
    let nonce = next
        .strip_prefix("r=")
        .ok_or_else(|| malformed("r= missing"))?;
    if nonce.is_empty() || !nonce.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(malformed("nonce is empty or not printable"));
    }
    next = attrs.next().unwrap_or_default();
    let salt = next
        .strip_prefix("s=")
        .ok_or_else(|| malformed("s= missing"))?;
    let salt = STANDARD
        .decode(salt.as_bytes())
        .map_err(|_| malformed("salt is not base64"))?;
    if salt.is_empty() {
        return Err(malformed("salt is empty"));
    }
    next = attrs.next().unwrap_or_default();
    let iterations = next
        .strip_prefix("i=")
        .ok_or_else(|| malformed("i= missing"))?;
    if iterations.is_empty() || !iterations.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed("iteration count is not a number"));
    }
    let iterations: u32 = match iterations.parse() {
        Ok(0) => return Err(malformed("iteration count is zero")),
        Ok(n) => n,
        // All digits, so the only failure is overflow.
        Err(_) => u32::MAX,
    };
    Ok(ServerFirst {
        nonce: nonce.to_owned(),
        salt,
        iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: &str = "rOprNGfwEbeRWgbNEkqO";
    const SERVER_FIRST: &str =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    const CLIENT_FINAL: &str = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const SERVER_FINAL: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    fn started() -> ScramClient {
        let mut s = ScramClient::new("user", "pencil", NONCE);
        assert_eq!(s.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        s
    }

    #[test]
    fn rfc7677_test_vector() {
        let mut s = started();
        assert_eq!(s.handle_server_first(SERVER_FIRST).unwrap(), CLIENT_FINAL);
        assert_eq!(s.low_iteration_count(), None);
        assert!(!s.is_done());
        s.handle_server_final(SERVER_FINAL).unwrap();
        assert!(s.is_done());
    }

    #[test]
    fn wrong_server_signature_is_refused() {
        let mut s = started();
        s.handle_server_first(SERVER_FIRST).unwrap();
        let err = s
            .handle_server_final("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap_err();
        assert_eq!(err, ScramError::ServerSignatureMismatch);
        assert!(!s.is_done());
    }

    #[test]
    fn truncated_server_signature_is_refused() {
        let mut s = started();
        s.handle_server_first(SERVER_FIRST).unwrap();
        assert_eq!(
            s.handle_server_final("v=6rriTRBi").unwrap_err(),
            ScramError::ServerSignatureMismatch
        );
        for bad in ["v=***", "x=6rriTRBi", ""] {
            let mut s = started();
            s.handle_server_first(SERVER_FIRST).unwrap();
            assert_eq!(
                s.handle_server_final(bad).unwrap_err(),
                ScramError::MalformedServerFinal,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn server_error_is_reported() {
        let mut s = started();
        s.handle_server_first(SERVER_FIRST).unwrap();
        assert_eq!(
            s.handle_server_final("e=invalid-proof").unwrap_err(),
            ScramError::ServerError("invalid-proof".into())
        );
    }

    #[test]
    fn nonce_must_extend_client_nonce() {
        let mut s = started();
        let other = SERVER_FIRST.replace("r=rOpr", "r=XXpr");
        assert_eq!(
            s.handle_server_first(&other).unwrap_err(),
            ScramError::NonceMismatch
        );
        // The bare client nonce, with nothing added by the server, is refused too.
        let mut s = started();
        let same = format!("r={NONCE},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        assert_eq!(
            s.handle_server_first(&same).unwrap_err(),
            ScramError::NonceMismatch
        );
    }

    #[test]
    fn malformed_server_first_messages() {
        for bad in [
            "",
            "garbage",
            "s=W22ZaJ0SNY7soEsUEjb6gQ==,r=rOprNGfwEbeRWgbNEkqOx,i=4096",
            "r=rOprNGfwEbeRWgbNEkqOx,i=4096",
            "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==",
            "r=rOprNGfwEbeRWgbNEkqOx,s=!!notbase64!!,i=4096",
            "r=rOprNGfwEbeRWgbNEkqOx,s=,i=4096",
            "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=",
            "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-5",
            "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
            "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=12ab",
            "r=,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        ] {
            let mut s = started();
            let err = s.handle_server_first(bad).unwrap_err();
            assert!(
                matches!(err, ScramError::MalformedServerFirst { .. }),
                "{bad:?} gave {err:?}"
            );
        }
    }

    #[test]
    fn mandatory_extension_is_refused() {
        let mut s = started();
        let msg = format!("m=foo,{SERVER_FIRST}");
        assert_eq!(
            s.handle_server_first(&msg).unwrap_err(),
            ScramError::UnsupportedExtension
        );
    }

    #[test]
    fn optional_extensions_after_iterations_are_ignored() {
        let mut s = started();
        let msg = format!("{SERVER_FIRST},x=whatever");
        assert!(s.handle_server_first(&msg).is_ok());
    }

    #[test]
    fn low_iteration_count_is_accepted_and_flagged() {
        let mut s = started();
        let msg = SERVER_FIRST.replace("i=4096", "i=1024");
        assert!(s.handle_server_first(&msg).is_ok());
        assert_eq!(s.low_iteration_count(), Some(1024));
    }

    #[test]
    fn huge_iteration_count_is_refused() {
        for count in ["600001", "99999999999999999999"] {
            let mut s = started();
            let msg = SERVER_FIRST.replace("i=4096", &format!("i={count}"));
            assert!(matches!(
                s.handle_server_first(&msg).unwrap_err(),
                ScramError::TooManyIterations { .. }
            ));
        }
    }

    #[test]
    fn messages_out_of_turn_are_refused() {
        let mut s = ScramClient::new("user", "pencil", NONCE);
        assert!(matches!(
            s.handle_server_first(SERVER_FIRST),
            Err(ScramError::UnexpectedMessage { .. })
        ));
        let mut s = started();
        assert!(matches!(
            s.handle_server_final(SERVER_FINAL),
            Err(ScramError::UnexpectedMessage { .. })
        ));
    }

    #[test]
    fn username_is_escaped() {
        let mut s = ScramClient::new("a,b=c", "pw", "abc");
        assert_eq!(s.client_first(), "n,,n=a=2Cb=3Dc,r=abc");
    }

    #[test]
    fn nonce_is_sanitised() {
        let mut s = ScramClient::new("u", "pw", "ab, c\u{e9}d");
        assert_eq!(s.client_first(), "n,,n=u,r=abcd");
    }

    #[test]
    fn debug_hides_the_password() {
        let s = ScramClient::new("user", "pencil", NONCE);
        assert!(!format!("{s:?}").contains("pencil"));
    }
}
