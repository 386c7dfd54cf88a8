# The two commands of the README, and a few helpers. Plain shell lives in scripts/.
.PHONY: setup demo test lint

setup:
	./scripts/setup.sh

demo: setup
	./scripts/demo.sh

test:
	./scripts/test.sh
