# Two commands: `make run` (default study end to end) and `make test`.
# Both create .venv inside the project when it is missing and install everything into it.
VENV    := .venv
PYTHON  := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
CORES   ?= all
STUDY   ?=
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

STUDY_ARGS := $(if $(STUDY),--configfile $(STUDY) --replace-workflow-config)

.PHONY: run data test smoke test-slurm lint dry-run report venv clean-cache

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	snakemake --cores $(CORES) $(STUDY_ARGS)

# Download and prepare the study's datasets (and folds) here, e.g. on a cluster's login node.
data: $(STAMP)
	snakemake --cores $(CORES) $(STUDY_ARGS) data_all

dry-run: $(STAMP)
	snakemake --dry-run $(STUDY_ARGS)

# Empty the run cache (README, "The run cache"): finished runs are then trained again when stale.
clean-cache:
	rm -rf "$${ACTSTUDY_RUN_CACHE:-resources/run_cache}"

# One report per study, beside its results: results/<study>/report.zip (the name from its config).
report: $(STAMP)
	snakemake --report "results/$$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["study"])' $(or $(STUDY),config.yaml))/report.zip" $(STUDY_ARGS)

test: $(STAMP)
	python -m pytest

# Only the studies' smoke variants end to end (generated data, 1 epoch; `make test` runs them too).
smoke: $(STAMP)
	python -m pytest -m smoke tests/test_smoke.py

# The workflow on a real single-node Slurm started on localhost (needs root and apt-get).
test-slurm: $(STAMP)
	bash tests/slurm/run.sh

lint: $(STAMP)
	snakemake --lint
	snakefmt --check Snakefile workflow
	ruff check .
	ruff format --check .
