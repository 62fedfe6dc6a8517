"""The built-in models, declared: each module registers names, activation roles, options with
their defaults and checks, and the smallest input, and imports torch only inside the builders,
so a study's models are checked without it. The registry imports a module here the first time
one of its names is asked for (:func:`actstudy.registry.declared_names`); the networks
themselves are in the package above."""
