.PHONY: run test lint
run:
	./dev.sh run
test:
	./dev.sh test
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy && .venv/bin/lint-imports
