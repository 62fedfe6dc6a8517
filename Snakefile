# actstudy: activation-function studies, end to end.
# Run the default study:  snakemake --cores 2   (or `make run`)
# Another study:          snakemake --cores 2 --configfile studies/<name>.yaml --replace-workflow-config
# Every snakemake of this workflow reads the default profile profiles/default/ (keep going,
# rerun incomplete jobs, print commands); clusters and shared GPUs add --profile profiles/slurm,
# profiles/slurm-gpu or profiles/gpu-node (docs/slurm.md).
# One value changed without editing a file:  snakemake --cores 2 --config 'training={epochs: 2}'
# A trained run in Python:  actstudy.load_run("results/<study>/runs/<d>/<m>/<a>/fold<k>")
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


# The overview page of `snakemake --report results/<study>/report.zip` (`make report`).
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"


if config["search"]:

    include: "workflow/rules/search_common.smk"
    include: "workflow/rules/search.smk"


# Every run's metrics beside the stages' outputs: a run whose files are gone (a failed training
# job's outputs are deleted) is trained again, and what reads it remade, instead of "Nothing to
# be done" (Snakemake ignores a deleted intermediate file while what it feeds is present).
rule all:
    default_target: True
    input:
        rules.figures_all.input,
        rules.evaluate_all.input,
        rules.search_all.input if config["search"] else [],
        rules.report_all.input,
        rules.train_all.input,  # last: its searched runs wait for the search (slice_files)
