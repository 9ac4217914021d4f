"""The errors a CLI user can fix, and the one line that tells them how."""

from __future__ import annotations

import errno


def user_error_message(exc: Exception) -> str | None:
    from app.state import BundleCheckError
    from index.manifest import BundleError
    from model.config import ConfigError
    from model.data.errors import DatasetError
    from model.export import ExportError
    from model.features import FeatureError
    from model.run import RunError

    if isinstance(exc, DatasetError):
        # the first problem on the error line itself (often it is the only one), the rest below
        first, *rest = exc.problems or [""]
        lines = [f"{exc.message}: {first}" if first else exc.message,
                 *(f"  - {p}" for p in rest[:19])]
        return "\n".join(lines)
    if isinstance(exc, ConfigError | RunError | BundleError | FeatureError | FileExistsError
                  | ExportError | BundleCheckError):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        # every artifact is written beside its target and renamed in: the old one is intact
        where = f" writing {exc.filename}" if exc.filename else ""
        return (f"no space left on the device{where}; free some and run the command again "
                "(the previous files are unchanged)")
    if isinstance(exc, FileNotFoundError | NotADirectoryError | PermissionError):
        return f"{exc.strerror}: {exc.filename}"
    if isinstance(exc, ValueError):
        return str(exc)
    return None
