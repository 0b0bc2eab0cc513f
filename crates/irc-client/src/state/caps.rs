//! IRCv3 capabilities as the connection goes: what the server offers, what
//! is enabled, and what to ask for when the server offers something new
//! (`cap-notify`).
//!
//! Registration (`state::register`) sends the first `CAP REQ`; this module
//! watches every `CAP` reply, before and after registration, so that it
//! knows the enabled set without help from the registration code:
//!
//! | reply | effect |
//! | --- | --- |
//! | `CAP * LS [*] :caps` | the offer (a new connection's first `LS` resets everything) |
//! | `CAP nick ACK :caps` | enabled (`-cap` in an `ACK`: disabled) |
//! | `CAP nick NEW :caps` | offered; the wanted ones not yet enabled are requested |
//! | `CAP nick DEL :caps` | neither offered nor enabled any more |
//! | `CAP nick LIST :caps` | the enabled set, as the server sees it |
//!
//! `sasl` is never requested here: authenticating after registration is
//! another matter.
//!
//! ```
//! use irc_client::state::caps::Caps;
//! use irc_proto::MessageBuf;
//!
//! let mut caps = Caps::new(["away-notify", "chghost"]);
//! let line = |l: &str| MessageBuf::parse(l).unwrap();
//! caps.handle(&line(":srv CAP * LS :away-notify cap-notify"), false);
//! caps.handle(&line(":srv CAP * ACK :away-notify"), false);
//! assert!(caps.is_enabled("away-notify"));
//! // After registration the server offers chghost: it is requested.
//! let out = caps.handle(&line(":srv CAP me NEW :chghost"), true);
//! assert_eq!(out.unwrap().pack().unwrap(), "CAP REQ chghost");
//! caps.handle(&line(":srv CAP me DEL :away-notify"), true);
//! assert!(!caps.is_enabled("away-notify"));
//! ```

use std::collections::{BTreeMap, BTreeSet};

use irc_proto::MessageBuf;

/// The capabilities the client understands, requested by default when
/// offered (the builder's `capabilities` replaces the list).
///
/// `echo-message` is not in it: with it, the server echoes every message
/// you send back to you as if someone had sent it, and a bot answering
/// `PRIVMSG` without checking the sender would answer itself. Add it
/// yourself when you want it. `sasl` is requested by the connection code
/// when credentials are set.
pub const DEFAULT_CAPABILITIES: &[&str] = &[
    "message-tags",
    "server-time",
    "account-tag",
    "account-notify",
    "away-notify",
    "extended-join",
    "multi-prefix",
    "userhost-in-names",
    "chghost",
    "setname",
    "batch",
    "labeled-response",
    "invite-notify",
    "cap-notify",
];

/// The capability state of one connection (sans I/O).
#[derive(Debug, Clone, Default)]
pub struct Caps {
    /// What to request when offered later (`CAP NEW`).
    wanted: Vec<String>,
    /// Offered, with their values (`sasl=PLAIN,EXTERNAL` gives
    /// `Some("PLAIN,EXTERNAL")`).
    offered: BTreeMap<String, Option<String>>,
    /// Enabled.
    enabled: BTreeSet<String>,
    /// A multi-line `LS` is being read.
    in_ls: bool,
}

impl Caps {
    /// A state that wants these capabilities.
    pub fn new<I, S>(wanted: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            wanted: wanted.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Forgets the offer and the enabled set (a new connection).
    pub fn reset(&mut self) {
        self.offered.clear();
        self.enabled.clear();
        self.in_ls = false;
    }

    /// Whether `name` is enabled.
    #[must_use]
    pub fn is_enabled(&self, name: &str) -> bool {
        self.enabled.contains(name)
    }

    /// The enabled capabilities, sorted.
    pub fn enabled(&self) -> impl Iterator<Item = &str> + '_ {
        self.enabled.iter().map(String::as_str)
    }

    /// Whether the server offers `name`.
    #[must_use]
    pub fn is_offered(&self, name: &str) -> bool {
        self.offered.contains_key(name)
    }

    /// The value the server gave with an offered capability
    /// (`Some(Some("PLAIN"))` for `sasl=PLAIN`, `Some(None)` for no value).
    #[must_use]
    pub fn offered_value(&self, name: &str) -> Option<Option<&str>> {
        self.offered.get(name).map(Option::as_deref)
    }

    /// The capabilities requested when they are offered later.
    #[must_use]
    pub fn wanted(&self) -> &[String] {
        &self.wanted
    }

    /// Feeds one message; a `CAP REQ` to send comes back when the server
    /// offers wanted capabilities with `CAP NEW` after registration
    /// (`registered`).
    pub fn handle(&mut self, msg: &MessageBuf, registered: bool) -> Option<MessageBuf> {
        if !msg.is_command("CAP") || msg.params.len() < 3 {
            return None;
        }
        let target = msg.params[0].as_str();
        let sub = msg.params[1].to_ascii_uppercase();
        let list = msg.params.last().map_or("", String::as_str);
        let more = msg.params.len() >= 4 && msg.params[2] == "*";
        match sub.as_str() {
            "LS" => {
                // A connection's first `LS` is addressed to `*`.
                if target == "*" && !self.in_ls {
                    self.reset();
                }
                self.in_ls = more;
                self.offer(list);
                None
            }
            "LIST" => {
                if !self.in_ls {
                    self.enabled.clear();
                }
                self.in_ls = more;
                self.enabled
                    .extend(list.split_ascii_whitespace().map(|c| name_of(c).to_owned()));
                None
            }
            "ACK" => {
                for cap in list.split_ascii_whitespace() {
                    match cap.strip_prefix('-') {
                        Some(off) => {
                            self.enabled.remove(off);
                        }
                        None => {
                            self.enabled.insert(name_of(cap).to_owned());
                        }
                    }
                }
                None
            }
            "NEW" => {
                self.offer(list);
                if !registered {
                    return None;
                }
                let ask: Vec<&str> = list
                    .split_ascii_whitespace()
                    .map(name_of)
                    .filter(|c| {
                        *c != "sasl"
                            && !self.enabled.contains(*c)
                            && self.wanted.iter().any(|w| w == c)
                    })
                    .collect();
                (!ask.is_empty())
                    .then(|| MessageBuf::new("CAP").with_params(["REQ", &ask.join(" ")]))
            }
            "DEL" => {
                for cap in list.split_ascii_whitespace().map(name_of) {
                    self.offered.remove(cap);
                    self.enabled.remove(cap);
                }
                None
            }
            _ => None,
        }
    }

    fn offer(&mut self, list: &str) {
        for cap in list.split_ascii_whitespace() {
            let (name, value) = match cap.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (cap, None),
            };
            self.offered.insert(name.to_owned(), value);
        }
    }
}

/// The name of a capability token (`sasl` of `sasl=PLAIN`).
fn name_of(cap: &str) -> &str {
    cap.split_once('=').map_or(cap, |(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(caps: &mut Caps, line: &str, registered: bool) -> Option<String> {
        caps.handle(&MessageBuf::parse(line).expect("parse"), registered)
            .map(|m| m.pack().expect("pack"))
    }

    #[test]
    fn multiline_ls_with_values_then_ack() {
        let mut caps = Caps::new(DEFAULT_CAPABILITIES.iter().copied());
        assert_eq!(
            feed(&mut caps, ":s CAP * LS * :sasl=PLAIN,EXTERNAL batch", false),
            None
        );
        assert_eq!(feed(&mut caps, ":s CAP * LS :extended-join", false), None);
        assert!(caps.is_offered("batch"));
        assert_eq!(caps.offered_value("sasl"), Some(Some("PLAIN,EXTERNAL")));
        assert_eq!(caps.offered_value("batch"), Some(None));
        feed(&mut caps, ":s CAP * ACK :batch extended-join", false);
        assert_eq!(
            caps.enabled().collect::<Vec<_>>(),
            ["batch", "extended-join"]
        );
        feed(&mut caps, ":s CAP me ACK :-batch", true);
        assert!(!caps.is_enabled("batch"));
    }

    #[test]
    fn new_requests_only_wanted_and_not_before_registration() {
        let mut caps = Caps::new(["away-notify", "chghost", "sasl"]);
        assert_eq!(feed(&mut caps, ":s CAP * NEW :away-notify", false), None);
        assert_eq!(
            feed(
                &mut caps,
                ":s CAP me NEW :chghost=x sasl=PLAIN unknown-cap away-notify",
                true
            ),
            Some("CAP REQ :chghost away-notify".into())
        );
        feed(&mut caps, ":s CAP me ACK :chghost away-notify", true);
        assert_eq!(feed(&mut caps, ":s CAP me NEW :chghost", true), None);
        feed(&mut caps, ":s CAP me DEL :chghost", true);
        assert!(!caps.is_enabled("chghost"));
        assert!(!caps.is_offered("chghost"));
        assert!(caps.is_enabled("away-notify"));
    }

    #[test]
    fn a_new_connection_resets_and_list_replaces() {
        let mut caps = Caps::new(["batch"]);
        feed(&mut caps, ":s CAP * LS :batch", false);
        feed(&mut caps, ":s CAP * ACK :batch", false);
        feed(&mut caps, ":s CAP me LIST :batch server-time", true);
        assert_eq!(caps.enabled().count(), 2);
        // The next connection's first LS.
        feed(&mut caps, ":s CAP * LS :server-time", false);
        assert!(!caps.is_enabled("batch"));
        assert!(!caps.is_offered("batch"));
        // Not a CAP, or too short: ignored.
        assert_eq!(feed(&mut caps, ":s CAP *", false), None);
        assert_eq!(feed(&mut caps, ":s PING x", false), None);
    }
}
