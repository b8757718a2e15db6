"""`python -m fireline` runs the CLI."""

from fireline.cli import main

main()
