"""One base class for mistakes a user can fix. The CLI and the UI show their message as one clear sentence and
never a traceback; anything else is a bug and keeps its traceback.

Every such error carries `code` (a stable snake_case name a program can match, e.g. "invalid_data") and `param`
(the config field, argument or file it is about, or None): a failed job stores them as {code, message, param}
(DESIGN.md, "Job lifecycle"). A subclass names its usual code and param as class attributes; a raise may override
either:

    class SizingError(UserError):
        code, param = "model_too_small", "pretrain.compute_budget_flops"

    raise SizingError("the budget buys fewer than 1 M parameters", param="pretrain.tokens")
"""

from __future__ import annotations

_DEFAULT = object()  # "not given": keep the class's code/param (None is a real value for param)


class UserError(Exception):
    """A problem the user can fix; str(error) names it and the fix, `code` and `param` say which and where."""

    code: str = "invalid_input"
    param: str | None = None

    def __init__(self, message: str, code: str | None = None, param: str | None = _DEFAULT):  # type: ignore[assignment]
        super().__init__(message)
        if code is not None:
            self.code = code
        if param is not _DEFAULT:
            self.param = param
