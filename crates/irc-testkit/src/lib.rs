//! Real IRC servers for integration tests.
//!
//! [`Server::start`] runs an ngIRCd or an InspIRCd (the Debian packages) in
//! the foreground, listening on a free port of `127.0.0.1`, with a
//! configuration generated into a temporary directory. The server writes its
//! output to a log file there ([`Server::log`]); it can be killed and started
//! again on the same ports ([`Server::kill`], [`Server::restart`]), and
//! dropping the [`Server`] kills it and removes the directory.
//!
//! # Finding the binaries
//!
//! A server's binary comes from its environment variable (`IRC_TEST_NGIRCD`,
//! `IRC_TEST_INSPIRCD`; what `cargo xtask ci` sets), else from the `PATH`,
//! else from `/usr/sbin`, `/usr/local/sbin` and `/sbin`. When it is missing,
//! [`Server::start`] prints a `skipped:` line with the install hint and
//! returns `None`, so the test can return early; with
//! `IRC_TEST_REQUIRE_SERVERS=1` it panics with that hint instead, so that CI
//! cannot pass by skipping.
//!
//! # Example
//!
//! ```no_run
//! use irc_testkit::{Kind, Server};
//!
//! # async fn a_test() {
//! let Some(mut server) = Server::builder(Kind::Ngircd).penalty(false).start().await else {
//!     return; // not installed: skipped
//! };
//! let addr = ("127.0.0.1", server.port());
//! // ... connect a client to `addr` ...
//! server.restart().await; // down, then up again on the same port
//! assert!(server.log().len() < 1_000_000);
//! # let _ = addr;
//! # }
//! ```
//!
//! Every wait here is bounded in time: a server that does not listen within
//! [`STARTUP`] or does not die within [`STOP`] fails the test with its log.

#![forbid(unsafe_code)]

use std::fmt;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// The environment variable that turns a missing server from a skip into a
/// failure when it is `1`.
pub const REQUIRE_SERVERS: &str = "IRC_TEST_REQUIRE_SERVERS";

/// How long a server may take to listen on all its ports.
pub const STARTUP: Duration = Duration::from_secs(20);

/// How long a killed server may take to exit.
pub const STOP: Duration = Duration::from_secs(10);

/// How often the ports are tried while a server starts.
const POLL: Duration = Duration::from_millis(50);

/// The directories searched after the `PATH`.
const SBIN: [&str; 3] = ["/usr/sbin", "/usr/local/sbin", "/sbin"];

/// The log file, in the server's directory, that gets its stdout and stderr.
const LOG: &str = "server.log";

/// Which IRC server to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// ngIRCd: RFC 2812 with few extensions; can serve TLS.
    Ngircd,
    /// InspIRCd 3, with the IRCv3 modules loaded (server-time, message-tags,
    /// batch, labeled-response, account-tag, chghost, cap-notify,
    /// invite-notify, multi-prefix, userhost-in-names, setname).
    Inspircd,
}

impl Kind {
    /// Both kinds.
    pub const ALL: [Self; 2] = [Self::Ngircd, Self::Inspircd];

    /// The binary and Debian package name: `ngircd` or `inspircd`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ngircd => "ngircd",
            Self::Inspircd => "inspircd",
        }
    }

    /// The environment variable that names the binary:
    /// `IRC_TEST_NGIRCD` or `IRC_TEST_INSPIRCD`.
    #[must_use]
    pub const fn env_var(self) -> &'static str {
        match self {
            Self::Ngircd => "IRC_TEST_NGIRCD",
            Self::Inspircd => "IRC_TEST_INSPIRCD",
        }
    }

    /// The server binary, if there is one: the file that
    /// [`env_var`](Self::env_var) names when it is set (and `None` when that
    /// is not a file), else the first match in the `PATH`, `/usr/sbin`,
    /// `/usr/local/sbin` and `/sbin`.
    #[must_use]
    pub fn binary(self) -> Option<PathBuf> {
        if let Some(p) = std::env::var_os(self.env_var()) {
            return Some(PathBuf::from(p)).filter(|p| p.is_file());
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain(SBIN.map(PathBuf::from))
            .map(|d| d.join(self.name()))
            .find(|p| p.is_file())
    }

    /// What to do when the binary is missing, e.g. ``ngircd not found: set
    /// IRC_TEST_NGIRCD or run `apt-get install -y ngircd` (or `cargo xtask
    /// servers`)``.
    #[must_use]
    pub fn install_hint(self) -> String {
        format!(
            "{} not found: set {} or run `apt-get install -y {}` (or `cargo xtask servers`)",
            self.name(),
            self.env_var(),
            self.name()
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The options of a server to start; made by [`Server::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `start`"]
pub struct ServerBuilder {
    kind: Kind,
    /// The PEM certificate chain and private key of the TLS port.
    tls: Option<(PathBuf, PathBuf)>,
    /// Whether ngIRCd delays clients that send fast.
    penalty: bool,
}

impl ServerBuilder {
    /// Adds a TLS port (on another free port, see [`Server::tls_port`])
    /// serving this PEM certificate (chain) and PEM private key. The files
    /// are read when the server starts and again on each restart.
    ///
    /// Only ngIRCd offers TLS here: [`start`](Self::start) panics when this
    /// is set for [`Kind::Inspircd`].
    pub fn tls(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls = Some((cert.into(), key.into()));
        self
    }

    /// Whether ngIRCd's command penalty is on (its default, and the default
    /// here): ngIRCd then reads fewer lines from a client that sends fast.
    /// `false` writes `MaxPenaltyTime = 0`, so that replies to a burst come
    /// at once. InspIRCd's flood limits are always lifted.
    pub fn penalty(mut self, on: bool) -> Self {
        self.penalty = on;
        self
    }

    /// Starts the server and waits (at most [`STARTUP`]) until it accepts
    /// connections on every port.
    ///
    /// Returns `None`, after printing `skipped: <install hint>` to stderr,
    /// when the binary is missing (see [`Kind::binary`]).
    ///
    /// # Panics
    ///
    /// When the binary is missing and `IRC_TEST_REQUIRE_SERVERS=1`, when a
    /// TLS port is asked of InspIRCd, when the temporary directory or the
    /// configuration cannot be written, and when the server cannot be run,
    /// exits, or does not listen in time (the message has its log).
    pub async fn start(self) -> Option<Server> {
        let Some(binary) = self.kind.binary() else {
            let hint = self.kind.install_hint();
            assert!(
                std::env::var(REQUIRE_SERVERS).as_deref() != Ok("1"),
                "{REQUIRE_SERVERS}=1 but {hint}"
            );
            eprintln!("skipped: {hint}");
            return None;
        };
        assert!(
            self.tls.is_none() || self.kind == Kind::Ngircd,
            "a TLS port is offered for ngircd only, not {}",
            self.kind
        );
        let dir = tempfile::Builder::new()
            .prefix(&format!("irc-test-{}-", self.kind.name()))
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let port = free_port();
        let tls = self.tls.map(|(cert, key)| Tls {
            port: free_port(),
            cert,
            key,
        });
        let config = match self.kind {
            Kind::Ngircd => ngircd_conf(port, tls.as_ref(), self.penalty),
            Kind::Inspircd => {
                write(&dir.path().join("motd.txt"), MOTD);
                inspircd_conf(port, dir.path())
            }
        };
        write(&dir.path().join(config_name(self.kind)), &config);
        let mut server = Server {
            kind: self.kind,
            binary,
            port,
            tls,
            child: None,
            dir,
        };
        server.spawn();
        server.wait_listening().await;
        Some(server)
    }
}

/// The TLS port of an ngIRCd and the files it serves.
#[derive(Debug)]
struct Tls {
    port: u16,
    cert: PathBuf,
    key: PathBuf,
}

/// A running (or [killed](Self::kill)) IRC server on `127.0.0.1`.
///
/// Dropping it kills the process, waits a moment for it to exit and removes
/// its directory.
#[derive(Debug)]
pub struct Server {
    kind: Kind,
    binary: PathBuf,
    port: u16,
    tls: Option<Tls>,
    /// `None` between [`kill`](Self::kill) and [`restart`](Self::restart).
    child: Option<Child>,
    /// Configuration, log and (InspIRCd) data files; dropped after the
    /// process has been killed, since fields drop after `Drop::drop`.
    dir: tempfile::TempDir,
}

impl Server {
    /// Options for a server of this kind: no TLS port, ngIRCd's penalty on.
    pub fn builder(kind: Kind) -> ServerBuilder {
        ServerBuilder {
            kind,
            tls: None,
            penalty: true,
        }
    }

    /// Starts a server of this kind with the default options; the same as
    /// `Server::builder(kind).start()`, see [`ServerBuilder::start`] for
    /// when it returns `None` and when it panics.
    pub async fn start(kind: Kind) -> Option<Self> {
        Self::builder(kind).start().await
    }

    /// Which server this is.
    #[must_use]
    pub const fn kind(&self) -> Kind {
        self.kind
    }

    /// The plain-text client port on `127.0.0.1`.
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// The TLS client port on `127.0.0.1`, when [`ServerBuilder::tls`] asked
    /// for one.
    #[must_use]
    pub fn tls_port(&self) -> Option<u16> {
        self.tls.as_ref().map(|t| t.port)
    }

    /// The temporary directory with the configuration and the log.
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What the server wrote to stdout and stderr so far, across restarts
    /// (empty when the log cannot be read).
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join(LOG)).unwrap_or_default()
    }

    /// Kills the server (SIGKILL) and waits, at most [`STOP`], for it to
    /// exit; its ports close. Does nothing when it is already killed.
    ///
    /// # Panics
    ///
    /// When the process does not exit in time or cannot be waited for.
    pub async fn kill(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // An error here means that it has exited already; `wait` tells.
        let _ = child.start_kill();
        match tokio::time::timeout(STOP, child.wait()).await {
            Ok(Ok(_status)) => {}
            Ok(Err(e)) => panic!("cannot wait for {}: {e}", self.kind),
            Err(_) => panic!("{} did not exit within {STOP:?} of SIGKILL", self.kind),
        }
    }

    /// Kills the server if it runs, starts it again with the same
    /// configuration on the same ports, and waits (at most [`STARTUP`])
    /// until it listens.
    ///
    /// # Panics
    ///
    /// As [`kill`](Self::kill) and [`ServerBuilder::start`] do.
    pub async fn restart(&mut self) {
        self.kill().await;
        self.spawn();
        self.wait_listening().await;
    }

    /// The ports to wait for.
    fn ports(&self) -> Vec<u16> {
        std::iter::once(self.port)
            .chain(self.tls.as_ref().map(|t| t.port))
            .collect()
    }

    /// Runs the binary in the foreground with the configuration in `dir`,
    /// its output appended to the log.
    fn spawn(&mut self) {
        let dir = self.dir.path();
        let conf = dir.join(config_name(self.kind));
        let mut cmd = Command::new(&self.binary);
        match self.kind {
            Kind::Ngircd => {
                cmd.arg("--nodaemon").arg("--config").arg(&conf);
            }
            Kind::Inspircd => {
                cmd.args(["--nofork", "--nopid", "--runasroot"])
                    .arg(format!("--config={}", conf.display()));
            }
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(LOG))
            .unwrap_or_else(|e| panic!("cannot open the {} log: {e}", self.kind));
        let out = log
            .try_clone()
            .unwrap_or_else(|e| panic!("cannot open the {} log: {e}", self.kind));
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        self.child = Some(child);
    }

    /// Polls every port until the server accepts a connection on it, for
    /// at most [`STARTUP`] in all; fails early when the process exits.
    async fn wait_listening(&mut self) {
        let start = Instant::now();
        for port in self.ports() {
            loop {
                if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                    panic!("{} exited with {status}:\n{}", self.kind, self.log());
                }
                let left = STARTUP.saturating_sub(start.elapsed());
                assert!(
                    !left.is_zero(),
                    "{} did not listen on port {port} within {STARTUP:?}:\n{}",
                    self.kind,
                    self.log()
                );
                let connect = TcpStream::connect(("127.0.0.1", port));
                if let Ok(Ok(_stream)) = tokio::time::timeout(left, connect).await {
                    break;
                }
                tokio::time::sleep(POLL.min(left)).await;
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let Some(child) = self.child.as_mut() else {
            return;
        };
        let _ = child.start_kill();
        // A short, bounded wait so that the process no longer writes into
        // the directory that is removed next.
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// The message of the day both servers send.
const MOTD: &str = "Welcome to the test server.";

/// The configuration file's name in the server's directory.
const fn config_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Ngircd => "ngircd.conf",
        Kind::Inspircd => "inspircd.conf",
    }
}

/// Writes a file of the server's directory.
fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or_else(
            |e| panic!("cannot find a free loopback port: {e}"),
            |a| a.port(),
        )
}

fn ngircd_conf(port: u16, tls: Option<&Tls>, penalty: bool) -> String {
    let penalty = if penalty { "" } else { "MaxPenaltyTime = 0\n" };
    let tls = tls
        .map(|t| {
            format!(
                "[SSL]\nCertFile = {}\nKeyFile = {}\nPorts = {}\n",
                t.cert.display(),
                t.key.display(),
                t.port
            )
        })
        .unwrap_or_default();
    format!(
        "[Global]\n\
         Name = irc.ngircd.test\n\
         Info = IRC test server\n\
         AdminInfo1 = test\nAdminInfo2 = test\nAdminEMail = test@example.invalid\n\
         Listen = 127.0.0.1\n\
         Ports = {port}\n\
         MotdPhrase = {MOTD}\n\
         [Limits]\n\
         MaxConnectionsIP = 0\n\
         PingTimeout = 120\n\
         {penalty}\
         [Options]\n\
         PAM = no\nDNS = no\nIdent = no\n\
         {tls}"
    )
}

fn inspircd_conf(port: u16, dir: &Path) -> String {
    let dir = dir.display();
    let modules: String = [
        "cap",
        "ircv3",
        "ircv3_servertime",
        "ircv3_msgid",
        "ircv3_accounttag",
        "ircv3_batch",
        "ircv3_labeledresponse",
        "ircv3_chghost",
        "ircv3_capnotify",
        "ircv3_invitenotify",
        "namesx",
        "uhnames",
        "setname",
    ]
    .iter()
    .map(|m| format!("<module name=\"{m}\">\n"))
    .collect();
    format!(
        r#"<server name="irc.inspircd.test" description="IRC test server" network="Test">
<admin name="Test" nick="test" email="test@example.invalid">
<bind address="127.0.0.1" port="{port}" type="clients">
<connect name="main" allow="*" timeout="20" pingfreq="120" hardsendq="1048576" softsendq="65536" recvq="65536" threshold="1000" commandrate="1000000" fakelag="off" localmax="1000" globalmax="1000" useident="no" resolvehostnames="no" limit="1000">
<path configdir="{dir}" datadir="{dir}" logdir="{dir}" runtimedir="{dir}" moduledir="/usr/lib/inspircd/modules">
<files motd="{dir}/motd.txt">
<dns server="127.0.0.1" timeout="1">
<options defaultmodes="not">
<performance softlimit="1024" clonesonconnect="no" timeskipwarn="0">
<setname notifyopers="no" operonly="no">
{modules}<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{dir}/inspircd.log">
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hint_names_the_variable_and_the_package() {
        assert_eq!(
            Kind::Ngircd.install_hint(),
            "ngircd not found: set IRC_TEST_NGIRCD or run `apt-get install -y ngircd` \
             (or `cargo xtask servers`)"
        );
        assert!(Kind::Inspircd.install_hint().contains("IRC_TEST_INSPIRCD"));
    }

    #[test]
    fn ngircd_config_has_the_options() {
        let tls = Tls {
            port: 6697,
            cert: PathBuf::from("/c.pem"),
            key: PathBuf::from("/k.pem"),
        };
        let plain = ngircd_conf(6667, None, true);
        assert!(plain.contains("Ports = 6667\n"));
        assert!(!plain.contains("MaxPenaltyTime"));
        assert!(!plain.contains("[SSL]"));
        let full = ngircd_conf(6667, Some(&tls), false);
        assert!(
            full.contains(
                "[Limits]\nMaxConnectionsIP = 0\nPingTimeout = 120\nMaxPenaltyTime = 0\n"
            )
        );
        assert!(full.ends_with("[SSL]\nCertFile = /c.pem\nKeyFile = /k.pem\nPorts = 6697\n"));
    }
}
