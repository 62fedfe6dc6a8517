"""The evolutionary activation search of S3 (AFOS): :mod:`~actstudy.search.space` (operators,
chromosomes, decoding into expression activations), :mod:`~actstudy.search.probe` (cache key,
canonical form, pre-screen), :mod:`~actstudy.search.ga` (the genetic algorithm and the random
baseline), :mod:`~actstudy.search.fitness` (a trained candidate's fitness, the reference
functions and the sanity gate), :mod:`~actstudy.search.state` (one generation to the next
through state files, candidates.csv), :mod:`~actstudy.search.results` (the best distinct
functions), :mod:`~actstudy.search.display` (a found formula simplified, as math) and
:mod:`~actstudy.search.budget` (the random baseline's budget, the GA's trainings; the searches
compared at equal trainings), driven by ``actstudy search-next`` and ``actstudy search-gate``."""
