rule train:
    input:
        prepared=rules.prepare.output.prepared,
        folds=rules.folds.output.folds,
        code=TRAIN_CODE,
    output:
        history="results/{study}/runs/{dataset}/{model}/{activation}/fold{fold}/history.csv",
        metrics="results/{study}/runs/{dataset}/{model}/{activation}/fold{fold}/metrics.json",
        checkpoint="results/{study}/runs/{dataset}/{model}/{activation}/fold{fold}/best.pt",
        manifest="results/{study}/runs/{dataset}/{model}/{activation}/fold{fold}/manifest.json",
    log:
        "results/{study}/logs/train/{dataset}/{model}/{activation}/fold{fold}.log",
    benchmark:
        "results/{study}/benchmarks/train/{dataset}/{model}/{activation}/fold{fold}.tsv"
    group:
        "train"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=lambda wildcards, attempt: 4000 * attempt,
        runtime=lambda wildcards, attempt: 60 * attempt,
    params:
        spec=train_spec,
        run_dir=run_dir,
    shell:
        "python -m actstudy train --spec {params.spec:q} --prepared {input.prepared}"
        " --folds {input.folds} --out {params.run_dir} --threads {threads} > {log} 2>&1"


rule train_all:
    input:
        run_metrics("all"),
    localrule: True
