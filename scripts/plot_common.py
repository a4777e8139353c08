"""What the plot scripts share: reading one `planner ... --format json` file strictly, and saving a
figure with a clear error. Each script checks the keys of its own subcommand's JSON."""
import json
import math
import os
import sys
import tempfile

SCHEMA_VERSION = 1
FORMATS = (".png", ".svg")


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


def is_number(v):
    """A finite int or float (JSON true/false are not numbers here)."""
    return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)


def add_output_arguments(ap):
    """-o (required; the extension picks .png or .svg) and --dpi, the same in every plot script."""
    ap.add_argument("-o", "--output", required=True,
                    help="image to write; the extension picks the format (.png or .svg)")
    ap.add_argument("--dpi", type=int, default=100, help="PNG resolution (default 100)")


def check_image_path(output):
    """-o must name a .png or .svg file: matplotlib picks the format from the extension."""
    ext = os.path.splitext(output)[1].lower()
    if ext not in FORMATS:
        raise InputError("-o %s: unknown image format %r; use .png or .svg"
                         % (output, ext or "(none)"))


def degrees_label(layout):
    """'tp2 pp8', plus vpp, cp and ep where they are above 1: the start of every layout label."""
    s = "tp%d pp%d" % (layout["tp"], layout["pp"])
    for key in ("vpp", "cp", "ep"):
        if layout.get(key, 1) > 1:
            s += " %s%d" % (key, layout[key])
    return s


def import_pyplot(prog):
    """matplotlib.pyplot on the Agg backend (no display), or None after saying how to get it."""
    try:
        import matplotlib
    except ImportError:
        print("%s: error: needs matplotlib (Debian: apt install python3-matplotlib, then run "
              "with /usr/bin/python3)" % prog, file=sys.stderr)
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def write_atomically(output, write):
    """Calls write(binary file) on a temporary file next to `output`, then renames it over
    `output`: a full disk, a Ctrl-C or a second run never leaves a truncated image. Raises
    OSError; the temporary file is removed on failure."""
    directory = os.path.dirname(os.path.abspath(output))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(output) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is not what a plain open gives
        os.replace(tmp, output)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_figure(fig, output, dpi, prog):
    """Writes `fig` to `output` atomically; 0 on success, 2 (with a message on stderr) when it
    cannot."""
    fig.tight_layout()
    image_format = os.path.splitext(output)[1].lstrip(".").lower() or "png"
    try:
        write_atomically(output, lambda f: fig.savefig(f, dpi=dpi, format=image_format))
    except OSError as e:
        print("%s: error: -o %s: cannot write: %s" % (prog, output, e.strerror or e),
              file=sys.stderr)
        return 2
    return 0
