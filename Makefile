# dagmaster: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
# checkov (tests/infra) lives in its own venv: its dependency tree would clash with the app's.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-stamp

.PHONY: install system-packages browser test demo lint bench clean

install: $(STAMP) $(NODE_STAMP) $(CHECKOV_STAMP) system-packages browser

# Debian packages the tests and the demo start on their own: PostgreSQL 15 with PostGIS 3 for
# vector tables; shellcheck for the azd hooks (tests/infra). Installed when missing and we are
# root (CI); otherwise say what to install.
DEBIAN_PACKAGES := postgresql-15 postgresql-15-postgis-3
POSTGIS_CONTROL := /usr/share/postgresql/15/extension/postgis.control
system-packages:
	@if [ ! -e $(POSTGIS_CONTROL) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q $(DEBIAN_PACKAGES) >/dev/null \
	      || (apt-get update -q >/dev/null && apt-get install -y -q $(DEBIAN_PACKAGES) >/dev/null); \
	  else \
	    echo "PostGIS missing: install the Debian packages $(DEBIAN_PACKAGES) (or set DAGMASTER_POSTGIS_URL)"; \
	  fi; \
	fi
	@if ! command -v shellcheck >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q shellcheck >/dev/null \
	      || (apt-get update -q >/dev/null && apt-get install -y -q shellcheck >/dev/null); \
	  else \
	    echo "shellcheck missing: install the Debian package shellcheck (tests/infra checks the azd hooks)"; \
	  fi; \
	fi

# Debian's Chromium and its driver for the console's browser tests (never a downloaded
# browser). Installed when missing and we are root (CI); otherwise say what to install.
BROWSER_PACKAGES := chromium chromium-driver fonts-dejavu-core
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGES) >/dev/null \
	      || (apt-get update -q >/dev/null && \
	          apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGES) >/dev/null); \
	  else \
	    echo "Chromium missing: install the Debian packages $(BROWSER_PACKAGES) (console tests)"; \
	  fi; \
	fi

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(CHECKOV_STAMP): infra/requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r infra/requirements-checkov.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

test: install
	$(PY) -m pytest; status=$$?; [ $$status -eq 5 ] && echo 'pytest collected no tests' && exit 0; exit $$status

# Ruff, then mypy on what pyproject.toml's [tool.mypy] lists (strict on domain/).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

demo: install
	$(PY) -m dagmaster.demo

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules .dagmaster
