"""Errors the domain raises for a person to read."""

from __future__ import annotations


class ValidationError(Exception):
    """Input that breaks a rule; `problems` holds one sentence per problem."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems
