//! Command filters: a chain every command invocation goes through before
//! its handler runs (errbot's `cmdfilter`). The ACL check and the rate
//! limit are filters; plugins add their own with [`crate::Plugin::filters`].

use crate::message::Message;

/// A command about to run, as filters see it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Invocation<'a> {
    /// The message that invoked it.
    pub msg: &'a Message,
    /// The plugin that owns the command.
    pub plugin: &'a str,
    /// The command's name.
    pub command: &'a str,
    /// The argument text; a filter may rewrite it.
    pub args: String,
    /// Whether the command is for admins only.
    pub admin_only: bool,
    /// A check only (for example to hide commands from help): the filter
    /// must not count the invocation or have other side effects.
    pub dry_run: bool,
}

impl<'a> Invocation<'a> {
    /// An invocation of `plugin:command` by `msg` (for testing filters).
    pub fn new(
        msg: &'a Message,
        plugin: &'a str,
        command: &'a str,
        args: impl Into<String>,
    ) -> Self {
        Self {
            msg,
            plugin,
            command,
            args: args.into(),
            admin_only: false,
            dry_run: false,
        }
    }
}

/// What a filter decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterDecision {
    /// Go on to the next filter, then the handler.
    Allow,
    /// Stop here; answer `reply` when there is one.
    Deny {
        /// What to tell the user.
        reply: Option<String>,
    },
}

impl FilterDecision {
    /// A denial with a reply.
    pub fn deny(reply: impl Into<String>) -> Self {
        Self::Deny {
            reply: Some(reply.into()),
        }
    }
}

/// One link of the filter chain. Closures
/// `Fn(&mut Invocation<'_>) -> FilterDecision` are filters too.
pub trait CommandFilter: Send + Sync + 'static {
    /// Decides about one invocation.
    fn filter(&self, invocation: &mut Invocation<'_>) -> FilterDecision;
}

impl<F> CommandFilter for F
where
    F: Fn(&mut Invocation<'_>) -> FilterDecision + Send + Sync + 'static,
{
    fn filter(&self, invocation: &mut Invocation<'_>) -> FilterDecision {
        self(invocation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::{AclFilter, AclRule};
    use crate::identifier::Person;

    #[test]
    fn closures_and_the_acl_are_filters() {
        let msg = Message::new("!x")
            .from(Person::new("eve"))
            .to(Person::new("bot"));
        let upper = |inv: &mut Invocation<'_>| {
            inv.args = inv.args.to_uppercase();
            FilterDecision::Allow
        };
        let mut inv = Invocation::new(&msg, "P", "x", "abc");
        assert_eq!(upper.filter(&mut inv), FilterDecision::Allow);
        assert_eq!(inv.args, "ABC");
        let acl = AclFilter::new(
            Vec::new(),
            vec![AclRule {
                deny_users: Some(vec!["e*".into()]),
                ..AclRule::new("P:*")
            }],
        );
        assert!(matches!(
            acl.filter(&mut inv),
            FilterDecision::Deny { reply: Some(_) }
        ));
        inv.dry_run = true;
        assert_eq!(acl.filter(&mut inv), FilterDecision::Deny { reply: None });
        let mut other = Invocation::new(&msg, "Q", "x", "");
        assert_eq!(acl.filter(&mut other), FilterDecision::Allow);
    }
}
