//! The built-in plugins on bot-core's test backend, one module per plugin.

use std::sync::Arc;
use std::time::Duration;

use bot_core::backends::test::TestBot;
use bot_core::{BotConfig, MemoryStorage, Storage};
use bot_plugins::Options;
use bot_plugins::clock::ManualClock;
use bot_plugins::rng::SharedRng;

/// 2026-01-01T17:00:00Z.
const FIVE_PM: i64 = 1_767_286_800;

struct Setup {
    clock: ManualClock,
    storage: Arc<dyn Storage>,
    admins: Vec<String>,
    seed: u64,
}

impl Setup {
    fn new() -> Self {
        Self {
            clock: ManualClock::new(FIVE_PM),
            storage: Arc::new(MemoryStorage::new()),
            admins: vec!["boss".to_owned()],
            seed: 7,
        }
    }

    fn options(&self) -> Options {
        Options {
            clock: Some(Arc::new(self.clock.clone())),
            rng: Some(SharedRng::seeded(self.seed)),
            controls: None,
        }
    }

    async fn start_with(&self, options: Options, config: Option<BotConfig>) -> TestBot {
        let mut config = config.unwrap_or_default();
        config.admins.clone_from(&self.admins);
        TestBot::builder()
            .config(config)
            .storage(self.storage.clone())
            .plugins(bot_plugins::builtin_with(options))
            .start()
            .await
            .expect("the bot starts")
    }

    async fn start(&self) -> TestBot {
        self.start_with(self.options(), None).await
    }
}

async fn reply_to(bot: &TestBot, user: &str, text: &str) -> String {
    bot.push_message_from(user, text);
    bot.pop_text().await.expect("a reply")
}

mod help {
    use super::*;

    #[tokio::test]
    async fn lists_the_builtins_and_details_one() {
        let bot = Setup::new().start().await;
        let list = reply_to(&bot, "tester", "!help").await;
        for cmd in [
            "!status", "!echo", "!say", "!plugins", "!seen", "!tell", "!remind", "!karma",
            "!choose", "!dice", "!help",
        ] {
            assert!(
                list.contains(&format!("`{cmd}")),
                "{cmd} missing from {list}"
            );
        }
        // Admin commands are listed for admins only.
        for cmd in ["!join", "!acl add", "!plugins disable"] {
            assert!(
                !list.contains(&format!("`{cmd}`")),
                "{cmd} shown to a non-admin"
            );
        }
        let admin_list = reply_to(&bot, "boss", "!help").await;
        for cmd in [
            "!join",
            "!quit",
            "!acl add",
            "!admin add",
            "!plugins disable",
        ] {
            assert!(
                admin_list.contains(&format!("`{cmd}`")),
                "{cmd} missing for an admin"
            );
        }
        assert!(
            reply_to(&bot, "tester", "!join #x")
                .await
                .contains("bot-admin")
        );
        let dice = reply_to(&bot, "tester", "!help dice").await;
        assert!(dice.contains("2d6+1"), "{dice}");
        assert!(list.contains("- `thing++`: "), "{list}");
        let remind = reply_to(&bot, "tester", "!help remind").await;
        assert!(remind.contains("1h30m"), "{remind}");
    }
}

mod status {
    use super::*;

    #[tokio::test]
    async fn reports_version_backend_and_plugins() {
        let setup = Setup::new();
        let bot = setup.start().await;
        let s = reply_to(&bot, "tester", "!status").await;
        assert!(s.contains(env!("CARGO_PKG_VERSION")), "{s}");
        assert!(s.contains("backend: test (connected)"), "{s}");
        assert!(s.contains("11 loaded, 11 active"), "{s}");
        assert!(!s.contains("disabled:"), "{s}");
        assert!(
            reply_to(&bot, "boss", "!plugins disable Dice")
                .await
                .contains("disabled")
        );
        let s = reply_to(&bot, "tester", "!status").await;
        assert!(s.contains("11 loaded, 10 active"), "{s}");
        assert!(s.contains("disabled: Dice"), "{s}");
    }
}

mod echo {
    use super::*;

    #[tokio::test]
    async fn echo_repeats() {
        let bot = Setup::new().start().await;
        assert_eq!(reply_to(&bot, "tester", "!echo hi there").await, "hi there");
        assert!(reply_to(&bot, "tester", "!echo").await.contains("Usage"));
    }

    #[tokio::test]
    async fn say_in_own_room_is_open_other_rooms_need_an_admin() {
        let bot = Setup::new().start().await;
        bot.push_room_message("#a", "alice", "!say #a hello");
        let m = bot.pop_message().await.unwrap();
        assert_eq!(m.body, "hello");
        assert_eq!(m.to.as_ref().and_then(|t| t.room()).unwrap().name(), "#a");

        // The bot is in #b once someone spoke there.
        bot.push_room_message("#b", "carol", "good morning");
        bot.push_room_message("#a", "alice", "!say #b psst");
        let m = bot.pop_message().await.unwrap();
        assert!(m.body.contains("bot-admin"), "{}", m.body);

        bot.push_message_from("boss", "!say #b hi from boss");
        let m = bot.pop_message().await.unwrap();
        assert_eq!(m.body, "hi from boss");
        assert_eq!(m.to.as_ref().and_then(|t| t.room()).unwrap().name(), "#b");
        assert_eq!(bot.pop_text().await.unwrap(), "Said in #b.");

        assert_eq!(
            reply_to(&bot, "boss", "!say #nowhere hi").await,
            "I am not in #nowhere."
        );
        assert!(
            reply_to(&bot, "boss", "!say nowhere")
                .await
                .contains("Usage")
        );
    }
}

mod admin {
    use std::sync::Mutex;

    use bot_core::{Bot, BoxError, BoxFuture};
    use bot_plugins::AdminControls;

    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl AdminControls for Recorder {
        fn change_nick(&self, _bot: &Bot, nick: String) -> BoxFuture<'_, Result<String, BoxError>> {
            self.0.lock().unwrap().push(format!("nick {nick}"));
            Box::pin(async move { Ok(format!("Now known as {nick}.")) })
        }

        fn quit(&self, _bot: &Bot, reason: Option<String>) -> BoxFuture<'_, Result<(), BoxError>> {
            self.0
                .lock()
                .unwrap()
                .push(format!("quit {}", reason.unwrap_or_default()));
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn admin_commands_need_an_admin() {
        let bot = Setup::new().start().await;
        for cmd in [
            "!join #x",
            "!part #x",
            "!nick x",
            "!quit",
            "!reload",
            "!admin add eve",
            "!acl list",
            "!admin list",
        ] {
            let r = reply_to(&bot, "eve", cmd).await;
            assert!(r.contains("bot-admin"), "{cmd}: {r}");
        }
    }

    #[tokio::test]
    async fn join_and_part() {
        let bot = Setup::new().start().await;
        assert_eq!(reply_to(&bot, "boss", "!join #x").await, "Joined #x.");
        assert!(
            bot.bot()
                .query_room("#x")
                .await
                .unwrap()
                .joined()
                .await
                .unwrap()
        );
        assert_eq!(reply_to(&bot, "boss", "!part #x bye").await, "Left #x.");
        assert!(
            !bot.bot()
                .query_room("#x")
                .await
                .unwrap()
                .joined()
                .await
                .unwrap()
        );
        assert!(reply_to(&bot, "boss", "!part").await.contains("Usage"));
    }

    #[tokio::test]
    async fn controls_are_optional() {
        let setup = Setup::new();
        let bot = setup.start().await;
        assert!(
            reply_to(&bot, "boss", "!nick newbot")
                .await
                .contains("not available")
        );
        assert!(
            reply_to(&bot, "boss", "!quit")
                .await
                .contains("not available")
        );
        assert!(
            reply_to(&bot, "boss", "!reload")
                .await
                .contains("no configuration")
        );
        drop(bot);

        let recorder = Arc::new(Recorder::default());
        let mut options = setup.options();
        options.controls = Some(recorder.clone());
        let bot = setup.start_with(options, None).await;
        assert_eq!(
            reply_to(&bot, "boss", "!nick newbot").await,
            "Now known as newbot."
        );
        assert_eq!(reply_to(&bot, "boss", "!quit see you").await, "Bye.");
        // The default `reload` of a program that has no file.
        assert!(
            reply_to(&bot, "boss", "!reload")
                .await
                .contains("no configuration file")
        );
        assert_eq!(*recorder.0.lock().unwrap(), ["nick newbot", "quit see you"]);
    }

    #[tokio::test]
    async fn runtime_admins_persist() {
        let setup = Setup::new();
        let bot = setup.start().await;
        assert!(
            reply_to(&bot, "alice", "!join #x")
                .await
                .contains("bot-admin")
        );
        assert_eq!(
            reply_to(&bot, "boss", "!admin add alice").await,
            "alice is now an admin."
        );
        assert_eq!(
            reply_to(&bot, "boss", "!admin add alice").await,
            "alice is already an admin."
        );
        assert_eq!(reply_to(&bot, "alice", "!join #x").await, "Joined #x.");
        bot.stop().await.unwrap();

        let bot = setup.start().await;
        assert_eq!(reply_to(&bot, "alice", "!join #y").await, "Joined #y.");
        let list = reply_to(&bot, "alice", "!admin list").await;
        assert!(list.contains("configured: boss"), "{list}");
        assert!(list.contains("added at run time: alice"), "{list}");
        assert!(
            reply_to(&bot, "boss", "!admin remove boss")
                .await
                .contains("configuration file")
        );
        assert_eq!(
            reply_to(&bot, "boss", "!admin remove alice").await,
            "alice is no longer an admin."
        );
        assert!(
            reply_to(&bot, "alice", "!join #z")
                .await
                .contains("bot-admin")
        );
    }

    #[tokio::test]
    async fn runtime_acl_rules_apply_persist_and_spare_admins() {
        let setup = Setup::new();
        let bot = setup.start().await;
        assert_eq!(
            reply_to(&bot, "boss", "!acl add Karma:* deny eve").await,
            "Rule 1 added: Karma:*: not eve"
        );
        assert!(
            reply_to(&bot, "boss", "!acl add Karma:* maybe eve")
                .await
                .contains("Usage")
        );
        assert!(
            reply_to(&bot, "eve", "!karma rust")
                .await
                .contains("not allowed")
        );
        assert!(
            reply_to(&bot, "eve", "rust++")
                .await
                .contains("not allowed")
        );
        assert!(
            reply_to(&bot, "mallory", "!karma rust")
                .await
                .contains("no karma yet")
        );
        bot.stop().await.unwrap();

        let bot = setup.start().await;
        assert!(
            reply_to(&bot, "eve", "!karma rust")
                .await
                .contains("not allowed")
        );
        let list = reply_to(&bot, "boss", "!acl list").await;
        assert!(list.contains("1. Karma:*: not eve"), "{list}");
        assert_eq!(
            reply_to(&bot, "boss", "!acl add Echo:echo allow boss,alice").await,
            "Rule 2 added: Echo:echo: only boss, alice"
        );
        assert!(
            reply_to(&bot, "eve", "!echo hi")
                .await
                .contains("not allowed")
        );
        assert_eq!(reply_to(&bot, "alice", "!echo hi").await, "hi");
        assert!(
            reply_to(&bot, "boss", "!acl remove 9")
                .await
                .contains("Usage")
        );
        assert!(
            reply_to(&bot, "boss", "!acl remove 1")
                .await
                .contains("Rule 1 removed")
        );
        assert!(
            reply_to(&bot, "eve", "!karma rust")
                .await
                .contains("no karma yet")
        );
    }

    #[tokio::test]
    async fn configured_acls_are_listed() {
        let setup = Setup::new();
        let mut config = BotConfig::default();
        let mut rule = bot_core::AclRule::new("Dice:*");
        rule.allow_group = Some(false);
        config.acls = vec![rule];
        let bot = setup.start_with(setup.options(), Some(config)).await;
        let list = reply_to(&bot, "boss", "!acl list").await;
        assert!(list.contains("- Dice:*: not in rooms"), "{list}");
    }
}

mod plugins {
    use super::*;

    #[tokio::test]
    async fn list_enable_disable_and_persist() {
        let setup = Setup::new();
        let bot = setup.start().await;
        let list = reply_to(&bot, "tester", "!plugins").await;
        assert!(list.contains("- Dice (active)"), "{list}");
        assert!(
            reply_to(&bot, "tester", "!plugins disable Dice")
                .await
                .contains("bot-admin")
        );
        assert_eq!(
            reply_to(&bot, "boss", "!plugins disable dice").await,
            "Dice is disabled."
        );
        assert!(
            reply_to(&bot, "tester", "!dice")
                .await
                .contains("not found")
        );
        assert!(
            reply_to(&bot, "boss", "!plugins disable Admin")
                .await
                .contains("cannot be disabled")
        );
        assert!(
            reply_to(&bot, "boss", "!plugins disable Nope")
                .await
                .contains("no plugin")
        );
        let list = reply_to(&bot, "tester", "!plugins list").await;
        assert!(list.contains("- Dice (disabled)"), "{list}");
        bot.stop().await.unwrap();

        // Still disabled after a restart.
        let bot = setup.start().await;
        assert!(
            reply_to(&bot, "tester", "!dice")
                .await
                .contains("not found")
        );
        assert_eq!(
            reply_to(&bot, "boss", "!plugins enable Dice").await,
            "Dice is enabled."
        );
        assert!(reply_to(&bot, "tester", "!dice 1d1").await.ends_with("= 1"));
        bot.stop().await.unwrap();

        let bot = setup.start().await;
        assert!(reply_to(&bot, "tester", "!dice 1d1").await.ends_with("= 1"));
    }
}

mod seen {
    use super::*;

    #[tokio::test]
    async fn remembers_rooms_not_private_talk() {
        let setup = Setup::new();
        let bot = setup.start().await;
        bot.push_room_message("#c", "alice", "hello all");
        // Messages are handled in order: once this is answered, the one above was seen.
        assert_eq!(reply_to(&bot, "tester", "!echo sync").await, "sync");
        setup.clock.advance(300);
        assert_eq!(
            reply_to(&bot, "tester", "!seen Alice").await,
            "alice was last seen in #c 5 minutes ago saying: hello all"
        );
        bot.push_message_from("bob", "a secret");
        assert_eq!(
            reply_to(&bot, "tester", "!seen bob").await,
            "I have not seen bob."
        );
        assert_eq!(
            reply_to(&bot, "tester", "!seen tester").await,
            "That's you!"
        );
        assert!(reply_to(&bot, "tester", "!seen").await.contains("Usage"));
        bot.stop().await.unwrap();

        setup.clock.advance(7_200);
        let bot = setup.start().await;
        assert_eq!(
            reply_to(&bot, "tester", "!seen alice").await,
            "alice was last seen in #c 2 hours 5 minutes ago saying: hello all"
        );
    }
}

mod tell {
    use super::*;

    #[tokio::test]
    async fn delivers_when_the_nick_speaks_and_persists() {
        let setup = Setup::new();
        let bot = setup.start().await;
        assert_eq!(
            reply_to(&bot, "alice", "!tell Bob see you at 6").await,
            "I'll pass that on when Bob is around."
        );
        setup.clock.advance(120);
        assert!(
            reply_to(&bot, "carol", "!tell bob bring cake")
                .await
                .contains("pass that on")
        );
        assert!(
            reply_to(&bot, "alice", "!tell alice x")
                .await
                .contains("yourself")
        );
        assert!(
            reply_to(&bot, "alice", "!tell bot x")
                .await
                .contains("right here")
        );
        assert!(reply_to(&bot, "alice", "!tell bob").await.contains("Usage"));
        bot.stop().await.unwrap();

        setup.clock.advance(60);
        let bot = setup.start().await;
        bot.push_room_message("#c", "bob", "morning");
        let first = bot.pop_message().await.unwrap();
        assert_eq!(first.body, "bob: alice said 3 minutes ago: see you at 6");
        assert_eq!(
            first.to.as_ref().and_then(|t| t.room()).unwrap().name(),
            "#c"
        );
        assert_eq!(
            bot.pop_text().await.unwrap(),
            "bob: carol said 1 minute ago: bring cake"
        );
        // Delivered once.
        bot.push_room_message("#c", "bob", "again");
        bot.assert_no_reply(Duration::from_millis(200)).await;
    }

    #[tokio::test]
    async fn private_delivery_and_limits() {
        let setup = Setup::new();
        let mut config = BotConfig::default();
        config
            .plugins
            .insert("Tell".into(), serde_json::json!({ "private": true }));
        let bot = setup.start_with(setup.options(), Some(config)).await;
        for i in 0..bot_plugins::tell::MAX_PER_NICK {
            let r = reply_to(&bot, "alice", &format!("!tell dave note {i}")).await;
            assert!(r.contains("pass that on"), "{r}");
        }
        assert!(
            reply_to(&bot, "alice", "!tell dave one more")
                .await
                .contains("already has")
        );
        bot.push_room_message("#c", "dave", "hi");
        let m = bot.pop_message().await.unwrap();
        assert_eq!(m.body, "alice said just now: note 0");
        assert!(
            m.to.as_ref().unwrap().room().is_none(),
            "delivered privately"
        );
    }
}

mod remind {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn in_a_duration_fires_on_time() {
        let setup = Setup::new();
        let bot = setup.start().await;
        let ok = reply_to(&bot, "alice", "!remind me in 10m drink water").await;
        assert_eq!(
            ok,
            "Okay, I'll remind you at 17:10 UTC (in 10 minutes). [#1]"
        );
        bot.assert_no_reply(Duration::from_secs(599)).await;
        assert_eq!(bot.pop_text().await.unwrap(), "Reminder: drink water");
        assert_eq!(
            reply_to(&bot, "alice", "!remind list").await,
            "You have no pending reminders."
        );
    }

    #[tokio::test(start_paused = true)]
    async fn in_a_room_and_combined_durations() {
        let setup = Setup::new();
        let bot = setup.start().await;
        bot.push_room_message("#c", "alice", "!remind me in 1h30m stretch");
        assert!(
            bot.pop_text()
                .await
                .unwrap()
                .contains("(in 1 hour 30 minutes)")
        );
        bot.assert_no_reply(Duration::from_secs(5_399)).await;
        let m = bot.pop_message().await.unwrap();
        assert_eq!(m.body, "alice: reminder: stretch");
        assert_eq!(m.to.as_ref().and_then(|t| t.room()).unwrap().name(), "#c");
    }

    #[tokio::test(start_paused = true)]
    async fn at_a_time_today_or_tomorrow_with_an_offset() {
        let setup = Setup::new();
        let bot = setup.start().await;
        assert_eq!(
            reply_to(&bot, "alice", "!remind me at 18:00 call home").await,
            "Okay, I'll remind you at 18:00 UTC (in 1 hour). [#1]"
        );
        assert_eq!(
            reply_to(&bot, "alice", "!remind me at 16:30 tomorrow thing").await,
            "Okay, I'll remind you at 16:30 UTC (in 23 hours 30 minutes). [#2]"
        );
        let list = reply_to(&bot, "alice", "!remind list").await;
        assert_eq!(
            list,
            "#1 at 18:00 UTC (in 1 hour): call home\n#2 at 16:30 UTC (in 23 hours 30 minutes): tomorrow thing"
        );
        drop(bot);

        let mut config = BotConfig::default();
        config.plugins.insert(
            "Remind".into(),
            serde_json::json!({ "utc_offset": "+02:00" }),
        );
        let other = Setup::new();
        let bot = other.start_with(other.options(), Some(config)).await;
        // 17:00 UTC is 19:00 at +02:00: 18:00 is tomorrow.
        assert_eq!(
            reply_to(&bot, "alice", "!remind me at 18:00 x").await,
            "Okay, I'll remind you at 18:00 UTC+02:00 (in 23 hours). [#1]"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn survives_a_restart() {
        let setup = Setup::new();
        let bot = setup.start().await;
        assert!(
            reply_to(&bot, "alice", "!remind me in 10m drink water")
                .await
                .contains("[#1]")
        );
        assert!(
            reply_to(&bot, "alice", "!remind me in 20m second")
                .await
                .contains("[#2]")
        );
        bot.stop().await.unwrap();

        // Five minutes pass while the bot is down.
        setup.clock.advance(300);
        tokio::time::advance(Duration::from_secs(300)).await;
        let bot = setup.start().await;
        bot.assert_no_reply(Duration::from_secs(299)).await;
        assert_eq!(bot.pop_text().await.unwrap(), "Reminder: drink water");
        bot.stop().await.unwrap();

        // The second fell due while the bot was down: delivered at start.
        setup.clock.advance(3_600);
        let bot = setup.start().await;
        assert_eq!(bot.pop_text().await.unwrap(), "Reminder: second");
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_and_bad_input() {
        let setup = Setup::new();
        let bot = setup.start().await;
        assert!(
            reply_to(&bot, "alice", "!remind me in 10m x")
                .await
                .contains("[#1]")
        );
        assert_eq!(
            reply_to(&bot, "bob", "!remind cancel 1").await,
            "You have no reminder #1."
        );
        assert_eq!(
            reply_to(&bot, "alice", "!remind cancel #1").await,
            "Reminder #1 cancelled."
        );
        bot.assert_no_reply(Duration::from_secs(700)).await;
        for bad in [
            "!remind me in soon x",
            "!remind me at 25:00 x",
            "!remind bob in 10m x",
            "!remind me in 10m",
            "!remind me in 0s x",
            "!remind me later x",
        ] {
            let r = reply_to(&bot, "alice", bad).await;
            assert!(
                r.contains("Usage") || r.contains("cannot read") || r.contains("more than 0"),
                "{bad}: {r}"
            );
        }
    }
}

mod karma {
    use super::*;

    #[tokio::test]
    async fn changes_shows_and_ranks() {
        let setup = Setup::new();
        let bot = setup.start().await;
        assert_eq!(
            reply_to(&bot, "tester", "thing++").await,
            "thing's karma is now 1."
        );
        assert_eq!(
            reply_to(&bot, "alice", "Thing++ good job").await,
            "thing's karma is now 2."
        );
        assert_eq!(
            reply_to(&bot, "alice", "bugs--").await,
            "bugs's karma is now -1."
        );
        assert_eq!(
            reply_to(&bot, "alice", "rust++").await,
            "rust's karma is now 1."
        );
        assert_eq!(
            reply_to(&bot, "tester", "!karma THING").await,
            "thing's karma is 2."
        );
        assert_eq!(
            reply_to(&bot, "tester", "!karma nothing").await,
            "nothing has no karma yet."
        );
        assert_eq!(
            reply_to(&bot, "tester", "!karma top").await,
            "Top karma: 1. thing (2), 2. rust (1), 3. bugs (-1)"
        );
        assert_eq!(
            reply_to(&bot, "tester", "!karma bottom").await,
            "Bottom karma: 1. bugs (-1), 2. rust (1), 3. thing (2)"
        );
        bot.push_room_message("#c", "alice", "i like c++ a lot");
        bot.assert_no_reply(Duration::from_millis(200)).await;
        bot.stop().await.unwrap();

        let bot = setup.start().await;
        assert_eq!(
            reply_to(&bot, "tester", "!karma thing").await,
            "thing's karma is 2."
        );
    }

    #[tokio::test]
    async fn no_self_karma() {
        let bot = Setup::new().start().await;
        assert_eq!(
            reply_to(&bot, "alice", "alice++").await,
            "You can't change your own karma."
        );
        bot.push_room_message("#c", "alice", "ALICE--");
        assert_eq!(
            bot.pop_text().await.unwrap(),
            "You can't change your own karma."
        );
        assert_eq!(
            reply_to(&bot, "bob", "alice++").await,
            "alice's karma is now 1."
        );
        assert_eq!(
            reply_to(&bot, "bob", "!karma top").await,
            "Top karma: 1. alice (1)"
        );
    }
}

mod choose {
    use std::collections::BTreeSet;

    use super::*;

    #[tokio::test]
    async fn picks_one_of_the_options() {
        let bot = Setup::new().start().await;
        let mut seen = BTreeSet::new();
        for _ in 0..60 {
            let r = reply_to(&bot, "tester", "!choose tea, coffee, water").await;
            assert!(["tea", "coffee", "water"].contains(&r.as_str()), "{r}");
            seen.insert(r);
        }
        assert_eq!(seen.len(), 3, "every option comes up: {seen:?}");
        let r = reply_to(&bot, "tester", "!choose left or right").await;
        assert!(r == "left" || r == "right", "{r}");
        assert!(
            reply_to(&bot, "tester", "!choose only")
                .await
                .contains("at least two")
        );
    }

    #[tokio::test]
    async fn the_seed_decides() {
        let mut runs = Vec::new();
        for _ in 0..2 {
            let bot = Setup::new().start().await;
            let mut picks = Vec::new();
            for _ in 0..10 {
                picks.push(reply_to(&bot, "tester", "!choose a, b, c, d, e, f").await);
            }
            runs.push(picks);
        }
        assert_eq!(runs[0], runs[1]);
    }
}

mod dice {
    use super::*;

    fn check(reply: &str, expr: &str, dice: usize, sides: i64, constant: i64) -> Vec<i64> {
        let (head, total) = reply.rsplit_once(" = ").expect("a total");
        let rolls_text = head
            .strip_prefix(&format!("{expr}: ["))
            .and_then(|r| r.split_once(']'))
            .map(|(r, _)| r)
            .expect("the rolls");
        let rolls: Vec<i64> = rolls_text.split(", ").map(|r| r.parse().unwrap()).collect();
        assert_eq!(rolls.len(), dice, "{reply}");
        assert!(rolls.iter().all(|r| (1..=sides).contains(r)), "{reply}");
        assert_eq!(
            total.parse::<i64>().unwrap(),
            rolls.iter().sum::<i64>() + constant,
            "{reply}"
        );
        rolls
    }

    #[tokio::test]
    async fn rolls_within_bounds() {
        let bot = Setup::new().start().await;
        for _ in 0..20 {
            let r = reply_to(&bot, "tester", "!dice 2d6+1").await;
            check(&r, "2d6+1", 2, 6, 1);
        }
        let r = reply_to(&bot, "tester", "!dice").await;
        check(&r, "1d6", 1, 6, 0);
        let r = reply_to(&bot, "tester", "!dice 100d1").await;
        check(&r, "100d1", 100, 1, 0);
    }

    #[tokio::test]
    async fn refuses_absurd_and_bad_rolls() {
        let bot = Setup::new().start().await;
        assert!(
            reply_to(&bot, "tester", "!dice 1000000d6")
                .await
                .contains("too much")
        );
        assert!(
            reply_to(&bot, "tester", "!dice 1d100000")
                .await
                .contains("too much")
        );
        assert!(
            reply_to(&bot, "tester", "!dice banana")
                .await
                .contains("cannot read")
        );
    }

    #[tokio::test]
    async fn the_seed_decides() {
        let mut runs = Vec::new();
        for _ in 0..2 {
            let bot = Setup::new().start().await;
            runs.push(reply_to(&bot, "tester", "!dice 10d20").await);
        }
        assert_eq!(runs[0], runs[1]);
    }
}
