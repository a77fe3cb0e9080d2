"""The language's keywords and patterns, in Java's regex flavour, and its constants."""

from __future__ import annotations

import re

from rbcc.dsl.java import java_equals_ignore_case

_D = "[^\n\r\u0085\u2028\u2029]"  # Java's "." without DOTALL
_B = r"(?!(?u:\w))"  # Java's \b after a keyword: JDK 17 treats Unicode letters/digits as word chars
_FLAGS = re.ASCII | re.IGNORECASE  # Java's CASE_INSENSITIVE is ASCII-only

_ASSOCIATE = re.compile(rf"associate\s+(/{_D}*)\s+with{_B}({_D}*)", _FLAGS)
_CHANGE = re.compile(rf"change\s+status\s+of\s+(/{_D}*)\s+to{_B}({_D}*)", _FLAGS)
_BULK_PATH = re.compile(rf"([^/]+)(/{_D}*)", _FLAGS)
_BULK_COMPONENT = re.compile(rf"({_D}+)\s+instances\s+of({_D}+)", _FLAGS)
_EMAIL = re.compile(rf"email\s+({_D}*)\s*with\s+({_D}*)", _FLAGS)
_DEFINE = re.compile(rf"define\s+([^=]*)\s*=\s*({_D}*)", _FLAGS)
_CREATE = re.compile(rf"create\s+({_D}*)\s*as{_B}({_D}*)", _FLAGS)
_REPLICATE = re.compile(rf"replicate\s+(/{_D}*)\s*as{_B}({_D}*)", _FLAGS)
_RENAME = re.compile(rf"rename\s+(/{_D}*)\s*as{_B}({_D}*)", _FLAGS)
_WRITE = re.compile(rf"write\s+({_D}*)\s*into{_B}({_D}*)", _FLAGS)
_APPEND = re.compile(rf"append\s+({_D}*)\s*into{_B}({_D}*)", _FLAGS)
_EXECUTE = re.compile(rf"execute\s+({_D}*)", _FLAGS)
_UNDER = re.compile(rf"({_D}*)\s+under\s+({_D}*)", _FLAGS)

CONTINUATION = re.compile(r"\\\n\s*", re.ASCII)
COMMENT = re.compile(rf"#{_D}*")
_VARIABLE = re.compile(r"\$\([^)]*\)")
SEP = "!@!"

MILLI_TIME = "$(MILLI_TIME)"
NANO_TIME = "$(NANO_TIME)"
RANDOM_UUID = "$(UUID)"
SMART_INDEX = "$(SMART_INDEX)"
FORMATTED_TIME_PREFIX = "$(FORMATTED_TIME "
EXISTING_INDEX_PREFIX = "$(EXISTING_INDEX "
FAKE_COMPONENT = "@fake-component@"
_EXISTING_INDEX = re.compile(rf"({_D}*)\$\(EXISTING_INDEX \s*((MIN)|(MAX))\s*([<>]\s*\d+)?\s*\)({_D}*)", re.ASCII)
_IGNORED_IN_DEFINE = (
    re.compile(r"\$\(FORMATTED_TIME [^)]*\)"),
    re.compile(r"\$\(EXISTING_INDEX [^)]*\)"),
)
_INT_MAX = 2**31 - 1

BULK_ACTIONS = ("DELETE", "DEPLOY_AND_START_ALL", "STOP_ALL", "UNDEPLOY_ALL")
#: Roboconf's InstanceStatus → whether it is stable
INSTANCE_STATUSES = {
    "NOT_DEPLOYED": True,
    "DEPLOYING": False,
    "DEPLOYED_STOPPED": True,
    "UNRESOLVED": True,
    "WAITING_FOR_ANCESTOR": True,
    "STARTING": False,
    "DEPLOYED_STARTED": True,
    "STOPPING": False,
    "UNDEPLOYING": False,
    "PROBLEM": False,
}


def _bulk_action(text: str) -> str | None:
    """``ChangeStateInstruction.which``: ``delete``, ``stop all``… also accepted with `` all``."""
    for action in BULK_ACTIONS:
        spoken = action.replace("_", " ").lower()
        if java_equals_ignore_case(spoken, text) or java_equals_ignore_case(spoken + " all", text):
            return action
    return None


def _exact_status(text: str) -> str | None:
    for status in INSTANCE_STATUSES:
        if java_equals_ignore_case(status, text):
            return status
    return None
