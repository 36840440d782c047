#!/usr/bin/env bash
# Builds the Dataflow Flex Templates of the l2c pipelines (not run in CI: it needs gcloud, docker and a project).
#   PROJECT=my-project REGION=us-central1 BUCKET=my-bucket ./templates/build-templates.sh [sample|evaluate|train-router|benchmark|retrain ...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
: "${PROJECT:?set PROJECT}" "${REGION:?set REGION}" "${BUCKET:?set BUCKET}"
REPO="${REPO:-l2c}"
PIPELINES=("${@:-sample}")

# 1. The pipelines and every runtime dependency, with the Dataflow runner and GCS (Kotlin-free: -Pdataflow).
(cd .. && mvn -B -q -Pdataflow -DskipTests -pl pipelines -am package dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$PWD/templates/target/lib")
cp ../pipelines/target/l2c-pipelines-*.jar ../transforms/target/l2c-transforms-*.jar ../registry/target/l2c-registry-*.jar \
  ../l2c-core/target/l2c-core-*.jar target/lib/

declare -A MAIN=(
  [sample]=org.l2cbeam.pipelines.sample.SamplePipeline
  [evaluate]=org.l2cbeam.pipelines.evaluate.EvaluatePipeline
  [train-router]=org.l2cbeam.pipelines.trainrouter.TrainRouterPipeline
  [benchmark]=org.l2cbeam.pipelines.benchmark.BenchmarkPipeline
  [retrain]=org.l2cbeam.pipelines.retrain.RetrainPipeline
)
for name in "${PIPELINES[@]}"; do
  [[ -n "${MAIN[$name]:-}" ]] || { echo "unknown pipeline '$name'; known: ${!MAIN[*]}" >&2; exit 2; }
  image="${REGION}-docker.pkg.dev/${PROJECT}/${REPO}/l2c-${name}:latest"
  docker build --build-arg PIPELINE_MAIN="${MAIN[$name]}" -t "$image" .
  docker push "$image"
  gcloud dataflow flex-template build "gs://${BUCKET}/templates/l2c-${name}.json" \
    --image "$image" --sdk-language JAVA \
    --metadata-file "src/main/resources/org/l2cbeam/templates/${name}/metadata.json"
  echo "template: gs://${BUCKET}/templates/l2c-${name}.json"
done
