"""The evolutionary activation search of S3 (AFOS): :mod:`~actstudy.search.space` (operators,
chromosomes, decoding into expression activations), :mod:`~actstudy.search.probe` (cache key,
canonical form, pre-screen), :mod:`~actstudy.search.ga` (the genetic algorithm and the random
baseline), :mod:`~actstudy.search.fitness` (a trained candidate's fitness) and
:mod:`~actstudy.search.state` (one generation to the next through state files, candidates.csv),
driven by ``actstudy search-next``."""
