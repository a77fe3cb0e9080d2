"""Placeholder."""


def register(server) -> None:
    pass
