"""`python -m cli`: the same as the `deskwatch` console script."""

from cli.main import main

main()
