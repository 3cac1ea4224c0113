"""`python -m numpynn ...` is the same as the `numpynn` command."""

from numpynn.apps.cli import run

run()
