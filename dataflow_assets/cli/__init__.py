"""The ``dataflow`` command line: operators, specs, ``dataflow run`` (its runner and in-memory instance), ``show``,
the demo."""
