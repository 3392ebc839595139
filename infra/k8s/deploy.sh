#!/usr/bin/env bash
# Deploys an overlay in one step:
#   infra/k8s/deploy.sh local|production        (NAMESPACE, default zigong, as in the overlays)
# 1. renders it; the supergraph ConfigMap reads schema/supergraph.graphql, outside the kustomize
#    root, hence --load-restrictor LoadRestrictionsNone;
# 2. deletes the previous migration Jobs (a Job's template is immutable, a new image needs a new Job);
# 3. applies; subgraph pods turn ready only once their department's migrations are applied;
# 4. waits for every migration Job, then for every rollout.
set -euo pipefail

overlay="${1:?usage: infra/k8s/deploy.sh <local|production>}"
here="$(cd "$(dirname "$0")" && pwd)"
dir="$here/overlays/$overlay"
namespace="${NAMESPACE:-zigong}"
[ -f "$dir/kustomization.yaml" ] || { echo "DEPLOY_USAGE: no overlay \"$overlay\" in $here/overlays" >&2; exit 2; }

manifests="$(mktemp)"
trap 'rm -f "$manifests"' EXIT
if command -v kustomize >/dev/null 2>&1; then
  kustomize build --load-restrictor LoadRestrictionsNone "$dir" >"$manifests"
else
  kubectl kustomize --load-restrictor LoadRestrictionsNone "$dir" >"$manifests"
fi

kubectl -n "$namespace" delete job -l app.kubernetes.io/component=migration --ignore-not-found
kubectl apply -f "$manifests"
kubectl -n "$namespace" wait --for=condition=complete job -l app.kubernetes.io/component=migration --timeout=15m
kubectl -n "$namespace" rollout status deployment -l app.kubernetes.io/part-of=zigong --timeout=10m
