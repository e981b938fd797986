# The README's commands. `make serve` runs the service (installing only what running needs), `make demo` runs the
# whole loop on 127.0.0.1, `make test` installs the development tools and runs every check CI runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
APT_PACKAGES := qbittorrent-nox chromium transmission-daemon deluged ffmpeg nzbget
PYTEST_ARGS ?= -n auto

DEMO_ARGS ?=

.PHONY: serve demo test install install-dev system-deps lint typecheck jslint unit bench fakes clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# What running needs (no test tools); `install-dev` adds the development extra.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run

install-dev: $(VENV)/.installed-dev

serve: install
	$(BIN)/shelfkeeper serve

demo: install
	$(BIN)/shelfkeeper demo $(DEMO_ARGS)

# The daemons are installed, never started by the package: tests start their own on loopback-only configurations.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		guard=""; if [ ! -e /usr/sbin/policy-rc.d ]; then guard=1; \
			printf '#!/bin/sh\nexit 101\n' | $(SUDO) tee /usr/sbin/policy-rc.d >/dev/null; $(SUDO) chmod +x /usr/sbin/policy-rc.d; fi; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
		if [ -n "$$guard" ]; then $(SUDO) rm -f /usr/sbin/policy-rc.d; fi; \
	fi
	@pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || \
		$(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install-dev
	$(BIN)/mypy

# The page's JavaScript: eslint and TypeScript (--checkJs over JSDoc types), pinned in package-lock.json (docs/web.md).
jslint:
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund
	npx --no-install eslint src/shelfkeeper/web/static eslint.config.js
	npx --no-install tsc --project tsconfig.json

unit: install-dev system-deps
	$(BIN)/pytest $(PYTEST_ARGS)

test: install-dev system-deps lint typecheck jslint unit

bench: install-dev
	$(BIN)/python -m bench.run_all

fakes: install
	$(BIN)/shelfkeeper fakes serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache node_modules
