"""Case files in, checked records out.

`sources` reads an input in any form (JSON array, JSON Lines, gzip, standard input, mapped CSV/xlsx
through `exports/`) as raw records with their position; `records` decodes, validates against the case
model of its record type (`recordtypes`, `recordmodel`, `schemas/*.schema.json`) and normalises each one,
or rejects it with where and why;
`timestamps` holds the conventions for times written with and without an offset.
"""
