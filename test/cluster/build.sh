#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubectl and etcd from the Go
# modules pinned in test/cluster/go.mod and test/cluster/etcd/go.mod.
#
# The binaries land in a cache folder OUTSIDE the repository, keyed by version,
# so fresh clones on the same machine (CI) reuse them instead of recompiling:
#   ${VMFLEET_CLUSTER_CACHE:-$HOME/.cache/vmfleet/cluster}/<k8s>-<etcd>/bin/
# A stamp (hash of the go.mod/go.sum files and the Go version) guards against a
# changed pin reusing stale binaries under the same version key.
#
# stdout: the bin directory (one line), so callers can capture it.
# stderr: progress. Exit code non-zero when Go is missing or the build fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf '[cluster/build] %s\n' "$*" >&2; }

# The version of a required module, read from go.mod so the pin lives in one place.
required_version() {
  awk -v mod="$2" '$1 == mod { print $2; exit } $1 == "require" && $2 == mod { print $3; exit }' "$1"
}

k8s_version="$(required_version "$here/go.mod" k8s.io/kubernetes)"
etcd_version="$(required_version "$here/etcd/go.mod" go.etcd.io/etcd/server/v3)"
cache_root="${VMFLEET_CLUSTER_CACHE:-$HOME/.cache/vmfleet/cluster}"
key_dir="$cache_root/${k8s_version}-${etcd_version}"
bin_dir="$key_dir/bin"
binaries=(kube-apiserver kube-controller-manager kubectl etcd)

if ! command -v go >/dev/null 2>&1; then
  for dir in /usr/local/go/bin "$HOME/go/bin"; do
    if [[ -x "$dir/go" ]]; then PATH="$dir:$PATH"; fi
  done
fi

stamp_of() {
  {
    cat "$here/go.mod" "$here/go.sum" "$here/etcd/go.mod" "$here/etcd/go.sum"
    if command -v go >/dev/null 2>&1; then go env GOVERSION; fi
  } | sha256sum | cut -d' ' -f1
}

cached() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin_dir/$b" ]] || return 1; done
  [[ -f "$key_dir/stamp" && "$(cat "$key_dir/stamp")" == "$1" ]]
}

if ! command -v go >/dev/null 2>&1; then
  # Reuse a previous build even without Go (e.g. a machine that only runs tests).
  for b in "${binaries[@]}"; do
    [[ -x "$bin_dir/$b" ]] || {
      log "Go is not installed and no cached binaries exist in $bin_dir"
      exit 3
    }
  done
  log "Go is not installed; using cached binaries in $bin_dir"
  echo "$bin_dir"
  exit 0
fi

stamp="$(stamp_of)"
if cached "$stamp"; then
  echo "$bin_dir"
  exit 0
fi

mkdir -p "$key_dir"
# Serialise concurrent builds of the same key (parallel clones, parallel jobs).
exec 9>"$key_dir/.lock"
flock 9
if cached "$stamp"; then
  echo "$bin_dir"
  exit 0
fi

# kubectl version and the API server's /version read these; without them they
# report v0.0.0-master, which confuses anyone debugging against the plane.
minor="${k8s_version#v1.}"
minor="${minor%%.*}"
version_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  version_ldflags+=" -X $pkg.gitTreeState=clean"
done

tmp_bin="$(mktemp -d "$key_dir/.bin.XXXXXX")"
trap 'rm -rf "$tmp_bin"' EXIT

started=$(date +%s)
log "building Kubernetes $k8s_version (kube-apiserver, kube-controller-manager, kubectl) into $bin_dir"
(
  cd "$here"
  CGO_ENABLED=0 go build -trimpath -ldflags="-s -w$version_ldflags" -o "$tmp_bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl
)
log "building etcd $etcd_version"
(
  cd "$here/etcd"
  CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$tmp_bin/etcd" go.etcd.io/etcd/server/v3
)

rm -rf "$bin_dir"
chmod 755 "$tmp_bin"
mv "$tmp_bin" "$bin_dir"
echo "$stamp" >"$key_dir/stamp"
log "built in $(($(date +%s) - started)) s"
echo "$bin_dir"
