"""Domain errors: the library raises these, the CLI turns them into one clear message and an exit code."""

from __future__ import annotations


#: The longest one line of a message may be: a value echoed back (a list of a million districts, a label of
#: 100,000 characters) is cut, so an error stays one readable line.
MAX_MESSAGE_LINE = 400


def capped(line: str, limit: int = MAX_MESSAGE_LINE) -> str:
    """`line` cut to about `limit` characters in the middle (where an echoed value is; the head names the
    place, the tail says what to do), with a note of how much was cut."""
    if len(line) <= limit:
        return line
    head, tail = limit * 2 // 3, limit // 3
    return f"{line[:head]} … ({len(line) - head - tail:,} characters cut) … {line[-tail:]}"


class KgError(Exception):
    """Base of every error kg reports to a user (exit code 1 unless a subclass says otherwise)."""

    exit_code = 1


class RecordError(KgError):
    """A record file is malformed: the message names file, line, field and the fix."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:20]
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__("\n".join(shown) + more)


class SourceError(KgError):
    """A source text is missing, altered (checksum) or does not match a record's span."""


class ShapesError(KgError):
    """The graph violates the SHACL shapes (exit code 1, like pySHACL)."""


class InputError(KgError):
    """A file a user gave cannot be read or parsed (exit code 2, like a usage error)."""

    exit_code = 2


#: Exit code of an unexpected exception (sysexits.h EX_SOFTWARE): a bug; `kg doctor` counts these as crashes.
INTERNAL_ERROR = 70
