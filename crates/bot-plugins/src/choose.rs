//! `choose`: picks one of several options.

use bot_core::{Command, Plugin};

use crate::rng::SharedRng;

/// The most options `choose` accepts.
pub const MAX_OPTIONS: usize = 100;

/// Splits `a, b, c` (commas win) or `a or b` into trimmed, non-empty options.
///
/// ```
/// use bot_plugins::choose::options;
/// assert_eq!(options("tea, coffee, water"), ["tea", "coffee", "water"]);
/// assert_eq!(options("tea or coffee"), ["tea", "coffee"]);
/// ```
pub fn options(text: &str) -> Vec<String> {
    let parts: Vec<&str> = if text.contains(',') {
        text.split(',').collect()
    } else if text.contains('|') {
        text.split('|').collect()
    } else {
        let mut out = Vec::new();
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            match lower.find(" or ") {
                Some(i) => {
                    out.push(&rest[..i]);
                    rest = &rest[i + 4..];
                }
                None => {
                    out.push(rest);
                    break;
                }
            }
        }
        out
    };
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The `Choose` plugin: `!choose a, b, c` or `!choose a or b`.
#[derive(Debug, Clone, Default)]
pub struct Choose {
    rng: SharedRng,
}

impl Choose {
    /// A choose plugin drawing from `rng`.
    pub fn new(rng: SharedRng) -> Self {
        Self { rng }
    }
}

impl Plugin for Choose {
    fn name(&self) -> &str {
        "Choose"
    }

    fn description(&self) -> &str {
        "Makes decisions for you."
    }

    fn commands(&self) -> Vec<Command> {
        let rng = self.rng.clone();
        vec![
            Command::new("choose", move |_ctx, args| {
                let rng = rng.clone();
                async move {
                    let opts = options(&args);
                    if opts.len() < 2 {
                        return "Give me at least two options: `choose a, b, c` or `choose a or b`.".to_owned();
                    }
                    if opts.len() > MAX_OPTIONS {
                        return format!("That is too many options (at most {MAX_OPTIONS}).");
                    }
                    let pick = rng.index(opts.len());
                    opts.into_iter().nth(pick).unwrap_or_default()
                }
            })
            .help("Picks one option: `choose tea, coffee, water` or `choose tea or coffee`."),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::options;

    #[test]
    fn splitting() {
        assert_eq!(options("a or b OR c"), ["a", "b", "c"]);
        assert_eq!(options("this or that, other"), ["this or that", "other"]);
        assert_eq!(options("a | b"), ["a", "b"]);
        assert_eq!(options(" , ,"), Vec::<String>::new());
        assert_eq!(options("orange or lemon"), ["orange", "lemon"]);
    }
}
