"""What the plot scripts share: reading one `planner ... --format json` file strictly, and saving a
figure with a clear error. Each script checks the keys of its own subcommand's JSON."""
import json
import os
import sys

SCHEMA_VERSION = 1


class InputError(Exception):
    """Bad input: the script prints it as `PROG: error: MESSAGE` and exits 2."""


def read_text(path):
    """The text at `path` ('-' for stdin) and the name to use for it in messages."""
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    if not os.path.exists(path):
        raise InputError("%s: no such file" % path)
    if os.path.isdir(path):
        raise InputError("%s: is a directory; expected a JSON file" % path)
    try:
        with open(path, encoding="utf-8") as f:
            return f.read(), path
    except (OSError, UnicodeDecodeError) as e:
        raise InputError("%s: cannot read: %s" % (path, e))


def load_planner_json(path, subcommand):
    """The JSON object at `path`, with schema_version SCHEMA_VERSION, as `planner SUBCOMMAND ...
    --format json` writes it. Returns (object, name for messages)."""
    text, name = read_text(path)
    expected = "`planner %s ... --format json`" % subcommand
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError("%s:%d:%d: not JSON: %s (expected %s output)"
                         % (name, e.lineno, e.colno, e.msg, expected))
    if not isinstance(d, dict):
        raise InputError("%s: expected a JSON object from %s, got %s"
                         % (name, expected, type(d).__name__))
    if "schema_version" not in d:
        raise InputError("%s: no schema_version: not planner JSON (expected %s output)"
                         % (name, expected))
    if d["schema_version"] != SCHEMA_VERSION:
        raise InputError("%s: schema_version %r; this script reads schema_version %d"
                         % (name, d["schema_version"], SCHEMA_VERSION))
    return d, name


def save_figure(fig, output, dpi, prog):
    """Writes `fig` to `output`; 0 on success, 2 (with a message on stderr) when it cannot."""
    fig.tight_layout()
    try:
        fig.savefig(output, dpi=dpi)
    except OSError as e:
        print("%s: error: -o %s: cannot write: %s" % (prog, output, e.strerror or e),
              file=sys.stderr)
        return 2
    return 0
