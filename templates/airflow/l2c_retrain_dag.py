"""Nightly L2C router retraining on Dataflow, for Apache Airflow 2 / Cloud Composer 2.

Launches the l2c-retrain Flex Template (templates/README.md, "Scheduling"): train a candidate router on the night's
data, compare it with the registry's latest on fixed probe requests at the same MAC budget, publish it only if it
passes the FID gate, and write a report. Every sampler that reads `registry+gs://...` picks the new latest up on its
next run; nothing else needs to change.

Set these Airflow Variables (Admin > Variables): l2c_project, l2c_region, l2c_bucket, l2c_model (gs:// path of the
DiT checkpoint), l2c_data (a path inside the template image, or builtin:fashion-mnist), l2c_worker_sa (the Dataflow
workers' service account, which needs roles/storage.objectUser on the bucket).
"""

import pendulum
from airflow import DAG
from airflow.providers.google.cloud.operators.dataflow import DataflowStartFlexTemplateOperator

with DAG(
    dag_id="l2c_retrain",
    schedule="0 3 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # one publisher at a time; the registry would refuse a second winner anyway
    tags=["l2c"],
) as dag:
    DataflowStartFlexTemplateOperator(
        task_id="retrain",
        project_id="{{ var.value.l2c_project }}",
        location="{{ var.value.l2c_region }}",
        wait_until_finished=True,
        body={
            "launchParameter": {
                "jobName": "l2c-retrain-{{ ds_nodash }}",
                "containerSpecGcsPath": "gs://{{ var.value.l2c_bucket }}/templates/l2c-retrain.json",
                "parameters": {
                    "model": "{{ var.value.l2c_model }}",
                    "data": "{{ var.value.l2c_data }}",
                    "samplingSteps": "20",
                    "iterations": "40",
                    "lr": "0.05",
                    "batch": "16",
                    "registry": "gs://{{ var.value.l2c_bucket }}/l2c/routers",
                    "probeMacsRemoved": "0.25",
                    "tolerance": "0.5",
                    "probeCount": "1000",
                    # Each night continues the published router instead of training from the seed's routers.
                    "warmStart": "true",
                    # One report per run; the registry's manifests keep every published version's metrics.
                    "output": "gs://{{ var.value.l2c_bucket }}/l2c/retrain/{{ ds_nodash }}",
                },
                "environment": {
                    "serviceAccountEmail": "{{ var.value.l2c_worker_sa }}",
                    "tempLocation": "gs://{{ var.value.l2c_bucket }}/tmp",
                    "maxWorkers": 10,
                },
            }
        },
    )
