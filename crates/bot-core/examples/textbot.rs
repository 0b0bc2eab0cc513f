//! A bot in the terminal: `cargo run -p bot-core --example textbot`.
//!
//! Type `!hello world`, `!help`, `/join #room`, `/help`; end with `/quit`
//! or end of input, so a pipe works too:
//! `printf '!hello world\n' | cargo run -p bot-core --example textbot`.

use bot_core::backends::text::TextBackend;
use bot_core::{Bot, Command, Plugin};

struct Hello;

impl Plugin for Hello {
    fn name(&self) -> &str {
        "Hello"
    }

    fn description(&self) -> &str {
        "Greetings."
    }

    fn commands(&self) -> Vec<Command> {
        vec![
            Command::new(
                "hello",
                |_ctx, args| async move { format!("Hello, {args}!") },
            )
            .help("Greets whoever you name."),
        ]
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bot = Bot::builder(TextBackend::stdio("me"))
        .plugin(Hello)
        .build()?;
    bot.run().await?;
    Ok(())
}
