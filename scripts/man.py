#!/usr/bin/python3
"""The man pages' scdoc sources, made from the program's own tables:

    scripts/man.py 1 BINARY        dissent(1): the command table (`dissent --help`) and each
                                   command's options (`dissent COMMAND --help`: the option table)
    scripts/man.py 5 CONFIG_MD     dissent.ini(5): the settings table of docs/config.md, which
                                   tests/unit/test_config.c holds equal to src/util/config.c's

The scdoc text goes to standard output; meson.build turns it into roff with scdoc(1).
"""
import os
import re
import subprocess
import sys

VERSION = "0.1.0"


def esc(text):
    """Plain text for scdoc: its markup characters and Markdown's, made literal."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # [label](link): the label
    out = []
    for part in re.split(r"(`[^`]*`)", text):
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append("*" + part[1:-1].replace("\\", "\\\\").replace("*", "\\*")
                       .replace("_", "\\_") + "*")
        else:
            part = part.replace("**", "").replace("\\", "\\\\")
            out.append(part.replace("*", "\\*").replace("_", "\\_"))
    return "".join(out)


def help_of(binary, args):
    r = subprocess.run([os.path.abspath(binary)] + args + ["--help"], capture_output=True,
                       text=True, timeout=30)
    if r.returncode != 0:
        raise SystemExit("man.py: %s %s --help exited %d: %s" % (binary, " ".join(args),
                                                               r.returncode, r.stderr))
    return r.stdout


def page1(binary):
    top = help_of(binary, [])
    commands = []
    for line in top.splitlines():
        m = re.match(r"^  (\S+)\s+(.*)$", line)
        if m:
            commands.append((m.group(1), m.group(2)))
    if not commands:
        raise SystemExit("man.py: no command table in `dissent --help`")
    out = ["dissent(1) \"dissent %s\" \"Dissent\"" % VERSION, "",
           "# NAME", "", "dissent - a confidential, accountable dissent channel", "",
           "# SYNOPSIS", "", "*dissent* _COMMAND_ [_OPTIONS_] [_ARGUMENTS_]", "",
           "*dissent* *--help* | *--version*", "",
           "# DESCRIPTION", "",
           "One program runs the channel's server (*dissent serve*), the witness of "
           "transparency logs (*dissent witness serve*) and every tool an administrator, an "
           "auditor or a member of the public uses: accounts, keys, the read audit, the "
           "transparency log, exports and records. Staff file dissent memos and gather "
           "co-signers; officers acknowledge and answer them within deadlines counted in "
           "working days; memo content stays encrypted, and every filing, acknowledgement and "
           "reply lands in a public Merkle transparency log.", "",
           "Options are long options only (*--name VALUE* or *--name=VALUE*); *-h* and *--help* "
           "print a command's options. Commands that open the channel's data take *--config*, "
           "*--data* and *--db*.", "",
           "# COMMANDS", ""]
    for name, summary in commands:
        if name == "version":
            out += ["## version", "", "%s." % esc(summary[0].upper() + summary[1:]), ""]
            continue
        text = help_of(binary, [name]).rstrip("\n")
        out.append("## %s" % name)
        out.append("")
        out.append("%s." % esc(summary[0].upper() + summary[1:]))
        out.append("")
        # the command's own help, as it prints it: usage and options
        out.append("```")
        out += ["  " + line if line else "" for line in text.splitlines()]
        out.append("```")
        out.append("")
    out += ["# SIGNALS", "",
            "*SIGTERM*, *SIGINT*", "\t*dissent serve* stops accepting, lets the requests under way "
            "finish (at most *[server] shutdown_grace* seconds) and exits.", "",
            "*SIGHUP*", "\t*dissent serve* reads its settings file again and applies what may "
            "change while it serves: the TLS certificate and key (read again even when their "
            "names did not change), the log's level and file (opened again, for logrotate), and "
            "the mail transport. Every other setting that changed is named in the log, to be "
            "applied by a restart. A file with an error changes nothing.", "",
            "# EXIT STATUS", "",
            "0 on success, 1 on failure (the reason on standard error), 2 for a usage error.", "",
            "# FILES", "",
            "_/etc/dissent/dissent.ini_", "\tThe service's settings (*dissent.ini*(5)).", "",
            "_/var/lib/dissent_", "\tThe service's data directory: the SQLite database, the "
            "channel's sealed keys and the log's key, the state files of the periodic work.", "",
            "# ENVIRONMENT", "",
            "*NOTIFY_SOCKET*", "\tSet by systemd for a *Type=notify* service: *dissent serve* "
            "says READY=1 once it listens, RELOADING=1 and READY=1 around a reload, and "
            "STOPPING=1 (*sd_notify*(3)).", "",
            "# SEE ALSO", "",
            "*dissent.ini*(5), *systemd.service*(5), and the documents in "
            "_/usr/share/doc/dissent/_: config.md, deploy.md, api.md, formats.md, security.md.",
            ""]
    return "\n".join(out)


def page5(config_md):
    with open(config_md, encoding="utf-8") as f:
        text = f.read()
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) == 5 and cells[0] not in ("section", "---") and not cells[0].startswith("-"):
            rows.append(cells)
    if not rows:
        raise SystemExit("man.py: no settings table in %s" % config_md)
    out = ["dissent.ini(5) \"dissent %s\" \"Dissent\"" % VERSION, "",
           "# NAME", "", "dissent.ini - the settings of the dissent server", "",
           "# SYNOPSIS", "", "_/etc/dissent/dissent.ini_", "",
           "# DESCRIPTION", "",
           "*dissent serve --config FILE* reads an INI file: sections in brackets, one "
           "*key = value* per line, comments from *#* or *;*. A key given on several lines "
           "(indented continuation lines) keeps every line. Unknown sections or keys, and values "
           "out of their limits, are errors: the server refuses to start and names the line. "
           "The command line's *--listen*, *--data*, *--db* and *--workers* override the file.", "",
           "SIGHUP (*systemctl reload dissent*) reads the file again: the TLS files, the log's "
           "level and file and the mail transport change while the server runs; any other "
           "changed key is named in the log, to be applied by a restart.", "",
           "# SETTINGS", ""]
    section = None
    for sec, key, default, limits, meaning in rows:
        if sec != section:
            section = sec
            out += ["## [%s]" % sec, ""]
        out.append("*%s*" % esc(key))
        out.append("\tDefault: %s. Limits: %s." % (esc(default), esc(limits)))
        out.append("")
        out.append("\t%s" % esc(meaning))
        out.append("")
    out += ["# EXAMPLE", "",
            "```", "[server]", "listen = 127.0.0.1:8080", "data = /var/lib/dissent",
            "origin = https://dissent.example.org", "behind_tls = true", "",
            "[channel]", "preset = state-dept", "timezone = America/New_York", "```", "",
            "# SEE ALSO", "", "*dissent*(1), and _/usr/share/doc/dissent/config.md_, which "
            "explains each setting at length.", ""]
    return "\n".join(out)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("1", "5"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.stdout.write(page1(sys.argv[2]) if sys.argv[1] == "1" else page5(sys.argv[2]))


if __name__ == "__main__":
    main()
