use irc_client::Client;

async fn handler(text: String) {
    drop(text);
}

fn main() {
    let client = Client::builder("127.0.0.1", 6667, "bot").build();
    let _ = client.on("PRIVMSG", handler);
}
