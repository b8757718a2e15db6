"""`python -m fireline` runs the CLI."""

from fireline.launcher import main

main()
