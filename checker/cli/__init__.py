"""The `check` command: parses arguments and prints, through `checker.api` only. `main` holds the app
and `check run`, `validate`, `test`, `schema`; `audit` (plan, sample, compare), `review` and `mapping`
add their commands; `common` holds exit codes and what the commands share; `progress` the progress bar.
"""
