# dagmaster: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp

.PHONY: install system-packages test demo lint bench clean

install: $(STAMP) $(NODE_STAMP) system-packages

# Debian packages the tests and the demo start on their own: PostgreSQL 15 with PostGIS 3 for
# vector tables. Installed when missing and we are root (CI); otherwise say what to install.
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

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
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
	rm -rf $(VENV) node_modules .dagmaster
