# The README's commands. `make serve` runs the service; `make test` runs every check CI runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
APT_PACKAGES := qbittorrent-nox chromium
PYTEST_ARGS ?=

.PHONY: serve test install system-deps lint typecheck unit bench fakes clean

$(BIN)/shelfkeeper: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/shelfkeeper

serve: install
	$(BIN)/shelfkeeper serve

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || \
		$(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

unit: install system-deps
	$(BIN)/pytest $(PYTEST_ARGS)

test: install system-deps lint typecheck unit

bench: install
	$(BIN)/python -m bench.run_all

fakes: install
	$(BIN)/shelfkeeper fakes serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
