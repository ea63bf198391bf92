"""``python -m ovms`` runs the daemon, like the ``ovms`` console script."""

from ovms.cli import main

main()
