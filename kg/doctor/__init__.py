"""`kg doctor`: throw every bad input a user will really give kg at each command, in a scratch project, and
check that each run ends with ONE clear message, a documented exit code, and no partial or changed files.

The cases are data (kg.doctor.cases, written in the words of kg.doctor.case); kg.doctor.runner runs them on
the command line it is given (kg.cli.cli) inside a kg.doctor.workspace.Workspace; kg.doctor.faults simulates a
full disk, a read-only file system and a triple store. tests/reliability/ runs exactly these cases."""

from .case import Case
from .cases import CASES, COMMANDS
from .runner import Outcome, format_summary, run_case, run_cases, summarise
from .workspace import DOC_ID, RECORD_NAME, SOURCE_TEXT, TEMP_FILE, Workspace, dump_record, fingerprint, good_record

__all__ = ["CASES", "COMMANDS", "DOC_ID", "RECORD_NAME", "SOURCE_TEXT", "TEMP_FILE", "Case", "Outcome", "Workspace",
           "dump_record", "fingerprint", "format_summary", "good_record", "run_case", "run_cases", "summarise"]
