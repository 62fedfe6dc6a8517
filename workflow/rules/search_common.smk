# What only the activation search's rules (search.smk) ask: included before them when the
# study has a search section (Snakemake's lint wants functions apart from rules).
from actstudy.search.probe import listed_keys
from actstudy.search.fitness import reference_functions

SEARCH_METHODS = study.search_methods()
# the state after the last generation: the search's every candidate, scored
SEARCH_FINAL = layout.SEARCH_STATE.replace(
    "{generation}", str(config["search"]["generations"])
)


# the reference functions' run folders (cache keys): trained before any candidate
SEARCH_REFERENCES = sorted(
    reference["key"] for reference in reference_functions(config["search"])
)


def search_prepared(wildcards):
    """The prepared arrays of the dataset the candidates train on."""
    return layout.PREPARED.format(
        prepared=study.prepared_name(config["search"]["dataset"])
    )


def search_options(wildcards):
    return study.search_options(wildcards.method)


def search_spec(wildcards):
    """A candidate's run spec (JSON; its formula is in it)."""
    return study.search_spec_json(wildcards.key)


def search_code(wildcards):
    return study.search_code_digest()


def search_gate_passed(wildcards):
    """A candidate trains once the references have passed the sanity gate (they train first)."""
    if wildcards.key in SEARCH_REFERENCES:
        return []
    return expand(rules.search_gate.output.gate, study=wildcards.study)


def search_reference_runs(wildcards):
    return expand(
        rules.search_train.output.metrics, study=wildcards.study, key=SEARCH_REFERENCES
    )


def search_gate_options(wildcards):
    """The search section the gate checks (the study's method's: the references and their
    recipe are the same for every method)."""
    return study.search_options(SEARCH_METHODS[0])


def search_listed(wildcards):
    """Key → label of the functions the study already evaluates (JSON): no winners."""
    return json.dumps(
        listed_keys(config["activations"], config["search"]), sort_keys=True
    )


def search_budget(wildcards):
    """The state of the same generation of the search whose trainings this one matches (the
    random baseline: the GA's); none for the study's own search."""
    matched = study.search_budget_method(wildcards.method)
    if matched is None:
        return []
    generation = getattr(wildcards, "generation", "0")
    return layout.SEARCH_STATE.format(
        study=wildcards.study, method=matched, generation=generation
    )


def search_previous(wildcards):
    """The state of the generation before."""
    previous = int(wildcards.generation) - 1
    return layout.SEARCH_STATE.format(
        study=wildcards.study, method=wildcards.method, generation=previous
    )


def search_previous_runs(wildcards):
    """The finished runs of the generation before's candidates (known once its state is)."""
    previous = int(wildcards.generation) - 1
    if previous == 0:
        keys = study.search_first(wildcards.method)
    else:
        state = checkpoints.search_generation.get(
            study=wildcards.study, method=wildcards.method, generation=previous
        ).output.state
        keys = json.loads(Path(state).read_text(encoding="utf-8"))["train"]
    return expand(
        rules.search_train.output.metrics, study=wildcards.study, key=sorted(keys)
    )


def search_final_states(wildcards):
    """The state after the last generation of every search the study runs, its method first."""
    return expand(SEARCH_FINAL, study=wildcards.study, method=SEARCH_METHODS)


def search_label(wildcards):
    """The label prefix of a search's best functions: searched_<rank> (baseline: random_)."""
    return study.search_label(wildcards.method)


def search_figures_parameters(wildcards, input, output):
    """The search notebook's parameters (JSON)."""
    parameters = {
        "study": wildcards.study,
        "candidates_csv": input.candidates,
        "curves_csv": input.curves,
        "top": config["search"]["top"],
        "fitness_png": output.fitness,
        "shapes_png": output.shapes,
    }
    return json.dumps(parameters)
