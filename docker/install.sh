#!/usr/bin/env bash
# The one install path of the project: CI (.ci/run) and both images (docker/Dockerfile.*) call
# it, so the steps an image runs are the steps CI tests.
#
#   docker/install.sh TARGET [deps | project [WHEELS] | all | wheel OUTDIR]
#
# TARGET  ci     every requirement with the dev extra; the project editable (tests, ruff)
#         api    the runtime requirements, faiss-cpu; the project as a regular package
#         train  the runtime requirements with faiss-gpu instead of faiss-cpu
# STEP    deps     requirements only: the images run this in a layer before the code is copied
#         wheel    build the project's wheel into OUTDIR (the images' build stage)
#         project  the project itself, from the source tree or from the wheel in WHEELS, with
#                  no dependency resolution (the requirements are in place), then `pip check`
#         all      deps, then project (default)
#
# Environment: PYTHON (default: python) is the interpreter whose environment is filled;
# TORCH_INDEX_URL, when set, is the package index torch and torchvision come from (the API
# image points it at PyTorch's CPU-only wheels; unset, they come from the configured index).
set -euo pipefail

usage="usage: docker/install.sh ci|api|train [deps | project [WHEELS] | all | wheel OUTDIR]"
target="${1:?$usage}"
step="${2:-all}"
where="${3:-}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-python}"
pip=("$python" -m pip install --disable-pip-version-check --no-input)
[ "${LOOKBOOK_INSTALL_VERBOSE:-0}" = 1 ] || pip+=(--quiet)

case "$target" in
  ci) extras=(--extra dev); without=() ;;
  api) extras=(); without=() ;;
  # faiss-gpu ships the same `faiss` module as faiss-cpu: both in one environment overwrite
  # each other's files, so the CPU build is left out rather than uninstalled afterwards.
  train) extras=(--extra gpu); without=(--without faiss-cpu) ;;
  *) echo "docker/install.sh: unknown target '$target' (ci, api or train)" >&2; exit 2 ;;
esac
case "$step" in
  deps|project|all) ;;
  wheel) [ -n "$where" ] || { echo "$usage" >&2; exit 2; } ;;
  *) echo "docker/install.sh: unknown step '$step' (deps, project, all or wheel)" >&2; exit 2 ;;
esac

install_deps() {
  # requirements.py reads pyproject.toml with packaging, which a bare venv lacks
  "${pip[@]}" "packaging>=23"
  reqs="$(mktemp)"
  trap 'rm -f "$reqs"' EXIT
  if [ -n "${TORCH_INDEX_URL:-}" ]; then
    # Only torch and torchvision come from there; the ranges are pyproject's own.
    "$python" "$here/requirements.py" --only torch --only torchvision > "$reqs"
    "${pip[@]}" --index-url "$TORCH_INDEX_URL" -r "$reqs"
  fi
  "$python" "$here/requirements.py" "${extras[@]}" "${without[@]}" > "$reqs"
  "${pip[@]}" -r "$reqs"
}

build_wheel() {
  "$python" -m pip wheel --disable-pip-version-check --no-input --quiet --no-deps \
    --wheel-dir "$where" "$root"
}

install_project() {
  if [ -n "$where" ]; then
    local wheels=("$where"/lookbook-*.whl)
    if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
      echo "docker/install.sh: expected one lookbook wheel in $where" >&2
      exit 1
    fi
    "${pip[@]}" --no-deps "${wheels[0]}"
  elif [ "$target" = ci ]; then
    "${pip[@]}" --no-deps -e "$root"
  else
    "${pip[@]}" --no-deps "$root"
  fi
  # Every requirement of the installed project must now be met: this is what catches a
  # dependency that pyproject.toml lists but requirements.py dropped, or a broken pin.
  local report
  if ! report="$("$python" -m pip check 2>&1)"; then
    if [ "$target" = train ]; then
      # lookbook declares faiss-cpu; here faiss-gpu provides the same module on purpose
      report="$(grep -v "requires faiss-cpu, which is not installed" <<<"$report" || true)"
    elif [ "$target" = ci ]; then
      # CI installs into the machine's environment, which may hold unrelated packages:
      # only the project's own requirements count there (the images' venvs are all theirs)
      echo "$report" >&2
      report="$(grep "^lookbook " <<<"$report" || true)"
    fi
    if [ -n "$report" ]; then
      echo "docker/install.sh: unmet requirements after installing ($target):" >&2
      echo "$report" >&2
      exit 1
    fi
  fi
}

case "$step" in
  deps) install_deps ;;
  wheel) build_wheel ;;
  project) install_project ;;
  all) install_deps; install_project ;;
esac
