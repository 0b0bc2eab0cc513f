//! `karma`: `thing++`, `thing--`, and the scores.
//!
//! Any message that starts with `thing++` or `thing--` (followed by the
//! end of the message or a space: `rust++ for the borrow checker`) changes
//! `thing`'s score by one; no prefix is needed. Names ignore case. Nobody
//! changes their own karma. `!karma thing` shows one score, `!karma top`
//! and `!karma bottom` the five highest and lowest.

use bot_core::{BoxError, Command, Plugin, PluginContext};
use serde::{Deserialize, Serialize};

/// How many entries `karma top` and `karma bottom` show.
pub const LIST_SIZE: usize = 5;
/// The longest name that can have karma, in characters.
pub const MAX_NAME: usize = 64;
const PREFIX: &str = "k:";

/// The pattern of a karma change: a name that does not start with `+` or
/// `-`, then `++` or `--`, at the start of the message.
pub const PATTERN: &str = r"^\s*(?P<thing>[^\s+\-]\S*?)(?P<op>\+\+|--)(?:\s|$)";

/// A score, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// The name as first written.
    pub name: String,
    /// The score.
    pub score: i64,
}

/// The `Karma` plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct Karma;

fn key(name: &str) -> String {
    format!("{PREFIX}{}", name.to_lowercase())
}

fn all_scores(ctx: &PluginContext) -> Result<Vec<Score>, BoxError> {
    let store = ctx.storage();
    let mut out = Vec::new();
    for k in store.keys()? {
        if k.starts_with(PREFIX)
            && let Some(s) = store.get::<Score>(&k)?
        {
            out.push(s);
        }
    }
    Ok(out)
}

fn ranking(scores: &[Score]) -> String {
    scores
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {} ({})", i + 1, s.name, s.score))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Plugin for Karma {
    fn name(&self) -> &str {
        "Karma"
    }

    fn description(&self) -> &str {
        "Karma points: `thing++`, `thing--`."
    }

    fn commands(&self) -> Vec<Command> {
        vec![
            Command::regex("thing++", PATTERN, |ctx, caps| async move {
                let (Some(thing), Some(op)) = (caps.name("thing"), caps.name("op")) else {
                    return Ok::<_, BoxError>(None);
                };
                if thing.chars().count() > MAX_NAME {
                    return Ok(None);
                }
                if ctx
                    .frm()
                    .is_some_and(|f| f.nick().eq_ignore_ascii_case(thing))
                {
                    return Ok(Some("You can't change your own karma.".to_owned()));
                }
                let store = ctx.plugin().storage();
                let k = key(thing);
                let mut s = store.get::<Score>(&k)?.unwrap_or(Score {
                    name: thing.to_owned(),
                    score: 0,
                });
                s.score = if op == "++" {
                    s.score.saturating_add(1)
                } else {
                    s.score.saturating_sub(1)
                };
                store.set(&k, &s)?;
                Ok(Some(format!("{}'s karma is now {}.", s.name, s.score)))
            })
            .unprefixed()
            .help("`thing++` or `thing--` at the start of a message changes its karma."),
            Command::new("karma", |ctx, args| async move {
                let what = args.trim();
                if what.is_empty() {
                    return Ok::<_, BoxError>(
                        "Usage: `karma <thing>`, `karma top` or `karma bottom`".to_owned(),
                    );
                }
                match what.to_ascii_lowercase().as_str() {
                    "top" | "bottom" => {
                        let mut scores = all_scores(ctx.plugin())?;
                        if scores.is_empty() {
                            return Ok("Nobody has any karma yet.".to_owned());
                        }
                        let top = what.eq_ignore_ascii_case("top");
                        scores.sort_by(|a, b| {
                            let by_score = if top {
                                b.score.cmp(&a.score)
                            } else {
                                a.score.cmp(&b.score)
                            };
                            by_score.then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
                        });
                        scores.truncate(LIST_SIZE);
                        let head = if top { "Top karma" } else { "Bottom karma" };
                        Ok(format!("{head}: {}", ranking(&scores)))
                    }
                    _ => {
                        let s = ctx.plugin().storage().get::<Score>(&key(what))?;
                        Ok(match s {
                            Some(s) => format!("{}'s karma is {}.", s.name, s.score),
                            None => format!("{what} has no karma yet."),
                        })
                    }
                }
            })
            .help("Shows karma: `karma <thing>`, `karma top`, `karma bottom`."),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::PATTERN;

    #[test]
    fn pattern() {
        let re = regex::Regex::new(PATTERN).unwrap();
        let thing = |s: &str| {
            re.captures(s)
                .map(|c| (c["thing"].to_owned(), c["op"].to_owned()))
        };
        assert_eq!(thing("rust++"), Some(("rust".into(), "++".into())));
        assert_eq!(thing("  rust-- meh"), Some(("rust".into(), "--".into())));
        assert_eq!(thing("c++++"), Some(("c++".into(), "++".into())));
        assert_eq!(thing("x-y++"), Some(("x-y".into(), "++".into())));
        assert_eq!(thing("++"), None);
        assert_eq!(thing("-- hello"), None);
        assert_eq!(thing("i like c++ a lot"), None);
        assert_eq!(thing("a++b"), None);
    }
}
