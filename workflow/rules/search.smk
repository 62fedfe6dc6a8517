# The activation search of S3 (AFOS), one generation at a time (actstudy.search).
#
# search_start writes generation 0 (a function of the options: its candidates are known when the
# workflow starts, so a dry run lists them); each candidate is a search_train job; the checkpoint
# search_generation scores generation g - 1 from its candidates' runs and proposes generation g,
# and Snakemake then adds generation g's training jobs. A candidate's run folder is named by its
# cache key and shared by every generation and method: a function is trained once. A killed
# search resumes where it stopped (finished runs and states are outputs). search_results writes
# each search's best functions (top.yaml), search_candidates every search's candidates
# (candidates.csv), search_figures the notebook. The checkpoint search_winners writes the best
# search.evaluate_top functions of each evaluated search (evaluated.json): the evaluation's
# aggregation asks for it (common.smk, run_metrics), and once it exists their runs join the
# grid, as searched_1 .. (train.smk reads their formulas through Study.spec).
wildcard_constraints:
    method=_choice(SEARCH_METHODS),
    key=r"f[0-9a-f]{16}",


# the state after the last generation: the search's every candidate, scored
SEARCH_FINAL = SEARCH_STATE.replace(
    "{generation}", str(config["search"]["generations"])
)


rule search_folds:
    input:
        prepared=search_prepared,
    output:
        folds=f"{SEARCH}/folds.json",
    log:
        "results/{study}/logs/search/folds.log",
    conda:
        "../../envs/torch.yaml"
    params:
        options=json.dumps(study.search_fold_options()),
    shell:
        "python -m actstudy folds --prepared {input.prepared:q} --options {params.options:q}"
        " --out {output.folds:q} > {log:q} 2>&1"


rule search_start:
    output:
        state=SEARCH_STATE.replace("{generation}", "0"),
    log:
        "results/{study}/logs/search/{method}/gen0.log",
    conda:
        "../../envs/torch.yaml"
    params:
        options=search_options,
    shell:
        "python -m actstudy search-next --options {params.options:q}"
        " --out {output.state:q} > {log:q} 2>&1"


rule search_train:
    input:
        prepared=search_prepared,
        folds=rules.search_folds.output.folds,
    output:
        history=f"{SEARCH_RUN}/history.csv",
        metrics=f"{SEARCH_RUN}/metrics.json",
        checkpoint=f"{SEARCH_RUN}/best.pt",
        manifest=f"{SEARCH_RUN}/manifest.json",
    log:
        "results/{study}/logs/search/train/{key}.log",
    benchmark:
        "results/{study}/benchmarks/search/train/{key}.tsv"
    group:
        "train"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=lambda wildcards, attempt: 4000 * attempt,
        runtime=lambda wildcards, attempt: 60 * attempt,
    params:
        spec=search_spec_file,
        code=search_code,
        run_dir=SEARCH_RUN,
    shell:
        "python -m actstudy train --spec {params.spec:q} --prepared {input.prepared:q}"
        " --folds {input.folds:q} --out {params.run_dir:q} --threads {threads}"
        " > {log:q} 2>&1"


checkpoint search_generation:
    input:
        previous=search_previous,
        runs=search_previous_runs,
    output:
        state=SEARCH_STATE,
    log:
        "results/{study}/logs/search/{method}/gen{generation}.log",
    wildcard_constraints:
        generation=r"[1-9]\d*",
    conda:
        "../../envs/torch.yaml"
    params:
        options=search_options,
        runs=f"{SEARCH}/runs",
    shell:
        "python -m actstudy search-next --options {params.options:q}"
        " --state {input.previous:q} --results {params.runs:q} --out {output.state:q}"
        " > {log:q} 2>&1"


rule search_results:
    input:
        state=SEARCH_FINAL,
    output:
        top=f"{SEARCH}/{{method}}/top.yaml",
        curves=f"{SEARCH}/{{method}}/best_curves.csv",
    log:
        "results/{study}/logs/search/{method}/results.log",
    conda:
        "../../envs/torch.yaml"
    params:
        top=config["search"]["top"],
        label=search_label,
        study=STUDY,
    shell:
        "python -m actstudy search-results --state {input.state:q} --top {params.top:q}"
        " --label {params.label:q} --out {output.top:q} --study {params.study:q}"
        " --curves {output.curves:q} > {log:q} 2>&1"


checkpoint search_winners:
    input:
        state=SEARCH_FINAL,
    output:
        winners=f"{SEARCH}/{{method}}/evaluated.json",
    log:
        "results/{study}/logs/search/{method}/winners.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        top=config["search"]["evaluate_top"],
        label=search_label,
    shell:
        "python -m actstudy search-winners --state {input.state:q} --top {params.top:q}"
        " --label {params.label:q} --out {output.winners:q} > {log:q} 2>&1"


rule search_candidates:
    input:
        states=search_final_states,
    output:
        candidates=report(
            f"{SEARCH}/candidates.csv",
            caption="../report/search_candidates.rst",
            category="Search",
        ),
    log:
        "results/{study}/logs/search/candidates.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python -m actstudy search-candidates {input.states:q} --out {output.candidates:q}"
        " > {log:q} 2>&1"


rule search_figures:
    input:
        notebook=NOTEBOOKS / "search.ipynb",
        candidates=rules.search_candidates.output.candidates,
        # the shapes of the study's search's best functions (drawn without torch)
        curves=expand(
            rules.search_results.output.curves, study=STUDY, method=SEARCH_METHODS[0]
        ),
    output:
        notebook=f"{SEARCH}/notebooks/search.ipynb",
        html=f"{SEARCH}/notebooks/search.html",
        fitness=report(
            f"{SEARCH}/figures/fitness.png",
            caption="../report/search_fitness.rst",
            category="Search",
        ),
        shapes=report(
            f"{SEARCH}/figures/best_functions.png",
            caption="../report/search_shapes.rst",
            category="Search",
        ),
    log:
        "results/{study}/logs/search/figures.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        study=STUDY,
        top=config["search"]["top"],
    shell:
        "(python -m papermill {input.notebook:q} {output.notebook:q} --kernel python3 --cwd ."
        " -p study {params.study:q} -p candidates_csv {input.candidates:q}"
        " -p curves_csv {input.curves:q}"
        " -p top {params.top:q} -p fitness_png {output.fitness:q}"
        " -p shapes_png {output.shapes:q}"
        " && python -m nbconvert --to html {output.notebook:q} --output-dir"
        ' "$(dirname {output.html:q})") > {log:q} 2>&1'


rule search_all:
    input:
        expand(rules.search_results.output, study=STUDY, method=SEARCH_METHODS),
        expand(
            rules.search_winners.output, study=STUDY, method=study.evaluated_methods()
        ),
        expand(rules.search_candidates.output, study=STUDY),
        expand(rules.search_figures.output, study=STUDY),
    localrule: True
