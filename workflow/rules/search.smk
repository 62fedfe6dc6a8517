# The activation search of S3 (AFOS), one generation at a time (actstudy.search).
#
# search_start writes generation 0 (a function of the options: its candidates are known when the
# workflow starts, so a dry run lists them) and its reference functions (search.references); those
# train first, and search_gate stops the search unless the first learns (every other candidate's
# training waits for gate.json); each candidate is a search_train job; the checkpoint
# search_generation scores generation g - 1 from its candidates' runs and proposes generation g, and
# Snakemake then adds generation g's training jobs. The random baseline's generation g also waits
# for the GA's state of generation g (search_budget) and draws until it trains as many functions
# (equal trainings, generation by generation). A candidate's run folder is named by its cache key
# and shared by every generation and method: a function is trained once. A killed search resumes
# where it stopped (finished runs and states are outputs). search_results writes each search's best
# functions (top.yaml), search_candidates every search's candidates (candidates.csv), search_figures
# the notebook. The checkpoint search_winners writes the best search.evaluate_top functions of each
# evaluated search (evaluated.json): the evaluation's aggregation asks for it (common.smk,
# slice_files), and once it exists their runs join the grid, as searched_1 .. (the rule spec reads
# their formulas through Study.spec).
wildcard_constraints:
    method=_choice(SEARCH_METHODS),
    key=r"f[0-9a-f]{16}(_g[1-9]\d*)?",


rule search_folds:
    input:
        prepared=search_prepared,
    output:
        folds=f"{layout.SEARCH}/folds.json",
    log:
        layout.log("search", "folds"),
    conda:
        "../../envs/torch.yaml"
    params:
        options=json.dumps(study.search_fold_options()),
        format=FOLDS_FORMAT,
    shell:
        "python -m actstudy folds --prepared {input.prepared:q} --options {params.options:q}"
        " --out {output.folds:q} > {log:q} 2>&1"


rule search_start:
    input:
        budget=search_budget,
    output:
        state=layout.SEARCH_STATE.replace("{generation}", "0"),
    log:
        layout.log("search", "{method}/gen0"),
    conda:
        "../../envs/torch.yaml"
    params:
        options=search_options,
    shell:
        "python -m actstudy search-next --options {params.options:q}"
        " --out {output.state:q} --budget-of {input.budget:q} > {log:q} 2>&1"


rule search_spec:
    output:
        spec=layout.SEARCH_SPEC,
    log:
        layout.log("search/spec", "{key}"),
    localrule: True  # a file of a few hundred bytes
    conda:
        "../../envs/analysis.yaml"
    params:
        spec=search_spec,
    shell:
        "python -m json.tool --sort-keys - {output.spec:q} <<< {params.spec:q} 2> {log:q}"


rule search_train:
    input:
        spec=rules.search_spec.output.spec,
        prepared=search_prepared,
        folds=rules.search_folds.output.folds,
        gate=search_gate_passed,
    output:
        history=f"{layout.SEARCH_RUN}/history.csv",
        metrics=f"{layout.SEARCH_RUN}/metrics.json",
        checkpoint=f"{layout.SEARCH_RUN}/best.pt",
        manifest=f"{layout.SEARCH_RUN}/manifest.json",
    log:
        layout.log("search/train", "{key}"),
    benchmark:
        layout.benchmark("search/train", "{key}")
    group:
        "train"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=lambda wildcards, attempt: 4000 * attempt,
        runtime=lambda wildcards, attempt: 60 * attempt,
        # one slot of the GPU's pool, as the train rule's (profiles/gpu-node)
        gpu_slot=1,
    params:
        code=search_code,
        run_dir=layout.SEARCH_RUN,
    shell:
        "python -m actstudy train --spec {input.spec:q} --prepared {input.prepared:q}"
        " --folds {input.folds:q} --out {params.run_dir:q} --threads {threads}"
        " > {log:q} 2>&1"


rule search_gate:
    input:
        runs=search_reference_runs,
    output:
        gate=f"{layout.SEARCH}/gate.json",
    log:
        layout.log("search", "gate"),
    conda:
        "../../envs/torch.yaml"
    params:
        options=search_gate_options,
        runs=f"{layout.SEARCH}/runs",
    shell:
        "python -m actstudy search-gate --options {params.options:q}"
        " --results {params.runs:q} --out {output.gate:q} > {log:q} 2>&1"


checkpoint search_generation:
    input:
        previous=search_previous,
        runs=search_previous_runs,
        budget=search_budget,
    output:
        state=layout.SEARCH_STATE,
    log:
        layout.log("search", "{method}/gen{generation}"),
    wildcard_constraints:
        generation=r"[1-9]\d*",
    conda:
        "../../envs/torch.yaml"
    params:
        options=search_options,
        runs=f"{layout.SEARCH}/runs",
    shell:
        "python -m actstudy search-next --options {params.options:q}"
        " --state {input.previous:q} --results {params.runs:q} --out {output.state:q}"
        " --budget-of {input.budget:q} > {log:q} 2>&1"


rule search_results:
    input:
        state=SEARCH_FINAL,
    output:
        top=f"{layout.SEARCH_METHOD}/top.yaml",
        curves=f"{layout.SEARCH_METHOD}/best_curves.csv",
    log:
        layout.log("search", "{method}/results"),
    conda:
        "../../envs/torch.yaml"
    params:
        top=config["search"]["top"],
        label=search_label,
        study=STUDY,
        listed=search_listed,
    shell:
        "python -m actstudy search-results --state {input.state:q} --top {params.top:q}"
        " --label {params.label:q} --out {output.top:q} --study {params.study:q}"
        " --curves {output.curves:q} --listed {params.listed:q} > {log:q} 2>&1"


checkpoint search_winners:
    input:
        state=SEARCH_FINAL,
    output:
        winners=layout.SEARCH_WINNERS,
    log:
        layout.log("search", "{method}/winners"),
    conda:
        "../../envs/analysis.yaml"
    params:
        top=config["search"]["evaluate_top"],
        label=search_label,
        listed=search_listed,
    shell:
        "python -m actstudy search-winners --state {input.state:q} --top {params.top:q}"
        " --label {params.label:q} --out {output.winners:q} --listed {params.listed:q}"
        " > {log:q} 2>&1"


rule search_candidates:
    input:
        states=search_final_states,
    output:
        candidates=report(
            f"{layout.SEARCH}/candidates.csv",
            caption="../report/search_candidates.rst",
            category="Search",
        ),
    log:
        layout.log("search", "candidates"),
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
        )[0],
    output:
        notebook=f"{layout.SEARCH}/notebooks/search.ipynb",
        html=report(
            f"{layout.SEARCH}/notebooks/search.html",
            caption="../report/notebook.rst",
            category="Search",
        ),
        fitness=report(
            f"{layout.SEARCH}/figures/fitness.png",
            caption="../report/search_fitness.rst",
            category="Search",
        ),
        shapes=report(
            f"{layout.SEARCH}/figures/best_functions.png",
            caption="../report/search_shapes.rst",
            category="Search",
        ),
    log:
        layout.log("search", "figures"),
    conda:
        "../../envs/analysis.yaml"
    params:
        parameters=search_figures_parameters,
    shell:
        "python -m actstudy notebook {input.notebook:q} --executed {output.notebook:q}"
        " --html {output.html:q} --parameters {params.parameters:q} > {log:q} 2>&1"


rule search_all:
    input:
        expand(rules.search_results.output, study=STUDY, method=SEARCH_METHODS),
        expand(
            rules.search_winners.output, study=STUDY, method=study.evaluated_methods()
        ),
        expand(rules.search_candidates.output, study=STUDY),
        expand(rules.search_figures.output, study=STUDY),
    localrule: True
