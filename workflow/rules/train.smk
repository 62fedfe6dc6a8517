# Each run's spec, as its training job reads it: written by a rule (a dry run writes nothing),
# its content a param, so a changed spec reruns the spec and then the run.
rule spec:
    output:
        spec=layout.SPEC,
    log:
        layout.log("spec", layout.RUN_ID),
    localrule: True  # a file of a few hundred bytes
    conda:
        "../../envs/analysis.yaml"
    params:
        spec=run_spec,
    shell:
        "python -m json.tool --sort-keys - {output.spec:q} <<< {params.spec:q} 2> {log:q}"


# A train job restores each of its runs that the run cache holds (actstudy.training.run_cache)
# and trains the others: Snakemake's own `cache: true` keys the whole (packed) job, so it could
# not restore some runs of a job; see that module for why the rest is ours.
rule train:
    input:
        specs=job_files(rules.spec.output.spec),
        prepared=prepared_dir,
        folds=rules.folds.output.folds,
    output:
        history=job_files(f"{layout.RUN}/history.csv"),
        diagnostics=job_files(f"{layout.RUN}/diagnostics.csv"),
        metrics=job_files(f"{layout.RUN}/metrics.json"),
        checkpoint=job_files(f"{layout.RUN}/best.pt"),
        manifest=job_files(f"{layout.RUN}/manifest.json"),
    log:
        layout.log("train", TRAIN_JOB),
    benchmark:
        layout.benchmark("train", TRAIN_JOB)
    group:
        "train"
    conda:
        "../../envs/torch.yaml"
    threads: config["jobs"]["threads"]
    resources:
        mem_mb=lambda wildcards, attempt: 4000 * attempt,
        runtime=lambda wildcards, attempt: 60 * attempt * RUNS_PER_JOB,
        # one slot of the GPU's pool: `--resources gpu_slot=N` (profiles/gpu-node) lets N
        # training jobs share one GPU; without a pool the slots are unlimited
        gpu_slot=1,
    params:
        code=train_code,
        run_dirs=run_dirs,
        digests=spec_digests,
    shell:
        "python -m actstudy train --spec {input.specs:q} --digest {params.digests:q}"
        " --prepared {input.prepared:q} --folds {input.folds:q} --out {params.run_dirs:q}"
        " --threads {threads} > {log:q} 2>&1"


rule train_all:
    input:
        slice_files("all"),
        searched_runs,
    localrule: True
