rule train:
    input:
        prepared=prepared_dir,
        folds=rules.folds.output.folds,
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
        spec=train_spec_file,
        code=train_code,
        run_dir=run_dir,
    shell:
        "python -m actstudy train --spec {params.spec:q} --prepared {input.prepared:q}"
        " --folds {input.folds:q} --out {params.run_dir:q} --threads {threads} > {log:q} 2>&1"


rule train_all:
    input:
        run_metrics("all"),
    localrule: True
