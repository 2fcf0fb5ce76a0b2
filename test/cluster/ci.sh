#!/usr/bin/env bash
# Called by .ci/run before the test suite: builds (or reuses) the control-plane binaries and exports
# VMFLEET_CLUSTER_BIN so the integration suite does not build again. In CI the integration suite must
# run, so a missing Go toolchain or a failed build stops CI here with a clear message.
# Usage from .ci/run:  source test/cluster/ci.sh   (or run it; it also prints the bin dir)
# No `set -e`/`-u` here: when sourced, that would change the options of .ci/run itself.

ci_cluster_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ci_cluster_fail() {
  printf '\n::error::control plane: %s\n' "$*" >&2
  printf 'CI needs the real control plane for the integration suite; see test/cluster/build.sh.\n\n' >&2
  return 1 2>/dev/null || exit 1
}

if ! command -v go >/dev/null 2>&1 && [[ ! -x /usr/local/go/bin/go ]]; then
  ci_cluster_fail "Go is not installed (need Go 1.26+ to build kube-apiserver, kube-controller-manager, kubectl, etcd)"
elif ci_cluster_started=$(date +%s) && ci_cluster_bin="$(bash "$ci_cluster_here/build.sh")"; then
  export VMFLEET_CLUSTER_BIN="$ci_cluster_bin"
  printf '[cluster/ci] binaries ready in %s (%s s)\n' "$VMFLEET_CLUSTER_BIN" "$(($(date +%s) - ci_cluster_started))" >&2
  echo "$VMFLEET_CLUSTER_BIN"
else
  ci_cluster_fail "building the binaries failed (output above)"
fi
