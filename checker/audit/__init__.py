"""Designing and comparing audits: sample sizes (`planning`), reproducible random and stratified draws
with manifests (`sampling`), population estimates from a stratified sample (`strata`), whether two audits
differ (`comparison`). Rendering their results belongs to `checker.report`.
"""
