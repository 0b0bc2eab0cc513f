//! The bot runtime, end to end on the test backend.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bot_core::backends::test::{TestBot, TestEvent};
use bot_core::{BotConfig, Command, Message, Person, Plugin, RoomId, RoomOccupant};

/// A plugin with one command of each kind, used by several modules.
struct Demo;

/// Rolls dice.
#[derive(clap::Parser, Debug)]
struct RollArgs {
    /// How many dice to roll.
    #[arg(short, long, default_value_t = 1)]
    count: u32,
    /// The label to show.
    label: Option<String>,
}

impl Plugin for Demo {
    fn name(&self) -> &str {
        "Demo"
    }

    fn description(&self) -> &str {
        "Commands for the tests."
    }

    fn commands(&self) -> Vec<Command> {
        vec![
            Command::new("echo", |_ctx, args| async move { args }).help("Repeats what you say.\nEven long things."),
            Command::new("plugin", |_ctx, args| async move { format!("plugin with [{args}]") }),
            Command::new("plugin info", |_ctx, args| async move { format!("info about [{args}]") })
                .help("Shows a plugin."),
            Command::with_args("roll", |_ctx, a: RollArgs| async move {
                format!("rolled {} for {}", a.count, a.label.unwrap_or_else(|| "nobody".into()))
            }),
            Command::regex("cookie", r"(?i)^give me (?P<n>\d+) cookies?$", |_ctx, caps| async move {
                format!("{} cookies coming", caps.name("n").unwrap_or("?"))
            })
            .help("Hands out cookies."),
            Command::regex("thanks", r"(?i)\bthanks?\b", |_ctx, _caps| async move { "you're welcome" }).unprefixed(),
            Command::new("secret", |_ctx, _args| async move { "the secret" }).hidden(),
            Command::new("restart", |_ctx, _args| async move { "restarting" })
                .admin_only()
                .help("Restarts the bot."),
            Command::new("fail", |_ctx, _args| async move { Err::<String, _>(std::io::Error::other("disk on fire")) }),
            Command::new("boom", |_ctx, args| async move {
                if args.is_empty() {
                    panic!("handler panicked on purpose");
                }
                args
            }),
            Command::new("who", |ctx, _args| async move {
                let frm = ctx.frm().map(|f| f.to_string()).unwrap_or_default();
                format!("you are {frm}")
            }),
            Command::new("two", |ctx, _args| async move {
                ctx.reply("first").await?;
                Ok::<_, bot_core::BackendError>("second")
            }),
            Command::new("lines", |_ctx, _args| async move { vec!["a".to_owned(), "b".to_owned()] }),
        ]
    }
}

async fn demo_bot(config: BotConfig) -> TestBot {
    TestBot::builder()
        .config(config)
        .plugin(Demo)
        .start()
        .await
        .expect("bot starts")
}

mod dispatch {
    use super::*;

    #[tokio::test]
    async fn prefix_and_plain_command() {
        let bot = demo_bot(BotConfig::default()).await;
        bot.assert_command("!echo hello  world", "hello  world")
            .await;
        // Without the prefix, nothing happens in a direct message by default.
        bot.push_message("echo hi");
        bot.assert_no_reply(Duration::from_millis(50)).await;
    }

    #[tokio::test]
    async fn alternate_prefixes_longest_wins_and_addressing_by_name() {
        let mut config = BotConfig::default();
        config.prefix = "!".into();
        config.alt_prefixes = vec!["Err".into(), "Errbot".into()];
        let bot = demo_bot(config).await;
        bot.assert_command("bot: echo a", "a").await;
        bot.assert_command("bot, echo b", "b").await;
        bot.assert_command("BOT echo c", "c").await;
        bot.assert_command("err; echo d", "d").await;
        // "Errbot" is longer than "Err": it wins, no "bot echo" command is looked up.
        bot.assert_command("Errbot echo e", "e").await;
        // A name must end at a separator or a space.
        bot.push_message("bottle echo f");
        bot.assert_no_reply(Duration::from_millis(50)).await;
    }

    #[tokio::test]
    async fn prefix_optional_in_direct_messages_only() {
        let mut config = BotConfig::default();
        config.prefix_optional_in_direct = true;
        let bot = demo_bot(config).await;
        bot.assert_command("echo direct", "direct").await;
        bot.push_room_message("#r", "alice", "echo in room");
        bot.assert_no_reply(Duration::from_millis(50)).await;
        bot.push_room_message("#r", "alice", "!echo in room");
        let reply = bot.pop_message().await.unwrap();
        assert_eq!(reply.body, "in room");
        assert!(reply.is_group(), "a room command is answered in the room");
        assert_eq!(reply.to.unwrap().to_string(), "#r");
    }

    #[tokio::test]
    async fn multi_word_commands_longest_match_first() {
        let bot = demo_bot(BotConfig::default()).await;
        bot.assert_command("!plugin info Echo", "info about [Echo]")
            .await;
        bot.assert_command("!plugin_info Echo", "info about [Echo]")
            .await;
        bot.assert_command("!plugin list", "plugin with [list]")
            .await;
    }

    #[tokio::test]
    async fn regex_commands_prefixed_and_not() {
        let bot = demo_bot(BotConfig::default()).await;
        bot.assert_command("!give me 3 cookies", "3 cookies coming")
            .await;
        // Not addressed: the prefixed regex does not fire.
        bot.push_message("give me 3 cookies");
        bot.assert_no_reply(Duration::from_millis(50)).await;
        // The unprefixed one fires on any message.
        bot.push_room_message("#r", "alice", "ok thanks all");
        assert_eq!(bot.pop_text().await.unwrap(), "you're welcome");
    }

    #[tokio::test]
    async fn repeat_last_command_even_after_a_regex_command() {
        let bot = demo_bot(BotConfig::default()).await;
        bot.assert_command("!!", "There is no command to repeat.")
            .await;
        bot.assert_command("!give me 2 cookies", "2 cookies coming")
            .await;
        bot.assert_command("!!", "2 cookies coming").await;
        bot.assert_command("!echo again", "again").await;
        bot.assert_command("bot: !!", "again").await;
        // History is per user.
        bot.push_message_from("alice", "!!");
        assert_eq!(
            bot.pop_text().await.unwrap(),
            "There is no command to repeat."
        );
    }

    #[tokio::test]
    async fn unknown_commands_get_suggestions_or_silence() {
        let bot = demo_bot(BotConfig::default()).await;
        bot.push_message("!ecoh hi");
        let text = bot.pop_text().await.unwrap();
        assert!(text.starts_with("Command \"ecoh\" not found."), "{text}");
        assert!(text.contains("Did you mean \"!echo\"?"), "{text}");
        // A command the user may not run is not suggested.
        bot.push_message("!restat");
        let text = bot.pop_text().await.unwrap();
        assert!(!text.contains("restart"), "{text}");

        let mut config = BotConfig::default();
        config.unknown_command_reply = Some("Eh? {command}".into());
        config.suggest_commands = false;
        let bot = demo_bot(config).await;
        bot.assert_command("!ecoh", "Eh? ecoh").await;

        let mut config = BotConfig::default();
        config.unknown_command_reply = None;
        let bot = demo_bot(config).await;
        bot.push_message("!nothing");
        bot.assert_no_reply(Duration::from_millis(50)).await;
    }

    #[tokio::test]
    async fn delayed_messages_run_no_command() {
        let bot = demo_bot(BotConfig::default()).await;
        let mut old = Message::new("!echo from history")
            .from(Person::new("tester"))
            .to(Person::new("bot"));
        old.delayed = true;
        bot.push(old);
        bot.assert_no_reply(Duration::from_millis(50)).await;
        bot.assert_command("!echo live", "live").await;
    }

    #[tokio::test]
    async fn actions_run_no_command() {
        let bot = demo_bot(BotConfig::default()).await;
        let emote = Message::new("!echo from an emote")
            .from(Person::new("tester"))
            .to(Person::new("bot"))
            .as_action();
        bot.push(emote);
        bot.assert_no_reply(Duration::from_millis(50)).await;
        bot.assert_command("!echo live", "live").await;
    }

    #[tokio::test]
    async fn own_messages_are_ignored() {
        let bot = demo_bot(BotConfig::default()).await;
        bot.push(
            Message::new("!echo loop")
                .from(Person::new("bot"))
                .to(Person::new("bot")),
        );
        bot.assert_no_reply(Duration::from_millis(50)).await;
    }

    #[tokio::test]
    async fn streaming_replies_and_lines() {
        let bot = demo_bot(BotConfig::default()).await;
        bot.push_message("!two");
        assert_eq!(bot.pop_text().await.unwrap(), "first");
        assert_eq!(bot.pop_text().await.unwrap(), "second");
        bot.push_message("!lines");
        assert_eq!(bot.pop_text().await.unwrap(), "a");
        assert_eq!(bot.pop_text().await.unwrap(), "b");
    }

    #[tokio::test]
    async fn replies_go_to_the_room_with_optional_mention() {
        let mut config = BotConfig::default();
        config.group_reply_mention = true;
        let bot = demo_bot(config).await;
        bot.push_room_message("#dev", "carol", "!echo hi");
        let reply = bot.pop_message().await.unwrap();
        assert_eq!(reply.body, "carol: hi");
        assert_eq!(reply.to, Some(RoomId::new("#dev").into()));
        bot.push_message_from("carol", "!who");
        let reply = bot.pop_message().await.unwrap();
        assert_eq!(reply.body, "you are carol");
        assert_eq!(reply.to, Some(Person::new("carol").into()));
    }
}

mod args {
    use super::*;

    #[tokio::test]
    async fn typed_arguments_and_smart_punctuation() {
        let bot = demo_bot(BotConfig::default()).await;
        bot.assert_command("!roll", "rolled 1 for nobody").await;
        bot.assert_command("!roll -c 3 \"the table\"", "rolled 3 for the table")
            .await;
        bot.assert_command(
            "!roll \u{2014}count 4 \u{201c}smart quotes\u{201d}",
            "rolled 4 for smart quotes",
        )
        .await;
    }

    #[tokio::test]
    async fn usage_errors_answer_with_usage() {
        let bot = demo_bot(BotConfig::default()).await;
        bot.push_message("!roll --count many");
        let text = bot.pop_text().await.unwrap();
        assert!(text.contains("invalid value 'many'"), "{text}");
        assert!(text.contains("Usage: !roll"), "{text}");
        bot.push_message("!roll --bogus");
        let text = bot.pop_text().await.unwrap();
        assert!(text.contains("unexpected argument '--bogus'"), "{text}");
        bot.push_message("!roll \"open");
        let text = bot.pop_text().await.unwrap();
        assert!(text.contains("unbalanced quote"), "{text}");
        bot.push_message("!roll --help");
        let text = bot.pop_text().await.unwrap();
        assert!(text.contains("How many dice to roll"), "{text}");
    }
}

mod help {
    use super::*;

    #[tokio::test]
    async fn list_shows_visible_commands_by_plugin() {
        let mut config = BotConfig::default();
        config.admins = vec!["boss".into()];
        let bot = demo_bot(config).await;
        bot.push_message("!help");
        let text = bot.pop_text().await.unwrap();
        assert!(text.contains("**Demo**: Commands for the tests."), "{text}");
        assert!(text.contains("- `!echo`: Repeats what you say."), "{text}");
        assert!(
            !text.contains("Even long things"),
            "only the summary line: {text}"
        );
        assert!(
            text.contains("- `!roll`: Rolls dice"),
            "clap's about is the summary: {text}"
        );
        assert!(text.contains("- `thanks`"), "{text}");
        assert!(text.contains("- `!help`"), "{text}");
        assert!(
            !text.contains("secret"),
            "hidden commands are not listed: {text}"
        );
        assert!(
            !text.contains("restart"),
            "admin commands only for admins: {text}"
        );
        bot.push_message_from("boss", "!help");
        let text = bot.pop_text().await.unwrap();
        assert!(text.contains("- `!restart`: Restarts the bot."), "{text}");
    }

    #[tokio::test]
    async fn details_of_one_command_or_plugin() {
        let bot = demo_bot(BotConfig::default()).await;
        bot.push_message("!help echo");
        assert_eq!(
            bot.pop_text().await.unwrap(),
            "**!echo**\nRepeats what you say.\nEven long things."
        );
        bot.push_message("!help roll");
        let text = bot.pop_text().await.unwrap();
        assert!(text.contains("Usage: !roll [OPTIONS] [LABEL]"), "{text}");
        assert!(text.contains("-c, --count <COUNT>"), "{text}");
        assert!(text.contains("How many dice to roll"), "{text}");
        bot.push_message("!help plugin_info");
        assert!(bot.pop_text().await.unwrap().contains("Shows a plugin."));
        bot.push_message("!help cookie");
        assert!(
            bot.pop_text()
                .await
                .unwrap()
                .contains("Matches `(?i)^give me")
        );
        bot.push_message("!help demo");
        let text = bot.pop_text().await.unwrap();
        assert!(text.starts_with("**Demo**"), "{text}");
        assert!(text.contains("`!echo`"), "{text}");
        bot.push_message("!help ehco");
        assert_eq!(
            bot.pop_text().await.unwrap(),
            "No command or plugin called `ehco`. Did you mean `echo`?"
        );
    }
}

mod acl {
    use super::*;
    use bot_core::{AclRule, RateLimit};

    #[tokio::test]
    async fn admin_only_commands() {
        let mut config = BotConfig::default();
        config.admins = vec!["boss".into()];
        let bot = demo_bot(config).await;
        bot.assert_command("!restart", "This command requires bot-admin privileges.")
            .await;
        bot.push_message_from("boss", "!restart");
        assert_eq!(bot.pop_text().await.unwrap(), "restarting");
        // An admin in a room is still an admin: the occupant carries the same person.
        bot.push_room_message("#ops", "boss", "!restart");
        assert_eq!(bot.pop_text().await.unwrap(), "restarting");
    }

    #[tokio::test]
    async fn matched_on_aclattr_never_on_the_nick() {
        let mut config = BotConfig::default();
        config.admins = vec!["acct:boss".into()];
        let bot = demo_bot(config).await;
        // Someone who took the nick "acct:boss" but whose account is different.
        let impostor = Person::new("u1")
            .with_nick("acct:boss")
            .with_aclattr("acct:mallory");
        bot.push(
            Message::new("!restart")
                .from(impostor)
                .to(Person::new("bot")),
        );
        assert!(bot.pop_text().await.unwrap().contains("bot-admin"));
        let real = Person::new("u2")
            .with_nick("whatever")
            .with_aclattr("acct:boss");
        bot.push(Message::new("!restart").from(real).to(Person::new("bot")));
        assert_eq!(bot.pop_text().await.unwrap(), "restarting");
    }

    #[tokio::test]
    async fn rules_first_match_wins() {
        let mut config = BotConfig::default();
        config.acls = vec![
            AclRule {
                allow_users: Some(vec!["alice".into()]),
                ..AclRule::new("Demo:echo")
            },
            AclRule {
                deny_users: Some(vec!["*".into()]),
                ..AclRule::new("Demo:*")
            },
            AclRule {
                deny_rooms: Some(vec!["#quiet".into()]),
                allow_private: Some(false),
                ..AclRule::new("Help:help")
            },
        ];
        let bot = demo_bot(config).await;
        bot.push_message_from("alice", "!echo yes");
        assert_eq!(
            bot.pop_text().await.unwrap(),
            "yes",
            "the first rule allows alice"
        );
        bot.push_message_from("bob", "!echo no");
        assert_eq!(
            bot.pop_text().await.unwrap(),
            "You're not allowed to access this command."
        );
        bot.push_message_from("alice", "!who");
        assert_eq!(
            bot.pop_text().await.unwrap(),
            "You're not allowed to access this command.",
            "the second rule denies everyone"
        );
        bot.push_message("!help");
        assert_eq!(
            bot.pop_text().await.unwrap(),
            "This command cannot be used in a private message."
        );
        bot.push_room_message("#quiet", "alice", "!help");
        assert_eq!(
            bot.pop_text().await.unwrap(),
            "This command cannot be used in this room."
        );
        bot.push_room_message("#loud", "alice", "!help");
        assert!(bot.pop_text().await.unwrap().contains("Available commands"));
    }

    #[tokio::test]
    async fn groups_can_be_refused_and_rooms_allow_listed() {
        let mut config = BotConfig::default();
        config.acls = vec![
            AclRule {
                allow_group: Some(false),
                ..AclRule::new("*:who")
            },
            AclRule {
                allow_rooms: Some(vec!["#ok*".into()]),
                ..AclRule::new("*:echo")
            },
        ];
        let bot = demo_bot(config).await;
        bot.push_room_message("#any", "alice", "!who");
        assert_eq!(
            bot.pop_text().await.unwrap(),
            "This command cannot be used in a room."
        );
        bot.push_room_message("#okay", "alice", "!echo fine");
        assert_eq!(bot.pop_text().await.unwrap(), "fine");
        bot.push_room_message("#nope", "alice", "!echo no");
        assert_eq!(
            bot.pop_text().await.unwrap(),
            "This command cannot be used in this room."
        );
        bot.push_message("!echo direct is fine");
        assert_eq!(bot.pop_text().await.unwrap(), "direct is fine");
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limit_per_user_with_admins_exempt() {
        let mut config = BotConfig::default();
        config.rate_limit = Some(RateLimit {
            max: 2,
            per_seconds: 10,
        });
        config.admins = vec!["boss".into()];
        let bot = demo_bot(config).await;
        bot.assert_command("!echo 1", "1").await;
        bot.assert_command("!echo 2", "2").await;
        bot.assert_command("!echo 3", "too fast; try again in 10s")
            .await;
        // Another user has their own budget; admins have none.
        bot.push_message_from("alice", "!echo a");
        assert_eq!(bot.pop_text().await.unwrap(), "a");
        for i in 0..5 {
            bot.push_message_from("boss", &format!("!echo {i}"));
            assert_eq!(bot.pop_text().await.unwrap(), i.to_string());
        }
        tokio::time::advance(Duration::from_secs(10)).await;
        bot.assert_command("!echo 4", "4").await;
    }
}

mod filters {
    use super::*;
    use bot_core::{CommandFilter, FilterDecision, Invocation};

    struct Shouty;

    impl Plugin for Shouty {
        fn name(&self) -> &str {
            "Shouty"
        }
        fn filters(&self) -> Vec<Arc<dyn CommandFilter>> {
            vec![Arc::new(|inv: &mut Invocation<'_>| {
                if inv.command == "echo" {
                    inv.args = inv.args.to_uppercase();
                }
                FilterDecision::Allow
            })]
        }
    }

    #[tokio::test]
    async fn chain_can_rewrite_and_block() {
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        let bot = TestBot::builder()
            .plugin(Demo)
            .plugin(Shouty)
            .filter(move |inv: &mut Invocation<'_>| {
                if !inv.dry_run {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                if inv.command == "who" {
                    FilterDecision::deny("no introspection")
                } else if inv.command == "lines" {
                    FilterDecision::Deny { reply: None }
                } else {
                    FilterDecision::Allow
                }
            })
            .start()
            .await
            .unwrap();
        bot.assert_command("!echo quiet", "QUIET").await;
        bot.assert_command("!who", "no introspection").await;
        bot.push_message("!lines");
        bot.assert_no_reply(Duration::from_millis(50)).await;
        assert_eq!(seen.load(Ordering::SeqCst), 3);
        // Help runs the chain dry: the filter is not counted, and a denied
        // command is not listed.
        bot.push_message("!help");
        let text = bot.pop_text().await.unwrap();
        assert!(!text.contains("`!who`"), "{text}");
        assert_eq!(
            seen.load(Ordering::SeqCst),
            4,
            "only the help command itself counted"
        );
    }
}

mod errors {
    use super::*;
    use bot_core::MSG_ERROR_OCCURRED;

    #[tokio::test]
    async fn failing_and_panicking_commands_are_answered_and_the_bot_lives_on() {
        let bot = demo_bot(BotConfig::default()).await;
        bot.assert_command("!fail", MSG_ERROR_OCCURRED).await;
        bot.push_message("!boom");
        assert_eq!(bot.pop_text().await.unwrap(), MSG_ERROR_OCCURRED);
        bot.assert_command("!boom not this time", "not this time")
            .await;
        bot.assert_command("!echo still here", "still here").await;
        assert_eq!(
            MSG_ERROR_OCCURRED,
            "Sorry for your inconvenience. An unexpected error occurred."
        );
    }

    #[tokio::test]
    async fn failing_hooks_do_not_stop_commands() {
        struct Grumpy;
        impl Plugin for Grumpy {
            fn name(&self) -> &str {
                "Grumpy"
            }
            fn hooks(&self) -> bot_core::Hooks {
                bot_core::Hooks::new()
                    .on_message(|_ctx, _msg| async { Err::<(), _>(std::io::Error::other("grr")) })
                    .on_presence(|_ctx, _p| async {
                        if true {
                            panic!("hook panicked on purpose");
                        }
                        Ok::<(), std::io::Error>(())
                    })
            }
        }
        let bot = TestBot::builder()
            .plugin(Grumpy)
            .plugin(Demo)
            .start()
            .await
            .unwrap();
        bot.push_event(TestEvent::Presence(bot_core::Presence::new(
            None,
            bot_core::PresenceStatus::Away,
        )));
        bot.assert_command("!echo fine", "fine").await;
    }
}

mod rendering {
    use super::*;
    use bot_core::{Card, Markup};

    #[tokio::test]
    async fn long_replies_are_split_into_partial_messages() {
        let bot = TestBot::builder()
            .plugin(Demo)
            .message_size_limit(12)
            .start()
            .await
            .unwrap();
        bot.push_message("!echo one two three four five");
        let mut parts = Vec::new();
        loop {
            let m = bot.pop_message().await.unwrap();
            assert!(m.body.len() <= 12, "{:?} is over the limit", m.body);
            let partial = m.partial;
            parts.push(m.body);
            if !partial {
                break;
            }
        }
        assert_eq!(parts, ["one two", "three four", "five"]);
    }

    #[tokio::test]
    async fn bodies_are_rendered_for_the_backend() {
        let bot = TestBot::builder()
            .plugin(Demo)
            .markup(Markup::Plain)
            .start()
            .await
            .unwrap();
        bot.assert_command(
            "!echo **bold** and [a link](https://e.test)",
            "bold and a link (https://e.test)",
        )
        .await;
    }

    struct Cards;

    impl Plugin for Cards {
        fn name(&self) -> &str {
            "Cards"
        }
        fn commands(&self) -> Vec<Command> {
            vec![Command::new("status", |_ctx, _args| async move {
                Card::new("All good.")
                    .title("Status")
                    .field("uptime", "3 days")
                    .field("load", "0.1")
                    .color("green")
            })]
        }
    }

    #[tokio::test]
    async fn cards_render_as_readable_text_where_not_native() {
        let bot = TestBot::builder()
            .plugin(Cards)
            .markup(Markup::Plain)
            .start()
            .await
            .unwrap();
        bot.push_room_message("#r", "alice", "!status");
        let m = bot.pop_message().await.unwrap();
        assert_eq!(m.body, "Status\nAll good.\nuptime: 3 days\nload:   0.1");
        assert!(m.is_group());
    }

    #[tokio::test]
    async fn cards_go_natively_where_the_backend_can() {
        let bot = TestBot::builder()
            .plugin(Cards)
            .native_cards()
            .start()
            .await
            .unwrap();
        bot.push_message("!status");
        let card = bot.pop_card().await.unwrap();
        assert_eq!(card.title.as_deref(), Some("Status"));
        assert_eq!(card.fields.len(), 2);
        assert_eq!(card.to, Some(Person::new("tester").into()));
        bot.assert_no_reply(Duration::from_millis(50)).await;
    }
}

mod storage {
    use super::*;
    use bot_core::{SqliteStorage, Storage};
    use std::io::{BufRead, Write};

    struct Counter;

    impl Plugin for Counter {
        fn name(&self) -> &str {
            "Counter"
        }
        fn commands(&self) -> Vec<Command> {
            vec![Command::new("count", |ctx, _args| async move {
                let store = ctx.plugin().storage();
                let n = store.get::<u64>("n")?.unwrap_or(0) + 1;
                store.set("n", &n)?;
                Ok::<_, bot_core::StorageError>(format!("count is {n}"))
            })]
        }
    }

    fn temp_path(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("bot-core-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        path
    }

    #[tokio::test]
    async fn plugin_storage_persists_across_bots() {
        let path = temp_path("persist.sqlite3");
        for expected in ["count is 1", "count is 2"] {
            let store: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&path).unwrap());
            let bot = TestBot::builder()
                .plugin(Counter)
                .storage(store)
                .start()
                .await
                .unwrap();
            bot.assert_command("!count", expected).await;
            bot.stop().await.unwrap();
        }
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    const CHILD_ENV: &str = "BOT_CORE_KILL_CHILD_DB";

    /// The child half of `kill_nine_keeps_acknowledged_writes`: writes keys
    /// forever and acknowledges each one on stdout after its commit.
    #[test]
    #[ignore = "run as a child process by kill_nine_keeps_acknowledged_writes"]
    fn kill_child_role() {
        let Ok(path) = std::env::var(CHILD_ENV) else {
            return;
        };
        let store = SqliteStorage::open(&path).unwrap();
        let mut out = std::io::stdout().lock();
        for i in 0..1_000_000u64 {
            store
                .set("kill", &format!("k{i:07}"), serde_json::json!(i))
                .unwrap();
            writeln!(out, "ack {i}").unwrap();
            out.flush().unwrap();
        }
    }

    #[test]
    fn kill_nine_keeps_acknowledged_writes() {
        let path = temp_path("kill.sqlite3");
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "storage::kill_child_role",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(n) = line
                    .strip_prefix("ack ")
                    .and_then(|n| n.parse::<u64>().ok())
                    && tx.send(n).is_err()
                {
                    break;
                }
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let mut last = None;
        while last.is_none_or(|n| n < 300) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(n) => last = Some(n),
                Err(_) => break,
            }
        }
        // SIGKILL in the middle of the writes.
        child.kill().unwrap();
        child.wait().unwrap();
        // Acknowledgements already in the pipe count too.
        drop(reader.join());
        while let Ok(n) = rx.try_recv() {
            last = Some(n);
        }
        let last = last.expect("the child acknowledged writes in time");
        assert!(last >= 300, "only {last} writes acknowledged in 60 s");

        let store = SqliteStorage::open(&path).unwrap();
        assert!(store.integrity_check().unwrap(), "the database is sound");
        for i in 0..=last {
            assert_eq!(
                store.get("kill", &format!("k{i:07}")).unwrap(),
                Some(serde_json::json!(i)),
                "acknowledged write {i} is missing"
            );
        }
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}

mod jobs {
    use super::*;
    use bot_core::PluginContext;

    struct Ticker {
        ticks: Arc<AtomicUsize>,
        failures: Arc<AtomicUsize>,
        once: Arc<AtomicUsize>,
    }

    impl Plugin for Ticker {
        fn name(&self) -> &str {
            "Ticker"
        }
        fn activate(&self, ctx: &PluginContext) -> Result<(), bot_core::BoxError> {
            let ticks = self.ticks.clone();
            ctx.start_poller(Duration::from_secs(10), move |_ctx| {
                let ticks = ticks.clone();
                async move {
                    ticks.fetch_add(1, Ordering::SeqCst);
                    Ok::<(), std::io::Error>(())
                }
            })?;
            let failures = self.failures.clone();
            ctx.start_poller(Duration::from_secs(5), move |_ctx| {
                let n = failures.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n.is_multiple_of(2) {
                        panic!("job panicked on purpose");
                    }
                    Err::<(), _>(std::io::Error::other("job failed on purpose"))
                }
            })?;
            let once = self.once.clone();
            ctx.run_later(Duration::from_secs(7), move |ctx| async move {
                once.fetch_add(1, Ordering::SeqCst);
                ctx.send(&Person::new("tester").into(), "one-shot ran")
                    .await
            })?;
            Ok(())
        }
    }

    #[test]
    fn jobs_outside_a_runtime_are_an_error_not_a_panic() {
        let backend = bot_core::backends::text::TextBackend::new(
            std::io::Cursor::new(Vec::new()),
            Vec::new(),
            "me",
        );
        let plugin = Ticker {
            ticks: Arc::default(),
            failures: Arc::default(),
            once: Arc::default(),
        };
        let err = bot_core::Bot::builder(backend)
            .plugin(plugin)
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "plugin Ticker failed to activate: no tokio runtime to run the job on"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn interval_and_one_shot_jobs_under_a_paused_clock() {
        let ticks = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(AtomicUsize::new(0));
        let once = Arc::new(AtomicUsize::new(0));
        let bot = TestBot::builder()
            .plugin(Ticker {
                ticks: ticks.clone(),
                failures: failures.clone(),
                once: once.clone(),
            })
            .start()
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(9_999)).await;
        assert_eq!(
            ticks.load(Ordering::SeqCst),
            0,
            "the first run is after one interval"
        );
        assert_eq!(once.load(Ordering::SeqCst), 1);
        assert_eq!(bot.pop_text().await.unwrap(), "one-shot ran");
        tokio::time::sleep(Duration::from_secs(30)).await;
        // 39.999 s in: runs at 10, 20 and 30 s.
        assert_eq!(ticks.load(Ordering::SeqCst), 3);
        // Failing and panicking runs keep their schedule: every 5 s.
        assert_eq!(failures.load(Ordering::SeqCst), 7);
        assert_eq!(once.load(Ordering::SeqCst), 1, "a one-shot job runs once");

        bot.bot().deactivate_plugin("Ticker").unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(ticks.load(Ordering::SeqCst), 3, "deactivation cancels jobs");
        bot.bot().activate_plugin("ticker").unwrap();
        tokio::time::sleep(Duration::from_secs(10) + Duration::from_millis(1)).await;
        assert_eq!(
            ticks.load(Ordering::SeqCst),
            4,
            "reactivation schedules again"
        );
    }
}

mod plugins {
    use super::*;
    use bot_core::{BotError, ConfigError, Hooks, PluginContext, Reaction, ReactionAction};
    use std::sync::Mutex;

    #[tokio::test]
    async fn deactivated_plugins_stop_answering() {
        let bot = demo_bot(BotConfig::default()).await;
        let names: Vec<_> = bot
            .bot()
            .plugins()
            .into_iter()
            .map(|p| (p.name, p.active))
            .collect();
        assert_eq!(
            names,
            [("Help".to_owned(), true), ("Demo".to_owned(), true)]
        );
        bot.bot().deactivate_plugin("demo").unwrap();
        bot.assert_command("!echo x", "Command \"echo\" not found.")
            .await;
        bot.bot().activate_plugin("Demo").unwrap();
        bot.assert_command("!echo x", "x").await;
        assert!(matches!(
            bot.bot().activate_plugin("nope"),
            Err(BotError::UnknownPlugin { .. })
        ));
    }

    #[derive(serde::Deserialize, Default)]
    struct GreetConfig {
        greeting: String,
    }

    struct Greeter;

    impl Plugin for Greeter {
        fn name(&self) -> &str {
            "Greeter"
        }
        fn activate(&self, ctx: &PluginContext) -> Result<(), bot_core::BoxError> {
            let _: GreetConfig = ctx.config_or_default()?;
            Ok(())
        }
        fn commands(&self) -> Vec<Command> {
            vec![Command::new("greet", |ctx, _args| async move {
                let cfg: GreetConfig = ctx.plugin().config_or_default()?;
                Ok::<_, ConfigError>(cfg.greeting)
            })]
        }
    }

    #[tokio::test]
    async fn typed_configuration_sections() {
        let mut config = BotConfig::default();
        config
            .plugins
            .insert("Greeter".into(), serde_json::json!({ "greeting": "Ahoy" }));
        let bot = TestBot::builder()
            .config(config)
            .plugin(Greeter)
            .start()
            .await
            .unwrap();
        bot.assert_command("!greet", "Ahoy").await;

        let mut config = BotConfig::default();
        config
            .plugins
            .insert("Greeter".into(), serde_json::json!({ "greting": 1 }));
        let err = TestBot::builder()
            .config(config)
            .plugin(Greeter)
            .start()
            .await
            .unwrap_err();
        assert!(
            matches!(err, BotError::Activation { ref name, .. } if name == "Greeter"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn duplicate_names_and_bad_regexes_are_refused() {
        let err = TestBot::builder()
            .plugin(Demo)
            .plugin(Demo)
            .start()
            .await
            .unwrap_err();
        assert!(matches!(err, BotError::DuplicatePlugin { .. }));
        struct BadRegex;
        impl Plugin for BadRegex {
            fn name(&self) -> &str {
                "Bad"
            }
            fn commands(&self) -> Vec<Command> {
                vec![Command::regex("bad", "(unclosed", |_ctx, _c| async {})]
            }
        }
        let err = TestBot::builder()
            .plugin(BadRegex)
            .start()
            .await
            .unwrap_err();
        assert!(matches!(err, BotError::Regex { .. }), "{err}");
    }

    #[derive(Default)]
    struct Recorder {
        seen: Arc<Mutex<Vec<String>>>,
    }

    impl Plugin for Recorder {
        fn name(&self) -> &str {
            "Recorder"
        }
        fn hooks(&self) -> Hooks {
            let log = |seen: &Arc<Mutex<Vec<String>>>, s: String| {
                seen.lock().unwrap().push(s);
            };
            let (a, b, c, d, e, f, g, h, i) = (
                self.seen.clone(),
                self.seen.clone(),
                self.seen.clone(),
                self.seen.clone(),
                self.seen.clone(),
                self.seen.clone(),
                self.seen.clone(),
                self.seen.clone(),
                self.seen.clone(),
            );
            Hooks::new()
                .on_connect(move |_ctx, ()| {
                    log(&a, "connect".into());
                    async { Ok::<(), std::io::Error>(()) }
                })
                .on_message(move |_ctx, m| {
                    log(&b, format!("message {}", m.body));
                    async { Ok::<(), std::io::Error>(()) }
                })
                .on_mention(move |_ctx, (_m, who)| {
                    log(&c, format!("mention {}", who.len()));
                    async { Ok::<(), std::io::Error>(()) }
                })
                .on_presence(move |_ctx, p| {
                    log(&d, format!("presence {:?}", p.status));
                    async { Ok::<(), std::io::Error>(()) }
                })
                .on_room_joined(move |_ctx, (r, _who)| {
                    log(&e, format!("joined {r}"));
                    async { Ok::<(), std::io::Error>(()) }
                })
                .on_room_left(move |_ctx, (r, _who)| {
                    log(&f, format!("left {r}"));
                    async { Ok::<(), std::io::Error>(()) }
                })
                .on_room_topic(move |_ctx, (r, t)| {
                    log(&g, format!("topic {r} {}", t.unwrap_or_default()));
                    async { Ok::<(), std::io::Error>(()) }
                })
                .on_reaction(move |_ctx, r| {
                    log(&h, format!("reaction {} {:?}", r.name, r.action));
                    async { Ok::<(), std::io::Error>(()) }
                })
                .on_disconnect(move |_ctx, ()| {
                    log(&i, "disconnect".into());
                    async { Ok::<(), std::io::Error>(()) }
                })
        }
    }

    struct Receiver;

    impl Plugin for Receiver {
        fn name(&self) -> &str {
            "Receiver"
        }
        fn hooks(&self) -> Hooks {
            Hooks::new().on_stream(|ctx, stream| async move {
                if stream.name.ends_with(".txt") {
                    stream.accept()?;
                    stream.progress(5)?;
                    stream.success()?;
                } else {
                    stream.reject()?;
                }
                ctx.send(
                    &stream.identifier,
                    &format!("{}: {:?}", stream.name, stream.status()),
                )
                .await?;
                Ok::<_, bot_core::BoxError>(())
            })
        }
    }

    #[tokio::test]
    async fn incoming_transfers_reach_plugins() {
        use bot_core::{Stream, StreamDirection, StreamStatus};
        let bot = TestBot::builder().plugin(Receiver).start().await.unwrap();
        let notes = Stream::new(
            Person::new("alice").into(),
            "notes.txt",
            StreamDirection::Incoming,
        );
        bot.push_event(TestEvent::Stream(notes.clone()));
        assert_eq!(bot.pop_text().await.unwrap(), "notes.txt: Success");
        assert_eq!(
            notes.status(),
            StreamStatus::Success,
            "the backend sees the same state"
        );
        let exe = Stream::new(
            Person::new("alice").into(),
            "run.exe",
            StreamDirection::Incoming,
        );
        bot.push_event(TestEvent::Stream(exe.clone()));
        assert_eq!(bot.pop_text().await.unwrap(), "run.exe: Rejected");
        assert_eq!(exe.status(), StreamStatus::Rejected);
    }

    #[tokio::test(start_paused = true)]
    async fn callbacks_reach_plugins_and_disconnects_reconnect() {
        let recorder = Recorder::default();
        let seen = recorder.seen.clone();
        let bot = TestBot::builder()
            .plugin(recorder)
            .plugin(Demo)
            .start()
            .await
            .unwrap();
        bot.push_message("!echo hi");
        assert_eq!(bot.pop_text().await.unwrap(), "hi");
        bot.push_event(TestEvent::Mention(
            Message::new("@x"),
            vec![Person::new("x").into()],
        ));
        bot.push_event(TestEvent::Presence(bot_core::Presence::new(
            Some(Person::new("x").into()),
            bot_core::PresenceStatus::Dnd,
        )));
        bot.push_event(TestEvent::RoomJoined(RoomId::new("#a"), None));
        bot.push_event(TestEvent::RoomTopic(RoomId::new("#a"), Some("news".into())));
        bot.push_event(TestEvent::RoomLeft(RoomId::new("#a"), None));
        bot.push_event(TestEvent::Reaction(Reaction::new(
            Person::new("x").into(),
            "thumbsup",
            ReactionAction::Added,
        )));
        bot.push_event(TestEvent::Disconnect);
        // The bot reconnects after errbot's first backoff step (1 s here, no jitter).
        bot.push_message("!echo back");
        assert_eq!(bot.pop_text().await.unwrap(), "back");
        assert_eq!(
            bot.bot().reconnection_count(),
            0,
            "reset after reconnecting"
        );
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                "connect",
                "message !echo hi",
                "mention 1",
                "presence Dnd",
                "joined #a",
                "topic #a news",
                "left #a",
                "reaction thumbsup Added",
                "disconnect",
                "connect",
                "message !echo back",
            ]
        );
    }
}

mod backend {
    use super::*;
    use bot_core::backend::{Backend, BoxFuture, Callbacks, ReconnectPolicy, serve_forever};
    use bot_core::{BackendError, Identifier, IdentifierError, RoomError, StreamError, UserError};
    use std::sync::Mutex;

    #[tokio::test]
    async fn identifiers_round_trip_through_the_backend() {
        let bot = demo_bot(BotConfig::default()).await;
        let backend = bot.bot().backend();
        let ids: Vec<Identifier> = vec![
            Person::new("alice").into(),
            RoomId::new("#room").into(),
            RoomOccupant::new(Person::new("alice"), RoomId::new("#room")).into(),
        ];
        for id in ids {
            assert_eq!(backend.build_identifier(&id.to_string()).unwrap(), id);
        }
        assert!(matches!(
            backend.build_identifier("a b"),
            Err(IdentifierError::Invalid { .. })
        ));
        assert_eq!(backend.mode(), "test");
    }

    #[tokio::test]
    async fn rooms_and_their_errors() {
        let bot = demo_bot(BotConfig::default()).await;
        let b = bot.bot();
        let room = b.query_room("#lab").await.unwrap();
        assert!(!room.exists().await.unwrap());
        assert_eq!(
            room.topic().await,
            Err(RoomError::DoesNotExist {
                room: "#lab".into()
            })
        );
        room.create().await.unwrap();
        assert_eq!(
            room.create().await,
            Err(RoomError::AlreadyExists {
                room: "#lab".into()
            })
        );
        assert_eq!(
            room.topic().await,
            Err(RoomError::NotJoined {
                room: "#lab".into()
            })
        );
        room.join(None).await.unwrap();
        assert!(room.joined().await.unwrap());
        room.set_topic("science").await.unwrap();
        assert_eq!(room.topic().await.unwrap().as_deref(), Some("science"));
        assert_eq!(
            room.invite(vec![Person::new("ghost").into()]).await,
            Err(RoomError::User(UserError::DoesNotExist {
                user: "ghost".into()
            }))
        );
        bot.backend().add_user("dana");
        room.invite(vec![Person::new("dana").into()]).await.unwrap();
        let occupants: Vec<String> = room
            .occupants()
            .await
            .unwrap()
            .iter()
            .map(|o| o.person().person().to_owned())
            .collect();
        assert_eq!(occupants, ["bot", "dana"]);
        let rooms = b.backend().rooms().await.unwrap();
        assert_eq!(rooms, [RoomId::new("#lab")]);
        room.leave(None).await.unwrap();
        assert_eq!(
            room.leave(None).await,
            Err(RoomError::NotJoined {
                room: "#lab".into()
            })
        );
        room.destroy().await.unwrap();
        assert_eq!(
            room.destroy().await,
            Err(RoomError::DoesNotExist {
                room: "#lab".into()
            })
        );
        let joined = b.backend().join_room("#new", None).await.unwrap();
        assert_eq!(joined, RoomId::new("#new"));
    }

    #[tokio::test]
    async fn presence_and_streams() {
        let bot = demo_bot(BotConfig::default()).await;
        let p = bot_core::Presence::new(None, bot_core::PresenceStatus::Custom("coding".into()))
            .with_message("busy");
        bot.bot()
            .backend()
            .change_presence(p.clone())
            .await
            .unwrap();
        assert_eq!(bot.backend().presence(), Some(p));
        let offer = bot
            .bot()
            .backend()
            .send_stream_request(Person::new("a").into(), "f.txt".into(), Some(3), None)
            .await;
        assert_eq!(offer.unwrap_err(), StreamError::Unsupported);
    }

    /// Fails its first connections, then connects and asks to shut down.
    struct Flaky {
        attempts: Mutex<Vec<tokio::time::Instant>>,
        fail: usize,
    }

    impl Backend for Flaky {
        fn mode(&self) -> &str {
            "flaky"
        }
        fn bot_identifier(&self) -> Identifier {
            Person::new("bot").into()
        }
        fn build_identifier(&self, text: &str) -> Result<Identifier, IdentifierError> {
            Ok(Person::new(text).into())
        }
        fn send_message(&self, _msg: Message) -> BoxFuture<'_, Result<(), BackendError>> {
            Box::pin(async { Ok(()) })
        }
        fn serve_once(
            &self,
            callbacks: Arc<dyn Callbacks>,
        ) -> BoxFuture<'_, Result<bool, BackendError>> {
            Box::pin(async move {
                let n = {
                    let mut a = self.attempts.lock().unwrap();
                    a.push(tokio::time::Instant::now());
                    a.len()
                };
                if n <= self.fail {
                    return Err(BackendError::Other("refused".into()));
                }
                callbacks.reset_reconnection_count();
                Ok(true)
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn serve_forever_backs_off_and_stops_on_a_truthy_serve_once() {
        let backend = Arc::new(Flaky {
            attempts: Mutex::new(Vec::new()),
            fail: 3,
        });
        let bot = bot_core::Bot::builder_shared(backend.clone())
            .reconnect_policy(ReconnectPolicy {
                jitter: Duration::ZERO,
                ..ReconnectPolicy::default()
            })
            .build()
            .unwrap();
        bot.run().await.unwrap();
        let attempts = backend.attempts.lock().unwrap().clone();
        let gaps: Vec<f64> = attempts
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64())
            .collect();
        // tokio's timers have millisecond resolution.
        let want = [1.0, 1.75, 1.75 * 1.75];
        assert_eq!(gaps.len(), want.len(), "{gaps:?}");
        for (got, want) in gaps.iter().zip(want) {
            assert!((got - want).abs() < 0.002, "{gaps:?}");
        }
        assert_eq!(bot.reconnection_count(), 0);

        let backend = Flaky {
            attempts: Mutex::new(Vec::new()),
            fail: usize::MAX,
        };
        let bot = bot_core::Bot::builder(Flaky {
            attempts: Mutex::new(Vec::new()),
            fail: 0,
        })
        .build()
        .unwrap();
        let policy = ReconnectPolicy {
            max_attempts: Some(4),
            ..ReconnectPolicy::default()
        };
        let callbacks: Arc<dyn Callbacks> = Arc::new(bot);
        let err = serve_forever(&backend, callbacks, &policy)
            .await
            .unwrap_err();
        assert!(matches!(err, BackendError::GaveUp { attempts: 4 }), "{err}");
    }
}

mod text {
    use super::*;
    use bot_core::backends::text::TextBackend;
    use bot_core::{Bot, Markup};
    use std::pin::Pin;
    use std::sync::Mutex;
    use std::task::{Context, Poll};

    /// A writer the test can read afterwards.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl tokio::io::AsyncWrite for Shared {
        fn poll_write(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    async fn session(input: &str, config: BotConfig) -> String {
        let out = Shared::default();
        let backend = TextBackend::new(
            std::io::Cursor::new(input.as_bytes().to_vec()),
            out.clone(),
            "me",
        )
        .with_markup(Markup::Plain);
        let bot = Bot::builder(backend)
            .config(config)
            .plugin(Demo)
            .build()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(10), bot.run())
            .await
            .expect("the REPL stops at end of input")
            .unwrap();
        String::from_utf8(out.0.lock().unwrap().clone()).unwrap()
    }

    #[tokio::test]
    async fn repl_direct_rooms_users_and_eof() {
        let mut config = BotConfig::default();
        config.admins = vec!["me".into()];
        let input = "!lines\n!echo **hi**\n\n/whoami\n/join #lab\n!restart\n/topic research\n/as eve\n!restart\n/part\n/part\n/bogus\n!who\n";
        let out = session(input, config).await;
        let want = [
            "<bot> a",
            "<bot> b",
            "<bot> hi",
            "you are me, in a direct chat",
            "joined #lab",
            "[#lab] <bot> restarting",
            "topic of #lab set",
            "now speaking as eve",
            "[#lab] <bot> This command requires bot-admin privileges.",
            "left #lab",
            "not in a room",
            "unknown helper /bogus; try /help",
            "<bot> you are eve",
        ];
        assert_eq!(out.lines().collect::<Vec<_>>(), want);
    }

    #[tokio::test]
    async fn lines_that_are_not_utf8_are_kept() {
        let out = session("!echo caf\u{e9}\n", BotConfig::default()).await;
        assert_eq!(out, "<bot> caf\u{e9}\n");
        let out = {
            let buf = Shared::default();
            let input = b"!echo caf\xe9\n".to_vec();
            let backend = TextBackend::new(std::io::Cursor::new(input), buf.clone(), "me")
                .with_markup(Markup::Plain);
            let bot = Bot::builder(backend).plugin(Demo).build().unwrap();
            bot.run().await.unwrap();
            String::from_utf8(buf.0.lock().unwrap().clone()).unwrap()
        };
        assert_eq!(out, "<bot> caf\u{fffd}\n");
    }

    #[tokio::test]
    async fn multi_line_replies_are_indented() {
        let out = session("/join #x\n!echo one\n\ntwo\n", BotConfig::default()).await;
        assert_eq!(out, "joined #x\n[#x] <bot> one\n");
        let out = session("!help echo\n", BotConfig::default()).await;
        assert_eq!(
            out,
            "<bot> !echo\n      Repeats what you say.\n      Even long things.\n"
        );
    }

    #[tokio::test]
    async fn quit_stops_before_the_rest() {
        let out = session("!echo one\n/quit\n!echo two\n", BotConfig::default()).await;
        assert_eq!(out, "<bot> one\n");
    }
}

mod lifecycle {
    use super::*;
    use bot_core::PluginContext;

    struct Tracked {
        deactivated: Arc<AtomicUsize>,
        ticks: Arc<AtomicUsize>,
    }

    impl Plugin for Tracked {
        fn name(&self) -> &str {
            "Tracked"
        }
        fn activate(&self, ctx: &PluginContext) -> Result<(), bot_core::BoxError> {
            let ticks = self.ticks.clone();
            ctx.start_poller(Duration::from_secs(1), move |_ctx| {
                ticks.fetch_add(1, Ordering::SeqCst);
                async { Ok::<(), std::io::Error>(()) }
            })?;
            Ok(())
        }
        fn deactivate(&self, _ctx: &PluginContext) {
            self.deactivated.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn stopping_and_dropping_shut_plugins_down() {
        let deactivated = Arc::new(AtomicUsize::new(0));
        let ticks = Arc::new(AtomicUsize::new(0));
        let plugin = || Tracked {
            deactivated: deactivated.clone(),
            ticks: ticks.clone(),
        };
        let bot = TestBot::builder().plugin(plugin()).start().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert_eq!(ticks.load(Ordering::SeqCst), 1);
        bot.stop().await.unwrap();
        assert_eq!(deactivated.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(ticks.load(Ordering::SeqCst), 1, "no job runs after stop");

        let bot = TestBot::builder().plugin(plugin()).start().await.unwrap();
        drop(bot);
        assert_eq!(deactivated.load(Ordering::SeqCst), 2);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(ticks.load(Ordering::SeqCst), 1, "no job runs after drop");
    }
}

/// The plugin of the user guide, kept compiling and passing here.
mod guide {
    use bot_core::backends::test::TestBot;
    use bot_core::{BotConfig, BoxError, Command, Hooks, Plugin, PluginContext};
    use std::time::Duration;

    /// Rolls dice.
    #[derive(clap::Parser)]
    struct RollArgs {
        /// How many dice.
        #[arg(short, long, default_value_t = 1)]
        count: u32,
    }

    #[derive(serde::Deserialize, Default)]
    struct DiceConfig {
        sides: Option<u32>,
    }

    struct Dice;

    impl Plugin for Dice {
        fn name(&self) -> &str {
            "Dice"
        }
        fn description(&self) -> &str {
            "Dice and counters."
        }

        fn commands(&self) -> Vec<Command> {
            vec![
                Command::new("say", |_ctx, args| async move { args }).help("Repeats what you say."),
                Command::with_args("roll", |ctx, a: RollArgs| async move {
                    let cfg: DiceConfig = ctx.plugin().config_or_default()?;
                    Ok::<_, BoxError>(format!("{} dice of {}", a.count, cfg.sides.unwrap_or(6)))
                }),
                Command::regex("cookie", r"(?i)cookies?", |_ctx, _caps| async {
                    "Have a cookie."
                }),
                Command::new("count", |ctx, _args| async move {
                    let store = ctx.plugin().storage();
                    let n = store.get::<u64>("n")?.unwrap_or(0) + 1;
                    store.set("n", &n)?;
                    Ok::<_, BoxError>(format!("count is {n}"))
                }),
                Command::new("reset", |_ctx, _args| async { "reset" }).admin_only(),
            ]
        }

        fn hooks(&self) -> Hooks {
            Hooks::new().on_room_joined(|ctx, (room, who)| async move {
                if who.is_none() {
                    ctx.send(&room.into(), "Hello, room!").await?;
                }
                Ok::<_, BoxError>(())
            })
        }

        fn activate(&self, ctx: &PluginContext) -> Result<(), BoxError> {
            ctx.start_poller(Duration::from_secs(3600), |_ctx| async {
                Ok::<_, BoxError>(())
            })?;
            Ok(())
        }
    }

    #[tokio::test]
    async fn dice() {
        let mut config = BotConfig::default();
        config.admins = vec!["boss".into()];
        let bot = TestBot::builder()
            .config(config)
            .plugin(Dice)
            .start()
            .await
            .unwrap();
        bot.assert_command("!say hi", "hi").await;
        bot.assert_command("!roll -c 2", "2 dice of 6").await;
        bot.assert_command("!cookies please", "Have a cookie.")
            .await;
        bot.assert_command("!count", "count is 1").await;
        bot.assert_command("!count", "count is 2").await;
        bot.assert_command("!reset", "bot-admin").await;
        bot.push_message_from("boss", "!reset");
        assert_eq!(bot.pop_text().await.unwrap(), "reset");
        bot.push_room_message("#games", "alice", "!say in a room");
        let reply = bot.pop_message().await.unwrap();
        assert!(reply.is_group());
        bot.push_event(bot_core::backends::test::TestEvent::RoomJoined(
            bot_core::RoomId::new("#new"),
            None,
        ));
        let hello = bot.pop_message().await.unwrap();
        assert_eq!(hello.body, "Hello, room!");
        assert_eq!(hello.to, Some(bot_core::RoomId::new("#new").into()));
    }
}
