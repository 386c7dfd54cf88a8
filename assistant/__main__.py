"""``python -m assistant``: the same CLI as the ``order-assistant`` script."""

from assistant.cli.main import main

main()
