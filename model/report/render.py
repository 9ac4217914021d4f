"""The HTML page, from the template in templates/ with autoescaping on: titles and ids come
from a dataset and are shown as text, never as markup."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined


def environment() -> Environment:
    # StrictUndefined: a misspelt name in the template fails the report instead of
    # silently leaving a hole in it
    return Environment(loader=PackageLoader("model.report", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(context: dict) -> str:
    return environment().get_template("report.html").render(**context)
