"""Seeded generators of the synthetic samples and fixtures: no real personal data anywhere.

`cases` writes case files (`python -m synthetic.cases --count 80 --seed 2022 --output samples/cases.json`),
`export` the same cases as a force's CSV/xlsx export; `calls` the audit sample of calls for service
(`python -m synthetic.calls --seed 2022 --output samples/calls.json`) and `export_calls` the same calls as a
command-and-control export. Not part of the installed package.
"""
