"""rbcc: a Python toolchain for the Roboconf DSL."""

__version__ = "0.1.0"
