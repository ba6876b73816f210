"""Seeded generators of the synthetic samples and fixtures: no real personal data anywhere.

`cases` writes case files (`python -m synthetic.cases --count 80 --seed 2022 --output samples/cases.json`),
`export` the same cases as a force's CSV/xlsx export. Not part of the installed package.
"""
