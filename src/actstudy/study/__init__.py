"""A study: its YAML file checked and completed, and what it runs.

- :mod:`~actstudy.study.yaml_file`: reading a study file (a key given twice is an error).
- :mod:`~actstudy.study.validate`: ``validate_config`` and ``load_config``, every check in order.
- :mod:`~actstudy.study.schema_errors`: the JSON schema check, defaults filled in, each error as
  one sentence.
- :mod:`~actstudy.study.recipes`: a run's training recipe, overrides merged in.
- :mod:`~actstudy.study.grid`: which runs a study has, and everything one run depends on.
- :mod:`~actstudy.study.label_checks` and :mod:`~actstudy.study.input_checks`: what the schema
  cannot say, checked across keys and against the registries.
- :mod:`~actstudy.study.search_options`: the search section, its candidates' recipe and split.
- :mod:`~actstudy.study.smoke`: a study's smoke variant, another study.
- :mod:`~actstudy.study.jobs`: ``Study``, what the Snakefile asks of a study at start-up (its
  validation, the run grid, each job's params: a run's spec, a code digest, prepared names).

The registries (torch, numpy) are imported inside the functions that use them, so that reading
a study, as the Snakefile does when it starts, stays fast. Nothing is imported here:
:mod:`actstudy.evaluation.reported` reads the grid, and the checks read reported files, so the
package itself stays out of that chain.
"""
