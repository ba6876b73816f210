"""Scoring as the inspectorate scores a sample: per rule X of Y applicable and a rate (`counts`), its
confidence interval (`intervals`), the published wording, small-sample reliability and grade bands
(`statements`).
"""
