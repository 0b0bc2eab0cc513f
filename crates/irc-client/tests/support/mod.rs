//! The IRC servers the integration tests run against: ngIRCd and InspIRCd,
//! each started by a test on a free loopback port with a generated
//! configuration in a temporary directory, in the foreground, and killed (its
//! directory removed) when the test ends.
//!
//! The server binaries come from `IRC_TEST_NGIRCD` / `IRC_TEST_INSPIRCD`
//! (what `cargo xtask ci` sets), else the PATH and the sbin directories. A
//! missing server fails the test when `IRC_TEST_REQUIRE_SERVERS=1`, and
//! otherwise the test says that it skipped.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::process::{Child, Command as Process};

/// How long a server may take to start listening.
const STARTUP: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Ngircd,
    Inspircd,
}

impl Kind {
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Ngircd => "ngircd",
            Self::Inspircd => "inspircd",
        }
    }

    const fn env_var(self) -> &'static str {
        match self {
            Self::Ngircd => "IRC_TEST_NGIRCD",
            Self::Inspircd => "IRC_TEST_INSPIRCD",
        }
    }

    /// The server binary, if there is one.
    fn binary(self) -> Option<PathBuf> {
        if let Some(p) = std::env::var_os(self.env_var()) {
            return Some(PathBuf::from(p)).filter(|p| p.is_file());
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
            .map(|d| d.join(self.name()))
            .find(|p| p.is_file())
    }
}

/// A running server; killed, and its directory removed, on drop.
pub(crate) struct Server {
    pub(crate) kind: Kind,
    pub(crate) port: u16,
    pub(crate) dir: PathBuf,
    pub(crate) child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    /// Starts a server of this kind, or returns `None` (after saying so) when
    /// it is not installed and not required.
    pub(crate) async fn start(kind: Kind) -> Option<Self> {
        let Some(binary) = kind.binary() else {
            let hint = format!(
                "{} not found: set {} or run `apt-get install -y {}` (or `cargo xtask servers`)",
                kind.name(),
                kind.env_var(),
                kind.name()
            );
            assert!(
                std::env::var("IRC_TEST_REQUIRE_SERVERS").as_deref() != Ok("1"),
                "IRC_TEST_REQUIRE_SERVERS=1 but {hint}"
            );
            eprintln!("skipped: {hint}");
            return None;
        };
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "irc-client-test-{}-{}-{}",
            kind.name(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let port = free_port();
        let mut cmd = Process::new(&binary);
        match kind {
            Kind::Ngircd => {
                let conf = dir.join("ngircd.conf");
                std::fs::write(&conf, ngircd_conf(port)).expect("write config");
                cmd.arg("--nodaemon").arg("--config").arg(&conf);
            }
            Kind::Inspircd => {
                let conf = dir.join("inspircd.conf");
                std::fs::write(dir.join("motd.txt"), "Welcome to the test server.\n")
                    .expect("motd");
                std::fs::write(&conf, inspircd_conf(port, &dir)).expect("write config");
                cmd.args(["--nofork", "--nopid", "--runasroot"])
                    .arg(format!("--config={}", conf.display()));
            }
        }
        let log = std::fs::File::create(dir.join("server.log")).expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut server = Self {
            kind,
            port,
            dir,
            child,
        };
        server.wait_listening().await;
        Some(server)
    }

    /// Polls the port until the server accepts connections (bounded).
    async fn wait_listening(&mut self) {
        let start = Instant::now();
        while start.elapsed() < STARTUP {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited with {status}:\n{}", self.kind.name(), self.log());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{} did not listen within {STARTUP:?}:\n{}",
            self.kind.name(),
            self.log()
        );
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn ngircd_conf(port: u16) -> String {
    format!(
        "[Global]\n\
         Name = irc.ngircd.test\n\
         Info = irc-client test server\n\
         AdminInfo1 = test\nAdminInfo2 = test\nAdminEMail = test@example.invalid\n\
         Listen = 127.0.0.1\n\
         Ports = {port}\n\
         MotdPhrase = Welcome to the test server.\n\
         [Limits]\n\
         MaxConnectionsIP = 0\n\
         PingTimeout = 120\n\
         [Options]\n\
         PAM = no\nDNS = no\nIdent = no\n"
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
        r#"<server name="irc.inspircd.test" description="irc-client test server" network="Test">
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
