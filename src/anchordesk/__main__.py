from anchordesk.cli import main

raise SystemExit(main())
