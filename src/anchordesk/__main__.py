from anchordesk.launch import main

raise SystemExit(main())
