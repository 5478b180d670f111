"""``python -m procgen``: the procgen command.

The import of the command line sits inside the Ctrl-C handling too, so an interrupt while
it loads is the same one line and exit 130 as one during a command.
"""

import sys

try:
    from procgen.cli.main import main
except KeyboardInterrupt:
    print("procgen: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
