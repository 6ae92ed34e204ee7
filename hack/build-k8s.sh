#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and etcd from the Go module proxy into $1
# (default bin/k8s). Each binary is rebuilt only when it is missing or reports
# another version, so a second call is a no-op. The Go build cache makes a
# rebuild after `rm -rf bin` take seconds.
set -euo pipefail

K8S_VERSION=v1.37.2
ETCD_VERSION=v3.6.16
hack_dir=$(cd "$(dirname "$0")" && pwd)
out=${1:-bin/k8s}
mkdir -p "$out"
out=$(cd "$out" && pwd)

k8s_ldflags() {
	local major minor
	major=${K8S_VERSION#v}; major=${major%%.*}
	minor=${K8S_VERSION#v*.}; minor=${minor%%.*}
	local flags=""
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		flags="$flags -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
		flags="$flags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
	done
	echo "-s -w $flags"
}

current() { # binary, expected version text, version command...
	# Read the whole output first: grep -q stops at the first match, and with
	# pipefail the writer's SIGPIPE would count as "another version".
	local text
	[ -x "$1" ] && text=$("${@:3}" 2>/dev/null) && grep -q -- "$2" <<<"$text"
}

build_k8s() { # command name
	local bin=$out/$1
	case $1 in
	kube-apiserver) current "$bin" "Kubernetes $K8S_VERSION" "$bin" --version && return 0 ;;
	kubectl) current "$bin" "Client Version: $K8S_VERSION" "$bin" version --client && return 0 ;;
	esac
	echo "building $1 $K8S_VERSION (first build takes about 11 minutes on 2 cores)"
	(cd "$hack_dir/kubernetes" && CGO_ENABLED=0 go build -trimpath -ldflags "$(k8s_ldflags)" -o "$bin" "k8s.io/kubernetes/cmd/$1")
}

build_etcd() {
	local bin=$out/etcd
	current "$bin" "etcd Version: ${ETCD_VERSION#v}" "$bin" --version && return 0
	echo "building etcd $ETCD_VERSION"
	(cd "$hack_dir/etcd" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin" go.etcd.io/etcd/server/v3)
}

build_k8s kube-apiserver
build_etcd
build_k8s kubectl
