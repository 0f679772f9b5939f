//! Every error text a command can send, character for character as Redis
//! 7.0 sends it (server.c's shared.* objects and the addReplyError calls).
//!
//! Handlers return `Err(CmdError)` through `?`; `commands::call` writes the
//! text and counts it in `errorstat_*` under the first word of the text.

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdError {
    WrongType,
    NotInteger,
    NotFloat,
    Syntax,
    Overflow,
    NoSuchKey,
    OutOfRange,
    DbIndexOutOfRange,
    InvalidExpire(&'static str),
    WrongArity(String),
    UnknownSubcommand(String, String),
    /// A full error text (with its code word, e.g. "ERR ..." or "NOPERM ...").
    Other(Cow<'static, str>),
}

impl CmdError {
    /// A one-off error with a fixed text.
    pub fn msg(s: &'static str) -> Self {
        CmdError::Other(Cow::Borrowed(s))
    }

    /// A one-off error with a formatted text.
    pub fn owned(s: String) -> Self {
        CmdError::Other(Cow::Owned(s))
    }

    /// Exactly what Redis sends, minus the leading '-' and the trailing CRLF.
    pub fn text(&self) -> Cow<'static, str> {
        match self {
            Self::WrongType => {
                "WRONGTYPE Operation against a key holding the wrong kind of value".into()
            }
            Self::NotInteger => "ERR value is not an integer or out of range".into(),
            Self::NotFloat => "ERR value is not a valid float".into(),
            Self::Syntax => "ERR syntax error".into(),
            Self::Overflow => "ERR increment or decrement would overflow".into(),
            Self::NoSuchKey => "ERR no such key".into(),
            Self::OutOfRange => "ERR index out of range".into(),
            Self::DbIndexOutOfRange => "ERR DB index is out of range".into(),
            Self::InvalidExpire(cmd) => {
                format!("ERR invalid expire time in '{cmd}' command").into()
            }
            Self::WrongArity(cmd) => {
                format!("ERR wrong number of arguments for '{cmd}' command").into()
            }
            Self::UnknownSubcommand(sub, cmd) => {
                format!("ERR unknown subcommand '{sub}'. Try {cmd} HELP.").into()
            }
            Self::Other(s) => s.clone(),
        }
    }
}

pub type CmdResult = Result<(), CmdError>;
