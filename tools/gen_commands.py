#!/usr/bin/env python3
"""Generate src/commands/spec_data.rs, ferrodis' command metadata table.

Input: Redis 7.0.15's command descriptions (src/commands/*.json) and our own
one-line summaries (tools/command-summaries.tsv, hand-edited).

    python3 tools/gen_commands.py [JSON_DIR] [--out PATH]

JSON_DIR defaults to /tmp/redis-src/redis-7.0.15/src/commands and PATH to
src/commands/spec_data.rs next to this script's repository.

Everything COMMAND INFO / COMMAND DOCS / COMMAND GETKEYS expose is an
interface fact and is copied as Redis has it: names, arity, flags, ACL
categories (plus the ones Redis adds implicitly at start-up), key specs,
argument trees, history, tips, doc flags. Two things are computed here the
way Redis computes them when it builds its command table, so the Rust side
can stay a plain `static`:
  * the implicit ACL categories (server.c, setImplicitACLCategories), and
  * the `movablekeys` flag (server.c, populateCommandLegacyRangeSpec).
Summaries are the one piece of prose we do not copy: they come from the TSV,
and a command without a summary stops the script.

Commands flagged ONLY_SENTINEL (the SENTINEL container and its
subcommands) are left out: they only exist in a sentinel-mode server.

Standard library only.
"""

import glob
import json
import os
import sys

DEFAULT_JSON_DIR = "/tmp/redis-src/redis-7.0.15/src/commands"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "src", "commands", "spec_data.rs")
SUMMARIES = os.path.join(REPO, "tools", "command-summaries.tsv")

# Command flags, by the name the JSON uses; bit values live in spec.rs.
CMD_FLAGS = [
    "WRITE", "READONLY", "DENYOOM", "MODULE", "ADMIN", "PUBSUB", "NOSCRIPT",
    "BLOCKING", "LOADING", "STALE", "SKIP_MONITOR", "SKIP_SLOWLOG", "ASKING",
    "FAST", "NO_AUTH", "MAY_REPLICATE", "SENTINEL", "ONLY_SENTINEL",
    "NO_MANDATORY_KEYS", "PROTECTED", "MODULE_GETKEYS", "MODULE_NO_CLUSTER",
    "NO_ASYNC_LOADING", "NO_MULTI", "MOVABLE_KEYS", "ALLOW_BUSY",
    "MODULE_GETCHANNELS", "TOUCHES_ARBITRARY_KEYS",
]

ACL_CATS = [
    "KEYSPACE", "READ", "WRITE", "SET", "SORTEDSET", "LIST", "HASH", "STRING",
    "BITMAP", "HYPERLOGLOG", "GEO", "STREAM", "PUBSUB", "ADMIN", "FAST",
    "SLOW", "BLOCKING", "DANGEROUS", "CONNECTION", "TRANSACTION", "SCRIPTING",
]

KEY_FLAGS = [
    "RO", "RW", "OW", "RM", "ACCESS", "UPDATE", "INSERT", "DELETE", "NOT_KEY",
    "INCOMPLETE", "VARIABLE_FLAGS",
]

DOC_FLAGS = ["DEPRECATED", "SYSCMD"]

ARG_TYPES = {
    "string": "String", "integer": "Integer", "double": "Double", "key": "Key",
    "pattern": "Pattern", "unix-time": "UnixTime", "pure-token": "PureToken",
    "oneof": "OneOf", "block": "Block",
}

# The JSON group names, and the spelling COMMAND DOCS prints.
GROUPS = {
    "generic": "generic", "string": "string", "list": "list", "set": "set",
    "sorted_set": "sorted-set", "hash": "hash", "pubsub": "pubsub",
    "transactions": "transactions", "connection": "connection",
    "server": "server", "scripting": "scripting",
    "hyperloglog": "hyperloglog", "cluster": "cluster",
    "sentinel": "sentinel", "geo": "geo", "stream": "stream",
    "bitmap": "bitmap",
}

# Redis' getkeys procs (db.c), as the GetKeysProc variants of spec.rs.
# The numkeys family is one C helper with three offsets: where the
# destination key is (0 = none), where the key count is, where keys start.
GETKEYS = {
    "sintercardGetKeys": "GetKeysProc::Numkeys { store: 0, count: 1, first: 2 }",
    "zunionInterDiffStoreGetKeys": "GetKeysProc::Numkeys { store: 1, count: 2, first: 3 }",
    "zunionInterDiffGetKeys": "GetKeysProc::Numkeys { store: 0, count: 1, first: 2 }",
    "evalGetKeys": "GetKeysProc::Numkeys { store: 0, count: 2, first: 3 }",
    "functionGetKeys": "GetKeysProc::Numkeys { store: 0, count: 2, first: 3 }",
    "lmpopGetKeys": "GetKeysProc::Numkeys { store: 0, count: 1, first: 2 }",
    "blmpopGetKeys": "GetKeysProc::Numkeys { store: 0, count: 2, first: 3 }",
    "zmpopGetKeys": "GetKeysProc::Numkeys { store: 0, count: 1, first: 2 }",
    "bzmpopGetKeys": "GetKeysProc::Numkeys { store: 0, count: 2, first: 3 }",
    "sortGetKeys": "GetKeysProc::Sort",
    "sortROGetKeys": "GetKeysProc::SortRo",
    "migrateGetKeys": "GetKeysProc::Migrate",
    "georadiusGetKeys": "GetKeysProc::Georadius",
    "xreadGetKeys": "GetKeysProc::Xread",
    "setGetKeys": "GetKeysProc::Set",
    "bitfieldGetKeys": "GetKeysProc::Bitfield",
}


def die(msg):
    sys.stderr.write("gen_commands.py: error: %s\n" % msg)
    sys.exit(1)


def rs_str(s):
    """A Rust string literal for the value Redis gets from JSON string s."""
    s = c_value(s)
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def c_value(s):
    """The string Redis ends up with for a JSON string. Redis' generator
    pastes JSON strings between double quotes into C source, so a value
    that itself contains quotes is read by the C compiler as adjacent
    literals: MIGRATE's empty-string token `""` becomes the empty string."""
    if '"' not in s and "\\" not in s:
        return s
    src = '"' + s + '"'
    out = []
    i = 0
    while i < len(src):
        if src[i] != '"':
            die("cannot read %r as C string literals" % s)
        i += 1
        while i < len(src) and src[i] != '"':
            if src[i] == "\\" and i + 1 < len(src):
                esc = src[i + 1]
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(esc, esc))
                i += 2
            else:
                out.append(src[i])
                i += 1
        if i >= len(src):
            die("unterminated C string literal from %r" % s)
        i += 1
    return "".join(out)


def rs_opt(s):
    return "None" if s is None else "Some(%s)" % rs_str(s)


def bits(names, known, prefix, what, empty="0"):
    """`PREFIX_A | PREFIX_B` for a list of flag names (deduplicated, in the
    order of `known` so the output is stable)."""
    for n in names:
        if n not in known:
            die("unknown %s %r" % (what, n))
    used = [n for n in known if n in names]
    return " | ".join(prefix + n for n in used) if used else empty


def load_summaries(path):
    table = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 2 or not parts[0] or not parts[1].strip():
                die("%s:%d: expected name<TAB>summary" % (path, lineno))
            if parts[0] in table:
                die("%s:%d: duplicate summary for %s" % (path, lineno, parts[0]))
            table[parts[0]] = parts[1].strip()
    return table


class Command:
    def __init__(self, name, desc, container=None):
        self.name = name.lower()
        self.container = container.lower() if container else None
        self.fullname = (self.container + "|" if self.container else "") + self.name
        self.desc = desc
        self.subcommands = []
        self.flags = set(desc.get("command_flags", []))
        self.acl = set(desc.get("acl_categories", []))
        self.key_specs = desc.get("key_specs", [])

    def finish(self):
        """What Redis does to each command when it populates its table."""
        self.set_implicit_acl()
        if self.legacy_range_movable():
            self.flags.add("MOVABLE_KEYS")
        for sub in self.subcommands:
            sub.finish()

    def set_implicit_acl(self):
        # Same rules as setImplicitACLCategories() in server.c.
        if "WRITE" in self.flags:
            self.acl.add("WRITE")
        if "READONLY" in self.flags and "SCRIPTING" not in self.acl:
            self.acl.add("READ")
        if "ADMIN" in self.flags:
            self.acl.update(["ADMIN", "DANGEROUS"])
        if "PUBSUB" in self.flags:
            self.acl.add("PUBSUB")
        if "FAST" in self.flags:
            self.acl.add("FAST")
        if "BLOCKING" in self.flags:
            self.acl.add("BLOCKING")
        if "FAST" not in self.acl:
            self.acl.add("SLOW")

    def legacy_range_movable(self):
        """True when the legacy (first, last, step) triple cannot describe
        every key, following populateCommandLegacyRangeSpec(): more than one
        kind of spec, a non-index or non-range spec, a step other than 1,
        non-consecutive ranges, or an incomplete spec."""
        specs = self.key_specs
        if not specs:
            return False

        def simple(s):
            return "index" in s["begin_search"] and "range" in s["find_keys"]

        if len(specs) == 1 and simple(specs[0]):
            return "INCOMPLETE" in specs[0].get("flags", [])
        movable = False
        first = None
        last_u = 0  # compared as unsigned 32-bit, like the C code
        prev_last_u = 0
        for s in specs:
            if not simple(s):
                movable = True
                continue
            pos = s["begin_search"]["index"]["pos"]
            rng = s["find_keys"]["range"]
            if rng["step"] != 1 or (prev_last_u and prev_last_u != ((pos - 1) & 0xFFFFFFFF)):
                movable = True
                continue
            if "INCOMPLETE" in s.get("flags", []):
                movable = True
            first = pos if first is None else min(first, pos)
            abs_last = rng["lastkey"] + pos if rng["lastkey"] >= 0 else rng["lastkey"]
            last_u = max(last_u, abs_last & 0xFFFFFFFF)
            prev_last_u = last_u
        if first is None:
            movable = True
        return movable


def emit_key_spec(spec):
    flags = bits(spec.get("flags", []), KEY_FLAGS, "KEY_", "key spec flag")
    bs = spec["begin_search"]
    if "index" in bs:
        begin = "BeginSearch::Index(%d)" % bs["index"]["pos"]
    elif "keyword" in bs:
        begin = "BeginSearch::Keyword { keyword: %s, startfrom: %d }" % (
            rs_str(bs["keyword"]["keyword"]), bs["keyword"]["startfrom"])
    elif "unknown" in bs:
        begin = "BeginSearch::Unknown"
    else:
        die("bad begin_search %r" % bs)
    fk = spec["find_keys"]
    if "range" in fk:
        r = fk["range"]
        find = "FindKeys::Range { lastkey: %d, keystep: %d, limit: %d }" % (
            r["lastkey"], r["step"], r["limit"])
    elif "keynum" in fk:
        k = fk["keynum"]
        find = "FindKeys::Keynum { keynumidx: %d, firstkey: %d, keystep: %d }" % (
            k["keynumidx"], k["firstkey"], k["step"])
    elif "unknown" in fk:
        find = "FindKeys::Unknown"
    else:
        die("bad find_keys %r" % fk)
    return "KeySpec { notes: %s, flags: %s, begin_search: %s, find_keys: %s }" % (
        rs_opt(spec.get("notes")), flags, begin, find)


def emit_args(args, indent):
    """An `&[Arg]` literal; only fields that differ from Arg::BLANK."""
    if not args:
        return "&[]"
    pad = " " * indent
    lines = ["&["]
    for a in args:
        if a["type"] not in ARG_TYPES:
            die("unknown argument type %r" % a["type"])
        fields = ["name: %s" % rs_str(a["name"].lower()),
                  "typ: ArgType::%s" % ARG_TYPES[a["type"]]]
        if "key_spec_index" in a:
            fields.append("key_spec_index: %d" % a["key_spec_index"])
        if a.get("token"):
            # Redis prints tokens upper-cased whatever the JSON says.
            fields.append("token: Some(%s)" % rs_str(a["token"].upper()))
        if a.get("summary"):
            fields.append("summary: Some(%s)" % rs_str(a["summary"]))
        if a.get("since"):
            fields.append("since: Some(%s)" % rs_str(a["since"]))
        f = []
        if a.get("optional"):
            f.append("OPTIONAL")
        if a.get("multiple"):
            f.append("MULTIPLE")
        if a.get("multiple_token"):
            if not a.get("multiple"):
                die("argument %r: multiple_token without multiple" % a["name"])
            f.append("MULTIPLE_TOKEN")
        if f:
            fields.append("flags: " + " | ".join("ARG_" + x for x in f))
        if a.get("deprecated_since"):
            fields.append("deprecated_since: Some(%s)" % rs_str(a["deprecated_since"]))
        if a["type"] in ("oneof", "block"):
            fields.append("subargs: " + emit_args(a.get("arguments", []), indent + 4))
        elif a.get("arguments"):
            die("argument %r of type %s has nested arguments" % (a["name"], a["type"]))
        lines.append("%s    Arg { %s, ..Arg::BLANK }," % (pad, ", ".join(fields)))
    lines.append(pad + "]")
    return "\n".join(lines)


def emit_command(cmd, summaries, indent):
    d = cmd.desc
    pad = " " * indent
    p = pad + "    "
    if cmd.fullname not in summaries:
        die("no summary for %r in %s" % (cmd.fullname, SUMMARIES))
    if d.get("group") not in GROUPS:
        die("%s: unknown group %r" % (cmd.fullname, d.get("group")))
    out = [pad + "CommandSpec {"]
    out.append("%sname: %s," % (p, rs_str(cmd.name)))
    out.append("%sfullname: %s," % (p, rs_str(cmd.fullname)))
    out.append("%sgroup: %s," % (p, rs_str(GROUPS[d["group"]])))
    out.append("%ssince: %s," % (p, rs_opt(d.get("since"))))
    out.append("%ssummary: %s," % (p, rs_str(summaries[cmd.fullname])))
    out.append("%scomplexity: %s," % (p, rs_opt(d.get("complexity"))))
    out.append("%sarity: %d," % (p, d["arity"]))
    out.append("%sflags: %s," % (p, bits(cmd.flags, CMD_FLAGS, "CMD_", "command flag")))
    out.append("%sacl: %s," % (p, bits(cmd.acl, ACL_CATS, "ACL_", "ACL category")))
    if d.get("doc_flags"):
        out.append("%sdoc_flags: %s," % (p, bits(d["doc_flags"], DOC_FLAGS, "DOC_", "doc flag")))
    if d.get("deprecated_since"):
        out.append("%sdeprecated_since: Some(%s)," % (p, rs_str(d["deprecated_since"])))
    if d.get("replaced_by"):
        out.append("%sreplaced_by: Some(%s)," % (p, rs_str(d["replaced_by"])))
    if d.get("history"):
        hist = ", ".join("(%s, %s)" % (rs_str(h[0]), rs_str(h[1])) for h in d["history"])
        out.append("%shistory: &[%s]," % (p, hist))
    if d.get("command_tips"):
        # Redis lower-cases tips when it builds its table.
        out.append("%stips: &[%s]," % (p, ", ".join(rs_str(t.lower()) for t in d["command_tips"])))
    if cmd.key_specs:
        out.append("%skey_specs: &[" % p)
        for s in cmd.key_specs:
            out.append("%s    %s," % (p, emit_key_spec(s)))
        out.append("%s]," % p)
    if d.get("get_keys_function"):
        fn = d["get_keys_function"]
        if fn not in GETKEYS:
            die("%s: unknown get_keys_function %s" % (cmd.fullname, fn))
        out.append("%sgetkeys: %s," % (p, GETKEYS[fn]))
    if d.get("arguments"):
        out.append("%sargs: %s," % (p, emit_args(d["arguments"], indent + 4)))
    if cmd.subcommands:
        out.append("%ssubcommands: &[" % p)
        for sub in cmd.subcommands:
            out.append(emit_command(sub, summaries, indent + 8) + ",")
        out.append("%s]," % p)
    out.append("%s..CommandSpec::BLANK" % p)
    out.append(pad + "}")
    return "\n".join(out)


def check_key_spec_indexes(cmd):
    """Every key spec is referenced by some argument and every reference is
    in range (the generator Redis ships checks the same)."""
    n = len(cmd.key_specs)
    used = set()

    def walk(args):
        for a in args:
            if "key_spec_index" in a:
                if not 0 <= a["key_spec_index"] < n:
                    die("%s: argument %s has key_spec_index out of range" % (cmd.fullname, a["name"]))
                used.add(a["key_spec_index"])
            walk(a.get("arguments", []))

    walk(cmd.desc.get("arguments", []))
    if any("NOT_KEY" in s.get("flags", []) for s in cmd.key_specs):
        return
    if used != set(range(n)):
        die("%s: key specs not referenced by any argument" % cmd.fullname)


def main(argv):
    json_dir = DEFAULT_JSON_DIR
    out_path = DEFAULT_OUT
    rest = list(argv)
    while rest:
        a = rest.pop(0)
        if a == "--out" and rest:
            out_path = rest.pop(0)
        elif a.startswith("-"):
            die("usage: gen_commands.py [JSON_DIR] [--out PATH]")
        else:
            json_dir = a
    files = sorted(glob.glob(os.path.join(json_dir, "*.json")))
    if not files:
        die("no *.json in %s" % json_dir)

    tops = {}
    subs = {}
    for path in files:
        with open(path, encoding="utf-8") as f:
            try:
                doc = json.load(f)
            except json.JSONDecodeError as e:
                die("%s: %s" % (path, e))
        for name, desc in doc.items():
            if desc.get("container"):
                c = Command(name, desc, desc["container"])
                subs.setdefault(c.container, []).append(c)
            else:
                c = Command(name, desc)
                if c.name in tops:
                    die("duplicate command %s" % c.name)
                tops[c.name] = c

    # Sentinel-only commands do not exist in a normal server.
    for name in [n for n, c in tops.items() if "ONLY_SENTINEL" in c.flags]:
        del tops[name]
        subs.pop(name, None)
    for container, lst in subs.items():
        if container not in tops:
            die("subcommands of unknown container %s" % container)
        parent = tops[container]
        for s in lst:
            if s.desc.get("group", parent.desc["group"]) != parent.desc["group"]:
                die("%s: group differs from its container" % s.fullname)
            s.desc.setdefault("group", parent.desc["group"])
        parent.subcommands = sorted(lst, key=lambda c: c.name)

    commands = sorted(tops.values(), key=lambda c: c.name)
    summaries = load_summaries(SUMMARIES)
    names = set()
    for c in commands:
        c.finish()
        for x in [c] + c.subcommands:
            check_key_spec_indexes(x)
            names.add(x.fullname)
    extra = sorted(set(summaries) - names)
    if extra:
        die("summaries for unknown commands: %s" % ", ".join(extra))

    body = [
        "//! GENERATED by tools/gen_commands.py from Redis 7.0.15's src/commands/*.json",
        "//! and tools/command-summaries.tsv. Do not edit by hand; to regenerate run",
        "//! `python3 tools/gen_commands.py /path/to/redis-7.0.15/src/commands`.",
        "//!",
        "//! The command table, sorted by name (subcommands sorted within their",
        "//! container) so `spec::find` can binary-search it. Flags and ACL categories",
        "//! already include what Redis derives at start-up (implicit categories,",
        "//! `movablekeys`). Types and lookups are in spec.rs.",
        "",
        "use super::spec::*;",
        "",
        "/// Every command of a non-sentinel Redis 7.0.15 (%d top-level, %d with subcommands)."
        % (len(commands), len(names)),
        "#[rustfmt::skip]",
        "pub static COMMANDS: &[CommandSpec] = &[",
    ]
    for c in commands:
        body.append(emit_command(c, summaries, 4) + ",")
    body.append("];")
    text = "\n".join(body) + "\n"
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s: %d commands, %d with subcommands" % (out_path, len(commands), len(names)))


if __name__ == "__main__":
    main(sys.argv[1:])
