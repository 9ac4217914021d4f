"""The errors a CLI user can fix, and the one line that tells them how."""

from __future__ import annotations


def user_error_message(exc: Exception) -> str | None:
    from app.state import BundleCheckError
    from index.manifest import BundleError
    from model.config import ConfigError
    from model.data.errors import DatasetError
    from model.export import ExportError
    from model.features import FeatureError
    from model.run import RunError

    if isinstance(exc, DatasetError):
        lines = [exc.message, *(f"  - {p}" for p in exc.problems[:20])]
        return "\n".join(lines)
    if isinstance(exc, ConfigError | RunError | BundleError | FeatureError | FileExistsError
                  | ExportError | BundleCheckError):
        return str(exc)
    if isinstance(exc, FileNotFoundError | NotADirectoryError | PermissionError):
        return f"{exc.strerror}: {exc.filename}"
    if isinstance(exc, ValueError):
        return str(exc)
    return None
