"""The benchmark: a bulk data generator (``generate``) and a timing runner (``run``)."""
