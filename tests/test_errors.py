"""One error base: every mistake a user can fix is a `trainer.state.errors.UserError` carrying `code` and `param`,
and no subclass re-implements them."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from tests.test_import_layers import module_files
from trainer.state.errors import UserError

ROOT = Path(__file__).resolve().parents[1]


def _error_classes() -> list[type]:
    found = []
    for name in module_files():
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == name and issubclass(obj, Exception):
                found.append(obj)
    return found


def test_every_error_a_user_can_meet_is_a_user_error_with_a_code():
    classes = _error_classes()
    # Never shown to a user: a vocabulary entry missing a piece is the developer's mistake, found at import;
    # IndexUnreadable makes the index rebuild itself; RowError and SourceError become located issues in the
    # validation report. (The stop signals of a training run are BaseException: control flow, not errors.)
    outside = {c.__name__ for c in classes if not issubclass(c, UserError)}
    assert outside == {"VocabularyError", "IndexUnreadable", "RowError", "SourceError"}, outside
    for cls in classes:
        if issubclass(cls, UserError):
            assert isinstance(cls.code, str) and cls.code, cls


def test_a_raise_names_its_code_and_param_and_keeps_the_class_defaults_otherwise():
    from trainer.distributed import LaunchError
    from trainer.export import ExportError

    error = ExportError("run folder has no weights", "no_weights", "run_dir")  # positional, as export raises it
    assert (str(error), error.code, error.param) == ("run folder has no weights", "no_weights", "run_dir")
    default = LaunchError("two nodes need a master address")
    assert (default.code, default.param) == ("bad_launch", "launch")
    assert LaunchError("x", param=None).param is None  # None is a value, not "use the default"


def test_no_subclass_sets_code_or_param_itself():
    assignments = []
    for name, path in module_files().items():
        if name == "trainer.state.errors":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and node.attr in ("code", "param") \
                    and isinstance(node.value, ast.Name) and node.value.id == "self":
                assignments.append(f"{name}:{node.lineno}")
    # data_checks / formats hold finding records (code of a data problem, not of an exception)
    assignments = [a for a in assignments if not a.startswith(("trainer.formats", "trainer.data_checks"))]
    assert assignments == [], assignments
