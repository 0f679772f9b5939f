//! COMMAND and its subcommands (server.c commandCommand & co.), answered
//! from the served commands' Redis 7.0 metadata (`spec.rs`).

use super::spec::{self, Filter};
use super::{help::reply_help, Ctx};
use crate::errors::{CmdError, CmdResult};

pub fn command(cx: &mut Ctx) -> CmdResult {
    let specs: Vec<&'static spec::CommandSpec> = cx.srv.commands.iter().map(|c| c.spec).collect();
    let mut r = cx.c.reply();
    r.array_len(specs.len());
    for s in specs {
        spec::reply_command_info(&mut r, s);
    }
    Ok(())
}

pub fn count(cx: &mut Ctx) -> CmdResult {
    let n = cx.srv.commands.iter().count();
    cx.reply().int(n as i64);
    Ok(())
}

pub fn list(cx: &mut Ctx) -> CmdResult {
    let mut filter = None;
    let mut i = 2;
    while i < cx.argc() {
        let more = cx.argc() - 1 - i;
        if cx.arg_is(i, "filterby") && more == 2 {
            let arg = cx.arg(i + 2);
            filter = Some(if cx.arg_is(i + 1, "module") {
                Filter::Module(arg)
            } else if cx.arg_is(i + 1, "aclcat") {
                Filter::AclCat(arg)
            } else if cx.arg_is(i + 1, "pattern") {
                Filter::Pattern(arg)
            } else {
                return Err(CmdError::Syntax);
            });
            i += 3;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let mut names: Vec<&'static str> = Vec::new();
    for c in cx.srv.commands.iter() {
        for s in std::iter::once(c).chain(c.subcommands.iter()) {
            if filter
                .as_ref()
                .is_none_or(|f| spec::matches_filter(s.spec, f))
            {
                names.push(s.fullname);
            }
        }
    }
    cx.c.reply().bulks(names.iter());
    Ok(())
}

pub fn info(cx: &mut Ctx) -> CmdResult {
    let specs: Vec<Option<&'static spec::CommandSpec>> = if cx.argc() == 2 {
        cx.srv.commands.iter().map(|c| Some(c.spec)).collect()
    } else {
        (2..cx.argc())
            .map(|i| {
                cx.srv
                    .commands
                    .lookup_name(cx.arg(i))
                    .map(|id| cx.srv.commands.get(id).spec)
            })
            .collect()
    };
    let mut r = cx.c.reply();
    r.array_len(specs.len());
    for s in specs {
        match s {
            Some(s) => spec::reply_command_info(&mut r, s),
            None => r.null(),
        }
    }
    Ok(())
}

pub fn docs(cx: &mut Ctx) -> CmdResult {
    let specs: Vec<&'static spec::CommandSpec> = if cx.argc() == 2 {
        cx.srv.commands.iter().map(|c| c.spec).collect()
    } else {
        (2..cx.argc())
            .filter_map(|i| {
                cx.srv
                    .commands
                    .lookup_name(cx.arg(i))
                    .map(|id| cx.srv.commands.get(id).spec)
            })
            .collect()
    };
    let mut r = cx.c.reply();
    r.map_len(specs.len());
    for s in specs {
        r.bulk(s.fullname.as_bytes());
        spec::reply_command_docs(&mut r, s);
    }
    Ok(())
}

fn getkeys_impl(cx: &mut Ctx, with_flags: bool) -> CmdResult {
    let argv: Vec<bytes::Bytes> = cx.c.argv[2..].to_vec();
    let Some(id) = cx.srv.commands.lookup(&argv) else {
        return Err(CmdError::msg(spec::ERR_INVALID_COMMAND));
    };
    let s = cx.srv.commands.get(id).spec;
    let keys = spec::get_keys(s, &argv).map_err(CmdError::msg)?;
    let mut r = cx.c.reply();
    r.array_len(keys.len());
    for (pos, flags) in keys {
        let Some(k) = argv.get(pos) else { continue };
        if with_flags {
            r.array_len(2);
            r.bulk(k);
            spec::reply_key_flags(&mut r, flags);
        } else {
            r.bulk(k);
        }
    }
    Ok(())
}

pub fn getkeys(cx: &mut Ctx) -> CmdResult {
    getkeys_impl(cx, false)
}

pub fn getkeysandflags(cx: &mut Ctx) -> CmdResult {
    getkeys_impl(cx, true)
}

pub fn help(cx: &mut Ctx) -> CmdResult {
    reply_help(
        cx,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Details of every command the server has.",
            "COUNT",
            "    How many commands the server has.",
            "DOCS [<command-name> ...]",
            "    Documentation of the named commands, or of all of them.",
            "GETKEYS <full-command>",
            "    The key names in a complete command line.",
            "GETKEYSANDFLAGS <full-command>",
            "    The key names in a complete command line, each with its access flags.",
            "INFO [<command-name> ...]",
            "    Details of the named commands, or of all of them.",
            "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
            "    The names of all commands, or of those matching the filter.",
        ],
    );
    Ok(())
}
