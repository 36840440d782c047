#!/usr/bin/env bash
# Builds the GPU Flex Templates of the l2c pipelines (not run in CI: it needs gcloud, docker and a GCP project; no
# machine of the project has built or run them). Each template's image is also its workers' container (Runner v2).
#   PROJECT=my-project REGION=us-central1 BUCKET=my-bucket ./templates/build-gpu-templates.sh [sample|train-router|benchmark ...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
: "${PROJECT:?set PROJECT}" "${REGION:?set REGION}" "${BUCKET:?set BUCKET}"
REPO="${REPO:-l2c}"
PIPELINES=("${@:-sample}")

# 1. The CUDA build (-Pcuda: DJL 0.33.0, libtorch 2.5.1, pytorch-native-cu124 and the CPU natives) with the Dataflow
#    runner and GCS (-Pdataflow, Kotlin-free), and every runtime jar, into target/lib-cuda.
rm -rf target/lib-cuda
(cd .. && mvn -B -q -Pcuda,dataflow -DskipTests -pl pipelines -am package dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$PWD/templates/target/lib-cuda")
cp ../pipelines/target/l2c-pipelines-*[0-9T].jar ../transforms/target/l2c-transforms-*[0-9T].jar \
  ../registry/target/l2c-registry-*[0-9T].jar ../l2c-core/target/l2c-core-*[0-9T].jar target/lib-cuda/

declare -A MAIN=(
  [sample]=org.l2cbeam.pipelines.sample.SamplePipeline
  [train-router]=org.l2cbeam.pipelines.trainrouter.TrainRouterPipeline
  [benchmark]=org.l2cbeam.pipelines.benchmark.BenchmarkPipeline
)
for name in "${PIPELINES[@]}"; do
  [[ -n "${MAIN[$name]:-}" ]] || { echo "unknown GPU pipeline '$name'; known: ${!MAIN[*]}" >&2; exit 2; }
  image="${REGION}-docker.pkg.dev/${PROJECT}/${REPO}/l2c-${name}-gpu:latest"
  docker build -f gpu/Dockerfile --build-arg PIPELINE_MAIN="${MAIN[$name]}" -t "$image" .
  docker push "$image"
  # The same parameters as the CPU template (same pipeline, same options): the CPU template's metadata file.
  gcloud dataflow flex-template build "gs://${BUCKET}/templates/l2c-${name}-gpu.json" \
    --image "$image" --sdk-language JAVA \
    --metadata-file "src/main/resources/org/l2cbeam/templates/${name}/metadata.json"
  echo "template: gs://${BUCKET}/templates/l2c-${name}-gpu.json (worker image: $image)"
done
