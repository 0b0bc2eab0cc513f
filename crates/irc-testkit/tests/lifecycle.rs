//! The servers themselves: they greet a raw client with the configured
//! MOTD, come back on the same ports after a kill, and leave nothing behind.

use std::time::Duration;

use irc_testkit::{Kind, Server};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// How long registration may take.
const STEP: Duration = Duration::from_secs(20);

/// Registers over raw TCP and returns every line up to the end of the MOTD.
async fn greeting(port: u16, nick: &str) -> String {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let (r, mut w) = stream.into_split();
    w.write_all(format!("NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n").as_bytes())
        .await
        .expect("write");
    let mut lines = BufReader::new(r).lines();
    let mut seen = String::new();
    timeout(STEP, async {
        while let Some(line) = lines.next_line().await.expect("read") {
            if let Some(token) = line.strip_prefix("PING ") {
                w.write_all(format!("PONG {token}\r\n").as_bytes())
                    .await
                    .expect("pong");
            }
            seen.push_str(&line);
            seen.push('\n');
            if line.contains(" 376 ") || line.contains(" 422 ") {
                break;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no end of MOTD in time; saw:\n{seen}"));
    seen
}

#[tokio::test]
async fn ngircd_restarts_on_the_same_ports_and_cleans_up() {
    let pki = tempfile::tempdir().expect("tempdir");
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let cert = pki.path().join("cert.pem");
    let key = pki.path().join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).expect("cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("key");
    let Some(mut server) = Server::builder(Kind::Ngircd)
        .tls(&cert, &key)
        .penalty(false)
        .start()
        .await
    else {
        return;
    };
    assert_eq!(server.kind(), Kind::Ngircd);
    let port = server.port();
    let tls_port = server.tls_port().expect("a TLS port");
    assert_ne!(port, tls_port);
    let conf = std::fs::read_to_string(server.dir().join("ngircd.conf")).expect("config");
    assert!(conf.contains("MaxPenaltyTime = 0\n"), "{conf}");
    assert!(conf.contains(&format!("Ports = {tls_port}\n")), "{conf}");

    let hello = greeting(port, "first").await;
    assert!(hello.contains(" 001 first "), "{hello}");
    assert!(hello.contains("Welcome to the test server."), "{hello}");

    server.kill().await;
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
    assert!(TcpStream::connect(("127.0.0.1", tls_port)).await.is_err());
    server.kill().await; // Killing twice is harmless.

    server.restart().await;
    assert_eq!((server.port(), server.tls_port()), (port, Some(tls_port)));
    let hello = greeting(port, "second").await;
    assert!(hello.contains(" 001 second "), "{hello}");
    TcpStream::connect(("127.0.0.1", tls_port))
        .await
        .expect("TLS port listens again");

    let dir = server.dir().to_owned();
    assert!(dir.is_dir());
    drop(server);
    assert!(!dir.exists(), "{} left behind", dir.display());
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
}

#[tokio::test]
async fn ngircd_penalty_is_on_by_default() {
    let Some(server) = Server::start(Kind::Ngircd).await else {
        return;
    };
    assert_eq!(server.tls_port(), None);
    let conf = std::fs::read_to_string(server.dir().join("ngircd.conf")).expect("config");
    assert!(!conf.contains("MaxPenaltyTime"), "{conf}");
    assert!(!conf.contains("[SSL]"), "{conf}");
}

#[tokio::test]
async fn inspircd_greets_and_restarts() {
    let Some(mut server) = Server::start(Kind::Inspircd).await else {
        return;
    };
    let hello = greeting(server.port(), "insp").await;
    assert!(hello.contains(" 001 insp "), "{hello}");
    assert!(hello.contains("Welcome to the test server."), "{hello}");
    server.restart().await;
    let hello = greeting(server.port(), "again").await;
    assert!(hello.contains(" 001 again "), "{hello}");
}
