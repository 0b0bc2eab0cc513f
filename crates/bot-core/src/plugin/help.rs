//! Generated help: the list of commands a user may run, the details of
//! one command (its help text, and clap's usage for typed arguments), the
//! commands of one plugin, and "did you mean" suggestions.

use std::collections::BTreeMap;

use crate::bot::{Bot, CommandRef};
use crate::message::Message;
use crate::plugin::{Command, Matcher, Plugin, normalize_name};

/// The built-in plugin offering `help`.
pub(crate) struct HelpPlugin;

impl Plugin for HelpPlugin {
    fn name(&self) -> &str {
        "Help"
    }

    fn description(&self) -> &str {
        "Lists the commands and explains them."
    }

    fn commands(&self) -> Vec<Command> {
        vec![
            Command::new("help", |ctx, args| async move {
                let topic = Some(args.trim()).filter(|t| !t.is_empty());
                ctx.bot().help(ctx.msg(), topic)
            })
            .help("Lists the commands, or explains one: `help <command>` or `help <plugin>`."),
        ]
    }
}

fn entry_line(bot: &Bot, c: &CommandRef) -> String {
    let summary = c.command.summary();
    let shown = match &c.command.matcher {
        Matcher::Regex {
            prefixed: false, ..
        } => c.command.name().to_owned(),
        _ => bot.command_display(c.command.name()),
    };
    if summary.is_empty() {
        format!("- `{shown}`")
    } else {
        format!("- `{shown}`: {summary}")
    }
}

pub(crate) fn help_text(bot: &Bot, msg: &Message, topic: Option<&str>) -> String {
    let visible: Vec<CommandRef> = bot
        .active_commands()
        .into_iter()
        .filter(|c| bot.check_filters(msg, c, String::new(), true).is_ok())
        .collect();
    let Some(topic) = topic else {
        let mut by_plugin: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
        for c in visible.iter().filter(|c| !c.command.hidden) {
            by_plugin
                .entry(c.plugin.to_string())
                .or_insert_with(|| (c.description.clone(), Vec::new()))
                .1
                .push(entry_line(bot, c));
        }
        let mut out = vec!["**Available commands:**".to_owned()];
        for (plugin, (description, mut lines)) in by_plugin {
            lines.sort();
            if description.is_empty() {
                out.push(format!("**{plugin}**"));
            } else {
                out.push(format!("**{plugin}**: {description}"));
            }
            out.extend(lines);
        }
        out.push(format!(
            "Type `{}` for details.",
            bot.command_display("help <command>")
        ));
        return out.join("\n");
    };
    let wanted = normalize_name(topic.trim_start_matches(&bot.config().prefix));
    if let Some(c) = visible.iter().find(|c| c.command.name() == wanted) {
        let shown = bot.command_display(c.command.name());
        let detail = c.command.detail(&shown);
        return if detail.is_empty() {
            format!("**{shown}**: no help available.")
        } else {
            format!("**{shown}**\n{detail}")
        };
    }
    let in_plugin: Vec<&CommandRef> = visible
        .iter()
        .filter(|c| c.plugin.eq_ignore_ascii_case(&wanted) && !c.command.hidden)
        .collect();
    if let Some(first) = in_plugin.first() {
        let mut lines: Vec<String> = in_plugin.iter().map(|c| entry_line(bot, c)).collect();
        lines.sort();
        let head = if first.description.is_empty() {
            format!("**{}**", first.plugin)
        } else {
            format!("**{}**: {}", first.plugin, first.description)
        };
        return std::iter::once(head)
            .chain(lines)
            .collect::<Vec<_>>()
            .join("\n");
    }
    let names: Vec<&str> = visible
        .iter()
        .filter(|c| !c.command.hidden && !c.command.is_regex())
        .map(|c| c.command.name())
        .collect();
    let mut out = format!("No command or plugin called `{wanted}`.");
    let suggestions = suggest(&wanted, &names);
    if !suggestions.is_empty() {
        let shown: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
        out.push_str(&format!(" Did you mean {}?", shown.join(" or ")));
    }
    out
}

/// Edit distance between two strings, in characters, counting a swap of
/// two neighbours as one edit (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Up to three command names close to `typed` (which may carry arguments):
/// by edit distance of the same number of words, or sharing a prefix.
pub(crate) fn suggest(typed: &str, names: &[&str]) -> Vec<String> {
    let mut scored: Vec<(usize, String)> = Vec::new();
    for name in names {
        let words = name.split(' ').count();
        let head: Vec<&str> = typed.split(' ').take(words).collect();
        let head = head.join(" ");
        if head.is_empty() {
            continue;
        }
        let dist = edit_distance(&head, name);
        // A third of the shortest word: "plugin list" is not "plugin info".
        let shortest = name
            .split(' ')
            .map(|w| w.chars().count())
            .min()
            .unwrap_or(0);
        let budget = (shortest / 3).max(1);
        let close = dist <= budget
            || (head.chars().count() >= 3 && (name.starts_with(&head) || head.starts_with(*name)));
        if close && !scored.iter().any(|(_, n)| n == name) {
            scored.push((dist, (*name).to_owned()));
        }
    }
    scored.sort();
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("hepl", "help"), 1);
    }

    #[test]
    fn suggestions() {
        let names = ["echo", "help", "plugin info", "plugin list", "roll"];
        assert_eq!(suggest("ecoh", &names), ["echo"]);
        assert_eq!(suggest("plugin inf x", &names), ["plugin info"]);
        assert_eq!(suggest("hepl me", &names), ["help"]);
        assert!(suggest("zzzzzz", &names).is_empty());
    }
}
