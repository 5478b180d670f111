# The two commands of README.md. Each creates .venv on first use, so on a fresh machine
#   make run    generates a river, a landscape, a learned level and 8 exported Tiled levels into out/
#   make test   runs the test suite (the command CI runs, see .ci/run)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# A pinned CPU build: an unpinned torch pulls several GB of CUDA packages. Elsewhere pass
# TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu" to get the CPU wheel.
TORCH_VERSION := 2.13.0
TORCH_PIP_ARGS ?=

.PHONY: run test setup clean
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==$(TORCH_VERSION) $(TORCH_PIP_ARGS)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	# The Mario AI Framework's A* agent and the real SMB levels for the level tests: files
	# only (--no-deps: mario-gpt's own torch/transformers stack is never imported).
	$(BIN)/python -m pip install --quiet --no-deps mario-gpt==0.1.3
	touch $@

run: setup
	mkdir -p out
	$(BIN)/procgen generate river/coinflip --seed 42 -o out/river.png
	$(BIN)/procgen generate landscape/fbm --seed mossy-canyon -o out/landscape.png
	$(BIN)/procgen generate level/transformer --seed mossy-canyon -o out/level.png
	$(BIN)/procgen export level/overworld --seeds 0:8 --formats png,tmx,tmj --out out/levels --no-progress

test: setup
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out .pytest_cache
