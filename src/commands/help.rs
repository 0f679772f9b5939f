//! The HELP subcommand replies (networking.c addReplyHelp): a header line
//! naming the command, the command's own lines, and a closing HELP entry.
//! The line texts are ours; the frame is what clients expect.

use super::Ctx;

pub fn reply_help(cx: &mut Ctx, cmd: &str, lines: &[&str]) {
    let mut r = cx.reply();
    r.array_len(lines.len() + 3);
    let head = format!("{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    r.simple(head.as_bytes());
    for l in lines {
        r.simple(l.as_bytes());
    }
    r.simple(b"HELP");
    r.simple(b"    Print this help.");
}

/// The error for a subcommand that exists but got the wrong arguments
/// (addReplySubcommandSyntaxError).
pub fn subcommand_syntax_error(cx: &Ctx) -> crate::errors::CmdError {
    let cmd = String::from_utf8_lossy(cx.arg(0)).to_uppercase();
    let sub = String::from_utf8_lossy(cx.arg(1)).into_owned();
    crate::errors::CmdError::owned(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {cmd} HELP."
    ))
}
