"""`python -m cli`: the `switchflow` command without the installed script."""

from cli.main import main

main()
