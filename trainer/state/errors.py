"""One base class for mistakes a user can fix. The CLI and the UI show their message as one clear sentence and
never a traceback; anything else is a bug and keeps its traceback."""


class UserError(Exception):
    """A problem the user can fix; str(error) names it and the fix."""
