"""The built-in activations, declared: each module registers names, parameters, their checks
and defaults, and imports torch only inside the builders, so a study's activations are checked
without it. The registry imports a module here the first time one of its names is asked for
(:func:`actstudy.registry.declared_names`); the modules' torch code is in the package above."""
