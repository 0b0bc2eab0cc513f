//! Sans-I/O protocol state: decisions taken on messages, without sockets or
//! clocks, so that they can be tested line by line.

pub mod caps;
pub mod ping;
pub mod register;
pub mod tracker;
