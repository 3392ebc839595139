#!/usr/bin/env bash
# Deploys an overlay and waits, boundedly, until it serves or has failed:
#   infra/k8s/deploy.sh <local|production>
#     NAMESPACE        where to deploy (default zigong, the overlays' own namespace)
#     TIMEOUT_SECONDS  how long the whole rollout may take (default 300)
# `kubectl apply -k infra/k8s/overlays/<overlay>` deploys the same objects to namespace zigong; this
# script adds the namespace choice and the waiting:
# 1. renders the overlay with kubectl's kustomize inside a kustomization of its own that sets NAMESPACE;
# 2. applies it (the bootstrap and the migrations run as init containers of each subgraph pod:
#    no Job to delete, nothing immutable);
# 3. waits for every Deployment's rollout; the first pod whose init container (bootstrap, migrate) or
#    container fails (a non-zero exit, a crash loop, an image or configuration it cannot get) ends the
#    wait: its logs are printed and the script exits 1. Past TIMEOUT_SECONDS it exits 1 as well,
#    naming what has not rolled out.
set -euo pipefail

usage() { echo "DEPLOY_USAGE: $1" >&2; echo "usage: [NAMESPACE=zigong] [TIMEOUT_SECONDS=300] infra/k8s/deploy.sh <local|production>" >&2; exit 2; }

overlay="${1:-}"
[ -n "$overlay" ] || usage "name an overlay"
here="$(cd "$(dirname "$0")" && pwd)"
dir="$here/overlays/$overlay"
namespace="${NAMESPACE:-zigong}"
timeout="${TIMEOUT_SECONDS:-300}"
[ -f "$dir/kustomization.yaml" ] || usage "no overlay \"$overlay\" in $here/overlays"
[[ "$namespace" =~ ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$ ]] || usage "NAMESPACE \"$namespace\" is not a Kubernetes namespace name"
[[ "$timeout" =~ ^[1-9][0-9]*$ ]] || usage "TIMEOUT_SECONDS must be a whole number of seconds"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# kustomize wants a relative path to the overlay.
depth="$(printf '%s' "$work" | tr -cd / | wc -c)"
up="$(printf '../%.0s' $(seq "$depth"))"
cat >"$work/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $namespace
resources:
  - $up${dir#/}
EOF
kubectl kustomize "$work" >"$work/manifests.yaml"

echo "deploying overlay $overlay to namespace $namespace"
kubectl apply -f "$work/manifests.yaml"

selector=app.kubernetes.io/part-of=zigong
pending=()
while IFS= read -r line; do [ -n "$line" ] && pending+=("$line"); done < <(kubectl -n "$namespace" get deployment -l "$selector" -o name)
[ "${#pending[@]}" -gt 0 ] || { echo "DEPLOY_FAILED: no Deployment labelled $selector in namespace $namespace after apply" >&2; exit 1; }

# Each container of each pod: pod, kind, container, waiting reason, exit code now, exit code last time.
statuses='{{range .items}}{{$pod := .metadata.name}}{{range .status.initContainerStatuses}}{{$pod}} init {{.name}} {{if .state.waiting}}{{.state.waiting.reason}}{{else}}-{{end}} {{if .state.terminated}}{{.state.terminated.exitCode}}{{else}}-{{end}} {{if .lastState.terminated}}{{.lastState.terminated.exitCode}}{{else}}-{{end}}
{{end}}{{range .status.containerStatuses}}{{$pod}} main {{.name}} {{if .state.waiting}}{{.state.waiting.reason}}{{else}}-{{end}} {{if .state.terminated}}{{.state.terminated.exitCode}}{{else}}-{{end}} {{if .lastState.terminated}}{{.lastState.terminated.exitCode}}{{else}}-{{end}}
{{end}}{{end}}'

fail() {
  local pod="$1" container="$2" why="$3"
  echo "DEPLOY_FAILED: pod $pod, container $container: $why" >&2
  echo "--- logs of $pod/$container ---" >&2
  kubectl -n "$namespace" logs "$pod" -c "$container" --tail=100 >&2 || true
  kubectl -n "$namespace" logs "$pod" -c "$container" --previous --tail=100 >&2 2>/dev/null || true
  exit 1
}

deadline=$((SECONDS + timeout))
while [ "${#pending[@]}" -gt 0 ]; do
  still=()
  for deployment in "${pending[@]}"; do
    if out="$(kubectl -n "$namespace" rollout status "$deployment" --timeout=1s 2>&1)"; then
      echo "rolled out: $deployment"
    elif [[ "$out" == *"exceeded its progress deadline"* ]]; then
      echo "DEPLOY_FAILED: $deployment exceeded its progress deadline" >&2
      still+=("$deployment")
      failed_deadline=1
    else
      still+=("$deployment")
    fi
  done
  pending=("${still[@]+"${still[@]}"}")
  [ "${#pending[@]}" -gt 0 ] || break

  while read -r pod kind container reason code last; do
    [ -n "${pod:-}" ] || continue
    case "$reason" in
      CrashLoopBackOff | ImagePullBackOff | ErrImagePull | InvalidImageName | CreateContainerConfigError | CreateContainerError | RunContainerError)
        fail "$pod" "$container" "$reason" ;;
    esac
    if [ "$kind" = init ] && { { [ "$code" != - ] && [ "$code" != 0 ]; } || { [ "$last" != - ] && [ "$last" != 0 ]; }; }; then
      fail "$pod" "$container" "init container exited with code $([ "$code" != - ] && echo "$code" || echo "$last")"
    fi
  done < <(kubectl -n "$namespace" get pods -l "$selector" -o go-template="$statuses")

  if [ -n "${failed_deadline:-}" ]; then
    kubectl -n "$namespace" get pods -l "$selector" >&2 || true
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "DEPLOY_TIMEOUT: not rolled out after ${timeout}s: ${pending[*]}" >&2
    kubectl -n "$namespace" get pods -l "$selector" >&2 || true
    exit 1
  fi
  sleep "${POLL_SECONDS:-5}"
done
echo "overlay $overlay serves in namespace $namespace"
