rule train:
    input:
        prepared=prepared_dir,
        folds=rules.folds.output.folds,
    output:
        history=run_file("history.csv"),
        diagnostics=run_file("diagnostics.csv"),
        metrics=run_file("metrics.json"),
        checkpoint=run_file("best.pt"),
        manifest=run_file("manifest.json"),
    log:
        f"results/{{study}}/logs/train/{TRAIN_JOB}.log",
    benchmark:
        f"results/{{study}}/benchmarks/train/{TRAIN_JOB}.tsv"
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
        specs=train_spec_files,
        code=train_code,
        run_dirs=run_dirs,
    shell:
        "python -m actstudy train --spec {params.specs:q} --prepared {input.prepared:q}"
        " --folds {input.folds:q} --out {params.run_dirs:q} --threads {threads} > {log:q} 2>&1"


rule train_all:
    input:
        run_metrics("all"),
        searched_runs,
    localrule: True
