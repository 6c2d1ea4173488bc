"""The one exception type users see.

A ``ReviewError`` carries a message written for a person: what happened, where (file, table, column, config
key) and what to do. The CLI prints it to stderr and exits 2; the UI shows it with ``st.error``. Anything else
that escapes is a programmer error.
"""

from __future__ import annotations


class ReviewError(Exception):
    """A problem with the user's input, config or data source, explained in plain language.

    Parameters
    ----------
    message
        One or two sentences: what happened, where, what to do.
    detail
        Optional technical detail (the SQL that failed, the driver's message) for an expander in the UI.
    """

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return self.message
