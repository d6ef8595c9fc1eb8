"""Ingest: bring observations from the sources into the store (DESIGN.md section 1).

``fetch`` runs a source's fetch or a CSV import as one recorded run, validates the rows
(``validate``, on whole columns) and upserts them; ``rescale`` notices a history the source
rescaled; ``retry`` is the one retry policy for every network call to a data source.
"""
