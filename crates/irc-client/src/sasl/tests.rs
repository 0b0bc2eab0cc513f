//! Tests of the SASL session: exact lines per mechanism, fallbacks, aborts.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use p256::ecdsa::Signature;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use sha2::Sha256;

use super::*;

/// A fixed "random" source: counts up from `start`.
fn counting_rng(start: u8) -> impl SaslRng + 'static {
    let mut next = start;
    move |dest: &mut [u8]| {
        for b in dest {
            *b = next;
            next = next.wrapping_add(1);
        }
        Ok(())
    }
}

fn packed(lines: &[MessageBuf]) -> Vec<String> {
    lines.iter().map(|l| l.pack().unwrap()).collect()
}

/// Feeds one server `AUTHENTICATE` and returns the packed replies.
fn reply(s: &mut SaslSession, payload: &str) -> Vec<String> {
    let mut out = Vec::new();
    let outcome = s.handle_authenticate(payload, &mut out).unwrap();
    assert_eq!(outcome, SaslOutcome::Pending);
    packed(&out)
}

/// Base64 of `text` as the server would send it (one chunk).
fn b64(text: &[u8]) -> String {
    STANDARD.encode(text)
}

/// Decodes the single-chunk payload of a packed `AUTHENTICATE` line.
fn decoded(line: &str) -> Vec<u8> {
    let param = line.strip_prefix("AUTHENTICATE ").unwrap();
    if param == "+" {
        return Vec::new();
    }
    STANDARD.decode(param).unwrap()
}

/// Decodes the payload carried by a run of packed `AUTHENTICATE` lines.
fn decoded_all(lines: &[String]) -> Vec<u8> {
    let text: String = lines
        .iter()
        .map(|l| l.strip_prefix("AUTHENTICATE ").unwrap())
        .filter(|p| *p != "+")
        .collect();
    STANDARD.decode(text).unwrap()
}

fn plain_session() -> SaslSession {
    SaslSession::new(
        SaslCredentials::new("user").with_password("pass"),
        counting_rng(0),
    )
}

#[test]
fn plain_exact_lines() {
    let mut s = plain_session();
    let start = s.start(&["PLAIN"], &[Mechanism::Plain]).unwrap();
    assert_eq!(packed(&start), ["AUTHENTICATE PLAIN"]);
    assert_eq!(s.mechanism(), Some(Mechanism::Plain));
    // base64("user\0user\0pass")
    assert_eq!(reply(&mut s, "+"), ["AUTHENTICATE dXNlcgB1c2VyAHBhc3M="]);
    let mut out = Vec::new();
    assert_eq!(
        s.handle_numeric(
            900,
            &["nick", "nick!u@h", "user", "You are now logged in as user"],
            &mut out
        ),
        SaslOutcome::Pending
    );
    assert_eq!(s.account(), Some("user"));
    assert_eq!(
        s.handle_numeric(903, &["nick", "SASL authentication successful"], &mut out),
        SaslOutcome::Success {
            account: Some("user".into())
        }
    );
    assert!(out.is_empty());
    assert!(s.is_finished());
}

#[test]
fn external_exact_lines() {
    let mut s = SaslSession::new(SaslCredentials::new("ignored"), counting_rng(0));
    assert_eq!(
        packed(&s.start(&[], &[Mechanism::External]).unwrap()),
        ["AUTHENTICATE EXTERNAL"]
    );
    assert_eq!(reply(&mut s, "+"), ["AUTHENTICATE +"]);
}

#[test]
fn long_plain_payload_is_chunked() {
    // 600 bytes of payload: 800 base64 characters: 400 + 400 + "+".
    let password = "p".repeat(600 - "u\0u\0".len());
    let mut s = SaslSession::new(
        SaslCredentials::new("u").with_password(password),
        counting_rng(0),
    );
    s.start(&[], &[Mechanism::Plain]).unwrap();
    let lines = reply(&mut s, "+");
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].len(), "AUTHENTICATE ".len() + 400);
    assert_eq!(lines[1].len(), "AUTHENTICATE ".len() + 400);
    assert_eq!(lines[2], "AUTHENTICATE +");
}

#[test]
fn preference_is_filtered_by_offer_and_credentials() {
    // No password: PLAIN and SCRAM are out, EXTERNAL remains.
    let mut s = SaslSession::new(SaslCredentials::new("u"), counting_rng(0));
    let lines = s
        .start(
            &["PLAIN", "EXTERNAL"],
            &[Mechanism::Plain, Mechanism::External],
        )
        .unwrap();
    assert_eq!(packed(&lines), ["AUTHENTICATE EXTERNAL"]);

    // The server offers nothing we can do.
    let mut s = plain_session();
    let err = s.start(&["EXTERNAL"], &[Mechanism::Plain]).unwrap_err();
    assert!(matches!(err, SaslError::NoMechanism { ref offered } if offered == &["EXTERNAL"]));

    // Offer names are compared without regard to case.
    let mut s = plain_session();
    assert_eq!(
        packed(&s.start(&["scram-sha-256"], &Mechanism::ALL).unwrap()),
        ["AUTHENTICATE SCRAM-SHA-256"]
    );
}

#[test]
fn start_twice_is_refused() {
    let mut s = plain_session();
    s.start(&[], &[Mechanism::Plain]).unwrap();
    assert!(matches!(
        s.start(&[], &[Mechanism::Plain]),
        Err(SaslError::AlreadyStarted)
    ));
}

#[test]
fn authenticate_before_start_is_refused() {
    let mut s = plain_session();
    let mut out = Vec::new();
    assert!(matches!(
        s.handle_authenticate("+", &mut out),
        Err(SaslError::NotStarted)
    ));
    assert!(out.is_empty());
}

#[test]
fn fails_over_to_next_mechanism_listed_by_908() {
    let mut s = plain_session();
    let prefs = [
        Mechanism::ScramSha256,
        Mechanism::Plain,
        Mechanism::External,
    ];
    assert_eq!(
        packed(&s.start(&[], &prefs).unwrap()),
        ["AUTHENTICATE SCRAM-SHA-256"]
    );
    let mut out = Vec::new();
    // The server lists what it has, then refuses the mechanism.
    assert_eq!(
        s.handle_numeric(
            908,
            &["nick", "EXTERNAL,FOO", "are available SASL mechanisms"],
            &mut out
        ),
        SaslOutcome::Pending
    );
    assert_eq!(
        s.handle_numeric(904, &["nick", "SASL authentication failed"], &mut out),
        SaslOutcome::Retrying {
            failed: Mechanism::ScramSha256,
            next: Mechanism::External
        }
    );
    // PLAIN was skipped: the server does not list it.
    assert_eq!(packed(&out), ["AUTHENTICATE EXTERNAL"]);
    out.clear();
    assert_eq!(reply(&mut s, "+"), ["AUTHENTICATE +"]);
    assert_eq!(
        s.handle_numeric(904, &["nick", "SASL authentication failed"], &mut out),
        SaslOutcome::Failed {
            code: 904,
            tried: vec![Mechanism::ScramSha256, Mechanism::External]
        }
    );
    assert!(out.is_empty());
    assert!(s.is_finished());
}

#[test]
fn fails_over_in_preference_order_without_908() {
    let mut s = plain_session();
    s.start(&[], &[Mechanism::ScramSha256, Mechanism::Plain])
        .unwrap();
    let mut out = Vec::new();
    assert_eq!(
        s.handle_numeric(904, &["nick", "failed"], &mut out),
        SaslOutcome::Retrying {
            failed: Mechanism::ScramSha256,
            next: Mechanism::Plain
        }
    );
    assert_eq!(packed(&out), ["AUTHENTICATE PLAIN"]);
    // 905 (too long) counts as a failure of the mechanism too.
    out.clear();
    assert!(matches!(
        s.handle_numeric(905, &["nick", "too long"], &mut out),
        SaslOutcome::Failed { code: 905, .. }
    ));
}

#[test]
fn nick_locked_gives_up_at_once() {
    let mut s = plain_session();
    s.start(&[], &[Mechanism::ScramSha256, Mechanism::Plain])
        .unwrap();
    let mut out = Vec::new();
    assert_eq!(
        s.handle_numeric(902, &["nick", "locked"], &mut out),
        SaslOutcome::Failed {
            code: 902,
            tried: vec![Mechanism::ScramSha256]
        }
    );
    assert!(out.is_empty());
}

#[test]
fn already_authenticated_is_success() {
    let mut s = plain_session();
    s.start(&[], &[Mechanism::Plain]).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        s.handle_numeric(907, &["nick", "already"], &mut out),
        SaslOutcome::Success { account: None }
    );
}

#[test]
fn server_abort_is_reported() {
    let mut s = plain_session();
    s.start(&[], &[Mechanism::Plain]).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        s.handle_numeric(906, &["nick", "aborted"], &mut out),
        SaslOutcome::Aborted
    );
    assert!(out.is_empty());
}

#[test]
fn caller_abort_sends_star() {
    let mut s = plain_session();
    s.start(&[], &[Mechanism::Plain]).unwrap();
    let mut out = Vec::new();
    s.abort(&mut out);
    assert_eq!(packed(&out), ["AUTHENTICATE *"]);
    out.clear();
    s.abort(&mut out);
    assert!(out.is_empty(), "a second abort sends nothing");
    assert_eq!(
        s.handle_numeric(906, &["nick", "aborted"], &mut out),
        SaslOutcome::Aborted
    );
}

#[test]
fn unexpected_second_challenge_aborts() {
    let mut s = plain_session();
    s.start(&[], &[Mechanism::Plain]).unwrap();
    reply(&mut s, "+");
    let mut out = Vec::new();
    let err = s.handle_authenticate("+", &mut out).unwrap_err();
    assert!(matches!(
        err,
        SaslError::UnexpectedChallenge {
            mechanism: Mechanism::Plain
        }
    ));
    assert_eq!(packed(&out), ["AUTHENTICATE *"]);
    // No fallback after an error: 904 now ends in an abort.
    out.clear();
    assert_eq!(
        s.handle_numeric(904, &["nick", "failed"], &mut out),
        SaslOutcome::Aborted
    );
    assert!(out.is_empty());
}

#[test]
fn invalid_base64_aborts() {
    let mut s = plain_session();
    s.start(&[], &[Mechanism::ScramSha256]).unwrap();
    reply(&mut s, "+");
    let mut out = Vec::new();
    assert!(matches!(
        s.handle_authenticate("%%%", &mut out),
        Err(SaslError::InvalidBase64)
    ));
    assert_eq!(packed(&out), ["AUTHENTICATE *"]);
    // Lines still arriving after the abort are ignored.
    out.clear();
    assert_eq!(
        s.handle_authenticate("+", &mut out).unwrap(),
        SaslOutcome::Pending
    );
    assert!(out.is_empty());
}

#[test]
fn rng_failure_aborts() {
    let failing = |_: &mut [u8]| Err(RngError("no entropy".into()));
    let mut s = SaslSession::new(SaslCredentials::new("u").with_password("p"), failing);
    s.start(&[], &[Mechanism::ScramSha256]).unwrap();
    let mut out = Vec::new();
    assert!(matches!(
        s.handle_authenticate("+", &mut out),
        Err(SaslError::Rng(_))
    ));
    assert_eq!(packed(&out), ["AUTHENTICATE *"]);
}

/// Starts SCRAM as "user"/"pencil" and returns the session and client-first.
fn scram_started() -> (SaslSession, String) {
    let mut s = SaslSession::new(
        SaslCredentials::new("user").with_password("pencil"),
        counting_rng(1),
    );
    assert_eq!(
        packed(
            &s.start(&["SCRAM-SHA-256"], &[Mechanism::ScramSha256])
                .unwrap()
        ),
        ["AUTHENTICATE SCRAM-SHA-256"]
    );
    let lines = reply(&mut s, "+");
    assert_eq!(lines.len(), 1);
    let client_first = String::from_utf8(decoded(&lines[0])).unwrap();
    (s, client_first)
}

/// The server side of the proof: ServerSignature for this exchange.
fn server_signature(client_first: &str, server_first: &str, client_final: &str) -> String {
    let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(b"pencil", &salt, 4096, &mut salted);
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&salted).unwrap();
    mac.update(b"Server Key");
    let server_key = mac.finalize().into_bytes();
    let without_proof = client_final.rsplit_once(",p=").unwrap().0;
    let auth = format!("{},{server_first},{without_proof}", &client_first[3..]);
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&server_key).unwrap();
    mac.update(auth.as_bytes());
    format!("v={}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[test]
fn scram_session_succeeds() {
    let (mut s, client_first) = scram_started();
    // 18 bytes counting from 1, base64: the nonce.
    let nonce = STANDARD.encode(core::array::from_fn::<u8, 18, _>(|i| i as u8 + 1));
    assert_eq!(client_first, format!("n,,n=user,r={nonce}"));

    let server_first = format!("r={nonce}srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
    let lines = reply(&mut s, &b64(server_first.as_bytes()));
    let client_final = String::from_utf8(decoded(&lines[0])).unwrap();
    assert!(client_final.starts_with(&format!("c=biws,r={nonce}srv,p=")));

    let server_final = server_signature(&client_first, &server_first, &client_final);
    // After a verified server-final the client answers with an empty response.
    assert_eq!(
        reply(&mut s, &b64(server_final.as_bytes())),
        ["AUTHENTICATE +"]
    );
    assert!(s.take_warnings().is_empty());
    let mut out = Vec::new();
    assert_eq!(
        s.handle_numeric(903, &["nick", "ok"], &mut out),
        SaslOutcome::Success { account: None }
    );
}

#[test]
fn scram_wrong_server_signature_aborts() {
    let (mut s, client_first) = scram_started();
    let nonce = client_first.rsplit_once("r=").unwrap().1.to_owned();
    let server_first = format!("r={nonce}srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
    reply(&mut s, &b64(server_first.as_bytes()));
    let mut out = Vec::new();
    let err = s
        .handle_authenticate(
            &b64(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="),
            &mut out,
        )
        .unwrap_err();
    assert!(matches!(
        err,
        SaslError::Scram(ScramError::ServerSignatureMismatch)
    ));
    assert_eq!(packed(&out), ["AUTHENTICATE *"]);
    out.clear();
    assert_eq!(
        s.handle_numeric(906, &["nick", "aborted"], &mut out),
        SaslOutcome::Aborted
    );
}

#[test]
fn scram_nonce_mismatch_aborts() {
    let (mut s, _) = scram_started();
    let mut out = Vec::new();
    let err = s
        .handle_authenticate(
            &b64(b"r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
            &mut out,
        )
        .unwrap_err();
    assert!(matches!(err, SaslError::Scram(ScramError::NonceMismatch)));
    assert_eq!(packed(&out), ["AUTHENTICATE *"]);
}

#[test]
fn scram_malformed_server_first_aborts() {
    let (mut s, _) = scram_started();
    let mut out = Vec::new();
    let err = s.handle_authenticate(&b64(b"hello"), &mut out).unwrap_err();
    assert!(matches!(
        err,
        SaslError::Scram(ScramError::MalformedServerFirst { .. })
    ));
    assert_eq!(packed(&out), ["AUTHENTICATE *"]);

    let (mut s, _) = scram_started();
    out.clear();
    let err = s
        .handle_authenticate(&b64(&[0xff, 0xfe]), &mut out)
        .unwrap_err();
    assert!(matches!(err, SaslError::Scram(ScramError::NotUtf8)));
    assert_eq!(packed(&out), ["AUTHENTICATE *"]);
}

#[test]
fn scram_low_iteration_count_warns() {
    let (mut s, client_first) = scram_started();
    let nonce = client_first.rsplit_once("r=").unwrap().1.to_owned();
    let server_first = format!("r={nonce}x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000");
    reply(&mut s, &b64(server_first.as_bytes()));
    assert_eq!(
        s.take_warnings(),
        [SaslWarning::LowIterationCount { iterations: 1000 }]
    );
    assert!(s.take_warnings().is_empty());
}

fn ecdsa_session() -> (SaslSession, EcdsaKey) {
    let key = ecdsa::tests::test_key();
    let creds = SaslCredentials::new("botaccount").with_ecdsa_key(key.clone());
    let mut s = SaslSession::new(creds, counting_rng(0));
    assert_eq!(
        packed(
            &s.start(&["ECDSA-NIST256P-CHALLENGE"], &Mechanism::ALL)
                .unwrap()
        ),
        ["AUTHENTICATE ECDSA-NIST256P-CHALLENGE"]
    );
    // First the account name.
    assert_eq!(
        reply(&mut s, "+"),
        [format!("AUTHENTICATE {}", b64(b"botaccount"))]
    );
    (s, key)
}

fn verify(key: &EcdsaKey, challenge: &[u8], der: &[u8]) {
    let signature = Signature::from_der(der).unwrap();
    key.verifying_key()
        .verify_prehash(challenge, &signature)
        .unwrap();
}

#[test]
fn ecdsa_signs_the_challenge() {
    let (mut s, key) = ecdsa_session();
    let challenge: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(13));
    let lines = reply(&mut s, &b64(&challenge));
    assert_eq!(lines.len(), 1);
    verify(&key, &challenge, &decoded(&lines[0]));
    // A second challenge is out of turn.
    let mut out = Vec::new();
    assert!(s.handle_authenticate(&b64(&challenge), &mut out).is_err());
    assert_eq!(packed(&out), ["AUTHENTICATE *"]);
}

#[test]
fn ecdsa_challenge_of_wrong_length_aborts() {
    let (mut s, _) = ecdsa_session();
    let mut out = Vec::new();
    let err = s.handle_authenticate(&b64(&[7; 16]), &mut out).unwrap_err();
    assert!(matches!(
        err,
        SaslError::Ecdsa(EcdsaKeyError::BadChallenge { len: 16 })
    ));
    assert_eq!(packed(&out), ["AUTHENTICATE *"]);
}

#[test]
fn server_payload_split_over_chunks_is_reassembled() {
    let (mut s, client_first) = scram_started();
    let nonce = client_first.rsplit_once("r=").unwrap().1.to_owned();
    // A long server nonce makes server-first span two chunks (400 + rest).
    let server_first = format!(
        "r={nonce}{},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        "x".repeat(400)
    );
    let encoded = b64(server_first.as_bytes());
    assert!(encoded.len() > 400 && encoded.len() < 800);
    assert!(
        reply(&mut s, &encoded[..400]).is_empty(),
        "a 400-byte chunk waits for more"
    );
    let lines = reply(&mut s, &encoded[400..]);
    assert_eq!(lines.len(), 2, "client-final is long too: 400 + rest");
    let client_final = String::from_utf8(decoded_all(&lines)).unwrap();
    assert!(client_final.starts_with(&format!("c=biws,r={nonce}{},p=", "x".repeat(400))));
}

#[test]
fn server_payload_of_exactly_400_waits_for_plus() {
    let (mut s, client_first) = scram_started();
    let nonce = client_first.rsplit_once("r=").unwrap().1.to_owned();
    // Pad the nonce so that server-first is exactly 300 bytes: 400 base64 characters.
    let fixed = format!("r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096").len();
    let server_first = format!(
        "r={nonce}{},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        "y".repeat(300 - fixed)
    );
    let encoded = b64(server_first.as_bytes());
    assert_eq!(encoded.len(), 400);
    assert!(reply(&mut s, &encoded).is_empty());
    let lines = reply(&mut s, "+");
    let client_final = String::from_utf8(decoded_all(&lines)).unwrap();
    assert!(client_final.starts_with(&format!("c=biws,r={nonce}yyy")));
}

#[test]
fn handle_message_routes_lines() {
    let mut s = plain_session();
    s.start(&[], &[Mechanism::ScramSha256, Mechanism::Plain])
        .unwrap();
    let mut out = Vec::new();
    let msg = Message::parse(":srv 908 nick PLAIN :are available SASL mechanisms").unwrap();
    assert_eq!(
        s.handle_message(&msg, &mut out).unwrap(),
        SaslOutcome::Pending
    );
    let msg = Message::parse(":srv 904 nick :SASL authentication failed").unwrap();
    assert_eq!(
        s.handle_message(&msg, &mut out).unwrap(),
        SaslOutcome::Retrying {
            failed: Mechanism::ScramSha256,
            next: Mechanism::Plain
        }
    );
    out.clear();
    let msg = Message::parse("AUTHENTICATE +").unwrap();
    s.handle_message(&msg, &mut out).unwrap();
    assert_eq!(packed(&out), ["AUTHENTICATE dXNlcgB1c2VyAHBhc3M="]);
    let msg = Message::parse(":srv PRIVMSG #c :hi").unwrap();
    assert_eq!(
        s.handle_message(&msg, &mut out).unwrap(),
        SaslOutcome::Pending
    );
}

#[test]
fn handle_message_buf_routes_lines() {
    let mut s = plain_session();
    s.start(&[], &[Mechanism::Plain]).unwrap();
    let mut out = Vec::new();
    let auth = MessageBuf::parse("AUTHENTICATE +").unwrap();
    assert_eq!(
        s.handle_message_buf(&auth, &mut out).unwrap(),
        SaslOutcome::Pending
    );
    assert_eq!(packed(&out), ["AUTHENTICATE dXNlcgB1c2VyAHBhc3M="]);
    let other = MessageBuf::parse(":srv 001 nick :Welcome").unwrap();
    assert_eq!(
        s.handle_message_buf(&other, &mut out).unwrap(),
        SaslOutcome::Pending
    );
    let logged_in =
        MessageBuf::parse(":srv 900 nick nick!u@h acct :You are now logged in as acct").unwrap();
    s.handle_message_buf(&logged_in, &mut out).unwrap();
    let success = MessageBuf::parse(":srv 903 nick :SASL authentication successful").unwrap();
    assert_eq!(
        s.handle_message_buf(&success, &mut out).unwrap(),
        SaslOutcome::Success {
            account: Some("acct".into())
        }
    );
}

#[test]
fn mechanism_names_round_trip() {
    for m in Mechanism::ALL {
        assert_eq!(m.name().parse::<Mechanism>().unwrap(), m);
        assert_eq!(
            Mechanism::from_name(&m.name().to_ascii_lowercase()),
            Some(m)
        );
    }
    assert!("DIGEST-MD5".parse::<Mechanism>().is_err());
}

#[test]
fn mechanism_list_parsing() {
    assert_eq!(
        parse_mechanism_list("EXTERNAL,PLAIN"),
        ["EXTERNAL", "PLAIN"]
    );
    assert_eq!(parse_mechanism_list(""), Vec::<&str>::new());
    assert_eq!(parse_mechanism_list(",,SCRAM-SHA-256,"), ["SCRAM-SHA-256"]);
}

#[test]
fn debug_output_hides_secrets() {
    let creds = SaslCredentials::new("user").with_password("hunter2");
    let s = SaslSession::new(creds, counting_rng(0));
    let text = format!("{s:?}");
    assert!(text.contains("user"));
    assert!(!text.contains("hunter2"));
}

#[test]
fn system_rng_fills() {
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    SystemRng.fill_bytes(&mut a).unwrap();
    SystemRng.fill_bytes(&mut b).unwrap();
    assert_ne!(a, b);
}
