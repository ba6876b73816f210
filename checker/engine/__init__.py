"""Evaluating rules on records: statuses, the deciding clause and the values read (`evaluate`); the
working-day and clock-hour helpers rules call (`workdays`); reviewers' judgements (`judgements`); waivers
(`waivers`); rule fixtures for `check test` (`fixtures`).
"""
