//! Sans-I/O IRC: parse lines into zero-copy messages, pack messages into lines
//! that cannot be tricked into carrying a second command, and the toolkit a
//! client or bot needs around them.
//!
//! No sockets, no async runtime, no clock: bytes in, values out.
//!
//! # Parse
//!
//! ```
//! use irc_proto::Message;
//!
//! let line = r"@msgid=abc;+example.com/flag :nick!user@host PRIVMSG #rust :hello,  world";
//! let msg = Message::parse(line)?;
//!
//! assert_eq!(msg.command(), "PRIVMSG");
//! let source = msg.source().unwrap();
//! assert_eq!((source.nick(), source.user(), source.host()), ("nick", Some("user"), Some("host")));
//! assert_eq!(msg.params().to_vec(), ["#rust", "hello,  world"]);
//! assert_eq!(msg.tag("msgid").as_deref(), Some("abc"));
//! assert_eq!(msg.tag("+example.com/flag").as_deref(), Some(""));
//! # Ok::<(), irc_proto::ParseError>(())
//! ```
//!
//! Everything in a [`Message`] borrows from the line. Tag values are unescaped
//! only when read, and only allocate when they hold an escape.
//!
//! # Pack
//!
//! ```
//! use irc_proto::{MessageBuf, PackErrorKind};
//!
//! let msg = MessageBuf::new("PRIVMSG").with_param("#rust").with_param("hi there");
//! assert_eq!(msg.pack()?, "PRIVMSG #rust :hi there");
//!
//! // A CR, LF or NUL anywhere is refused, never sent.
//! let evil = MessageBuf::new("PRIVMSG").with_param("#rust").with_param("hi\r\nQUIT");
//! assert_eq!(evil.pack().unwrap_err().kind, PackErrorKind::ForbiddenByte);
//!
//! // Long text is cut on a character boundary to fit 512 bytes with CRLF.
//! let cut = irc_proto::pack::cut_line("PRIVMSG", &["#rust"], Some(&"€".repeat(200)))?;
//! assert!(cut.line.len() <= 512 && cut.line.ends_with("€\r\n"));
//! # Ok::<(), irc_proto::PackError>(())
//! ```
//!
//! # What the parser accepts
//!
//! The default mode is lenient: it reads what real servers send. A stray CR
//! or LF at the end is dropped; runs of spaces separate parameters like one
//! space; spaces at the end of a line add no parameter; more than 15
//! parameters are fine; a tag without value reads as `""`, and the last of
//! duplicate tag keys wins; any printable ASCII word is a command; there is no
//! length limit. [`ParseMode::Strict`] enforces the grammar and the limits
//! (512 bytes with CRLF outside the tags, 8191 for the tags section) and
//! reports violations as [`ParseError`]s. In both modes every failure is a
//! typed error with a byte offset; no input makes the parser panic (a fuzz
//! target checks it).
//!
//! Bytes that are not UTF-8 are not an error either: [`decode`] reads them as
//! CP1252, per invalid sequence, so no line is lost for its encoding
//! ([`text`] has the details).
//!
//! The packer is strict always: a message it cannot write safely is refused
//! with a [`PackError`] naming the part, and nothing is written.
//!
//! # The toolkit
//!
//! | module | for |
//! | --- | --- |
//! | [`numeric`] | every numeric by name, both ways (`RPL_WELCOME` <-> `001`), generated from the ircdocs data |
//! | [`command`] | typed commands whose constructors cannot build an unsafe line |
//! | [`isupport`] | RPL_ISUPPORT (005) tokens with typed accessors and RFC 1459 defaults |
//! | [`casemap`] | `ascii` / `rfc1459` / `rfc1459-strict` folding, comparison and map keys |
//! | [`mode`] | channel and user mode strings, parsed against CHANMODES/PREFIX and formatted back |
//! | [`mask`] | hostmask globs; nick, channel and host name validation |
//! | [`ctcp`] | CTCP requests and replies, DCC offers |
//! | [`format`](mod@format) | formatting codes: strip, parse into spans, render |
//! | [`split`] | long text into PRIVMSG/NOTICE/ACTION lines that fit after the server's relay prefix |
//!
//! ```
//! use irc_proto::{CaseMapping, Command, Isupport, MessageBuf, Numeric};
//!
//! assert_eq!(Numeric::from_name("ERR_NICKNAMEINUSE").map(|n| n.code()), Some(433));
//! let isupport = Isupport::parse("CASEMAPPING=rfc1459 PREFIX=(ov)@+ CHANMODES=beI,k,l,imnpst");
//! assert!(isupport.casemapping().equal("#Foo[", "#foo{"));
//! assert_eq!(MessageBuf::from(Command::privmsg("#rust", "hi there")?).pack()?, "PRIVMSG #rust :hi there");
//! assert!(Command::privmsg("#rust", "hi\r\nQUIT").is_err());
//! # let _ = CaseMapping::Ascii;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! | feature | default | what |
//! | --- | --- | --- |
//! | `serde` | no | `Serialize` / `Deserialize` for [`MessageBuf`] and [`TagBuf`] |

#![forbid(unsafe_code)]

pub mod casemap;
pub mod command;
pub mod ctcp;
pub mod error;
pub mod format;
pub mod isupport;
pub mod mask;
pub mod message;
pub mod mode;
pub mod numeric;
pub mod owned;
pub mod pack;
pub mod parse;
pub mod source;
pub mod split;
pub mod tags;
pub mod text;

pub use casemap::{CaseKey, CaseKeyRef, CaseMapping};
pub use command::{CapSubcommand, Command, CommandError, CommandErrorKind};
pub use ctcp::{Ctcp, CtcpError};
pub use error::{PackError, PackErrorKind, ParseError, ParseErrorKind, Part};
pub use format::{Color, Span, Style};
pub use isupport::{ChanModes, Isupport};
pub use mask::Mask;
pub use message::{Message, MessageBuf, Params, TagBuf};
pub use mode::{ModeChange, ModeError, ModeKind, Sign};
pub use numeric::{Numeric, UnknownNumeric};
pub use owned::OwnedMessage;
pub use pack::{CutLine, Truncation, cut_line};
pub use parse::{MAX_BODY_LEN, MAX_TAGS_LEN, ParseMode};
pub use source::Source;
pub use split::{MessageKind, SplitError, SplitOptions};
pub use tags::{Tag, Tags};
pub use text::decode;

/// The examples of the user guide (`docs/protocol.md`), compiled and run as
/// doc tests so the guide cannot drift from the code.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/protocol.md")]
pub struct ProtocolGuide;
