from procgen.cli.main import main

raise SystemExit(main())
