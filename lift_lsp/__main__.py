from lift_lsp.cli import main

raise SystemExit(main())
