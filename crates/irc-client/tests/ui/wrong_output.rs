use irc_client::{Client, extract::Text};

async fn handler(Text(text): Text) -> usize {
    text.len()
}

fn main() {
    let client = Client::builder("127.0.0.1", 6667, "bot").build();
    let _ = client.on("PRIVMSG", handler);
}
