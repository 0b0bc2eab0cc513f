//! `dice`: rolls dice written as `2d6+1`, `d20`, `3d8-2+1d4`.

use bot_core::{Command, Plugin};
use thiserror::Error;

use crate::rng::SharedRng;

/// The most dice rolled at once.
pub const MAX_DICE: u32 = 100;
/// The most sides a die may have.
pub const MAX_SIDES: u32 = 1_000;
/// The most terms in one expression.
pub const MAX_TERMS: usize = 10;
/// The largest constant.
pub const MAX_CONSTANT: i64 = 1_000_000;

/// Why a dice expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DiceError {
    /// Not of the form `NdM+K`.
    #[error("cannot read {0:?}; try 2d6+1, d20 or 3d8-2")]
    Syntax(String),
    /// Too many dice, sides, terms, or too large a constant.
    #[error(
        "that is too much: at most {MAX_DICE} dice of at most {MAX_SIDES} sides, {MAX_TERMS} terms"
    )]
    TooLarge,
}

/// One term of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// `count` dice of `sides` sides, added (`negative`: subtracted).
    Dice {
        /// How many dice.
        count: u32,
        /// Sides per die.
        sides: u32,
        /// Subtract instead of add.
        negative: bool,
    },
    /// A constant (signed).
    Constant(i64),
}

/// Parses `2d6+1`-style expressions.
///
/// ```
/// use bot_plugins::dice::{parse, Term};
/// assert_eq!(
///     parse("2d6+1").unwrap(),
///     [Term::Dice { count: 2, sides: 6, negative: false }, Term::Constant(1)]
/// );
/// assert!(parse("1000d6").is_err());
/// ```
pub fn parse(text: &str) -> Result<Vec<Term>, DiceError> {
    let bad = || DiceError::Syntax(text.to_owned());
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let compact = compact.to_ascii_lowercase();
    if compact.is_empty() {
        return Err(bad());
    }
    let mut terms = Vec::new();
    let mut dice_total: u32 = 0;
    let mut rest = compact.as_str();
    let mut negative = false;
    if let Some(r) = rest.strip_prefix('-') {
        negative = true;
        rest = r;
    } else if let Some(r) = rest.strip_prefix('+') {
        rest = r;
    }
    loop {
        let end = rest.find(['+', '-']).unwrap_or(rest.len());
        let (term, after) = rest.split_at(end);
        if term.is_empty() {
            return Err(bad());
        }
        if terms.len() == MAX_TERMS {
            return Err(DiceError::TooLarge);
        }
        let number = |s: &str| -> Result<u64, DiceError> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            if s.len() > 9 {
                return Err(DiceError::TooLarge);
            }
            s.parse().map_err(|_| bad())
        };
        match term.split_once('d') {
            Some((count, sides)) => {
                let count = if count.is_empty() { 1 } else { number(count)? };
                let sides = number(sides)?;
                if count == 0 || sides == 0 {
                    return Err(bad());
                }
                if count > u64::from(MAX_DICE) || sides > u64::from(MAX_SIDES) {
                    return Err(DiceError::TooLarge);
                }
                let (count, sides) = (count as u32, sides as u32);
                dice_total += count;
                if dice_total > MAX_DICE {
                    return Err(DiceError::TooLarge);
                }
                terms.push(Term::Dice {
                    count,
                    sides,
                    negative,
                });
            }
            None => {
                let n = i64::try_from(number(term)?).map_err(|_| DiceError::TooLarge)?;
                if n > MAX_CONSTANT {
                    return Err(DiceError::TooLarge);
                }
                terms.push(Term::Constant(if negative { -n } else { n }));
            }
        }
        let Some(sign) = after.chars().next() else {
            break;
        };
        negative = sign == '-';
        rest = &after[1..];
    }
    Ok(terms)
}

/// Rolls `terms` with `roll(sides)` (a number in `1..=sides`); returns the
/// total and a description of each roll.
pub fn evaluate(terms: &[Term], mut roll: impl FnMut(u32) -> u32) -> (i64, String) {
    let mut total: i64 = 0;
    let mut shown = Vec::new();
    for (i, t) in terms.iter().enumerate() {
        let (value, text, negative) = match *t {
            Term::Dice {
                count,
                sides,
                negative,
            } => {
                let rolls: Vec<u32> = (0..count).map(|_| roll(sides)).collect();
                let sum: i64 = rolls.iter().map(|&r| i64::from(r)).sum();
                let list = rolls
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                (sum, format!("[{list}]"), negative)
            }
            Term::Constant(n) => (n.abs(), n.abs().to_string(), n < 0),
        };
        total = if negative {
            total - value
        } else {
            total + value
        };
        let sign = match (i, negative) {
            (0, false) => "",
            (0, true) => "-",
            (_, false) => " + ",
            (_, true) => " - ",
        };
        shown.push(format!("{sign}{text}"));
    }
    (total, shown.concat())
}

/// The `Dice` plugin: `!dice 2d6+1`.
#[derive(Debug, Clone, Default)]
pub struct Dice {
    rng: SharedRng,
}

impl Dice {
    /// A dice plugin drawing from `rng`.
    pub fn new(rng: SharedRng) -> Self {
        Self { rng }
    }
}

impl Plugin for Dice {
    fn name(&self) -> &str {
        "Dice"
    }

    fn description(&self) -> &str {
        "Rolls dice."
    }

    fn commands(&self) -> Vec<Command> {
        let rng = self.rng.clone();
        vec![
            Command::new("dice", move |_ctx, args| {
                let rng = rng.clone();
                async move {
                    let expr = if args.trim().is_empty() {
                        "1d6"
                    } else {
                        args.trim()
                    };
                    match parse(expr) {
                        Ok(terms) => {
                            let (total, shown) = evaluate(&terms, |sides| rng.roll(sides));
                            format!("{expr}: {shown} = {total}")
                        }
                        Err(e) => e.to_string(),
                    }
                }
            })
            .help(format!(
                "Rolls dice: `dice 2d6+1`, `dice d20`, `dice 3d8-2+1d4` (1d6 by default).\n\
                 At most {MAX_DICE} dice of at most {MAX_SIDES} sides."
            )),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        assert_eq!(
            parse("d20").unwrap(),
            [Term::Dice {
                count: 1,
                sides: 20,
                negative: false
            }]
        );
        assert_eq!(
            parse(" 3D8 - 2 + 1d4 ").unwrap(),
            [
                Term::Dice {
                    count: 3,
                    sides: 8,
                    negative: false
                },
                Term::Constant(-2),
                Term::Dice {
                    count: 1,
                    sides: 4,
                    negative: false
                },
            ]
        );
        for bad in [
            "", "d", "2d", "0d6", "2d0", "2d6+", "+", "2x6", "2d6++1", "dd6", "1d6d6",
        ] {
            assert!(matches!(parse(bad), Err(DiceError::Syntax(_))), "{bad:?}");
        }
        for big in [
            "101d6",
            "1d1001",
            "60d6+60d6",
            "9999999999d6",
            "1+1+1+1+1+1+1+1+1+1+1",
            "2000000",
        ] {
            assert_eq!(parse(big), Err(DiceError::TooLarge), "{big:?}");
        }
    }

    #[test]
    fn evaluation() {
        let terms = parse("2d6+1-1d4").unwrap();
        let mut fixed = [3, 5, 2].into_iter();
        let (total, shown) = evaluate(&terms, |_| fixed.next().unwrap_or(1));
        assert_eq!(total, 3 + 5 + 1 - 2);
        assert_eq!(shown, "[3, 5] + 1 - [2]");
        let (total, shown) = evaluate(&parse("-3").unwrap(), |_| 1);
        assert_eq!((total, shown.as_str()), (-3, "-3"));
    }
}
